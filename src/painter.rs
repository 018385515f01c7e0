//! The painting itself: VGG19 and the style Grams loaded once, then any number of content photos
//! optimised against them (one for `nst run`, a folder for `nst batch`).

use std::path::Path;
use std::time::Instant;

use anyhow::{Result, anyhow};
use burn::tensor::{Device, Tensor, TensorData};

use crate::config::Recipe;
use crate::device::ComputeDevice;
use crate::error::Interrupted;
use crate::image_io::{self, Planar};
use crate::inputs::{Content, Styles, check_memory};
use crate::loss::{Objective, StyleGrams};
use crate::model::{Vgg19, weights};
use crate::optim::{Lbfgs, LbfgsConfig, StallDetector, StepOutcome};
use crate::transfer::{Init, IterationReport, Progress, RunSummary, noise};

/// VGG19 on a device with the style targets of one set of styles.
pub struct Painter {
    model: Vgg19,
    grams: StyleGrams,
    recipe: Recipe,
    device: ComputeDevice,
    /// Kept for the memory estimate.
    styles: Styles,
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
        let dev = &device.device;
        let model = Vgg19::new(weights::load(weights, deepest)?, recipe.pooling, dev);
        Ok(Painter::with_model(model, recipe, styles, device))
    }

    /// The same network with other styles: a batch loads the weights once for all its looks.
    pub fn restyled(&self, styles: Styles) -> Self {
        Painter::with_model(self.model.clone(), &self.recipe, styles, &self.device)
    }

    fn with_model(model: Vgg19, recipe: &Recipe, styles: Styles, device: &ComputeDevice) -> Self {
        let dev = &device.device;
        let style_tensors: Vec<_> = styles.images.iter().map(|(img, w)| (to_tensor(img, dev), *w)).collect();
        let grams = StyleGrams::new(&model, recipe, &style_tensors);
        Painter { model, grams, recipe: recipe.clone(), device: device.clone(), styles }
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
        let started = Instant::now();
        let recipe = &self.recipe;
        if !self.device.is_gpu {
            check_memory(recipe, &content, &self.styles)?;
        }
        let dev = &self.device.device;
        let photo = content.image;
        let mut objective = Objective::new(self.model.clone(), recipe, to_tensor(&photo, dev), &self.grams);
        let start = match (&recipe.init, content.init) {
            (_, Some(image)) => image,
            (Init::Noise, None) => noise(photo.width, photo.height, recipe.seed),
            _ => photo.clone(),
        };
        let x0 = Tensor::<1>::from_data(TensorData::new(start.data, [start.width * start.height * 3]), dev);
        let config = LbfgsConfig { history_size: recipe.history_size, ..LbfgsConfig::default() };
        let mut lbfgs = Lbfgs::new(config, &mut objective, x0)?;
        let initial_loss = lbfgs.value();
        if !initial_loss.is_finite() {
            return Err(anyhow!(
                "the loss of the starting image is {initial_loss}; check the weights and recipe"
            ));
        }

        let iterations = recipe.iterations;
        progress.start(iterations);
        let mut stall = StallDetector::new(10, 1e-5);
        let mut stopped_early = None;
        while lbfgs.iterations() < iterations {
            if progress.cancelled() {
                progress.finish();
                let saved = if save_partial {
                    save(lbfgs.x(), &photo, output)?;
                    Some(output.to_path_buf())
                } else {
                    None
                };
                return Err(Interrupted { saved }.into());
            }
            let outcome = lbfgs.step(&mut objective)?;
            let terms = objective.terms_for(lbfgs.value()).unwrap_or_default();
            progress.iteration(&IterationReport {
                iteration: lbfgs.iterations(),
                iterations,
                evaluations: lbfgs.evaluations(),
                terms,
                elapsed: started.elapsed(),
            });
            let reason = match outcome {
                StepOutcome::Improved if stall.stalled(lbfgs.value()) => {
                    Some("the loss stopped improving (less than 0.001% over 10 iterations)")
                }
                StepOutcome::Improved => None,
                StepOutcome::Converged => Some("the gradient vanished (converged)"),
                StepOutcome::LineSearchFailed => {
                    Some("the line search found no lower loss (converged or numerical limit)")
                }
            };
            if let Some(reason) = reason {
                stopped_early = Some(format!("stopped after {} iterations: {reason}", lbfgs.iterations()));
                break;
            }
        }
        progress.finish();

        let result = save(lbfgs.x(), &photo, output)?;
        Ok(RunSummary {
            iterations: lbfgs.iterations(),
            evaluations: lbfgs.evaluations(),
            initial_loss,
            final_loss: lbfgs.value(),
            final_terms: objective.terms_for(lbfgs.value()).unwrap_or_default(),
            elapsed: started.elapsed(),
            output: output.to_path_buf(),
            width: result.width,
            height: result.height,
            stopped_early,
        })
    }
}

fn to_tensor(image: &Planar, device: &Device) -> Tensor<4> {
    Tensor::from_data(TensorData::new(image.data.clone(), [1, 3, image.height, image.width]), device)
}

/// Write the flat image `x` (the content's size) to `output`; returns what was written.
fn save(x: &Tensor<1>, content: &Planar, output: &Path) -> Result<Planar> {
    let image = from_tensor(x, content.width, content.height)?;
    image_io::save_atomic(&image, output)?;
    Ok(image)
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
