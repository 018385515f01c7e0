//! `nst batch`: list the jobs, skip the done ones, paint the rest with one loaded model, record
//! each outcome, and carry on past failures.

use std::collections::HashSet;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget};
use nst::encode::Encoding;
use nst::error::Interrupted;
use nst::inputs::{Styles, prepare_content, prepare_styles};
use nst::jobs::{self, Job, Shard};
use nst::painter::{Painter, Target};
use nst::report::Progress;
use nst::{Recipe, usage};

use super::args::BatchArgs;
use super::events;
use super::paint::{blend, interrupt_flag, recipe_from};
use super::placing::Placing;
use super::progress::{self, Bar};

/// One look of the batch: a style, or all styles blended, or placed by masks or region maps.
struct Look {
    name: String,
    styles: Vec<(PathBuf, f64)>,
    placing: Placing,
}

#[derive(Default)]
struct Counts {
    done: usize,
    skipped: usize,
    failed: Vec<String>,
}

pub fn batch(args: BatchArgs) -> Result<()> {
    let recipe = recipe_from(&args.paint)?;
    let looks = looks(&args, &recipe)?;
    let jobs = list_jobs(&args, &looks)?;
    // Every photo's masks or maps are found before anything is painted.
    for job in &jobs {
        looks[job.look].placing.check(&job.content)?;
    }
    // Styles are checked before anything is painted: a bad one spoils every job.
    let styles = looks.iter().map(|l| prepare_styles(&recipe, &l.styles)).collect::<Result<Vec<_>>>()?;
    // Only this shard's: another machine may be writing the rest.
    nst::image_io::remove_stale_partials(&args.out_dir, jobs.iter().map(|j| j.output.as_path()))?;
    let mut manifest = match &args.manifest {
        Some(path) => Some(Manifest::open(path)?),
        None => None,
    };
    let mut counts = Counts::default();
    let mut todo = Vec::new();
    for job in jobs {
        if job.output.exists() && !args.force {
            counts.skipped += 1;
            record(&mut manifest, args.json, &job, &looks, "skipped", None, None)?;
        } else {
            todo.push(job);
        }
    }
    let quiet = args.paint.quiet;
    let hidden = quiet || args.json;
    let multi = MultiProgress::with_draw_target(if hidden {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    });
    let interrupted = interrupt_flag()?;
    let outcome = if todo.is_empty() {
        Ok(())
    } else {
        let encoding = args.paint.encoding();
        let painting =
            Painting { recipe: &recipe, looks: &looks, json: args.json, multi: &multi, quiet, encoding };
        painting.start(&args, styles, &todo, &interrupted, &mut manifest, &mut counts)
    };
    counts.report(quiet, args.shard);
    outcome?;
    counts.into_result()
}

/// Every (photo, look) job this machine's shard owns, with its output path.
fn list_jobs(args: &BatchArgs, looks: &[Look]) -> Result<Vec<Job>> {
    let contents = match (&args.content_dir, &args.content_list) {
        (Some(dir), _) => jobs::list_dir(dir)?,
        (None, Some(list)) => jobs::read_list(list)?,
        (None, None) => return Err(usage!("give --content-dir or --content-list")),
    };
    if contents.is_empty() {
        return Err(usage!("no content images found (looked for .png, .jpg, … files)"));
    }
    std::fs::create_dir_all(&args.out_dir)
        .map_err(|e| usage!("{}: --out-dir: cannot create: {e}", args.out_dir.display()))?;
    let names: Vec<String> = looks.iter().map(|l| l.name.clone()).collect();
    jobs::for_contents(&contents, &names, &args.out_dir, &args.format, args.shard)
}

impl Counts {
    /// The closing line: counts of done, skipped and failed jobs (always when some failed).
    fn report(&self, quiet: bool, shard: Option<Shard>) {
        let total = self.done + self.skipped + self.failed.len();
        if !quiet || !self.failed.is_empty() {
            eprintln!(
                "nst: batch: {} done, {} skipped, {} failed, of {total}{}",
                self.done,
                self.skipped,
                self.failed.len(),
                shard.map(|s| format!(" (shard {}/{})", s.index, s.count)).unwrap_or_default()
            );
        }
    }

    /// An error listing the failed jobs, if any failed.
    fn into_result(self) -> Result<()> {
        if self.failed.is_empty() {
            return Ok(());
        }
        let total = self.done + self.skipped + self.failed.len();
        Err(anyhow!("{} of {total} images failed:\n  {}", self.failed.len(), self.failed.join("\n  ")))
    }
}

/// `--style a --style b` makes two looks; with `--style-blend`, masks or region maps they make
/// one, named `a+b`.
fn looks(args: &BatchArgs, recipe: &Recipe) -> Result<Vec<Look>> {
    let joined = || args.style.iter().map(|s| jobs::stem(s)).collect::<Vec<_>>().join("+");
    let placing = Placing::asked(&args.placing, recipe, args.style.len(), &args.style_blend)?;
    if !placing.is_everywhere() || !args.style_blend.is_empty() {
        // Masks refuse --style-blend (Placing::asked), so theirs are equal weights.
        let styles = blend(&args.style, &args.style_blend)?;
        return Ok(vec![Look { name: joined(), styles, placing }]);
    }
    let mut seen = HashSet::new();
    let mut looks = Vec::new();
    for style in &args.style {
        let name = jobs::stem(style);
        if !seen.insert(name.clone()) {
            return Err(usage!("--style {}: another style is also named '{name}'", style.display()));
        }
        looks.push(Look { name, styles: vec![(style.clone(), 1.0)], placing: Placing::Everywhere });
    }
    Ok(looks)
}

struct Painting<'a> {
    recipe: &'a Recipe,
    looks: &'a [Look],
    json: bool,
    multi: &'a MultiProgress,
    quiet: bool,
    /// JPEG quality and PNG depth; each picture adds its own PNG text.
    encoding: Encoding,
}

impl Painting<'_> {
    /// Pick the device, load the model once for every look, and paint `todo` under an
    /// overall bar.
    fn start(
        &self,
        args: &BatchArgs,
        styles: Vec<Styles>,
        todo: &[Job],
        interrupted: &Arc<AtomicBool>,
        manifest: &mut Option<Manifest>,
        counts: &mut Counts,
    ) -> Result<()> {
        let say = |message: &str| {
            if self.quiet {
            } else if self.multi.is_hidden() {
                eprintln!("nst: {message}");
            } else {
                let _ = self.multi.println(format!("nst: {message}"));
            }
        };
        let device = nst::device::select(self.recipe.device, &mut |m| say(m))?;
        say(&format!("device: {}", device.description));
        styles.iter().flat_map(|s| &s.notices).for_each(|notice| say(notice));
        let mut painters: Vec<Painter> = Vec::with_capacity(styles.len());
        for look_styles in styles {
            painters.push(match painters.first() {
                None => Painter::new(self.recipe, args.paint.weights.as_deref(), look_styles, &device)?,
                Some(first) => first.restyled(look_styles),
            });
        }
        let overall = self.multi.add(ProgressBar::new(todo.len() as u64));
        overall.set_style(progress::style(
            "{bar:30} {pos}/{len} images [{elapsed_precise} < {eta_precise}] {msg}",
        ));
        let shown = progress::Shown::choose(args.paint.progress);
        let mut bar = Bar::new(shown, self.quiet || self.json, interrupted.clone(), Some(self.multi.clone()));
        let result = self.all(&painters, todo, &mut bar, &overall, manifest, counts);
        overall.finish_and_clear();
        result
    }

    /// Paint every job in turn; a failed one is recorded and the rest go on.
    fn all(
        &self,
        painters: &[Painter],
        todo: &[Job],
        bar: &mut Bar,
        overall: &ProgressBar,
        manifest: &mut Option<Manifest>,
        counts: &mut Counts,
    ) -> Result<()> {
        for job in todo {
            if bar.cancelled() {
                return Err(Interrupted { saved: None }.into());
            }
            overall.set_message(job.content.display().to_string());
            let started = Instant::now();
            let painter = &painters[job.look];
            let text = nst::transfer::provenance(self.recipe, &job.content, &self.looks[job.look].styles);
            let encoding = Encoding { text, ..self.encoding.clone() };
            let target = Target { path: &job.output, save_partial: false, encoding: &encoding };
            let result = prepare_content(self.recipe, &job.content, &job.output, painter.styles())
                .and_then(|content| self.looks[job.look].placing.place(content, &job.content, painter, bar))
                .and_then(|content| {
                    let run_plan = painter.plan(&content)?;
                    painter.paint(content, &run_plan, &target, bar)
                });
            let seconds = Some(started.elapsed().as_secs_f64());
            match result {
                Ok(summary) => {
                    counts.done += 1;
                    let loss = Some(summary.final_loss);
                    record(manifest, self.json, job, self.looks, "done", seconds, loss.map(Ok))?;
                }
                Err(e) if nst::error::exit_code(&e) == 130 => return Err(e),
                Err(e) => {
                    let input = job.content.display().to_string();
                    let error = format!("{e:#}");
                    let message = if error.contains(&input) { error } else { format!("{input}: {error}") };
                    bar.notice(&message);
                    counts.failed.push(message);
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
    let line = events::line(&events::Job {
        schema: events::SCHEMA,
        input: &job.content,
        style: looks[job.look].styles.iter().map(|(p, _)| p).collect(),
        output: &job.output,
        status,
        seconds,
        final_loss: result.and_then(|r| r.ok()),
        error: result.and_then(|r| r.err()).map(|e| format!("{e:#}")),
    });
    if let Some(m) = manifest {
        writeln!(m.file, "{line}")
            .with_context(|| format!("{}: cannot write the manifest", m.path.display()))?;
    }
    if json {
        progress::emit(&line.to_string());
    }
    Ok(())
}
