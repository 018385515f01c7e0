//! The objective evaluated tile by tile ([`crate::model::tiles::TileGrid`]), for images whose activations do not fit
//! in memory at once. Exact up to float rounding, in two passes over the tiles:
//! 1. forward only: each style layer's Gram matrix summed over the tiles' cores gives the whole
//!    image's Gram, hence the style term's value and its derivative D = ∂L/∂G;
//! 2. forward and backward per tile of Σ_core ⟨D, f fᵀ⟩/N (whose gradient in f is the style
//!    term's, given D) plus the content term over the core: each tile's pixel gradient, halo
//!    included, adds into the image's gradient.
//!
//! The variation term is over pixels, cheap, and taken on the whole image.

use anyhow::{Result, anyhow};
use burn::tensor::Tensor;

use super::{GramSum, LossTerms, Objective, gram_loss};
use crate::model::tiles::{Tile, stride};
use crate::recipe::Reduction;

/// The photo's content-layer activations over each tile's core, and each content layer's
/// divisor for its reduction over the whole image.
pub(super) struct TiledContent {
    /// Per tile, per layer of the objective's targets (None where it has no content weight).
    cores: Vec<Vec<Option<Tensor<4>>>>,
    scales: Vec<f64>,
}

impl TiledContent {
    fn new(objective: &Objective, photo: &Tensor<4>) -> Result<Self> {
        let grid = &objective.grid;
        let mut cores = Vec::with_capacity(grid.tiles.len());
        let mut sums = vec![0.0f64; objective.targets.len()];
        let mut elements = vec![0usize; objective.targets.len()];
        grid.for_each(&objective.model, photo, &objective.wanted, |_, acts| {
            let tile: Vec<Option<Tensor<4>>> = objective
                .targets
                .iter()
                .zip(acts)
                .map(|(target, act)| (target.layer.content > 0.0).then_some(act))
                .collect();
            cores.push(tile);
        });
        for tile in &cores {
            for (k, act) in tile.iter().enumerate() {
                if let Some(act) = act {
                    sums[k] += scalar(act.clone().square().sum())?;
                    elements[k] += act.dims().iter().product::<usize>();
                }
            }
        }
        let scales = sums
            .iter()
            .zip(&elements)
            .map(|(&sum, &count)| match objective.spec.content_reduction {
                Reduction::Sum => 1.0,
                Reduction::Mean => 1.0 / count.max(1) as f64,
                Reduction::Relative => 1.0 / sum.max(f64::MIN_POSITIVE),
            })
            .collect();
        Ok(TiledContent { cores, scales })
    }
}

impl Objective {
    /// [`Objective::evaluate`]'s terms and gradient, tile by tile over `self.grid`.
    pub(super) fn evaluate_tiled(&mut self, x: &Tensor<1>) -> Result<(LossTerms, Tensor<1>)> {
        let image = x.clone().reshape(self.shape);
        if let Some(photo) = self.pending_photo.take() {
            self.tiled_content = Some(TiledContent::new(self, &photo)?);
        }
        let (style, slopes) = self.style_value_and_slopes(&image)?;
        let mut content = 0.0;
        let mut gradient = Tensor::<4>::zeros(self.shape, &image.device());
        for (t, tile) in self.grid.tiles.iter().enumerate() {
            let (value, tile_gradient) = self.tile_surrogate(&image, tile, t, &slopes)?;
            content += value;
            let region = [0..1, 0..3, tile.rows.clone(), tile.cols.clone()];
            let sum = gradient.clone().slice(region.clone()).add(tile_gradient);
            gradient = gradient.slice_assign(region, sum);
        }
        let spec = &self.spec;
        let pixels = image.autodiff().require_grad();
        let pixel_terms = self.pixel_terms(pixels.clone());
        let [variation, palette, temporal] = if pixel_terms.iter().any(|t| t.is_tracked()) {
            let sum = pixel_terms.iter().skip(1).fold(pixel_terms[0].clone(), |sum, t| sum.add(t.clone()));
            let grads = sum.backward();
            gradient =
                gradient.add(pixels.grad(&grads).ok_or_else(|| anyhow!("no gradient reached the image"))?);
            let [v, p, t] = pixel_terms;
            [scalar(v.without_autodiff())?, scalar(p.without_autodiff())?, scalar(t.without_autodiff())?]
        } else {
            [0.0; 3]
        };
        let content = content * spec.content_weight;
        let terms = LossTerms { content, style, variation, palette, temporal };
        Ok((terms, gradient.reshape([x.dims()[0]])))
    }

    /// Pass 1: the weighted style term of the whole image, and per target layer the term's
    /// derivative by the layer's Gram (None for layers without a style weight); the same for
    /// each masked painting's guided Grams.
    fn style_value_and_slopes(&self, image: &Tensor<4>) -> Result<(f64, Slopes)> {
        let layers = self.targets.len();
        let mut slopes =
            Slopes { plain: vec![None; layers], guided: vec![vec![None; layers]; self.guided.len()] };
        let styled = |k: usize| {
            self.targets[k].style_gram.is_some() || self.guided.iter().any(|g| g.layers[k].is_some())
        };
        let Some(deepest_style) = (0..layers).rev().find(|&k| styled(k)) else { return Ok((0.0, slopes)) };
        let wanted = &self.wanted[..=deepest_style];
        let size = (self.grid.height, self.grid.width);
        let mut sums: Vec<GramSum> = wanted.iter().map(|_| GramSum::default()).collect();
        let mut guided_sums: Vec<Vec<GramSum>> =
            self.guided.iter().map(|_| wanted.iter().map(|_| GramSum::default()).collect()).collect();
        self.grid.for_each(&self.model, image, wanted, |tile, acts| {
            for (k, act) in acts.into_iter().enumerate() {
                for (painting, sums) in self.guided.iter().zip(guided_sums.iter_mut()) {
                    if let Some(mask) = &painting.layers[k] {
                        let part = mask.part(tile.core_in_map(stride(wanted[k]), size));
                        sums[k].add_weighted(act.clone(), part);
                    }
                }
                if self.targets[k].style_gram.is_some() {
                    sums[k].add(act);
                }
            }
        });
        let (norm, style_weight) = (self.spec.style_normalization, self.spec.style_weight);
        let mut style = 0.0;
        for ((k, target), sum) in self.targets.iter().enumerate().zip(sums) {
            let (Some(gram), Some(a)) = (sum.finish(), &target.style_gram) else { continue };
            let (value, slope) = value_and_slope(gram, a, target.layer.style * style_weight, norm)?;
            style += value;
            slopes.plain[k] = Some(slope);
        }
        for ((painting, sums), slopes) in self.guided.iter().zip(guided_sums).zip(&mut slopes.guided) {
            for ((k, target), sum) in self.targets.iter().enumerate().zip(sums) {
                let Some(a) = painting.style.grams.of_layer(target.layer.index) else { continue };
                // Nothing was added at a layer its mask leaves out: no Gram there.
                let Some(gram) = sum.finish() else { continue };
                let weight = painting.weight(&target.layer, &self.spec) * style_weight;
                let (value, slope) = value_and_slope(gram, a, weight, norm)?;
                style += value;
                slopes[k] = Some(slope);
            }
        }
        Ok((style, slopes))
    }

    /// Pass 2 for tile number `t`: its content value (unweighted by `content_weight`) and the
    /// gradient of its share of the loss by the tile's pixels.
    fn tile_surrogate(
        &self,
        image: &Tensor<4>,
        tile: &Tile,
        t: usize,
        slopes: &Slopes,
    ) -> Result<(f64, Tensor<4>)> {
        let content = self.tiled_content.as_ref().ok_or_else(|| anyhow!("content targets missing"))?;
        let region = [0..1, 0..3, tile.rows.clone(), tile.cols.clone()];
        let pixels = image.clone().slice(region).autodiff().require_grad();
        let acts = self.model.forward(pixels.clone(), &self.wanted);
        let size = (self.grid.height, self.grid.width);
        let mut surrogate = Tensor::<1>::zeros([1], &image.device()).autodiff();
        let mut content_value = Tensor::<1>::zeros([1], &image.device()).autodiff();
        for (k, (act, &index)) in acts.into_iter().zip(&self.wanted).enumerate() {
            let core = tile.core_of(act, stride(index), size);
            if let Some(p) = &content.cores[t][k] {
                let weight = (self.targets[k].layer.content * content.scales[k]) as f32;
                let term = core.clone().sub(p.clone()).square().sum().mul_scalar(weight);
                content_value = content_value.add(term.clone());
                surrogate = surrogate.add(term.mul_scalar(self.spec.content_weight as f32));
            }
            for (painting, slopes) in self.guided.iter().zip(&slopes.guided) {
                if let (Some(slope), Some(mask)) = (&slopes[k], &painting.layers[k]) {
                    let (part, _) = mask.part(tile.core_in_map(stride(index), size));
                    surrogate = surrogate.add(gram_product(slope, core.clone().mul(part)));
                }
            }
            if let Some(slope) = &slopes.plain[k] {
                surrogate = surrogate.add(gram_product(slope, core));
            }
        }
        if !surrogate.is_tracked() {
            // No layer reads this tile (a recipe without content or style layers): no gradient.
            return Ok((0.0, pixels.without_autodiff().zeros_like()));
        }
        let grads = surrogate.backward();
        let gradient = pixels.grad(&grads).ok_or_else(|| anyhow!("no gradient reached the tile"))?;
        Ok((scalar(content_value.without_autodiff())?, gradient))
    }
}

/// ⟨D, f fᵀ⟩ for features `[1, C, h, w]`, without forming f fᵀ.
fn gram_product(slope: &Tensor<2>, features: Tensor<4>) -> Tensor<1> {
    let [_, c, h, w] = features.dims();
    let f = features.reshape([c, h * w]);
    slope.clone().matmul(f.clone()).mul(f).sum()
}

/// The per-layer derivatives of pass 1, for pass 2's surrogate.
struct Slopes {
    /// By target layer: the blended Grams' term's.
    plain: Vec<Option<Tensor<2>>>,
    /// By masked painting, then target layer: its guided Grams' term's.
    guided: Vec<Vec<Option<Tensor<2>>>>,
}

/// `weight` times the style term of a Gram summed over `mass` positions against `target`, and
/// its derivative by the Gram divided by `mass`: the D of ⟨D, f fᵀ⟩ summed over tile cores.
fn value_and_slope(
    (gram, mass): (Tensor<2>, f64),
    target: &Tensor<2>,
    weight: f64,
    norm: crate::recipe::StyleNormalization,
) -> Result<(f64, Tensor<2>)> {
    let g = gram.autodiff().require_grad();
    let term = gram_loss(g.clone(), target.clone(), norm).mul_scalar(weight as f32);
    let grads = term.clone().backward();
    let slope = g.grad(&grads).ok_or_else(|| anyhow!("no gradient reached a Gram matrix"))?;
    Ok((scalar(term.without_autodiff())?, slope.div_scalar(mass as f32)))
}

fn scalar(t: Tensor<1>) -> Result<f64> {
    crate::readback::scalar(t, "the loss")
}
