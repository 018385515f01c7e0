//! Guided Gram matrices (Gatys, Ecker, Bethge, Hertzmann & Shechtman, "Controlling Perceptual
//! Factors in Neural Style Transfer", CVPR 2017): each painting held only where its mask says,
//! by the Gram matrix of the features weighted by the mask.
//!
//! For a painting with mask m, at a style layer with features F (m resized to the layer's map by
//! averaging the pixels each position covers): G = (F⊙m)(F⊙m)ᵀ / Σm², the Gram matrix of the
//! masked region whatever its size (a mask of ones gives the plain [`super::gram`]); its term
//! counts by the mask's mean, so a painting weighs as much as it covers. Plain resize, not the
//! paper's erosion to the receptive field: eroded, the deep layers' boundary band belonged to no
//! region and each region ended 5–12× farther from its painting (docs/measurements.md, Masks).

use std::ops::Range;

use anyhow::Result;
use burn::tensor::module::adaptive_avg_pool2d;
use burn::tensor::{Int, Tensor, TensorData};

use super::StyleGrams;
use super::palette::{ColourMoments, moments_loss};

/// One painting with its mask, for [`super::Objective::guided`].
#[derive(Clone)]
pub struct GuidedStyle {
    /// The painting's own Grams and colour moments, not blended with the others.
    pub grams: StyleGrams,
    /// `[1, 1, H, W]` at the image's size, 0–1.
    pub mask: Tensor<4>,
    /// The mask's mean.
    pub share: f64,
}

/// `mask` `[1, 1, H, W]` at a layer's map of `h`×`w`: each position the mean of the pixels it
/// covers.
fn mask_at(mask: &Tensor<4>, h: usize, w: usize) -> Tensor<4> {
    let [_, _, mh, mw] = mask.dims();
    if (mh, mw) == (h, w) { mask.clone() } else { adaptive_avg_pool2d(mask.clone(), [h, w]) }
}

/// A region's mask averaged down to one layer's whole map ([`mask_at`]), with its values also
/// on the host, so that any part of the map (a tile's core) can be weighed without reading the
/// device again.
#[derive(Clone)]
pub struct LayerMask {
    tensor: Tensor<4>,
    values: Vec<f32>,
    width: usize,
    /// Σm² over the whole map.
    mass: f64,
    /// Where the mask is not 0, when that is at most [`SUPPORT_SHARE`] of the map: the
    /// positions' indices and their mask values `[1, n]`. Masks that split the picture then
    /// cost one Gram matrix between them, not one each.
    support: Option<(Tensor<1, Int>, Tensor<2>)>,
}

/// A mask covering more of its map than this is applied to all of it.
const SUPPORT_SHARE: f64 = 0.9;
/// Mask values below this count as 0: they weigh a position's features by less than 1/4096 in
/// the Gram matrix, and a resized mask's faint fringe (its filter's tails) would otherwise
/// spread the region over most of the map, and its cost with it.
const NEGLIGIBLE: f32 = 1.0 / 64.0;

impl LayerMask {
    /// `mask` `[1, 1, H, W]` at the map of VGG19 layer `index` over an `H`×`W` image.
    pub fn new(mask: &Tensor<4>, index: usize) -> Result<Self> {
        let [_, _, h, w] = mask.dims();
        let s = crate::model::tiles::stride(index);
        let (device, (mh, mw)) = (mask.device(), (h / s, w / s));
        let pooled = crate::readback::values(mask_at(mask, mh, mw), "a mask")?;
        let values: Vec<f32> = pooled.into_iter().map(|m| if m < NEGLIGIBLE { 0.0 } else { m }).collect();
        let tensor = Tensor::<4>::from_data(TensorData::new(values.clone(), [1, 1, mh, mw]), &device);
        let mass = values.iter().map(|&m| (m as f64) * (m as f64)).sum();
        let inside: Vec<usize> = (0..values.len()).filter(|&p| values[p] > 0.0).collect();
        let support = (inside.len() as f64 <= SUPPORT_SHARE * values.len() as f64).then(|| {
            let weights: Vec<f32> = inside.iter().map(|&p| values[p]).collect();
            let n = inside.len();
            let indices: Vec<i64> = inside.into_iter().map(|p| p as i64).collect();
            (
                Tensor::<1, Int>::from_data(TensorData::new(indices, [n]), &device),
                Tensor::<2>::from_data(TensorData::new(weights, [1, n]), &device),
            )
        });
        Ok(LayerMask { tensor, values, width: mw, mass, support })
    }

    /// Whether nothing of the region reaches this layer (a mask fainter than [`NEGLIGIBLE`], or
    /// a region smaller than a position): its Gram matrix is undefined, and the layer is left
    /// out for it.
    pub fn is_empty(&self) -> bool {
        self.mass == 0.0
    }

    /// The map's `rows`×`cols` (a tile's [`crate::model::tiles::Tile::core_in_map`]) and its
    /// mass Σm², for [`super::GramSum::add_weighted`].
    pub fn part(&self, [rows, cols]: [Range<usize>; 2]) -> (Tensor<4>, f64) {
        let mass = rows
            .clone()
            .flat_map(|r| self.values[r * self.width + cols.start..r * self.width + cols.end].iter())
            .map(|&m| (m as f64) * (m as f64))
            .sum();
        (self.tensor.clone().slice([0..1, 0..1, rows, cols]), mass)
    }
}

/// (F⊙m)(F⊙m)ᵀ / Σm² for features `[1, C, h, w]` and a mask at their layer that is not empty
/// ([`LayerMask::is_empty`]): `[C, C]`.
pub fn guided_gram(features: Tensor<4>, mask: &LayerMask) -> Tensor<2> {
    let [_, c, h, w] = features.dims();
    let weighted = match &mask.support {
        Some((positions, values)) => {
            features.reshape([c, h * w]).select(1, positions.clone()).mul(values.clone())
        }
        None => features.mul(mask.tensor.clone()).reshape([c, h * w]),
    };
    weighted.clone().matmul(weighted.transpose()).div_scalar(mask.mass as f32)
}

/// A [`GuidedStyle`] in an objective: its mask at each of the objective's layers that match
/// its Grams (None at the others).
pub(super) struct GuidedTarget {
    pub style: GuidedStyle,
    pub layers: Vec<Option<LayerMask>>,
}

impl GuidedTarget {
    /// How much its term at `layer` counts, `style_weight` aside: the layer's weight, the share
    /// of it the painting's Gram can be taken as texture, and what the mask covers.
    pub fn weight(&self, layer: &crate::recipe::LayerSpec, spec: &crate::recipe::LossSpec) -> f64 {
        layer.style * self.style.grams.texture_share(layer.index, spec.gram_positions) * self.style.share
    }
}

/// The palette term over the pixels of `image` `[1, 3, H, W]` weighted by `mask` `[1, 1, H, W]`.
pub fn masked_palette_loss(image: Tensor<4>, mask: Tensor<4>, target: &ColourMoments) -> Tensor<1> {
    moments_loss(ColourMoments::of_masked(image, mask), target)
}

/// How far the region `mask` marks of `image` `[1, 3, H, W]` is from a painting's `grams`: the
/// mean over `spec`'s style layers of ‖G − A‖²/‖A‖², G the region's guided Gram matrix. The
/// readout's style error, for one region.
pub fn region_error(
    model: &crate::model::Vgg19,
    spec: &crate::recipe::LossSpec,
    image: Tensor<4>,
    mask: &Tensor<4>,
    grams: &StyleGrams,
) -> anyhow::Result<f64> {
    let wanted = spec.style_indices();
    let acts = model.forward(image, &wanted);
    let mut errors = Vec::with_capacity(wanted.len());
    for (index, act) in wanted.iter().zip(acts) {
        let Some(a) = grams.of_layer(*index) else { continue };
        let layer_mask = LayerMask::new(mask, *index)?;
        if layer_mask.is_empty() {
            continue;
        }
        let g = guided_gram(act, &layer_mask);
        let relative = super::gram_loss(g, a.clone(), crate::recipe::StyleNormalization::Relative);
        errors.push(crate::readback::values(relative, "a region's Gram error")?[0] as f64);
    }
    Ok(errors.iter().sum::<f64>() / errors.len().max(1) as f64)
}
