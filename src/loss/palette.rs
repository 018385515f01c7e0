//! Palette term: the painting's colour mean and covariance held on the output's pixels.
//!
//! A Gram matrix of uncentred features does not pin each colour's mean and spread, and a run
//! that starts in the painting's colours drifts back toward the photo's as the content term pulls
//! (docs/measurements.md, The gallery). The moments are the painting's as the Grams see it (recoloured or
//! grey under colour preservation), blended by weight.

use burn::tensor::Tensor;

/// Mean `[3]` and covariance `[3, 3]` of an image's pixels (0–255).
#[derive(Clone)]
pub struct ColourMoments {
    mean: Tensor<2>,
    covariance: Tensor<2>,
}

impl ColourMoments {
    /// The moments of an RGB image `[1, 3, H, W]`.
    pub fn of(image: Tensor<4>) -> Self {
        let [_, c, h, w] = image.dims();
        let pixels = image.reshape([c, h * w]);
        let mean = pixels.clone().mean_dim(1);
        let centred = pixels.sub(mean.clone());
        let covariance = centred.clone().matmul(centred.transpose()).div_scalar((h * w) as f32);
        ColourMoments { mean, covariance }
    }

    /// The moments of an image's pixels weighted by `mask` `[1, 1, H, W]` (0–1): the colours of
    /// the region it marks.
    pub fn of_masked(image: Tensor<4>, mask: Tensor<4>) -> Self {
        let [_, c, h, w] = image.dims();
        let weights = mask.reshape([1, h * w]);
        let mass = weights.clone().sum().reshape([1, 1]);
        let pixels = image.reshape([c, h * w]);
        let mean = pixels.clone().mul(weights.clone()).sum_dim(1).div(mass.clone());
        let centred = pixels.sub(mean.clone());
        let covariance = centred.clone().mul(weights).matmul(centred.transpose()).div(mass);
        ColourMoments { mean, covariance }
    }

    /// The moments of a mixture of images, each `(moments, weight)`, the weights normalised to
    /// sum to 1; `None` when none is positive.
    pub fn mixture(parts: &[(ColourMoments, f64)]) -> Option<Self> {
        let total: f64 = parts.iter().map(|(_, w)| w).sum();
        if total <= 0.0 {
            return None;
        }
        let mut mean: Option<Tensor<2>> = None;
        let mut second: Option<Tensor<2>> = None;
        for (part, weight) in parts {
            let w = (weight / total) as f32;
            let m = part.mean.clone().mul_scalar(w);
            let s = part
                .covariance
                .clone()
                .add(part.mean.clone().matmul(part.mean.clone().transpose()))
                .mul_scalar(w);
            mean = Some(mean.map_or(m.clone(), |acc| acc.add(m)));
            second = Some(second.map_or(s.clone(), |acc| acc.add(s)));
        }
        let mean = mean?;
        let covariance = second?.sub(mean.clone().matmul(mean.clone().transpose()));
        Some(ColourMoments { mean, covariance })
    }
}

/// How far an image's colour moments are from `target`'s, scale-free: the squared distance of
/// the means over the target's total variance, plus the covariances' relative squared error.
pub fn palette_loss(image: Tensor<4>, target: &ColourMoments) -> Tensor<1> {
    moments_loss(ColourMoments::of(image), target)
}

/// [`palette_loss`] of moments already taken.
pub fn moments_loss(moments: ColourMoments, target: &ColourMoments) -> Tensor<1> {
    let spread: Tensor<1> = diagonal_sum(&target.covariance);
    let mean_term = moments.mean.sub(target.mean.clone()).square().sum().div(spread);
    let cov_term = moments
        .covariance
        .sub(target.covariance.clone())
        .square()
        .sum()
        .div(target.covariance.clone().square().sum());
    mean_term.add(cov_term)
}

fn diagonal_sum(matrix: &Tensor<2>) -> Tensor<1> {
    let n = matrix.dims()[0];
    let eye = Tensor::<2>::eye(n, &matrix.device());
    matrix.clone().mul(eye).sum()
}
