//! Style loss: how far an activation's Gram matrix is from the painting's.

use burn::tensor::Tensor;

use crate::recipe::StyleNormalization;

/// Gram matrix FFᵀ/(H·W) of activations `[1, C, H, W]`: `[C, C]`. Dividing by the number of
/// positions makes it independent of the image size, so a style target fits any output size.
pub fn gram(features: Tensor<4>) -> Tensor<2> {
    let [_, c, h, w] = features.dims();
    let f = features.reshape([c, h * w]);
    f.clone().matmul(f.transpose()).div_scalar((h * w) as f32)
}

/// A Gram matrix summed over tiles: each core's FFᵀ added, divided at the end by all the
/// positions, which gives the whole image's [`gram`].
#[derive(Default)]
pub struct GramSum {
    total: Option<Tensor<2>>,
    positions: usize,
}

impl GramSum {
    /// Add the activations `[1, C, h, w]` of one tile's core.
    pub fn add(&mut self, features: Tensor<4>) {
        let [_, c, h, w] = features.dims();
        let f = features.reshape([c, h * w]);
        let product = f.clone().matmul(f.transpose());
        self.total = Some(match self.total.take() {
            Some(total) => total.add(product),
            None => product,
        });
        self.positions += h * w;
    }

    /// The Gram matrix of every position added, and how many there were; `None` if none were.
    pub fn finish(self) -> Option<(Tensor<2>, usize)> {
        let positions = self.positions;
        self.total.map(|total| (total.div_scalar(positions.max(1) as f32), positions))
    }
}

/// Squared Gram difference for activations `[1, C, H, W]` against a target Gram `[C, C]`
/// (made by [`gram`]). Returns a one-element tensor.
pub fn style_loss(features: Tensor<4>, target_gram: Tensor<2>, norm: StyleNormalization) -> Tensor<1> {
    gram_loss(gram(features), target_gram, norm)
}

/// [`style_loss`] of a Gram matrix `[C, C]` already made, e.g. summed over tiles.
pub fn gram_loss(gram: Tensor<2>, target_gram: Tensor<2>, norm: StyleNormalization) -> Tensor<1> {
    let c = gram.dims()[0] as f32;
    let diff = gram.sub(target_gram.clone()).square().sum();
    match norm {
        // Σ(G/HW − A/HW)² / C⁴
        StyleNormalization::Channels => diff.div_scalar(c.powi(4)),
        // Σ(FFᵀ − A)² / (4 C² (HW)²) = Σ(G/HW − A/HW)² / (4 C²)
        StyleNormalization::Gatys => diff.div_scalar(4.0 * c * c),
        StyleNormalization::Relative => diff.div(target_gram.square().sum()),
    }
}
