//! The readout: how closely an image matches the photo and the painting, on one scale for any
//! recipe and any tool. Relative content error ‖F − P‖² / ‖P‖² at each content layer and
//! relative Gram error ‖G − A‖² / ‖A‖² at each style layer (G, A: Gram matrices over positions,
//! so the painting's size does not matter).

use anyhow::Result;
use burn::tensor::Tensor;

use super::{GramSum, StyleGrams};
use crate::image_io::{self, to_tensor};
use crate::model::Vgg19;
use crate::model::tiles::TileGrid;
use crate::readback;
use crate::recipe::LossSpec;
use crate::report::{LayerError, Readout};

/// The readout of `image` against `photo` (same size as `image`) and the painting's `grams`,
/// at `spec`'s layers. Both images `[1, 3, H, W]`, 0–255, on the model's device. With `tile`,
/// an image larger than `tile` pixels a side is seen tile by tile (the same errors).
pub fn readout(
    model: &Vgg19,
    spec: &LossSpec,
    image: Tensor<4>,
    photo: Tensor<4>,
    grams: &StyleGrams,
    tile: Option<usize>,
) -> Result<Readout> {
    let indices = spec.indices();
    let [_, _, h, w] = image.dims();
    let grid = TileGrid::cut(h, w, &indices, tile);
    let content_indices = spec.content_indices();
    let mut photo_cores = Vec::with_capacity(grid.tiles.len());
    grid.for_each(model, &photo, &content_indices, |_, acts| photo_cores.push(acts));
    let mut content = vec![(0.0, 0.0); content_indices.len()];
    let mut gram_sums: Vec<GramSum> = indices.iter().map(|_| GramSum::default()).collect();
    // Where each content layer sits among `indices` (of which the content layers are a part).
    let content_at: Vec<usize> =
        content_indices.iter().filter_map(|layer| indices.iter().position(|i| i == layer)).collect();
    let mut tile_number = 0;
    let mut failure = None;
    grid.for_each(model, &image, &indices, |_, acts| {
        let photo_acts = &photo_cores[tile_number];
        tile_number += 1;
        for (k, &at) in content_at.iter().enumerate() {
            match sums(acts[at].clone(), photo_acts[k].clone()) {
                Ok((difference, norm)) => {
                    content[k].0 += difference;
                    content[k].1 += norm;
                }
                Err(e) => failure = Some(e),
            }
        }
        for ((&layer, act), sum) in indices.iter().zip(acts).zip(gram_sums.iter_mut()) {
            if grams.of_layer(layer).is_some() {
                sum.add(act);
            }
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    let mut readout = Readout::default();
    for (&layer, (difference, norm)) in content_indices.iter().zip(content) {
        readout.content.push(LayerError { layer, relative: difference / norm.max(f64::MIN_POSITIVE) });
    }
    for (&layer, sum) in indices.iter().zip(gram_sums) {
        if let (Some(target), Some((g, _))) = (grams.of_layer(layer), sum.finish()) {
            readout.style.push(LayerError { layer, relative: relative(g, target.clone())? });
        }
    }
    Ok(readout)
}

/// The readout of any `image` against the `photo` (scaled to the image's size) and the
/// `painting` (its longer side scaled to the image's), e.g. another tool's result; in tiles of
/// `tile` pixels a side if given.
pub fn of_image(
    model: &Vgg19,
    spec: &LossSpec,
    image: &image::DynamicImage,
    photo: &image::DynamicImage,
    painting: &image::DynamicImage,
    device: &burn::tensor::Device,
    tile: Option<usize>,
) -> Result<Readout> {
    let (w, h) = (image.width(), image.height());
    let (sw, sh) = image_io::fit(painting.width(), painting.height(), w.max(h));
    let painting = to_tensor(&image_io::to_planar(painting, sw, sh), device);
    let grams = StyleGrams::new(model, spec, &[(painting, 1.0)], tile);
    let photo = to_tensor(&image_io::to_planar(photo, w, h), device);
    readout(model, spec, to_tensor(&image_io::to_planar(image, w, h), device), photo, &grams, tile)
}

/// The style error of the region of `image` that `mask` marks against `painting` (scaled to the
/// image's longer side), or against the part of it its own mask marks:
/// [`super::guided::region_error`], for `nst score --mask`.
pub fn region_of_image(
    model: &Vgg19,
    spec: &LossSpec,
    image: &image::DynamicImage,
    (painting, painting_mask): (&image::DynamicImage, Option<&image::DynamicImage>),
    mask: &image::DynamicImage,
    device: &burn::tensor::Device,
) -> Result<f64> {
    let (w, h) = (image.width(), image.height());
    let (sw, sh) = image_io::fit(painting.width(), painting.height(), w.max(h));
    let painting = to_tensor(&image_io::to_planar(painting, sw, sh), device);
    let grams = match painting_mask {
        Some(part) => {
            let part = image_io::Mask::from_image(part, sw, sh).to_tensor(device);
            StyleGrams::of_region(model, spec, &painting, &part, None)?
        }
        None => StyleGrams::new(model, spec, &[(painting, 1.0)], None),
    };
    let mask = image_io::Mask::from_image(mask, w, h).to_tensor(device);
    let image = to_tensor(&image_io::to_planar(image, w, h), device);
    super::guided::region_error(model, spec, image, &mask, &grams)
}

/// ‖a − b‖² / ‖b‖².
fn relative<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> Result<f64> {
    let (difference, norm) = sums(a, b)?;
    Ok(difference / norm.max(f64::MIN_POSITIVE))
}

/// ‖a − b‖² and ‖b‖².
fn sums<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> Result<(f64, f64)> {
    let difference = readback::scalar(a.sub(b.clone()).square().sum(), "a readout difference")?;
    let norm = readback::scalar(b.square().sum(), "a readout norm")?;
    Ok((difference, norm))
}
