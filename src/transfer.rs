//! One style-transfer run: check inputs → load model → targets → init → optimise → save.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use burn::tensor::{Device, Tensor, TensorData};

use crate::config::Recipe;
use crate::device::ComputeDevice;
use crate::error::Interrupted;
use crate::image_io::{self, Planar};
use crate::inputs::{Inputs, check_memory, prepare_inputs};
use crate::loss::{LossTerms, Objective};
use crate::model::{Vgg19, weights};
use crate::optim::{Lbfgs, LbfgsConfig, StallDetector, StepOutcome};

/// How the optimised image starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Init {
    /// Gaussian noise around mid-grey (`--seed` picks it).
    Noise,
    /// The content photo itself.
    Content,
    /// Another image, scaled to the output size.
    File(PathBuf),
}

impl std::str::FromStr for Init {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "noise" => Init::Noise,
            "content" => Init::Content,
            path => Init::File(PathBuf::from(path)),
        })
    }
}

/// Everything one run needs, already resolved from flags and recipe.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub content: PathBuf,
    pub style: PathBuf,
    pub output: PathBuf,
    pub recipe: Recipe,
    /// Longer side of the output, in pixels.
    pub size: u32,
    /// Longer side of the style image; default: the output's.
    pub style_size: Option<u32>,
    pub init: Init,
    pub seed: u64,
    /// Weights file; `None` for the built-in VGG19.
    pub weights: Option<PathBuf>,
    /// On interruption, write the image reached so far (else leave no output).
    pub save_partial: bool,
}

/// What one iteration reports to a [`Progress`].
#[derive(Debug, Clone, Copy)]
pub struct IterationReport {
    pub iteration: usize,
    pub iterations: usize,
    pub evaluations: usize,
    pub terms: LossTerms,
    pub elapsed: Duration,
}

/// Receives what a run is doing; the binary draws it with indicatif.
pub trait Progress {
    /// A one-line notice for the user (device chosen, fallbacks, stop reasons).
    fn notice(&mut self, message: &str);
    fn start(&mut self, iterations: usize);
    fn iteration(&mut self, report: &IterationReport);
    fn finish(&mut self);
    /// Polled between iterations: true stops the run (Ctrl-C, SIGTERM).
    fn cancelled(&self) -> bool {
        false
    }
}

/// A progress sink that reports nothing.
pub struct Silent;

impl Progress for Silent {
    fn notice(&mut self, _: &str) {}
    fn start(&mut self, _: usize) {}
    fn iteration(&mut self, _: &IterationReport) {}
    fn finish(&mut self) {}
}

#[derive(Debug, Clone)]
pub struct RunSummary {
    pub iterations: usize,
    pub evaluations: usize,
    pub initial_loss: f64,
    pub final_loss: f64,
    pub final_terms: LossTerms,
    pub elapsed: Duration,
    pub output: PathBuf,
    pub width: usize,
    pub height: usize,
    /// Why the run ended before `iterations`, if it did.
    pub stopped_early: Option<String>,
}

/// Run style transfer as `options` says, on `device`.
pub fn run(options: &RunOptions, device: &ComputeDevice, progress: &mut dyn Progress) -> Result<RunSummary> {
    run_prepared(options, prepare(options)?, device, progress)
}

/// Every input checked and decoded; made by [`prepare`] before the device is even chosen.
pub struct Prepared(Inputs);

/// Check the output path and decode and size every input, before any heavy work.
pub fn prepare(options: &RunOptions) -> Result<Prepared> {
    prepare_inputs(options).map(Prepared)
}

/// [`run`] for inputs already checked by [`prepare`].
pub fn run_prepared(
    options: &RunOptions,
    Prepared(inputs): Prepared,
    device: &ComputeDevice,
    progress: &mut dyn Progress,
) -> Result<RunSummary> {
    let started = Instant::now();
    if !device.is_gpu {
        check_memory(options, &inputs)?;
    }
    let deepest = options.recipe.resolved_layers().iter().map(|l| l.index).max().unwrap_or(0);
    let weights = weights::load(options.weights.as_deref(), deepest)?;
    let dev = &device.device;
    let model = Vgg19::new(weights, options.recipe.pooling, dev);
    let content = to_tensor(&inputs.content, dev);
    let style = to_tensor(&inputs.style, dev);
    let mut objective = Objective::new(model, &options.recipe, content, &[(style, 1.0)]);

    let start = match (&options.init, inputs.init) {
        (_, Some(image)) => image,
        (Init::Noise, None) => noise(inputs.content.width, inputs.content.height, options.seed),
        _ => inputs.content.clone(),
    };
    let x0 = Tensor::<1>::from_data(TensorData::new(start.data, [start.width * start.height * 3]), dev);
    let config = LbfgsConfig { history_size: options.recipe.history_size, ..LbfgsConfig::default() };
    let mut lbfgs = Lbfgs::new(config, &mut objective, x0)?;
    let initial_loss = lbfgs.value();
    if !initial_loss.is_finite() {
        return Err(anyhow!(
            "the loss of the starting image is {initial_loss}; check the weights and recipe"
        ));
    }

    let iterations = options.recipe.iterations;
    progress.start(iterations);
    let mut stall = StallDetector::new(10, 1e-5);
    let mut stopped_early = None;
    while lbfgs.iterations() < iterations {
        if progress.cancelled() {
            progress.finish();
            let saved = if options.save_partial {
                save(lbfgs.x(), &inputs.content, &options.output)?;
                Some(options.output.clone())
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

    let result = save(lbfgs.x(), &inputs.content, &options.output)?;
    Ok(RunSummary {
        iterations: lbfgs.iterations(),
        evaluations: lbfgs.evaluations(),
        initial_loss,
        final_loss: lbfgs.value(),
        final_terms: objective.terms_for(lbfgs.value()).unwrap_or_default(),
        elapsed: started.elapsed(),
        output: options.output.clone(),
        width: result.width,
        height: result.height,
        stopped_early,
    })
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

/// Gaussian noise (σ = 32) around mid-grey, from a seeded SplitMix64 so that a seed gives the
/// same start on every device.
pub fn noise(width: usize, height: usize, seed: u64) -> Planar {
    let mut state = seed;
    let mut uniform = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    let data = (0..3 * width * height)
        .map(|_| {
            // Box–Muller
            let (u1, u2) = (uniform().max(1e-12), uniform());
            let g = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            (127.5 + 32.0 * g) as f32
        })
        .collect();
    Planar { width, height, data }
}
