//! `nst run` and `nst layers`: flags → validated options → the library.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use nst::layers::{VGG19, aliases};
use nst::transfer::{Progress, RunOptions};
use nst::{Recipe, usage};

use crate::cli::RunArgs;
use crate::progress::Bar;

pub fn run(args: RunArgs) -> Result<()> {
    let options = resolve(&args)?;
    let prepared = nst::transfer::prepare(&options)?;
    let mut bar = Bar::new(args.quiet, interrupt_flag()?);
    let device = nst::device::select(args.device, &mut |m| bar.notice(m))?;
    bar.notice(&format!("device: {}", device.description));
    let summary = nst::transfer::run_prepared(&options, prepared, &device, &mut bar)?;
    if let Some(reason) = &summary.stopped_early {
        bar.notice(reason);
    }
    if !args.quiet {
        eprintln!(
            "nst: {} iterations, {} loss evaluations, loss {:.4e} → {:.4e}, {:.1}s, wrote {} ({}×{})",
            summary.iterations,
            summary.evaluations,
            summary.initial_loss,
            summary.final_loss,
            summary.elapsed.as_secs_f64(),
            summary.output.display(),
            summary.width,
            summary.height
        );
    }
    Ok(())
}

/// Set by the first SIGINT/SIGTERM (the run then stops after the current iteration and saves);
/// a second one exits at once.
fn interrupt_flag() -> Result<Arc<AtomicBool>> {
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

/// Flags and recipe merged into one checked [`RunOptions`].
fn resolve(args: &RunArgs) -> Result<RunOptions> {
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
    if let Some(n) = args.iterations {
        if n == 0 {
            return Err(usage!("--iterations 0: must be at least 1"));
        }
        recipe.iterations = n;
    }
    if let Some(n) = args.history {
        if !(1..=100).contains(&n) {
            return Err(usage!("--history {n}: must be between 1 and 100"));
        }
        recipe.history_size = n;
    }
    if let Some(p) = args.pooling {
        recipe.pooling = p;
    }
    recipe.validate().map_err(|e| usage!("{e} (after applying flags)"))?;
    let output = args.output.clone().unwrap_or_else(|| default_output(&args.content, &args.style));
    Ok(RunOptions {
        content: args.content.clone(),
        style: args.style.clone(),
        output,
        recipe,
        size: args.size,
        style_size: args.style_size,
        init: args.init.parse().unwrap_or(nst::transfer::Init::Content),
        seed: args.seed,
        weights: args.weights.clone(),
        save_partial: !args.no_partial,
    })
}

/// `hood.jpg` + `wave.jpg` → `hood_wave.png` in the current directory.
fn default_output(content: &std::path::Path, style: &std::path::Path) -> PathBuf {
    let stem =
        |p: &std::path::Path| p.file_stem().map_or("image".into(), |s| s.to_string_lossy().into_owned());
    PathBuf::from(format!("{}_{}.png", stem(content), stem(style)))
}

pub fn print_layers() {
    for layer in &VGG19 {
        let [keras, relu, _, short] = aliases(layer);
        println!("{keras:<14} {relu:<14} {short:<8} {:>3} channels", layer.out_channels);
    }
}
