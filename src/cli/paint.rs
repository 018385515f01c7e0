//! What `nst run`, `nst batch` and `nst video` share: flags → recipe, the style blend, masks or
//! region maps and the interrupt flag.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use nst::inputs::MaskFiles;
use nst::recipe::{RawRecipe, Recipe};
use nst::regions::RegionPaths;
use nst::usage;

use super::args::{PaintArgs, Placing};

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

/// The masks (`--style-mask` or the recipe's `style_masks`) or region maps asked for, checked
/// against the `styles` count and the `blend`.
pub fn placing(
    args: &Placing,
    recipe: &Recipe,
    styles: usize,
    blend: &[f64],
) -> Result<(MaskFiles, Option<RegionPaths>)> {
    let masks = MaskFiles::chosen(&args.style_mask, recipe);
    if !masks.paths.is_empty() {
        if args.content_regions.is_some() {
            return Err(usage!(
                "{}: give masks or region maps (--content-regions), not both",
                masks.given_as
            ));
        }
        if !blend.is_empty() {
            return Err(usage!(
                "--style-blend: the masks blend the paintings ({}); give one or the other",
                masks.given_as
            ));
        }
        masks.check_count(styles)?;
    }
    let Some(photo) = &args.content_regions else { return Ok((masks, None)) };
    if args.style_regions.len() != styles {
        return Err(usage!(
            "--style-regions: {} maps for {styles} --style images; give one per style, in the same order",
            args.style_regions.len()
        ));
    }
    Ok((masks, Some(RegionPaths { photo: photo.clone(), paintings: args.style_regions.clone() })))
}

/// The recipe (`--config`, `--preset` or the default) with the flags applied on top, resolved.
pub fn recipe_from(args: &PaintArgs) -> Result<Recipe> {
    let mut asked = RawRecipe::chosen(args.config.as_deref(), args.preset.as_deref())?;
    asked.apply(&args.recipe);
    Recipe::resolve(asked)
}
