//! The painting itself: VGG19 and the style Grams loaded once, then any number of content photos
//! optimised against them (one for `nst run`, a folder for `nst batch`), coarse to fine when
//! the recipe asks, with checkpoints and colour preservation.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Result, anyhow};
use burn::tensor::{Device, Tensor, TensorData};

use crate::colour::{self, PreserveColors};
use crate::config::{MIN_LEVEL_SIDE, OptimizerKind, Recipe};
use crate::device::ComputeDevice;
use crate::error::Interrupted;
use crate::image_io::{self, Planar};
use crate::inputs::{Content, Styles, check_memory};
use crate::loss::{Objective, StyleGrams};
use crate::model::{Vgg19, weights};
use crate::optim::{Adam, AdamConfig, Lbfgs, LbfgsConfig, Minimiser, StallDetector, StepOutcome};
use crate::transfer::{Init, IterationReport, Progress, RunSummary, noise};

/// VGG19 on a device with the style targets of one set of styles.
pub struct Painter {
    model: Vgg19,
    /// The styles' Grams in their own colours for each level's longer side (painting shrunk in
    /// step), the common case, computed once for every photo.
    level_grams: Vec<(u32, StyleGrams)>,
    recipe: Recipe,
    device: ComputeDevice,
    styles: Styles,
}

/// Where one level of a run stands, for reports and checkpoints.
struct Tally {
    iterations_before: usize,
    iterations_total: usize,
    evaluations: usize,
    started: Instant,
}

/// What a run writes besides its result.
struct Outputs<'a> {
    output: &'a Path,
    save_partial: bool,
    /// The photo in its colours at full size, for putting its chroma back.
    photo: &'a Planar,
}

impl Painter {
    /// Load the weights (`None`: built in) and compute the blended style Grams.
    pub fn new(
        recipe: &Recipe,
        weights: Option<&Path>,
        styles: Styles,
        device: &ComputeDevice,
    ) -> Result<Self> {
        let deepest = recipe.resolved_layers().iter().map(|l| l.index).max().unwrap_or(0);
        let model = Vgg19::new(weights::load(weights, deepest)?, recipe.pooling, &device.device);
        Ok(Painter::with_model(model, recipe, styles, device))
    }

    /// The same network with other styles: a batch loads the weights once for all its looks.
    pub fn restyled(&self, styles: Styles) -> Self {
        Painter::with_model(self.model.clone(), &self.recipe, styles, &self.device)
    }

    fn with_model(model: Vgg19, recipe: &Recipe, styles: Styles, device: &ComputeDevice) -> Self {
        let level_grams = if recipe.preserve_colors == PreserveColors::None {
            let grams_at = |side| grams_at_level(&model, recipe, &styles.images, side, &device.device, |s| s);
            recipe.levels().into_iter().map(|(side, _)| (side, grams_at(side))).collect()
        } else {
            Vec::new() // they depend on the photo: made per photo by `grams_for`
        };
        Painter { model, level_grams, recipe: recipe.clone(), device: device.clone(), styles }
    }

    /// The styles this painter paints in.
    pub fn styles(&self) -> &Styles {
        &self.styles
    }

    /// Optimise one content photo and write the result to `output`. On cancellation the image
    /// so far is written if `save_partial`, and the error is [`Interrupted`].
    pub fn paint(
        &self,
        content: Content,
        output: &Path,
        save_partial: bool,
        progress: &mut dyn Progress,
    ) -> Result<RunSummary> {
        let recipe = &self.recipe;
        if !self.device.is_gpu {
            check_memory(recipe, &content, &self.styles)?;
        }
        let photo = &content.image;
        let levels = recipe.levels();
        let mut tally = Tally {
            iterations_before: 0,
            iterations_total: levels.iter().map(|(_, n)| n).sum(),
            evaluations: 0,
            started: Instant::now(),
        };
        progress.start(tally.iterations_total);
        let outputs = Outputs { output, save_partial, photo };
        let mut current: Option<Planar> = None;
        let (mut initial_loss, mut final_loss, mut stopped_early) = (None, f64::NAN, None);
        let mut final_terms = Default::default();
        for (level, &(side, iterations)) in levels.iter().enumerate() {
            let (w, h) = image_io::fit(photo.width as u32, photo.height as u32, side);
            let (w, h) = (w as usize, h as usize);
            if levels.len() > 1 {
                progress.notice(&format!(
                    "level {} of {}: {w}×{h}, {iterations} iterations",
                    level + 1,
                    levels.len()
                ));
            }
            let level_photo =
                if (w, h) == (photo.width, photo.height) { photo.clone() } else { photo.resized(w, h) };
            let start = match (current.take(), &content.init) {
                (Some(previous), _) => with_photo_detail(&previous, &level_photo),
                (None, Some(file)) => file.resized(w, h),
                (None, None) if recipe.init == Init::Noise => noise(w, h, recipe.seed),
                (None, None) => level_photo.clone(),
            };
            let result = self.level(&level_photo, start, iterations, &mut tally, &outputs, progress)?;
            initial_loss.get_or_insert(result.initial_loss);
            (final_loss, final_terms, stopped_early) =
                (result.final_loss, result.final_terms, result.stopped_early);
            current = Some(result.image);
        }
        progress.finish();
        let image = current.ok_or_else(|| anyhow!("the recipe has no levels"))?;
        let image = self.finish(image, photo);
        image_io::save_atomic(&image, output)?;
        Ok(RunSummary {
            iterations: tally.iterations_before,
            evaluations: tally.evaluations,
            initial_loss: initial_loss.unwrap_or(f64::NAN),
            final_loss,
            final_terms,
            elapsed: tally.started.elapsed(),
            output: output.to_path_buf(),
            width: image.width,
            height: image.height,
            stopped_early,
        })
    }

    /// Optimise at one size, from `start`, for up to `iterations`.
    fn level(
        &self,
        photo: &Planar,
        start: Planar,
        iterations: usize,
        tally: &mut Tally,
        outputs: &Outputs,
        progress: &mut dyn Progress,
    ) -> Result<LevelResult> {
        let recipe = &self.recipe;
        let dev = &self.device.device;
        let (loss_photo, start) = match recipe.preserve_colors {
            PreserveColors::Luminance => (colour::grey(photo, None), colour::grey(&start, None)),
            _ => (photo.clone(), start),
        };
        let grams = self.grams_for(photo);
        let mut objective = Objective::new(self.model.clone(), recipe, to_tensor(&loss_photo, dev), &grams);
        let (w, h) = (photo.width, photo.height);
        let x0 = Tensor::<1>::from_data(TensorData::new(start.data, [w * h * 3]), dev);
        let mut minimiser: Box<dyn Minimiser> = match recipe.optimizer {
            OptimizerKind::Lbfgs => {
                let config = LbfgsConfig { history_size: recipe.history_size, ..LbfgsConfig::default() };
                Box::new(Lbfgs::new(config, &mut objective, x0)?)
            }
            OptimizerKind::Adam => {
                let config = AdamConfig { learning_rate: recipe.learning_rate, ..AdamConfig::default() };
                Box::new(Adam::new(config, &mut objective, x0)?)
            }
        };
        let initial_loss = minimiser.value();
        if !initial_loss.is_finite() {
            return Err(anyhow!(
                "the loss of the starting image is {initial_loss}; check the weights and recipe"
            ));
        }
        let evaluations_before = tally.evaluations;
        let mut stall = StallDetector::new(10, 1e-5);
        let mut stopped_early = None;
        while minimiser.iterations() < iterations {
            if progress.cancelled() {
                progress.finish();
                let saved = if outputs.save_partial {
                    let image = self.finish(from_tensor(minimiser.x(), w, h)?, outputs.photo);
                    image_io::save_atomic(&image, outputs.output)?;
                    Some(outputs.output.to_path_buf())
                } else {
                    None
                };
                return Err(Interrupted { saved }.into());
            }
            let outcome = minimiser.step(&mut objective)?;
            tally.evaluations = evaluations_before + minimiser.evaluations();
            let iteration = tally.iterations_before + minimiser.iterations();
            progress.iteration(&IterationReport {
                iteration,
                iterations: tally.iterations_total,
                evaluations: tally.evaluations,
                terms: objective.terms_for(minimiser.value()).unwrap_or_default(),
                elapsed: tally.started.elapsed(),
                width: w,
                height: h,
            });
            if recipe.save_every > 0
                && iteration.is_multiple_of(recipe.save_every)
                && outcome == StepOutcome::Improved
            {
                let image = self.finish(from_tensor(minimiser.x(), w, h)?, outputs.photo);
                image_io::save_atomic(&image, &checkpoint_path(outputs.output, iteration))?;
            }
            let reason = match outcome {
                StepOutcome::Improved if stall.stalled(minimiser.value()) => {
                    Some("the loss stopped improving (less than 0.001% over 10 iterations)")
                }
                StepOutcome::Improved => None,
                StepOutcome::Converged => Some("the gradient vanished (converged)"),
                StepOutcome::LineSearchFailed => {
                    Some("no step lowered the loss (converged, or a numerical limit)")
                }
            };
            if let Some(reason) = reason {
                stopped_early = Some(format!("stopped after {iteration} iterations: {reason}"));
                break;
            }
        }
        tally.iterations_before += minimiser.iterations();
        Ok(LevelResult {
            image: from_tensor(minimiser.x(), w, h)?,
            initial_loss,
            final_loss: minimiser.value(),
            final_terms: objective.terms_for(minimiser.value()).unwrap_or_default(),
            stopped_early,
        })
    }

    /// The style Grams for painting `photo`, the content at one level's size. The painting
    /// shrinks with the level so that its strokes keep their size relative to the picture (at
    /// 512 px Grams a 256 px level painted strokes twice as big and washed the photo out), but
    /// never below [`MIN_LEVEL_SIDE`]: smaller, the deep layers' Grams copy its layout.
    fn grams_for(&self, photo: &Planar) -> StyleGrams {
        let side = photo.width.max(photo.height) as u32;
        if let Some((_, grams)) = self.level_grams.iter().find(|(level_side, _)| *level_side == side) {
            return grams.clone();
        }
        let adapt = |style: Planar| match self.recipe.preserve_colors {
            PreserveColors::None => style,
            PreserveColors::Luminance => colour::grey(&style, Some(photo)),
            PreserveColors::Match => colour::match_colours(&style, photo),
        };
        grams_at_level(&self.model, &self.recipe, &self.styles.images, side, &self.device.device, adapt)
    }

    /// The optimised image as the user sees it: with the photo's chroma for `luminance`, and
    /// scaled to the full size if it comes from a coarser level.
    fn finish(&self, image: Planar, photo: &Planar) -> Planar {
        let image = if (image.width, image.height) == (photo.width, photo.height) {
            image
        } else {
            image.resized(photo.width, photo.height)
        };
        match self.recipe.preserve_colors {
            PreserveColors::Luminance => colour::with_chroma_of(&image, photo),
            _ => image,
        }
    }
}

struct LevelResult {
    image: Planar,
    initial_loss: f64,
    final_loss: f64,
    final_terms: crate::loss::LossTerms,
    stopped_early: Option<String>,
}

/// The previous level's result upscaled to `photo`'s size, plus the photo's detail that the
/// coarse level could not hold (photo − photo blurred to the coarse size): a plain upscale is
/// so smooth that the fine level started with a style loss as high as from scratch.
fn with_photo_detail(previous: &Planar, photo: &Planar) -> Planar {
    let (w, h) = (photo.width, photo.height);
    let mut start = previous.resized(w, h);
    let blurred = photo.resized(previous.width, previous.height).resized(w, h);
    for ((s, p), b) in start.data.iter_mut().zip(&photo.data).zip(&blurred.data) {
        *s = (*s + p - b).clamp(0.0, 255.0);
    }
    start
}

/// `style` scaled by `scale` (≤ 1), its longer side kept at [`MIN_LEVEL_SIDE`] or more.
fn shrunk_for_level(style: &Planar, scale: f64) -> Planar {
    let longer = style.width.max(style.height) as f64;
    let scale = scale.max((MIN_LEVEL_SIDE as f64 / longer).min(1.0));
    if scale >= 1.0 {
        return style.clone();
    }
    let side = |n: usize| ((n as f64 * scale).round() as usize).max(1);
    style.resized(side(style.width), side(style.height))
}

/// The styles' blended Grams for a level whose longer side is `side`: each painting shrunk in
/// step with the level ([`shrunk_for_level`]), then `adapt`ed (colour preservation).
fn grams_at_level(
    model: &Vgg19,
    recipe: &Recipe,
    styles: &[(Planar, f64)],
    side: u32,
    device: &Device,
    adapt: impl Fn(Planar) -> Planar,
) -> StyleGrams {
    let level_scale = side as f64 / recipe.size as f64;
    let tensors: Vec<_> = styles
        .iter()
        .map(|(style, weight)| (to_tensor(&adapt(shrunk_for_level(style, level_scale)), device), *weight))
        .collect();
    StyleGrams::new(model, recipe, &tensors)
}

/// `out.png` → `out_0100.png`: the checkpoint after iteration 100.
pub fn checkpoint_path(output: &Path, iteration: usize) -> PathBuf {
    let stem = output.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = output.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_else(|| "png".into());
    output.with_file_name(format!("{stem}_{iteration:04}.{ext}"))
}

fn to_tensor(image: &Planar, device: &Device) -> Tensor<4> {
    Tensor::from_data(TensorData::new(image.data.clone(), [1, 3, image.height, image.width]), device)
}

fn from_tensor(x: &Tensor<1>, width: usize, height: usize) -> Result<Planar> {
    let data = x
        .clone()
        .try_into_data()
        .map_err(|e| anyhow!("reading the image back: {e:?}"))?
        .try_to_vec::<f32>()
        .map_err(|e| anyhow!("reading the image back: {e:?}"))?;
    Ok(Planar { width, height, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blank(width: usize, height: usize) -> Planar {
        Planar { width, height, data: vec![0.0; width * height * 3] }
    }

    #[test]
    fn a_coarse_level_shrinks_the_painting_but_not_below_the_minimum_side() {
        let half = shrunk_for_level(&blank(600, 400), 0.5);
        assert_eq!((half.width, half.height), (300, 200));
        let floor = shrunk_for_level(&blank(600, 400), 0.125);
        assert_eq!((floor.width, floor.height), (MIN_LEVEL_SIDE as usize, 85));
        let small = shrunk_for_level(&blank(100, 50), 0.5);
        assert_eq!((small.width, small.height), (100, 50), "already under the minimum: kept");
        let full = shrunk_for_level(&blank(600, 400), 1.0);
        assert_eq!((full.width, full.height), (600, 400));
    }

    #[test]
    fn a_coarse_result_gets_the_photos_fine_detail_back() {
        let (w, h) = (40, 30);
        let data = (0..w * h * 3).map(|i| ((i * 37) % 256) as f32).collect();
        let photo = Planar { width: w, height: h, data };
        // A coarse level that painted nothing: the photo shrunk. Its start is the photo again.
        let start = with_photo_detail(&photo.resized(20, 15), &photo);
        assert_eq!((start.width, start.height), (w, h));
        let worst = start.data.iter().zip(&photo.data).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(worst < 0.01, "differs from the photo by {worst}");
        // What the coarse level painted survives the upscale.
        let painted = with_photo_detail(&blank(20, 15), &photo);
        let mean = |p: &Planar| p.data.iter().sum::<f32>() / p.data.len() as f32;
        assert!(mean(&painted) < mean(&photo) * 0.5, "the coarse result was replaced by the photo");
    }
}
