//! Variation loss: penalises pixel-to-pixel noise in the image being optimised.

use burn::tensor::Tensor;

use crate::recipe::{LossSpec, Reduction};

/// `spec`'s weighted variation term, or `None` where its weight is 0 (the default): then the
/// term's passes over the image are skipped rather than weighed by 0.
pub fn variation_term(image: Tensor<4>, spec: &LossSpec) -> Option<Tensor<1>> {
    let weight = spec.tv_weight as f32;
    (weight != 0.0).then(|| variation_loss(image, spec.tv_exponent, spec.tv_reduction).mul_scalar(weight))
}

/// Σ or mean over pixels and channels of (dx² + dy²)^exponent, for an image `[1, 3, H, W]`.
pub fn variation_loss(image: Tensor<4>, exponent: f64, reduction: Reduction) -> Tensor<1> {
    let [_, _, h, w] = image.dims();
    if h < 2 || w < 2 {
        return image.sum().mul_scalar(0.0);
    }
    let corner = image.clone().slice([0..1, 0..3, 0..h - 1, 0..w - 1]);
    let right = image.clone().slice([0..1, 0..3, 0..h - 1, 1..w]);
    let below = image.slice([0..1, 0..3, 1..h, 0..w - 1]);
    let squared = right.sub(corner.clone()).square().add(below.sub(corner).square());
    // The small offset keeps the gradient finite where the image is flat and exponent < 1.
    let terms = squared.add_scalar(1e-6).powf_scalar(exponent as f32);
    match reduction {
        // `resolve` refuses a relative variation term: there is no target to be relative to.
        Reduction::Mean | Reduction::Relative => terms.mean(),
        Reduction::Sum => terms.sum(),
    }
}
