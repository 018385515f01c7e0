//! `nst run --log FILE`: everything about a run as one JSON document, written when it ends
//! (finished, interrupted or failed), for scripts, notebooks and bug reports.

use std::path::Path;

use super::events::{Iteration, Log, Outcome, RecipeFrom, SCHEMA, StyleInput};
use super::progress::Recorder;
use anyhow::Result;
use nst::report::RunSummary;
use nst::transfer::RunOptions;

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
    let recipe = &options.recipe.asked;
    let log = Log {
        schema: SCHEMA,
        nst: env!("CARGO_PKG_VERSION"),
        content: &options.content,
        styles: options.styles.iter().map(|(path, weight)| StyleInput { path, weight: *weight }).collect(),
        output: &options.output,
        device,
        recipe: &recipe.values,
        recipe_from: RecipeFrom { base: recipe.origin_name(), flags: recipe.flagged().collect() },
        outcome: Outcome::of(result),
        notices: &recorder.notices,
        iterations: recorder.iterations.iter().map(Iteration::from).collect(),
    };
    let text = serde_json::to_vec_pretty(&log)?;
    nst::image_io::write_atomic(path, &text)
}
