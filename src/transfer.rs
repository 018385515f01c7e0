//! One style-transfer run: check inputs → load model → targets → init → optimise → save.
//! Also the vocabulary `nst batch` shares: options, progress reports and the summary.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use crate::config::Recipe;
use crate::device::ComputeDevice;
use crate::image_io::Planar;
pub use crate::inputs::{Content, Styles, prepare_content, prepare_styles};
use crate::loss::LossTerms;
pub use crate::painter::Painter;

/// How the optimised image starts.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(from = "String", into = "String")]
pub enum Init {
    /// Gaussian noise around mid-grey (`--seed` picks it).
    Noise,
    /// The content photo itself.
    Content,
    /// Another image, scaled to the output size.
    File(PathBuf),
}

impl From<String> for Init {
    fn from(s: String) -> Self {
        match s.as_str() {
            "noise" => Init::Noise,
            "content" => Init::Content,
            _ => Init::File(PathBuf::from(s)),
        }
    }
}

impl From<Init> for String {
    fn from(init: Init) -> String {
        match init {
            Init::Noise => "noise".into(),
            Init::Content => "content".into(),
            Init::File(path) => path.display().to_string(),
        }
    }
}

/// Everything one run needs, already resolved from flags and recipe.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub content: PathBuf,
    /// Style images with their blend weights (normalised to sum 1 when prepared).
    pub styles: Vec<(PathBuf, f64)>,
    pub output: PathBuf,
    /// How to paint: losses, optimiser, sizes, start and device.
    pub recipe: Recipe,
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
    /// Size of the image at this iteration (smaller at the coarse levels of `scales`).
    pub width: usize,
    pub height: usize,
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
pub struct Prepared {
    styles: Styles,
    content: Content,
}

/// Check the output path and decode and size every input, before any heavy work.
pub fn prepare(options: &RunOptions) -> Result<Prepared> {
    let styles = prepare_styles(&options.recipe, &options.styles)?;
    let content = prepare_content(&options.recipe, &options.content, &options.output, &styles)?;
    Ok(Prepared { styles, content })
}

/// [`run`] for inputs already checked by [`prepare`].
pub fn run_prepared(
    options: &RunOptions,
    prepared: Prepared,
    device: &ComputeDevice,
    progress: &mut dyn Progress,
) -> Result<RunSummary> {
    let painter = Painter::new(&options.recipe, options.weights.as_deref(), prepared.styles, device)?;
    painter.paint(prepared.content, &options.output, options.save_partial, progress)
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
