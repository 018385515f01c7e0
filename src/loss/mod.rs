//! The style-transfer objective: content, style and variation terms from a recipe, with the
//! photo's activations and the painting's Gram matrices computed once up front.

pub mod content;
pub mod style;
pub mod variation;

use anyhow::{Result, anyhow};
use burn::tensor::Tensor;

pub use content::content_loss;
pub use style::{gram, style_loss};
pub use variation::variation_loss;

use crate::config::{Recipe, ResolvedLayer};
use crate::model::Vgg19;
use crate::optim::DifferentiableFunction;

/// The weighted value of each term (each already multiplied by its global weight).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LossTerms {
    pub content: f64,
    pub style: f64,
    pub variation: f64,
}

impl LossTerms {
    pub fn total(&self) -> f64 {
        self.content + self.style + self.variation
    }
}

/// Targets for one recipe layer.
struct LayerTarget {
    layer: ResolvedLayer,
    content: Option<Tensor<4>>,
    style_gram: Option<Tensor<2>>,
}

/// The loss of one image being painted, against its content and the shared style Grams.
pub struct Objective {
    model: Vgg19,
    recipe: Recipe,
    targets: Vec<LayerTarget>,
    /// VGG19 indices of the layers whose activations the loss reads, ascending.
    wanted: Vec<usize>,
    /// Shape of the image being optimised, `[1, 3, H, W]`.
    shape: [usize; 4],
    /// The photo, until its content-layer activations are known. Runs usually start from the
    /// photo, so the first evaluation's own forward pass supplies them: one pass saved.
    pending_photo: Option<Tensor<4>>,
    /// Terms of recent evaluations with their totals: the optimiser reports only a total, and
    /// the accepted point is not always the last one evaluated.
    recent: std::collections::VecDeque<LossTerms>,
}

/// The painting's Gram matrix at each recipe layer with a style weight (the styles' Grams
/// blended by weight), computed once and shared by every image painted in that style.
#[derive(Clone)]
pub struct StyleGrams(Vec<Option<Tensor<2>>>);

impl StyleGrams {
    /// `styles` pairs each RGB image `[1, 3, H, W]` (0–255) with its blend weight.
    pub fn new(model: &Vgg19, recipe: &Recipe, styles: &[(Tensor<4>, f64)]) -> Self {
        let layers = recipe.resolved_layers();
        let wanted: Vec<usize> = layers.iter().filter(|l| l.style > 0.0).map(|l| l.index).collect();
        let mut grams: Vec<Option<Tensor<2>>> = vec![None; layers.len()];
        for (style, blend) in styles {
            let mut acts = model.forward(style.clone(), &wanted).into_iter();
            for (slot, layer) in grams.iter_mut().zip(&layers) {
                if layer.style == 0.0 {
                    continue;
                }
                let Some(act) = acts.next() else { break };
                let g = gram(act).mul_scalar(*blend as f32);
                *slot = Some(match slot.take() {
                    Some(sum) => sum.add(g),
                    None => g,
                });
            }
        }
        StyleGrams(grams)
    }
}

impl Objective {
    /// `content` is an RGB image `[1, 3, H, W]` (0–255) on the model's device; the output has
    /// its size. `styles` comes from the same model and recipe.
    pub fn new(model: Vgg19, recipe: &Recipe, content: Tensor<4>, styles: &StyleGrams) -> Self {
        let layers = recipe.resolved_layers();
        let wanted: Vec<usize> = layers.iter().map(|l| l.index).collect();
        let shape = content.dims();
        let targets = layers
            .iter()
            .zip(styles.0.iter().cloned())
            .map(|(layer, style_gram)| LayerTarget {
                layer: *layer,
                content: None,
                style_gram: style_gram.filter(|_| layer.style > 0.0),
            })
            .collect();
        Objective {
            model,
            recipe: recipe.clone(),
            targets,
            wanted,
            shape,
            pending_photo: Some(content),
            recent: Default::default(),
        }
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
        let indices: Vec<usize> =
            self.targets.iter().filter(|t| t.layer.content > 0.0).map(|t| t.layer.index).collect();
        let mut acts = self.model.forward(photo, &indices).into_iter();
        for target in self.targets.iter_mut().filter(|t| t.layer.content > 0.0) {
            target.content = acts.next();
        }
        None
    }

    pub fn shape(&self) -> [usize; 4] {
        self.shape
    }

    /// The terms of a recent evaluation whose total was `total`.
    pub fn terms_for(&self, total: f64) -> Option<LossTerms> {
        self.recent.iter().rev().find(|t| t.total() == total).copied()
    }

    /// The three weighted terms as one-element tensors, for an image `[1, 3, H, W]`.
    pub fn terms(&mut self, image: Tensor<4>) -> [Tensor<1>; 3] {
        let photo_acts = self.take_content_targets(&image);
        let at_photo = photo_acts.is_some();
        let acts = photo_acts.unwrap_or_else(|| self.model.forward(image.clone(), &self.wanted));
        let r = &self.recipe;
        let device = image.device();
        let mut content = Tensor::<1>::zeros([1], &device);
        let mut style = Tensor::<1>::zeros([1], &device);
        for (target, act) in self.targets.iter().zip(acts) {
            if let Some(p) = target.content.as_ref().filter(|_| !at_photo) {
                let term = content_loss(act.clone(), p.clone(), r.content_normalization);
                content = content.add(term.mul_scalar(target.layer.content as f32));
            }
            if let Some(a) = &target.style_gram {
                let term = style_loss(act, a.clone(), r.style_normalization);
                style = style.add(term.mul_scalar(target.layer.style as f32));
            }
        }
        let variation = variation_loss(image, r.tv_exponent, r.tv_normalization);
        [
            content.mul_scalar(r.content_weight as f32),
            style.mul_scalar(r.style_weight as f32),
            variation.mul_scalar(r.tv_weight as f32),
        ]
    }

    /// Loss terms and the gradient of their sum for a flat image (`shape` elements).
    pub fn evaluate(&mut self, x: &Tensor<1>) -> Result<(LossTerms, Tensor<1>)> {
        let image = x.clone().reshape(self.shape).autodiff().require_grad();
        let terms = Tensor::cat(self.terms(image.clone()).to_vec(), 0);
        let grads = terms.clone().sum().backward();
        let gradient = image
            .grad(&grads)
            .ok_or_else(|| anyhow!("no gradient reached the image"))?
            .reshape([x.dims()[0]]);
        let values: Vec<f32> = terms
            .without_autodiff()
            .try_into_data()
            .map_err(|e| anyhow!("reading the loss: {e:?}"))?
            .try_to_vec::<f32>()
            .map_err(|e| anyhow!("reading the loss: {e:?}"))?;
        let terms =
            LossTerms { content: values[0] as f64, style: values[1] as f64, variation: values[2] as f64 };
        if self.recent.len() == 64 {
            self.recent.pop_front();
        }
        self.recent.push_back(terms);
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
