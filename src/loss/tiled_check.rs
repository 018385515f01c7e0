//! A tiled evaluation must give the untiled loss and gradient: the tiles' cores partition every
//! layer, their halos keep the padding out, and the style term's derivative is spread exactly.

use burn::tensor::{Device, Tensor, TensorData};

use super::{GuidedStyle, LossTerms, Objective, StyleGrams};
use crate::Recipe;
use crate::layers::VGG19;
use crate::model::{Vgg19, weights};

fn image(seed: f32, (h, w): (usize, usize), device: &Device) -> Tensor<1> {
    let data: Vec<f32> = (0..3 * h * w).map(|i| 128.0 + 100.0 * ((i as f32 + seed) * 0.37).sin()).collect();
    Tensor::from_data(TensorData::new(data, [3 * h * w]), device)
}

/// With and without a variation term: the default has none, so the tiled path skips it.
#[test]
fn tiled_and_whole_evaluations_agree() {
    for tv_weight in [0.0, 1e-3] {
        let recipe = Recipe::with(|r| r.tv_weight = tv_weight).expect("recipe");
        tiled_and_whole_agree(&recipe);
    }
}

/// The network and the photo and painting of the checks, `SIZE`, on the CPU.
const SIZE: (usize, usize) = (80, 104);

fn setup(recipe: &Recipe) -> (Device, Vgg19, Tensor<4>, Tensor<4>) {
    let device = Device::flex();
    let model = Vgg19::new(weights::load(None, VGG19.len() - 1).expect("weights"), recipe.pooling, &device);
    let shape = [1, 3, SIZE.0, SIZE.1];
    let (photo, painting) =
        (image(0.0, SIZE, &device).reshape(shape), image(5.0, SIZE, &device).reshape(shape));
    (device, model, photo, painting)
}

/// Evaluate both at the photo and at another image: content and style within 1e-4, the pixel
/// terms within 1e-5, the gradients within 1e-3 of their scale; the whole terms, for more checks.
fn assert_agree(whole: &mut Objective, tiled: &mut Objective, photo: &Tensor<4>) -> Vec<LossTerms> {
    assert!(tiled.tile_count() >= 9, "{} tiles", tiled.tile_count());
    let device = photo.device();
    let mut terms = Vec::new();
    for x in [photo.clone().reshape([3 * SIZE.0 * SIZE.1]), image(9.0, SIZE, &device)] {
        let (a, grad_a) = whole.evaluate(&x).expect("whole evaluation");
        let (b, grad_b) = tiled.evaluate(&x).expect("tiled evaluation");
        for (name, u, v) in [("content", a.content, b.content), ("style", a.style, b.style)] {
            assert!((u - v).abs() <= 1e-4 * u.abs().max(1e-6), "{name}: whole {u}, tiled {v}");
        }
        assert!((a.variation - b.variation).abs() <= 1e-5 * a.variation, "{a:?} vs {b:?}");
        // The default's palette term, taken on the whole image's pixels either way.
        assert!(a.palette > 0.0 && (a.palette - b.palette).abs() <= 1e-5 * a.palette, "{a:?} vs {b:?}");
        let scale: f32 = grad_a.clone().abs().max().into_scalar();
        let difference: f32 = grad_a.sub(grad_b).abs().max().into_scalar();
        assert!(difference <= 1e-3 * scale, "gradients differ by {difference} (scale {scale})");
        terms.push(a);
    }
    terms
}

fn tiled_and_whole_agree(recipe: &Recipe) {
    let (_, model, photo, painting) = setup(recipe);
    let whole_grams = StyleGrams::new(&model, &recipe.loss, &[(painting.clone(), 1.0)], None);
    let tiled_grams = StyleGrams::new(&model, &recipe.loss, &[(painting, 1.0)], Some(32));
    let mut whole = Objective::new(model.clone(), &recipe.loss, photo.clone(), &whole_grams);
    let mut tiled = Objective::new(model, &recipe.loss, photo.clone(), &tiled_grams).tiled(32);
    for a in assert_agree(&mut whole, &mut tiled, &photo) {
        assert_eq!(a.variation > 0.0, recipe.loss.tv_weight > 0.0, "{a:?}");
    }
}

/// A soft mask `[1, 1, H, W]`: 1 at the top, fading to 0 at the bottom, with a bump; its
/// complement's share is the rest.
fn soft_mask((h, w): (usize, usize), upper: bool, device: &Device) -> Tensor<4> {
    let values: Vec<f32> = (0..h * w)
        .map(|i| {
            let (r, c) = ((i / w) as f32 / h as f32, (i % w) as f32 / w as f32);
            let m = (1.5 - 2.0 * r + 0.3 * (6.0 * c).sin()).clamp(0.0, 1.0);
            if upper { m } else { 1.0 - m }
        })
        .collect();
    Tensor::from_data(TensorData::new(values, [1, 1, h, w]), device)
}

/// Masks through tiles: each tile's core weighs its activations by its part of the layer's
/// mask, so the guided Grams, the region Grams of a painting seen in tiles, and the gradient
/// equal the whole image's.
#[test]
fn tiled_and_whole_evaluations_agree_with_masks() {
    let recipe = Recipe::default();
    let (device, model, photo, painting) = setup(&recipe);
    let (size, shape) = (SIZE, [1, 3, SIZE.0, SIZE.1]);
    let other = image(7.0, size, &device).reshape(shape);
    let region = soft_mask(size, false, &device);
    let sky = StyleGrams::new(&model, &recipe.loss, &[(painting.clone(), 1.0)], None);
    let whole_region = StyleGrams::of_region(&model, &recipe.loss, &other, &region, None).expect("region");
    let tiled_region =
        StyleGrams::of_region(&model, &recipe.loss, &other, &region, Some(32)).expect("region");
    for index in recipe.loss.style_indices() {
        let (a, b) = (whole_region.of_layer(index).unwrap(), tiled_region.of_layer(index).unwrap());
        let scale: f32 = a.clone().abs().max().into_scalar();
        let difference: f32 = a.clone().sub(b.clone()).abs().max().into_scalar();
        assert!(difference <= 1e-4 * scale, "{}: region Grams differ by {difference}", VGG19[index].name);
    }
    let guided = |grams: &StyleGrams| {
        vec![
            GuidedStyle { grams: sky.clone(), mask: soft_mask(size, true, &device), share: 0.45 },
            GuidedStyle { grams: grams.clone(), mask: soft_mask(size, false, &device), share: 0.55 },
        ]
    };
    let mut whole =
        Objective::guided(model.clone(), &recipe.loss, photo.clone(), guided(&whole_region)).unwrap();
    let mut tiled =
        Objective::guided(model, &recipe.loss, photo.clone(), guided(&tiled_region)).unwrap().tiled(32);
    for a in assert_agree(&mut whole, &mut tiled, &photo) {
        assert!(a.style > 0.0, "{a:?}");
    }
}
