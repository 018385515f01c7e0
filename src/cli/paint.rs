//! What `nst run` and `nst batch` share: flags → recipe, the style blend and the interrupt flag.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use nst::recipe::{RawRecipe, Recipe};
use nst::usage;

use super::args::PaintArgs;

/// Set by the first SIGINT/SIGTERM (the run then stops after the current iteration); a second
/// one exits at once.
pub fn interrupt_flag() -> Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    let handler_flag = flag.clone();
    ctrlc::set_handler(move || {
        if handler_flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    })
    .map_err(|e| anyhow::anyhow!("cannot install the Ctrl-C handler: {e}"))?;
    Ok(flag)
}

/// Pair each style with its `--style-blend` weight (equal weights when none are given).
pub fn blend(styles: &[PathBuf], weights: &[f64]) -> Result<Vec<(PathBuf, f64)>> {
    if weights.is_empty() {
        return Ok(styles.iter().map(|s| (s.clone(), 1.0)).collect());
    }
    if weights.len() != styles.len() {
        return Err(usage!(
            "--style-blend: {} weights for {} --style images; give one per style",
            weights.len(),
            styles.len()
        ));
    }
    Ok(styles.iter().cloned().zip(weights.iter().copied()).collect())
}

/// The recipe (`--config`, `--preset` or the default) with the flags applied on top, resolved.
pub fn recipe_from(args: &PaintArgs) -> Result<Recipe> {
    let mut asked = RawRecipe::chosen(args.config.as_deref(), args.preset.as_deref())?;
    asked.apply(&args.recipe);
    Recipe::resolve(asked)
}
