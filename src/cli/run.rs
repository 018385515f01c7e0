//! `nst run` and `nst layers`.

use std::path::{Path, PathBuf};

use anyhow::Result;
use nst::layers::{VGG19, aliases};
use nst::recipe::Recipe;
use nst::report::Progress;
use nst::transfer::RunOptions;
use nst::usage;

use nst::image_io::is_stdio;

use super::args::RunArgs;
use super::events::{self, Event, Outcome, SCHEMA};
use super::paint::{blend, interrupt_flag, placing, recipe_from};
use super::progress::{Bar, JsonLines, Recorder, Shown};

pub fn run(args: RunArgs) -> Result<()> {
    let options = resolve(&args)?;
    for (flag, path) in [("--log", &args.log), ("--sheet", &args.sheet)] {
        if let Some(path) = path {
            super::log::check_path(flag, path)?;
        }
    }
    if let Some(sheet) = &args.sheet {
        nst::encode::output_format(sheet).map_err(|e| usage!("--sheet: {e:#}"))?;
    }
    let prepared = nst::transfer::prepare(&options)?;
    let interrupted = interrupt_flag()?;
    let quiet = args.paint.quiet;
    let display: Box<dyn Progress> = if args.json {
        Box::new(JsonLines::new(quiet, interrupted))
    } else {
        Box::new(Bar::new(Shown::choose(args.paint.progress), quiet, interrupted, None))
    };
    let mut progress = Recorder::new(display);
    let device = nst::device::select(options.recipe.device, &mut |m| progress.notice(m))?;
    progress.notice(&format!("device: {}", device.description));
    for notice in prepared.notices() {
        progress.notice(notice);
    }
    let run_plan = nst::transfer::plan(&options, &prepared, &device)?;
    if args.dry_run {
        let pace = nst::transfer::pace(&options, &prepared, &device)?;
        print_plan(&run_plan.levels, pace, options.recipe.max_memory, device.is_gpu);
        return Ok(());
    }
    let result = nst::transfer::run_prepared(&options, prepared, &run_plan, &device, &mut progress);
    // The sheet is part of what was asked: the log and the end event say "done" only once it
    // is written too.
    let result = result.and_then(|summary| {
        if let Some(path) = &args.sheet {
            let inputs = options.shown();
            let sheet = nst::sheet::contact_sheet(&inputs, &options.output, &progress.iterations)?;
            nst::encode::save_rgb_atomic(&sheet, path)?;
        }
        Ok(summary)
    });
    if let Some(log) = &args.log {
        super::log::write(log, &options, &device.description, &progress, &result)?;
    }
    if args.json {
        let end = Event::End { schema: SCHEMA, outcome: Outcome::of(&result), output: &options.output };
        super::progress::emit(&events::line(&end));
    }
    let summary = result?;
    if let Some(reason) = summary.stopped_early() {
        progress.notice(&reason);
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
    progress.notice(&format!("relative errors: {}", summary.readout));
    for line in summary.measures.lines() {
        progress.notice(&line);
    }
    Ok(())
}

/// `--dry-run`: each level as it would run, and the time it would take at `pace` (seconds per
/// pixel of work, just measured).
fn print_plan(levels: &[nst::plan::LevelPlan], pace: f64, max_memory: Option<u64>, on_gpu: bool) {
    let gib = |bytes: f64| bytes / (1u64 << 30) as f64;
    if let Some((bytes, limit)) = nst::memory::budget_for(max_memory, on_gpu) {
        eprintln!("nst: memory: {:.1} GiB {limit}", gib(bytes));
    }
    for (number, level) in levels.iter().enumerate() {
        let how = level.how().unwrap_or_else(|| "whole".to_string());
        eprintln!(
            "nst: level {} of {}: {}×{}, {} iterations, {how}, about {:.1} GiB, {}",
            number + 1,
            levels.len(),
            level.width,
            level.height,
            level.iterations,
            gib(level.bytes),
            span(level.seconds(pace))
        );
    }
    let total = nst::plan::run_seconds(levels, pace);
    eprintln!(
        "nst: about {} in all at this machine's pace ({:.2} s per 512×512 evaluation); \
         levels that settle end sooner; --dry-run: nothing painted",
        span(total),
        pace * 512.0 * 512.0
    );
}

/// 5000 s → "1 h 23 min"; 250 s → "4 min 10 s".
fn span(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

fn resolve(args: &RunArgs) -> Result<RunOptions> {
    let recipe = recipe_from(&args.paint)?;
    check_stdio(args, &recipe)?;
    let blend_weights = &args.paintings.style_blend;
    let (masks, regions) = placing(&args.placing, &recipe, args.paintings.style.len(), blend_weights)?;
    let styles = blend(&args.paintings.style, blend_weights)?;
    let output = args.output.clone().unwrap_or_else(|| default_output(&args.content, &args.paintings.style));
    Ok(RunOptions {
        content: args.content.clone(),
        styles,
        masks,
        regions,
        output,
        recipe,
        weights: args.paint.weights.clone(),
        save_partial: !args.no_partial,
        encoding: args.paint.encoding(),
    })
}

/// `hood.jpg` + `wave.jpg` → `hood_wave.png` in the current directory (`stdin_wave.png` for
/// `-c -`).
fn default_output(content: &Path, styles: &[PathBuf]) -> PathBuf {
    let style_names: Vec<_> = styles.iter().map(|s| nst::jobs::stem(s)).collect();
    let content = if is_stdio(content) { "stdin".to_string() } else { nst::jobs::stem(content) };
    PathBuf::from(format!("{content}_{}.png", style_names.join("+")))
}

/// `-` is standard input for one input and standard output for the image, nothing else.
fn check_stdio(args: &RunArgs, recipe: &Recipe) -> Result<()> {
    let init_from_stdin = matches!(&recipe.start, nst::recipe::Start::File(p) if is_stdio(p));
    let readers = usize::from(is_stdio(&args.content))
        + args.paintings.style.iter().filter(|s| is_stdio(s)).count()
        + usize::from(init_from_stdin);
    if readers > 1 {
        return Err(usage!("-: standard input can be only one of --content, --style and --init"));
    }
    if !args.output.as_deref().is_some_and(is_stdio) {
        return Ok(());
    }
    let clash = [
        (args.json, "--json"),
        (args.sheet.is_some(), "--sheet"),
        (recipe.schedule.save_every > 0, "--save-every"),
    ];
    match clash.iter().find(|(set, _)| *set) {
        Some((_, flag)) => Err(usage!("-o -: the image goes to standard output; {flag} needs a file")),
        None => Ok(()),
    }
}

pub fn print_layers() {
    for layer in &VGG19 {
        let [keras, relu, _, short] = aliases(layer);
        println!("{keras:<14} {relu:<14} {short:<8} {:>3} channels", layer.out_channels);
    }
}
