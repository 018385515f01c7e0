//! The library's voice: what a run tells whoever drives it. The painter reports through
//! [`Progress`]; the binary implements it with a progress bar or JSON lines.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

mod readout;

use crate::measures::Measures;
pub use readout::{LayerError, Readout};

/// The weighted value of each term (each already multiplied by its global weight).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LossTerms {
    pub content: f64,
    pub style: f64,
    pub variation: f64,
    pub palette: f64,
    /// A video frame's hold on the previous frame's painting (0 outside `nst video`).
    pub temporal: f64,
}

impl LossTerms {
    pub fn total(&self) -> f64 {
        self.content + self.style + self.variation + self.palette + self.temporal
    }
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
    /// Which level of the schedule (1 for the coarsest) of how many.
    pub level: usize,
    pub levels: usize,
    /// How much this iteration changed the picture: the RMS change of its pixels, in grey
    /// levels (0–255). What the eye sees settle, and what the settle rule stops on.
    pub pixel_change: f64,
    /// Share of the run's planned work done (iterations weighted by their pixels), 0–1.
    pub done: f64,
    /// At most this long to go (levels that settle early end sooner); `None` at first.
    pub remaining: Option<Duration>,
}

/// What one level of a run did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevelSummary {
    pub width: usize,
    pub height: usize,
    pub iterations: usize,
    pub evaluations: usize,
    pub seconds: f64,
    pub stop: Stop,
    /// Tiles each evaluation ran the network over: 1 for the whole image.
    pub tiles: usize,
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

/// Why a level of a run stopped. (An interrupted run ends with the error
/// [`crate::error::Interrupted`] instead.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// It ran the iterations its schedule gave it.
    IterationLimit,
    /// The picture stopped changing visibly (the recipe's `settle`).
    Settled,
    /// The loss improved by less than 0.001% over 10 iterations.
    Stalled,
    /// The gradient vanished.
    Converged,
    /// No step along the search direction lowered the loss.
    LineSearchFailed,
}

impl Stop {
    /// A short name for logs: `iteration_limit`, `settled`, `stalled`, `converged`, `line_search_failed`.
    pub fn name(self) -> &'static str {
        match self {
            Stop::IterationLimit => "iteration_limit",
            Stop::Settled => "settled",
            Stop::Stalled => "stalled",
            Stop::Converged => "converged",
            Stop::LineSearchFailed => "line_search_failed",
        }
    }

    /// Whether the level ended before its iterations ran out.
    pub fn is_early(self) -> bool {
        self != Stop::IterationLimit
    }
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stop::IterationLimit => "the iterations ran out",
            Stop::Settled => "the picture stopped changing visibly (see the recipe's settle)",
            Stop::Stalled => "the loss stopped improving (less than 0.001% over 10 iterations)",
            Stop::Converged => "the gradient vanished (converged)",
            Stop::LineSearchFailed => "no step lowered the loss (converged, or a numerical limit)",
        })
    }
}

/// What a finished run did.
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
    /// Why the last level stopped.
    pub stop: Stop,
    /// How closely the result matches the photo and the painting, layer by layer.
    pub readout: Readout,
    /// How the saved picture compares by measures no recipe minimises: its colours against the
    /// painting's, its structure against the photo's.
    pub measures: Measures,
    /// Each level, coarsest first.
    pub levels: Vec<LevelSummary>,
}

impl RunSummary {
    /// "stopped after N iterations: why", when the last level ended early.
    pub fn stopped_early(&self) -> Option<String> {
        self.stop.is_early().then(|| format!("stopped after {} iterations: {}", self.iterations, self.stop))
    }
}
