//! `nst run` and `nst layers`, and what `nst batch` shares with them: flags → recipe, the
//! style blend and the interrupt flag.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use nst::layers::{VGG19, aliases};
use nst::transfer::{Progress, RunOptions};
use nst::{Recipe, usage};

use crate::cli::{PaintArgs, RunArgs};
use crate::progress::{Bar, JsonLines, Recorder};

pub fn run(args: RunArgs) -> Result<()> {
    let options = resolve(&args)?;
    for (flag, path) in [("--log", &args.log), ("--sheet", &args.sheet)] {
        if let Some(path) = path {
            crate::run_log::check_path(flag, path)?;
        }
    }
    if let Some(sheet) = &args.sheet {
        nst::image_io::output_format(sheet).map_err(|e| usage!("--sheet: {e:#}"))?;
    }
    let prepared = nst::transfer::prepare(&options)?;
    let interrupted = interrupt_flag()?;
    let quiet = args.paint.quiet;
    let display: Box<dyn Progress> = if args.json {
        Box::new(JsonLines::new(quiet, interrupted))
    } else {
        Box::new(Bar::new(quiet, interrupted, None))
    };
    let mut progress = Recorder::new(display);
    let device = nst::device::select(options.recipe.device, &mut |m| progress.notice(m))?;
    progress.notice(&format!("device: {}", device.description));
    let result = nst::transfer::run_prepared(&options, prepared, &device, &mut progress);
    if let Some(log) = &args.log {
        crate::run_log::write(log, &options, &device.description, &progress, &result)?;
    }
    let summary = result?;
    if let Some(path) = &args.sheet {
        let styles: Vec<PathBuf> = options.styles.iter().map(|(p, _)| p.clone()).collect();
        let sheet =
            nst::sheet::contact_sheet(&options.content, &styles, &options.output, &progress.iterations)?;
        nst::image_io::save_rgb_atomic(&sheet, path)?;
    }
    if let Some(reason) = &summary.stopped_early {
        progress.notice(reason);
    }
    progress.notice(&format!(
        "{} iterations, {} loss evaluations, loss {:.4e} → {:.4e}, {:.1}s, wrote {} ({}×{})",
        summary.iterations,
        summary.evaluations,
        summary.initial_loss,
        summary.final_loss,
        summary.elapsed.as_secs_f64(),
        summary.output.display(),
        summary.width,
        summary.height
    ));
    Ok(())
}

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

fn resolve(args: &RunArgs) -> Result<RunOptions> {
    let recipe = recipe_from(&args.paint)?;
    let styles = blend(&args.style, &args.style_blend)?;
    let output = args.output.clone().unwrap_or_else(|| default_output(&args.content, &args.style));
    Ok(RunOptions {
        content: args.content.clone(),
        styles,
        output,
        recipe,
        weights: args.paint.weights.clone(),
        save_partial: !args.no_partial,
    })
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

/// The recipe (`--config`, `--preset` or the default) with the flags applied on top.
pub fn recipe_from(args: &PaintArgs) -> Result<Recipe> {
    let mut recipe = match (&args.config, &args.preset) {
        (Some(path), _) => Recipe::from_file(path)?,
        (None, Some(name)) => Recipe::preset(name)?,
        (None, None) => Recipe::default(),
    };
    let flag_weight = |flag: &str, value: Option<f64>, target: &mut f64| -> Result<()> {
        if let Some(v) = value {
            if !(v.is_finite() && v >= 0.0) {
                return Err(usage!("{flag} {v}: must be a finite number ≥ 0"));
            }
            *target = v;
        }
        Ok(())
    };
    flag_weight("--content-weight", args.content_weight, &mut recipe.content_weight)?;
    flag_weight("--style-weight", args.style_weight, &mut recipe.style_weight)?;
    flag_weight("--tv-weight", args.tv_weight, &mut recipe.tv_weight)?;
    let at_least_one = |flag: &str, value: Option<usize>| match value {
        Some(0) => Err(usage!("{flag} 0: must be at least 1")),
        _ => Ok(value),
    };
    if let Some(n) = at_least_one("--iterations", args.iterations)? {
        recipe.iterations = n;
        recipe.level_iterations.clear();
    }
    if let Some(n) = at_least_one("--history", args.history)? {
        if n > 100 {
            return Err(usage!("--history {n}: must be between 1 and 100"));
        }
        recipe.history_size = n;
    }
    if let Some(side) = at_least_one("--size", args.size.map(|s| s as usize))? {
        recipe.size = side as u32;
    }
    if let Some(side) = at_least_one("--style-size", args.style_size.map(|s| s as usize))? {
        (recipe.style_size, recipe.style_scale) = (Some(side as u32), None);
    }
    if let Some(scale) = args.style_scale {
        if !(scale.is_finite() && (0.05..=20.0).contains(&scale)) {
            return Err(usage!("--style-scale {scale}: must be between 0.05 and 20"));
        }
        (recipe.style_size, recipe.style_scale) = (None, Some(scale));
    }
    if let Some(p) = args.pooling {
        recipe.pooling = p;
    }
    if let Some(init) = &args.init {
        recipe.init = init.clone().into();
    }
    if let Some(seed) = args.seed {
        recipe.seed = seed;
    }
    if let Some(device) = args.device {
        recipe.device = device;
    }
    if let Some(mode) = args.preserve_colors {
        recipe.preserve_colors = mode;
    }
    if let Some(n) = args.scales {
        if !(1..=6).contains(&n) {
            return Err(usage!("--scales {n}: must be between 1 and 6"));
        }
        if recipe.level_iterations.len() != n {
            recipe.level_iterations.clear();
        }
        recipe.scales = n;
    }
    if let Some(n) = args.save_every {
        recipe.save_every = n;
    }
    if let Some(kind) = args.optimizer {
        recipe.optimizer = kind;
    }
    if let Some(lr) = args.lr {
        if !(lr.is_finite() && lr > 0.0) {
            return Err(usage!("--lr {lr}: must be a finite number > 0"));
        }
        recipe.learning_rate = lr;
    }
    recipe.validate().map_err(|e| usage!("{e} (after applying flags)"))?;
    Ok(recipe)
}

/// `hood.jpg` + `wave.jpg` → `hood_wave.png` in the current directory.
fn default_output(content: &Path, styles: &[PathBuf]) -> PathBuf {
    let style_names: Vec<_> = styles.iter().map(|s| nst::jobs::stem(s)).collect();
    PathBuf::from(format!("{}_{}.png", nst::jobs::stem(content), style_names.join("+")))
}

pub fn print_layers() {
    for layer in &VGG19 {
        let [keras, relu, _, short] = aliases(layer);
        println!("{keras:<14} {relu:<14} {short:<8} {:>3} channels", layer.out_channels);
    }
}
