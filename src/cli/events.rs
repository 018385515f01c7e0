//! Every JSON document nst writes for scripts, as typed structs: `run --json` events, the
//! `run --log` file, `batch` manifest lines and `score --json` lines. Each carries `schema`;
//! it goes up when a field changes meaning or goes away (new fields may appear without it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use nst::measures::Measures;
use nst::recipe::RecipeFile;
use nst::report::{IterationReport, LevelSummary, RunSummary};
use nst::report::{LayerError, Readout};
use serde::Serialize;

pub const SCHEMA: u32 = 1;

/// One iteration: a `run --json` event (`"event": "iteration"`) and an entry of the log.
#[derive(Serialize)]
pub struct Iteration {
    pub iteration: usize,
    /// Planned iterations of the whole run (levels that settle end sooner).
    pub iterations: usize,
    pub evaluations: usize,
    pub loss: f64,
    pub content: f64,
    pub style: f64,
    pub tv: f64,
    pub palette: f64,
    /// `nst video`'s hold on the previous frame; 0 elsewhere.
    pub temporal: f64,
    pub seconds: f64,
    pub width: usize,
    pub height: usize,
    pub level: usize,
    pub levels: usize,
    /// RMS change of the pixels in this iteration, grey levels.
    pub pixel_change: f64,
    /// Share of the run's planned work done, 0–1.
    pub done: f64,
    /// At most this many seconds to go; null at first.
    pub seconds_left: Option<f64>,
}

impl From<&IterationReport> for Iteration {
    fn from(r: &IterationReport) -> Self {
        Iteration {
            iteration: r.iteration,
            iterations: r.iterations,
            evaluations: r.evaluations,
            loss: r.terms.total(),
            content: r.terms.content,
            style: r.terms.style,
            tv: r.terms.variation,
            palette: r.terms.palette,
            temporal: r.terms.temporal,
            seconds: r.elapsed.as_secs_f64(),
            width: r.width,
            height: r.height,
            level: r.level,
            levels: r.levels,
            pixel_change: r.pixel_change,
            done: r.done,
            seconds_left: r.remaining.map(|d| d.as_secs_f64()),
        }
    }
}

/// A `run --json` line.
#[derive(Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event<'a> {
    Iteration {
        schema: u32,
        #[serde(flatten)]
        iteration: Iteration,
    },
    /// The last line: how the run ended and what it wrote.
    End {
        schema: u32,
        #[serde(flatten)]
        outcome: Outcome,
        output: &'a Path,
    },
}

/// How a run ended: `done` with its summary, or `interrupted` / `failed` with the error.
#[derive(Serialize)]
pub struct Outcome {
    pub status: &'static str,
    pub summary: Summary,
}

#[derive(Serialize)]
#[serde(untagged)]
pub enum Summary {
    Done(Box<Done>),
    Error { error: String },
}

#[derive(Serialize)]
pub struct Done {
    pub iterations: usize,
    pub evaluations: usize,
    pub initial_loss: f64,
    pub final_loss: f64,
    pub seconds: f64,
    pub width: usize,
    pub height: usize,
    /// "stopped after N iterations: why", when the last level ended early.
    pub stopped_early: Option<String>,
    pub readout: ReadoutJson,
    pub measures: MeasuresJson,
    pub levels: Vec<Level>,
}

/// `{"content": {"relu4_2": 0.8}, "style": {"relu1_1": 0.002, …}, "mean_style": 0.009}`
#[derive(Serialize, Clone)]
pub struct ReadoutJson {
    pub content: BTreeMap<String, f64>,
    pub style: BTreeMap<String, f64>,
    pub mean_style: f64,
}

impl From<&Readout> for ReadoutJson {
    fn from(r: &Readout) -> Self {
        let layers = |errors: &[LayerError]| errors.iter().map(|e| (e.name(), e.relative)).collect();
        ReadoutJson { content: layers(&r.content), style: layers(&r.style), mean_style: r.mean_style() }
    }
}

/// `{"colour_distance": 3.1, "structure": 0.42}`: measures no recipe minimises (nst::measures).
#[derive(Serialize, Clone)]
pub struct MeasuresJson {
    pub colour_distance: f64,
    pub structure: f64,
}

impl From<&Measures> for MeasuresJson {
    fn from(m: &Measures) -> Self {
        MeasuresJson { colour_distance: m.colour_distance, structure: m.structure }
    }
}

#[derive(Serialize)]
pub struct Level {
    pub width: usize,
    pub height: usize,
    pub iterations: usize,
    pub evaluations: usize,
    pub seconds: f64,
    /// iteration_limit, settled, stalled, converged or line_search_failed.
    pub stop: &'static str,
    /// 1 for the whole image at once, else how many tiles (see "Large prints").
    pub tiles: usize,
}

impl From<&LevelSummary> for Level {
    fn from(l: &LevelSummary) -> Self {
        Level {
            width: l.width,
            height: l.height,
            iterations: l.iterations,
            evaluations: l.evaluations,
            seconds: l.seconds,
            stop: l.stop.name(),
            tiles: l.tiles,
        }
    }
}

impl Outcome {
    pub fn of(result: &Result<RunSummary>) -> Outcome {
        match result {
            Ok(s) => Outcome {
                status: "done",
                summary: Summary::Done(Box::new(Done {
                    iterations: s.iterations,
                    evaluations: s.evaluations,
                    initial_loss: s.initial_loss,
                    final_loss: s.final_loss,
                    seconds: s.elapsed.as_secs_f64(),
                    width: s.width,
                    height: s.height,
                    stopped_early: s.stopped_early(),
                    readout: (&s.readout).into(),
                    measures: (&s.measures).into(),
                    levels: s.levels.iter().map(Level::from).collect(),
                })),
            },
            Err(e) => Outcome {
                status: if nst::error::exit_code(e) == 130 { "interrupted" } else { "failed" },
                summary: Summary::Error { error: format!("{e:#}") },
            },
        }
    }
}

/// The `run --log` document.
#[derive(Serialize)]
pub struct Log<'a> {
    pub schema: u32,
    pub nst: &'static str,
    pub content: &'a Path,
    pub styles: Vec<StyleInput<'a>>,
    pub output: &'a Path,
    pub device: &'a str,
    pub recipe: &'a RecipeFile,
    pub recipe_from: RecipeFrom,
    #[serde(flatten)]
    pub outcome: Outcome,
    pub notices: &'a [String],
    pub iterations: Vec<Iteration>,
}

#[derive(Serialize)]
pub struct StyleInput<'a> {
    pub path: &'a Path,
    pub weight: f64,
}

/// Where the recipe came from: the default, a preset or a file, and the keys flags set.
#[derive(Serialize)]
pub struct RecipeFrom {
    pub base: String,
    pub flags: Vec<&'static str>,
}

/// One `batch` job: a manifest line, and a `batch --json` line.
#[derive(Serialize)]
pub struct Job<'a> {
    pub schema: u32,
    pub input: &'a Path,
    pub style: Vec<&'a PathBuf>,
    pub output: &'a Path,
    /// done, skipped, failed.
    pub status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_loss: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One `video --json` line: a frame painted or skipped, then the end.
#[derive(Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum VideoEvent<'a> {
    Frame(VideoFrame<'a>),
    End(VideoEnd),
}

/// A frame of `nst video`, for `--json` and `--log`.
#[derive(Serialize, Clone)]
pub struct VideoFrame<'a> {
    pub schema: u32,
    /// Its place in the clip, counting from 1.
    pub index: usize,
    pub input: &'a Path,
    pub output: &'a Path,
    /// done, or skipped (painted by an earlier run).
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iterations: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readout: Option<ReadoutJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measures: Option<MeasuresJson>,
    /// Lai et al.'s warping error against the frame before (0–1 pixel values); none for the
    /// first frame painted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warping_error: Option<f64>,
}

/// The end of `nst video`: counts, and the clip's flicker (mean warping error over the pairs
/// painted in this run; null when fewer than two frames were).
#[derive(Serialize, Clone)]
pub struct VideoEnd {
    pub schema: u32,
    pub status: &'static str,
    pub frames: usize,
    pub painted: usize,
    pub skipped: usize,
    pub flicker: Option<f64>,
    pub seconds: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The `video --log` document.
#[derive(Serialize)]
pub struct VideoLog<'a> {
    pub schema: u32,
    pub nst: &'static str,
    pub frames_dir: &'a Path,
    pub styles: Vec<StyleInput<'a>>,
    pub out_dir: &'a Path,
    pub device: &'a str,
    pub recipe: &'a RecipeFile,
    pub recipe_from: RecipeFrom,
    pub temporal_weight: f64,
    pub frame_iterations: u32,
    pub frames: &'a [VideoFrame<'a>],
    pub end: VideoEnd,
}

/// One `score --frames --json` line: a stylised frame's warping error against the one before.
#[derive(Serialize)]
pub struct Flicker<'a> {
    pub schema: u32,
    /// The frame's place in the clip, counting from 1.
    pub index: usize,
    pub image: &'a Path,
    /// None where no pixel passes the flow's forward–backward check.
    pub warping_error: Option<f64>,
}

/// The last `score --frames --json` line: the clip's flicker, the mean warping error.
#[derive(Serialize)]
pub struct FlickerEnd {
    pub schema: u32,
    pub pairs: usize,
    pub flicker: Option<f64>,
}

/// One `score --json` line.
#[derive(Serialize)]
pub struct Score<'a> {
    pub schema: u32,
    pub image: &'a Path,
    pub width: u32,
    pub height: u32,
    #[serde(flatten)]
    pub readout: ReadoutJson,
    pub measures: MeasuresJson,
    /// With `--mask`: the masked region's style error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_style: Option<f64>,
}

/// `value` as one line of JSON (these types always serialise).
pub fn line(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}
