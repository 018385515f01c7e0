//! The style-transfer objective: content, style and variation terms as a [`LossSpec`] says, with
//! the photo's activations and the painting's Gram matrices computed once up front.

pub mod content;
pub mod cross_device;
pub mod guided;
pub mod palette;
pub mod readout;
pub mod style;
pub mod temporal;
mod tiled;
pub mod variation;

use std::collections::VecDeque;

use anyhow::{Result, anyhow};
use burn::tensor::Tensor;

pub use content::content_loss;
pub use guided::GuidedStyle;
pub use style::{GramSum, gram, gram_loss, style_loss};
pub use temporal::TemporalTarget;
pub use variation::{variation_loss, variation_term};

use crate::layers::VGG19;
use crate::model::Vgg19;
use crate::model::tiles::{TileGrid, stride};
use crate::optim::DifferentiableFunction;
use crate::recipe::{LayerSpec, LossSpec};
pub use crate::report::LossTerms;

/// The painting's Gram matrix at each layer with a style weight (the styles' Grams blended by
/// weight), by VGG19 layer index; computed once and shared by every image painted in that style.
#[derive(Clone)]
pub struct StyleGrams {
    layers: Vec<StyleLayer>,
    /// The paintings' colour moments, blended by weight, where the palette term has a weight.
    colours: Option<palette::ColourMoments>,
}

#[derive(Clone)]
struct StyleLayer {
    index: usize,
    gram: Tensor<2>,
    /// Positions of the smallest of the blended paintings' maps at this layer (a region's
    /// mass): how many samples the Gram matrix averages.
    positions: f64,
}

impl StyleGrams {
    /// `styles` pairs each RGB image `[1, 3, H, W]` (0–255) with its blend weight.
    /// With `tile`, a painting larger than `tile` pixels a side is seen tile by tile
    /// ([`TileGrid`]), which gives the same Grams in bounded memory.
    pub fn new(model: &Vgg19, spec: &LossSpec, styles: &[(Tensor<4>, f64)], tile: Option<usize>) -> Self {
        let each: Vec<StyleGrams> =
            styles.iter().map(|(style, _)| StyleGrams::of_painting(model, spec, style, tile)).collect();
        let parts: Vec<(&StyleGrams, f64)> =
            each.iter().zip(styles).map(|(grams, (_, w))| (grams, *w)).collect();
        StyleGrams::blended(&parts)
    }

    /// One painting's Grams (and colour moments, where the palette term has a weight).
    fn of_painting(model: &Vgg19, spec: &LossSpec, style: &Tensor<4>, tile: Option<usize>) -> Self {
        let mut grams = StyleGrams::of_layers(model, spec, style, &[None], tile).remove(0);
        grams.colours = (spec.palette_weight > 0.0).then(|| palette::ColourMoments::of(style.clone()));
        grams
    }

    /// The Grams and colour moments of the region of a painting `style` `[1, 3, H, W]` that
    /// `mask` `[1, 1, H, W]` marks (a region map's colour): its guided Gram matrices.
    pub fn of_region(
        model: &Vgg19,
        spec: &LossSpec,
        style: &Tensor<4>,
        mask: &Tensor<4>,
        tile: Option<usize>,
    ) -> Result<Self> {
        Ok(StyleGrams::of_regions(model, spec, style, std::slice::from_ref(mask), tile)?.remove(0))
    }

    /// [`StyleGrams::of_region`] for each of `masks`, the painting seen once for them all.
    pub fn of_regions(
        model: &Vgg19,
        spec: &LossSpec,
        style: &Tensor<4>,
        masks: &[Tensor<4>],
        tile: Option<usize>,
    ) -> Result<Vec<Self>> {
        let layer_masks = masks
            .iter()
            .map(|mask| {
                spec.style_indices()
                    .into_iter()
                    .map(|index| guided::LayerMask::new(mask, index))
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<Vec<_>>>()?;
        let regions: Vec<Option<&[guided::LayerMask]>> = layer_masks.iter().map(|m| Some(&m[..])).collect();
        let mut all = StyleGrams::of_layers(model, spec, style, &regions, tile);
        for (grams, mask) in all.iter_mut().zip(masks) {
            grams.colours = (spec.palette_weight > 0.0)
                .then(|| palette::ColourMoments::of_masked(style.clone(), mask.clone()));
        }
        Ok(all)
    }

    /// The Grams of `style` at `spec`'s style layers, for each of `regions`: all of it (None),
    /// or each layer weighted by its mask; one pass of the network for them all, tile by tile
    /// when larger than `tile`.
    fn of_layers(
        model: &Vgg19,
        spec: &LossSpec,
        style: &Tensor<4>,
        regions: &[Option<&[guided::LayerMask]>],
        tile: Option<usize>,
    ) -> Vec<Self> {
        let wanted = spec.style_indices();
        let [_, _, h, w] = style.dims();
        let grid = TileGrid::cut(h, w, &wanted, tile);
        let mut sums: Vec<Vec<GramSum>> =
            regions.iter().map(|_| wanted.iter().map(|_| GramSum::default()).collect()).collect();
        grid.for_each(model, style, &wanted, |tile, acts| {
            for (k, act) in acts.into_iter().enumerate() {
                for (region, sums) in regions.iter().zip(sums.iter_mut()) {
                    match region {
                        Some(masks) => sums[k].add_weighted(
                            act.clone(),
                            masks[k].part(tile.core_in_map(stride(wanted[k]), (h, w))),
                        ),
                        None => sums[k].add(act.clone()),
                    }
                }
            }
        });
        sums.into_iter()
            .map(|sums| {
                let layers = wanted
                    .iter()
                    .zip(sums)
                    .filter_map(|(&index, sum)| {
                        sum.finish().map(|(gram, positions)| StyleLayer { index, gram, positions })
                    })
                    .collect();
                StyleGrams { layers, colours: None }
            })
            .collect()
    }

    /// Paintings' Grams blended by weight (the weights as given: [`StyleGrams::new`]'s are
    /// normalised by `inputs`), each layer's positions the smallest painting's; the colour
    /// moments of the mixture.
    pub fn blended(parts: &[(&StyleGrams, f64)]) -> Self {
        let mut layers: Vec<StyleLayer> = Vec::new();
        for (grams, weight) in parts {
            for layer in &grams.layers {
                let gram = layer.gram.clone().mul_scalar(*weight as f32);
                // A painting blended in at weight 0 adds nothing, its map's size included.
                let positions = if *weight > 0.0 { layer.positions } else { f64::INFINITY };
                match layers.iter_mut().find(|l| l.index == layer.index) {
                    Some(l) => {
                        l.gram = l.gram.clone().add(gram);
                        l.positions = l.positions.min(positions);
                    }
                    None => layers.push(StyleLayer { index: layer.index, gram, positions }),
                }
            }
        }
        let colours: Vec<_> = parts.iter().filter_map(|(g, w)| g.colours.clone().map(|c| (c, *w))).collect();
        StyleGrams { layers, colours: palette::ColourMoments::mixture(&colours) }
    }

    /// The target Gram matrix of VGG19 layer `index`, if it carries style.
    pub fn of_layer(&self, index: usize) -> Option<&Tensor<2>> {
        self.layers.iter().find(|layer| layer.index == index).map(|layer| &layer.gram)
    }

    /// How far layer `index`'s Gram can be taken as the painting's texture, 0–1
    /// ([`style::texture_share`]); 1 for a layer without style.
    pub fn texture_share(&self, index: usize, per_channel: f64) -> f64 {
        self.layers.iter().find(|layer| layer.index == index).map_or(1.0, |layer| {
            style::texture_share(layer.positions, VGG19[index].out_channels, per_channel)
        })
    }
}

/// Targets for one layer the loss reads.
struct LayerTarget {
    layer: LayerSpec,
    content: Option<Tensor<4>>,
    style_gram: Option<Tensor<2>>,
}

/// How many evaluations' terms an [`Objective`] keeps for [`Objective::terms_of`].
const KEPT_EVALUATIONS: usize = 64;

/// The loss of one image being painted, against its content and the shared style Grams.
pub struct Objective {
    model: Vgg19,
    spec: LossSpec,
    targets: Vec<LayerTarget>,
    /// VGG19 indices of the layers whose activations the loss reads, ascending.
    wanted: Vec<usize>,
    /// Shape of the image being optimised, `[1, 3, H, W]`.
    shape: [usize; 4],
    /// The photo, until its content-layer activations are known. Runs usually start from the
    /// photo, so the first evaluation's own forward pass supplies them: one pass saved.
    pending_photo: Option<Tensor<4>>,
    /// Evaluations so far, and the terms of the latest few by number (counting from 1): the
    /// optimiser reports only a total, and says which evaluation it accepted.
    evaluations: usize,
    recent: VecDeque<(usize, LossTerms)>,
    /// How the image is cut for evaluation: one whole tile unless [`Objective::tiled`].
    grid: TileGrid,
    /// The photo's content activations per tile, once known, for a tiled evaluation.
    tiled_content: Option<tiled::TiledContent>,
    /// The paintings' colour moments, where the palette term has a weight.
    palette: Option<palette::ColourMoments>,
    /// A video frame's previous painting, carried along the flow ([`Objective::with_temporal`]).
    temporal: Option<TemporalTarget>,
    /// Paintings each held where its mask says ([`Objective::guided`]), in place of the
    /// blended targets.
    guided: Vec<guided::GuidedTarget>,
}

impl Objective {
    /// `content` is an RGB image `[1, 3, H, W]` (0–255) on the model's device; the output has
    /// its size. `styles` comes from the same model and spec.
    pub fn new(model: Vgg19, spec: &LossSpec, content: Tensor<4>, styles: &StyleGrams) -> Self {
        let shape = content.dims();
        let targets = spec
            .layers
            .iter()
            .map(|layer| LayerTarget {
                layer: LayerSpec {
                    style: layer.style * styles.texture_share(layer.index, spec.gram_positions),
                    ..*layer
                },
                content: None,
                style_gram: styles.of_layer(layer.index).filter(|_| layer.style > 0.0).cloned(),
            })
            .collect();
        Objective {
            model,
            spec: spec.clone(),
            targets,
            wanted: spec.indices(),
            shape,
            pending_photo: Some(content),
            evaluations: 0,
            recent: VecDeque::new(),
            grid: TileGrid::whole(shape[2], shape[3]),
            tiled_content: None,
            palette: styles.colours.clone(),
            temporal: None,
            guided: Vec::new(),
        }
    }

    /// The objective with each painting of `styles` held where its mask says (guided Gram
    /// matrices and palette), instead of one blended target everywhere.
    pub fn guided(
        model: Vgg19,
        spec: &LossSpec,
        content: Tensor<4>,
        styles: Vec<GuidedStyle>,
    ) -> Result<Self> {
        let none = StyleGrams { layers: Vec::new(), colours: None };
        let mut objective = Objective::new(model, spec, content, &none);
        objective.guided = styles
            .into_iter()
            .map(|style| {
                let layers = spec
                    .layers
                    .iter()
                    .map(|layer| match style.grams.of_layer(layer.index).filter(|_| layer.style > 0.0) {
                        Some(_) => guided::LayerMask::new(&style.mask, layer.index)
                            .map(|mask| Some(mask).filter(|mask| !mask.is_empty())),
                        None => Ok(None),
                    })
                    .collect::<Result<_>>()?;
                Ok(guided::GuidedTarget { style, layers })
            })
            .collect::<Result<_>>()?;
        Ok(objective)
    }

    /// Also hold the image to `target`, a video's previous frame painted and warped onto this
    /// one (the temporal term, taken on the whole image like the other pixel terms).
    pub fn with_temporal(mut self, target: TemporalTarget) -> Self {
        self.temporal = Some(target);
        self
    }

    /// Evaluate tile by tile, in cores of at most `core_side` pixels a side, when the image is
    /// larger than that: the same loss and gradient, in memory bounded by the tile.
    pub fn tiled(mut self, core_side: usize) -> Self {
        let [_, _, h, w] = self.shape;
        self.grid = TileGrid::cut(h, w, &self.wanted, Some(core_side));
        self
    }

    /// Tiles an evaluation runs the network over (1: untiled).
    pub fn tile_count(&self) -> usize {
        self.grid.tiles.len()
    }

    /// Fills in the content targets before the first evaluation at `image`. Returns the layers'
    /// activations of `image` when they serve as the targets (`image` is the photo); its content
    /// term is then zero in value and gradient and is left out.
    fn take_content_targets(&mut self, image: &Tensor<4>) -> Option<Vec<Tensor<4>>> {
        let photo = self.pending_photo.take()?;
        let starts_at_photo = image.clone().without_autodiff().equal(photo.clone()).all().into_scalar();
        if starts_at_photo {
            let acts = self.model.forward(image.clone(), &self.wanted);
            for (target, act) in self.targets.iter_mut().zip(&acts) {
                if target.layer.content > 0.0 {
                    target.content = Some(act.clone().without_autodiff());
                }
            }
            return Some(acts);
        }
        // Only the content layers: the photo's pass then stops at relu4_2, not relu5_1.
        let mut acts = self.model.forward(photo, &self.spec.content_indices()).into_iter();
        for target in self.targets.iter_mut().filter(|t| t.layer.content > 0.0) {
            target.content = acts.next();
        }
        None
    }

    /// The terms of evaluation number `evaluation` (counting from 1), if it is recent.
    pub fn terms_of(&self, evaluation: usize) -> Option<LossTerms> {
        self.recent.iter().find(|(n, _)| *n == evaluation).map(|(_, terms)| *terms)
    }

    /// The weighted terms (content, style, variation, palette, temporal) as one-element
    /// tensors, for an image `[1, 3, H, W]`.
    pub fn terms(&mut self, image: Tensor<4>) -> [Tensor<1>; 5] {
        let photo_acts = self.take_content_targets(&image);
        let at_photo = photo_acts.is_some();
        let acts = photo_acts.unwrap_or_else(|| self.model.forward(image.clone(), &self.wanted));
        let spec = &self.spec;
        let device = image.device();
        let mut content = Tensor::<1>::zeros([1], &device);
        let mut style = Tensor::<1>::zeros([1], &device);
        for (target, act) in self.targets.iter().zip(&acts) {
            if let Some(p) = target.content.as_ref().filter(|_| !at_photo) {
                let term = content_loss(act.clone(), p.clone(), spec.content_reduction);
                content = content.add(term.mul_scalar(target.layer.content as f32));
            }
            if let Some(a) = &target.style_gram {
                let term = style_loss(act.clone(), a.clone(), spec.style_normalization);
                style = style.add(term.mul_scalar(target.layer.style as f32));
            }
        }
        for painting in &self.guided {
            for ((layer, act), mask) in spec.layers.iter().zip(&acts).zip(&painting.layers) {
                let (Some(mask), Some(a)) = (mask, painting.style.grams.of_layer(layer.index)) else {
                    continue;
                };
                let g = guided::guided_gram(act.clone(), mask);
                let term = gram_loss(g, a.clone(), spec.style_normalization);
                style = style.add(term.mul_scalar(painting.weight(layer, spec) as f32));
            }
        }
        let [variation, palette, temporal] = self.pixel_terms(image);
        [
            content.mul_scalar(spec.content_weight as f32),
            style.mul_scalar(spec.style_weight as f32),
            variation,
            palette,
            temporal,
        ]
    }

    /// The weighted terms read from the pixels alone, variation, palette and temporal: cheap,
    /// and taken on the whole image even when the network sees it in tiles.
    fn pixel_terms(&self, image: Tensor<4>) -> [Tensor<1>; 3] {
        let device = image.device();
        let mut palette = match &self.palette {
            Some(target) => {
                palette::palette_loss(image.clone(), target).mul_scalar(self.spec.palette_weight as f32)
            }
            None => Tensor::zeros([1], &device),
        };
        for painting in self.guided.iter().map(|g| &g.style) {
            if let Some(target) = &painting.grams.colours {
                let term = guided::masked_palette_loss(image.clone(), painting.mask.clone(), target);
                palette = palette.add(term.mul_scalar((self.spec.palette_weight * painting.share) as f32));
            }
        }
        let temporal = match &self.temporal {
            Some(target) => temporal::temporal_loss(image.clone(), target),
            None => Tensor::zeros([1], &device),
        };
        let variation = variation_term(image, &self.spec).unwrap_or_else(|| Tensor::zeros([1], &device));
        [variation, palette, temporal]
    }

    /// Loss terms and the gradient of their sum for a flat image (`shape` elements).
    pub fn evaluate(&mut self, x: &Tensor<1>) -> Result<(LossTerms, Tensor<1>)> {
        let (terms, gradient) =
            if self.grid.is_whole() { self.evaluate_whole(x)? } else { self.evaluate_tiled(x)? };
        self.evaluations += 1;
        if self.recent.len() == KEPT_EVALUATIONS {
            self.recent.pop_front();
        }
        self.recent.push_back((self.evaluations, terms));
        Ok((terms, gradient))
    }

    fn evaluate_whole(&mut self, x: &Tensor<1>) -> Result<(LossTerms, Tensor<1>)> {
        let image = x.clone().reshape(self.shape).autodiff().require_grad();
        let terms = Tensor::cat(self.terms(image.clone()).to_vec(), 0);
        let grads = terms.clone().sum().backward();
        let gradient = image
            .grad(&grads)
            .ok_or_else(|| anyhow!("no gradient reached the image"))?
            .reshape([x.dims()[0]]);
        let values = crate::readback::values(terms.without_autodiff(), "the loss")?;
        let [content, style, variation, palette, temporal] = [0, 1, 2, 3, 4].map(|k| values[k] as f64);
        let terms = LossTerms { content, style, variation, palette, temporal };
        Ok((terms, gradient))
    }
}

impl DifferentiableFunction for Objective {
    fn value_and_gradient(&mut self, x: &Tensor<1>) -> Result<(f64, Tensor<1>)> {
        let (terms, gradient) = self.evaluate(x)?;
        Ok((terms.total(), gradient))
    }
}

#[cfg(test)]
mod gradient_check;

#[cfg(test)]
mod content_targets;

#[cfg(test)]
mod tiled_check;

#[cfg(test)]
mod texture_share_check;
