//! `nst run --log FILE`: everything about a run as one JSON document, written when it ends
//! (finished, interrupted or failed), for scripts, notebooks and bug reports.

use std::path::Path;

use anyhow::Result;
use nst::report::RunSummary;
use nst::transfer::RunOptions;
use serde_json::{Value, json};

use crate::progress::{Recorder, iteration_json};

/// Fail before the run, not after it, if `flag`'s file cannot be written where asked.
pub fn check_path(flag: &str, path: &Path) -> Result<()> {
    nst::image_io::partial_file_for(path).map(drop).map_err(|e| nst::usage!("{flag}: {e:#}"))
}

pub fn write(
    path: &Path,
    options: &RunOptions,
    device: &str,
    recorder: &Recorder,
    result: &Result<RunSummary>,
) -> Result<()> {
    let iterations: Vec<Value> = recorder.iterations.iter().map(iteration_json).collect();
    let (status, summary) = outcome_json(result);
    let log = json!({
        "nst": env!("CARGO_PKG_VERSION"),
        "status": status,
        "content": options.content,
        "styles": options.styles.iter().map(|(p, w)| json!({ "path": p, "weight": w })).collect::<Vec<_>>(),
        "output": options.output,
        "device": device,
        "recipe": options.recipe.asked.values,
        "recipe_from": {
            "base": options.recipe.asked.origin_name(),
            "flags": options.recipe.asked.flagged().collect::<Vec<_>>(),
        },
        "summary": summary,
        "notices": recorder.notices,
        "iterations": iterations,
    });
    let text = serde_json::to_vec_pretty(&log)?;
    nst::image_io::write_atomic(path, &text)
}

/// `{"content": {"relu4_2": 1.7}, "style": {"relu1_1": 0.02, …}, "mean_style": 0.07}`
pub fn readout_json(readout: &nst::score::Readout) -> Value {
    let layers = |errors: &[nst::score::LayerError]| {
        errors.iter().map(|e| (e.name(), Value::from(e.relative))).collect::<serde_json::Map<_, _>>()
    };
    json!({
        "content": layers(&readout.content),
        "style": layers(&readout.style),
        "mean_style": readout.mean_style(),
    })
}

/// A run's status (`done`, `interrupted`, `failed`) and its summary or error, for the log and
/// the final `--json` event.
pub fn outcome_json(result: &Result<RunSummary>) -> (&'static str, Value) {
    match result {
        Ok(s) => (
            "done",
            json!({
                "iterations": s.iterations,
                "evaluations": s.evaluations,
                "initial_loss": s.initial_loss,
                "final_loss": s.final_loss,
                "seconds": s.elapsed.as_secs_f64(),
                "width": s.width,
                "height": s.height,
                "stopped_early": s.stopped_early(),
                "readout": readout_json(&s.readout),
                "levels": s.levels.iter().map(|l| json!({
                    "width": l.width,
                    "height": l.height,
                    "iterations": l.iterations,
                    "evaluations": l.evaluations,
                    "seconds": l.seconds,
                    "stop": l.stop.name(),
                })).collect::<Vec<_>>(),
            }),
        ),
        Err(e) if nst::error::exit_code(e) == 130 => ("interrupted", json!({ "error": format!("{e:#}") })),
        Err(e) => ("failed", json!({ "error": format!("{e:#}") })),
    }
}
