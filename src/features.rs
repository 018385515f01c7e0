//! What VGG19 sees, as a picture: a grid of the strongest feature maps of chosen layers (the
//! seed post's "content image convolutional outputs" figure), which `nst features` writes.

use anyhow::Result;
use image::{Rgb, RgbImage};

use crate::device::ComputeDevice;
use crate::draw;
use crate::image_io::{Planar, to_tensor};
use crate::layers::VGG19;
use crate::model::Vgg19;
use crate::readback;

const THUMB: u32 = 96;
const GAP: u32 = 4;
const LABEL_WIDTH: u32 = 120;

/// A row per layer (`layers`: VGG19 indices, ascending) of its `per_layer` most active maps,
/// each scaled to its own maximum and coloured from black through purple and orange to yellow.
pub fn feature_grid(
    model: &Vgg19,
    image: &Planar,
    layers: &[usize],
    per_layer: usize,
    device: &ComputeDevice,
) -> Result<RgbImage> {
    let input = to_tensor(image, &device.device);
    let activations = model.forward(input, layers);
    let width = LABEL_WIDTH + per_layer as u32 * (THUMB + GAP) + GAP;
    let height = layers.len() as u32 * (THUMB + GAP) + GAP;
    let mut grid = RgbImage::from_pixel(width, height, Rgb([255, 255, 255]));
    for (row, (&layer, act)) in layers.iter().zip(activations).enumerate() {
        let [_, channels, h, w] = act.dims();
        let values = readback::values(act, &format!("{}'s activations", VGG19[layer].name))?;
        let map = |c: usize| &values[c * h * w..(c + 1) * h * w];
        let mut order: Vec<usize> = (0..channels).collect();
        let mean = |c: usize| map(c).iter().sum::<f32>() / (h * w) as f32;
        order.sort_by(|a, b| mean(*b).total_cmp(&mean(*a)));
        let y = GAP + row as u32 * (THUMB + GAP);
        let [_, _, _, name] = crate::layers::aliases(&VGG19[layer]);
        draw::text(&mut grid, 6, (y + THUMB / 2 - 7) as i64, &name, 2, Rgb([30, 30, 30]));
        for (col, &c) in order.iter().take(per_layer).enumerate() {
            let tile = tile_of(map(c), w, h);
            draw::paste(&mut grid, &tile, LABEL_WIDTH + col as u32 * (THUMB + GAP), y);
        }
    }
    Ok(grid)
}

/// One `w`×`h` map, normalised by its maximum, scaled to a TILE² square (nearest, so the
/// deep layers' coarse grids stay visible as such).
fn tile_of(map: &[f32], w: usize, h: usize) -> RgbImage {
    let max = map.iter().copied().fold(0.0f32, f32::max).max(1e-6);
    let small = RgbImage::from_fn(w as u32, h as u32, |x, y| colour(map[y as usize * w + x as usize] / max));
    let side = |s: usize| ((s as f64 * THUMB as f64 / w.max(h) as f64).round() as u32).max(1);
    let scaled = image::imageops::resize(&small, side(w), side(h), image::imageops::FilterType::Nearest);
    let mut tile = RgbImage::from_pixel(THUMB, THUMB, Rgb([0, 0, 0]));
    draw::paste(&mut tile, &scaled, 0, 0);
    tile
}

/// 0 → black, 0.33 → purple, 0.66 → orange, 1 → pale yellow.
fn colour(t: f32) -> Rgb<u8> {
    let stops = [[0.0, 0.0, 4.0], [120.0, 28.0, 109.0], [237.0, 105.0, 37.0], [252.0, 255.0, 164.0]];
    let t = t.clamp(0.0, 1.0) * 3.0;
    let i = (t.floor() as usize).min(2);
    let f = t - i as f32;
    Rgb([0, 1, 2].map(|c| (stops[i][c] + (stops[i + 1][c] - stops[i][c]) * f) as u8))
}
