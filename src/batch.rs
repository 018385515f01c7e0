//! `nst batch`: plan the jobs, skip the done ones, paint the rest with one loaded model, record
//! each outcome, and carry on past failures.

use std::collections::HashSet;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget};
use nst::error::Interrupted;
use nst::jobs::{self as plan, Job};
use nst::transfer::{Painter, Progress, prepare_content, prepare_styles};
use nst::{Recipe, usage};

use crate::cli::BatchArgs;
use crate::progress::{self, Bar};
use crate::run::{blend, interrupt_flag, recipe_from};

/// One look of the batch: a style, or all styles blended.
struct Look {
    name: String,
    styles: Vec<(PathBuf, f64)>,
}

#[derive(Default)]
struct Tally {
    done: usize,
    skipped: usize,
    failed: Vec<String>,
}

pub fn batch(args: BatchArgs) -> Result<()> {
    let recipe = recipe_from(&args.paint)?;
    let looks = looks(&args)?;
    let contents = match (&args.content_dir, &args.content_list) {
        (Some(dir), _) => plan::list_dir(dir)?,
        (None, Some(list)) => plan::read_list(list)?,
        (None, None) => return Err(usage!("give --content-dir or --content-list")),
    };
    if contents.is_empty() {
        return Err(usage!("no content images found (looked for .png, .jpg, … files)"));
    }
    std::fs::create_dir_all(&args.out_dir)
        .map_err(|e| usage!("{}: --out-dir: cannot create: {e}", args.out_dir.display()))?;
    let names: Vec<String> = looks.iter().map(|l| l.name.clone()).collect();
    let jobs = plan::plan(&contents, &names, &args.out_dir, &args.format, args.shard)?;
    // Styles are checked before anything is painted: a bad one spoils every job.
    let styles = looks.iter().map(|l| prepare_styles(&recipe, &l.styles)).collect::<Result<Vec<_>>>()?;
    remove_stale_partials(&args.out_dir, &jobs)?;
    let mut manifest = match &args.manifest {
        Some(path) => Some(Manifest::open(path)?),
        None => None,
    };

    let mut tally = Tally::default();
    let mut todo = Vec::new();
    for job in jobs {
        if job.output.exists() && !args.force {
            tally.skipped += 1;
            record(&mut manifest, args.json, &job, &looks, "skipped", None, None)?;
        } else {
            todo.push(job);
        }
    }
    let quiet = args.paint.quiet;
    let multi = MultiProgress::with_draw_target(if quiet || args.json {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    });
    let say = |message: &str| {
        if quiet {
        } else if multi.is_hidden() {
            eprintln!("nst: {message}");
        } else {
            let _ = multi.println(format!("nst: {message}"));
        }
    };
    let interrupted = interrupt_flag()?;
    let outcome = if todo.is_empty() {
        Ok(())
    } else {
        let device = nst::device::select(recipe.device, &mut |m| say(m))?;
        say(&format!("device: {}", device.description));
        let mut painters: Vec<Painter> = Vec::with_capacity(styles.len());
        for look_styles in styles {
            painters.push(match painters.first() {
                None => Painter::new(&recipe, args.paint.weights.as_deref(), look_styles, &device)?,
                Some(first) => first.restyled(look_styles),
            });
        }
        let overall = multi.add(ProgressBar::new(todo.len() as u64));
        overall.set_style(progress::style(
            "{bar:30} {pos}/{len} images [{elapsed_precise} < {eta_precise}] {msg}",
        ));
        let mut bar = Bar::new(quiet || args.json, interrupted.clone(), Some(multi.clone()));
        let painting = Painting { recipe: &recipe, painters: &painters, looks: &looks, json: args.json };
        let result = painting.all(&todo, &mut bar, &overall, &interrupted, &mut manifest, &mut tally);
        overall.finish_and_clear();
        result
    };
    let total = tally.done + tally.skipped + tally.failed.len();
    if !quiet || !tally.failed.is_empty() {
        eprintln!(
            "nst: batch: {} done, {} skipped, {} failed, of {total}{}",
            tally.done,
            tally.skipped,
            tally.failed.len(),
            args.shard.map(|s| format!(" (shard {}/{})", s.index, s.count)).unwrap_or_default()
        );
    }
    outcome?;
    if !tally.failed.is_empty() {
        return Err(anyhow!(
            "{} of {total} images failed:\n  {}",
            tally.failed.len(),
            tally.failed.join("\n  ")
        ));
    }
    Ok(())
}

/// `--style a --style b` makes two looks; with `--style-blend` they make one, named `a+b`.
fn looks(args: &BatchArgs) -> Result<Vec<Look>> {
    if !args.style_blend.is_empty() {
        let name = args.style.iter().map(|s| plan::stem(s)).collect::<Vec<_>>().join("+");
        return Ok(vec![Look { name, styles: blend(&args.style, &args.style_blend)? }]);
    }
    let mut seen = HashSet::new();
    let mut looks = Vec::new();
    for style in &args.style {
        let name = plan::stem(style);
        if !seen.insert(name.clone()) {
            return Err(usage!("--style {}: another style is also named '{name}'", style.display()));
        }
        looks.push(Look { name, styles: vec![(style.clone(), 1.0)] });
    }
    Ok(looks)
}

/// Temporary files a killed batch left for outputs that this run (this shard) owns.
fn remove_stale_partials(out_dir: &Path, jobs: &[Job]) -> Result<()> {
    let owned: HashSet<String> =
        jobs.iter().filter_map(|j| j.output.file_name()).map(|n| n.to_string_lossy().into_owned()).collect();
    for (partial, output) in nst::image_io::partials_in(out_dir)? {
        if owned.contains(&output) {
            std::fs::remove_file(&partial)
                .with_context(|| format!("cannot remove the stale {}", partial.display()))?;
        }
    }
    Ok(())
}

struct Painting<'a> {
    recipe: &'a Recipe,
    painters: &'a [Painter],
    looks: &'a [Look],
    json: bool,
}

impl Painting<'_> {
    /// Paint every job in turn; a failed one is recorded and the rest go on.
    fn all(
        &self,
        todo: &[Job],
        bar: &mut Bar,
        overall: &ProgressBar,
        interrupted: &AtomicBool,
        manifest: &mut Option<Manifest>,
        tally: &mut Tally,
    ) -> Result<()> {
        for job in todo {
            if interrupted.load(Ordering::SeqCst) {
                return Err(Interrupted { saved: None }.into());
            }
            overall.set_message(job.content.display().to_string());
            let started = Instant::now();
            let painter = &self.painters[job.look];
            let result = prepare_content(self.recipe, &job.content, &job.output, painter.styles())
                .and_then(|content| painter.paint(content, &job.output, false, bar));
            let seconds = Some(started.elapsed().as_secs_f64());
            match result {
                Ok(summary) => {
                    tally.done += 1;
                    let loss = Some(summary.final_loss);
                    record(manifest, self.json, job, self.looks, "done", seconds, loss.map(Ok))?;
                }
                Err(e) if nst::error::exit_code(&e) == 130 => return Err(e),
                Err(e) => {
                    let input = job.content.display().to_string();
                    let error = format!("{e:#}");
                    let message = if error.contains(&input) { error } else { format!("{input}: {error}") };
                    bar.notice(&message);
                    tally.failed.push(message);
                    record(manifest, self.json, job, self.looks, "failed", seconds, Some(Err(&e)))?;
                }
            }
            overall.inc(1);
        }
        Ok(())
    }
}

/// `--manifest FILE`: JSON lines appended as jobs end, so a killed batch still has its record.
struct Manifest {
    file: File,
    path: PathBuf,
}

impl Manifest {
    fn open(path: &Path) -> Result<Self> {
        let file = File::options()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| usage!("{}: --manifest: cannot open: {e}", path.display()))?;
        Ok(Manifest { file, path: path.to_path_buf() })
    }
}

/// One job's outcome, to the manifest and (with `--json`) to stdout. `result` is the final
/// loss, or the error.
fn record(
    manifest: &mut Option<Manifest>,
    json: bool,
    job: &Job,
    looks: &[Look],
    status: &str,
    seconds: Option<f64>,
    result: Option<Result<f64, &anyhow::Error>>,
) -> Result<()> {
    let look = &looks[job.look];
    let mut line = serde_json::json!({
        "input": job.content,
        "style": look.styles.iter().map(|(p, _)| p).collect::<Vec<_>>(),
        "output": job.output,
        "status": status,
    });
    if let Some(seconds) = seconds {
        line["seconds"] = seconds.into();
    }
    match result {
        Some(Ok(loss)) => line["final_loss"] = loss.into(),
        Some(Err(e)) => line["error"] = format!("{e:#}").into(),
        None => {}
    }
    if let Some(m) = manifest {
        writeln!(m.file, "{line}")
            .with_context(|| format!("{}: cannot write the manifest", m.path.display()))?;
    }
    if json {
        println!("{line}");
    }
    Ok(())
}
