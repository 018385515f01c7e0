//! The photo's content targets come from the first evaluation's own pass when a run starts at
//! the photo; they must equal the ones a separate pass over the photo gives.

use burn::tensor::{Device, Tensor, TensorData};

use super::{Objective, StyleGrams};
use crate::Recipe;
use crate::layers::VGG19;
use crate::model::{Vgg19, weights};

fn image(seed: f32, device: &Device) -> Tensor<4> {
    let data: Vec<f32> = (0..3 * 32 * 32).map(|i| 128.0 + 100.0 * ((i as f32 + seed) * 0.37).sin()).collect();
    Tensor::from_data(TensorData::new(data, [1, 3, 32, 32]), device)
}

fn flat(t: Tensor<4>) -> Tensor<1> {
    t.reshape([3 * 32 * 32])
}

#[test]
fn targets_taken_from_the_first_pass_equal_a_separate_pass() {
    let device = Device::flex();
    let recipe = Recipe::default();
    let model = Vgg19::new(weights::load(None, VGG19.len() - 1).expect("weights"), recipe.pooling, &device);
    let (photo, painting, elsewhere) = (image(0.0, &device), image(5.0, &device), image(9.0, &device));
    let grams = StyleGrams::new(&model, &recipe.loss, &[(painting, 1.0)], None);

    let mut from_photo = Objective::new(model.clone(), &recipe.loss, photo.clone(), &grams);
    let (at_photo, _) = from_photo.evaluate(&flat(photo.clone())).expect("evaluation at the photo");
    assert_eq!(at_photo.content, 0.0, "the photo's own content loss");
    assert!(at_photo.style > 0.0);

    let mut separate = Objective::new(model, &recipe.loss, photo, &grams);
    let (a, grad_a) = from_photo.evaluate(&flat(elsewhere.clone())).expect("evaluation");
    let (b, grad_b) = separate.evaluate(&flat(elsewhere)).expect("evaluation");
    assert!(a.content > 0.0, "content loss away from the photo: {}", a.content);
    assert!((a.content - b.content).abs() <= 1e-5 * b.content, "{} vs {}", a.content, b.content);
    assert!((a.style - b.style).abs() <= 1e-5 * b.style, "{} vs {}", a.style, b.style);
    let difference: f32 = grad_a.clone().sub(grad_b).abs().max().into_scalar();
    let scale: f32 = grad_a.abs().max().into_scalar();
    assert!(difference <= 1e-5 * scale, "gradients differ by {difference} (scale {scale})");
}
