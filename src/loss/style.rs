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
/// positions, which gives the whole image's [`gram`]; or, for a region, each core's features
/// weighted by its part of the mask, divided by the mask's mass Σm² ([`super::guided`]).
#[derive(Default)]
pub struct GramSum {
    total: Option<Tensor<2>>,
    mass: f64,
}

impl GramSum {
    /// Add the activations `[1, C, h, w]` of one tile's core.
    pub fn add(&mut self, features: Tensor<4>) {
        let [_, _, h, w] = features.dims();
        self.add_product(features, (h * w) as f64);
    }

    /// Add the activations of one tile's core weighted by `mask` `[1, 1, h, w]`, the core's
    /// part of a region's mask, whose Σm² is `mass`.
    pub fn add_weighted(&mut self, features: Tensor<4>, (mask, mass): (Tensor<4>, f64)) {
        self.add_product(features.mul(mask), mass);
    }

    fn add_product(&mut self, features: Tensor<4>, mass: f64) {
        let [_, c, h, w] = features.dims();
        let f = features.reshape([c, h * w]);
        let product = f.clone().matmul(f.transpose());
        self.total = Some(match self.total.take() {
            Some(total) => total.add(product),
            None => product,
        });
        self.mass += mass;
    }

    /// The Gram matrix of everything added, and its mass (the positions, without a mask);
    /// `None` if nothing, or only a mask's empty part, was added.
    pub fn finish(self) -> Option<(Tensor<2>, f64)> {
        let mass = self.mass;
        self.total.filter(|_| mass > 0.0).map(|total| (total.div_scalar(mass as f32), mass))
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

/// How far a Gram matrix over `positions` samples (a region's mass) of `channels` features is the painting's
/// texture rather than its layout, 0–1: `positions / (per_channel × channels)`, at most 1; 1
/// when `per_channel` is 0. With fewer samples than features the matrix is little more than
/// the samples themselves, and matching it redraws them: at a 512 px run's 256 px level, Père
/// Tanguy's relu5_1 map has 12×15 positions for 512 channels, and his face came out in the
/// castle's sky (docs/measurements.md, The gallery).
pub fn texture_share(positions: f64, channels: usize, per_channel: f64) -> f64 {
    if per_channel <= 0.0 {
        return 1.0;
    }
    (positions / (per_channel * channels as f64)).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::texture_share;

    #[test]
    fn a_layer_counts_in_proportion_to_its_positions_per_channel() {
        // relu5_1 of a painting shrunk to 128 px (8×6 positions, 512 channels), then at 512 px.
        assert_eq!(texture_share(48.0, 512, 1.0), 48.0 / 512.0);
        assert_eq!(texture_share(768.0, 512, 1.0), 1.0);
        assert_eq!(texture_share(768.0, 512, 2.0), 0.75);
        assert_eq!(texture_share(1.0, 512, 0.0), 1.0, "0 turns the rule off");
    }
}
