//! `nst video`: paint a clip's frames in order, each after the first started from the previous
//! painting carried along the optical flow and held to it (Ruder et al. 2016); resumable like
//! `nst batch`, with the clip's flicker measured as it goes.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget};
use nst::encode::Encoding;
use nst::error::Interrupted;
use nst::flow::{self, DisParams};
use nst::image_io::{self, Mask, Planar};
use nst::inputs::{Styles, prepare_content, prepare_styles};
use nst::measures::flicker::warping_error;
use nst::painter::{Carried, Painter, Target};
use nst::plan::RunPlan;
use nst::report::Progress;
use nst::video::{Clip, FlowSource, read_clip};
use nst::{Recipe, usage};

use super::args::VideoArgs;
use super::events::{self, RecipeFrom, SCHEMA, StyleInput, VideoEnd, VideoEvent, VideoFrame, VideoLog};
use super::paint::{blend, interrupt_flag, recipe_from};
use super::placing::Placing;
use super::progress::{self, Bar};

pub fn video(args: VideoArgs) -> Result<()> {
    if !(args.temporal_weight.is_finite() && args.temporal_weight >= 0.0) {
        return Err(usage!("--temporal-weight {}: must be a number ≥ 0", args.temporal_weight));
    }
    let recipe = recipe_from(&args.paint)?;
    let clip = read_clip(&args.frames)?;
    let flows = match &args.flow_dir {
        Some(dir) => FlowSource::Files(dir.clone()),
        None => FlowSource::Computed(DisParams::medium()),
    };
    flows.check(&clip)?;
    let (style_count, blend_weights) = (args.paintings.style.len(), &args.paintings.style_blend);
    let placing = Placing::asked(&args.placing, &recipe, style_count, blend_weights)?;
    // Every frame's masks or map are found before anything is painted.
    clip.frames.iter().try_for_each(|frame| placing.check(frame))?;
    let style_paths = blend(&args.paintings.style, blend_weights)?;
    let styles = prepare_styles(&recipe, &style_paths)?;
    std::fs::create_dir_all(&args.out_dir)
        .map_err(|e| usage!("{}: --out-dir: cannot create: {e}", args.out_dir.display()))?;
    let outputs: Vec<PathBuf> =
        clip.frames.iter().map(|frame| args.out_dir.join(frame.file_name().unwrap_or_default())).collect();
    image_io::remove_stale_partials(&args.out_dir, outputs.iter().map(PathBuf::as_path))?;
    if let Some(log) = &args.log {
        super::log::check_path("--log", log)?;
    }
    let quiet = args.paint.quiet;
    let say = |message: &str| {
        if !quiet {
            eprintln!("nst: {message}");
        }
    };
    for notice in &styles.notices {
        say(notice);
    }
    for other in &clip.ignored {
        say(&format!("{}: not an image; left out of the clip", other.display()));
    }
    // A rerun continues after the last painted frame, from that frame's saved picture.
    let first =
        if args.force { 0 } else { outputs.iter().position(|o| !o.exists()).unwrap_or(outputs.len()) };
    let mut video = Video {
        args: &args,
        recipe: &recipe,
        clip: &clip,
        placing: &placing,
        outputs: &outputs,
        flows,
        records: Vec::new(),
        started: Instant::now(),
        device: None,
    };
    for index in 0..first {
        let record = video.skipped(index);
        if args.json {
            progress::emit(&events::line(&VideoEvent::Frame(record.clone())));
        }
        video.records.push(record);
    }
    let result = if first == outputs.len() {
        say(&format!("all {} frames are painted already (--force repaints them)", outputs.len()));
        Ok("none")
    } else {
        video.paint_from(first, styles, &style_paths)
    };
    video.finish(result, &style_paths)
}

/// A clip being painted, and what has been recorded of it.
struct Video<'a> {
    args: &'a VideoArgs,
    recipe: &'a Recipe,
    clip: &'a Clip,
    /// Where the paintings go in each frame.
    placing: &'a Placing,
    outputs: &'a [PathBuf],
    flows: FlowSource,
    records: Vec<VideoFrame<'a>>,
    started: Instant,
    /// The device painted on, once chosen.
    device: Option<String>,
}

/// The frame before the one being painted: its photo and its painting, both as painted.
struct Previous {
    photo: Planar,
    painting: Planar,
}

impl<'a> Video<'a> {
    fn skipped(&self, index: usize) -> VideoFrame<'a> {
        VideoFrame {
            schema: SCHEMA,
            index: index + 1,
            input: &self.clip.frames[index],
            output: &self.outputs[index],
            status: "skipped",
            seconds: None,
            iterations: None,
            readout: None,
            measures: None,
            warping_error: None,
        }
    }

    /// Load the model once, then paint frames `first..` in order under an overall bar.
    fn paint_from(
        &mut self,
        first: usize,
        styles: Styles,
        style_paths: &[(PathBuf, f64)],
    ) -> Result<&'static str> {
        let (quiet, json) = (self.args.paint.quiet, self.args.json);
        let multi = MultiProgress::with_draw_target(if quiet || json {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        });
        let interrupted = interrupt_flag()?;
        let shown = progress::Shown::choose(self.args.paint.progress);
        let mut bar = Bar::new(shown, quiet || json, interrupted, Some(multi.clone()));
        let device = nst::device::select(self.recipe.device, &mut |m| bar.notice(m))?;
        bar.notice(&format!("device: {}", device.description));
        self.device = Some(device.description.clone());
        let painter = Painter::new(self.recipe, self.args.paint.weights.as_deref(), styles, &device)?;
        let mut previous = match first {
            0 => None,
            _ => Some(self.saved(first - 1, &painter)?),
        };
        let todo = self.outputs.len() - first;
        let overall = multi.add(ProgressBar::new(todo as u64));
        overall.set_style(progress::style(
            "{bar:30} {pos}/{len} frames [{elapsed_precise} < {eta_precise}] {msg}",
        ));
        let encoding = self.args.paint.encoding();
        for index in first..self.outputs.len() {
            if bar.cancelled() {
                return Err(Interrupted { saved: None }.into());
            }
            let frame = &self.clip.frames[index];
            overall.set_message(frame.display().to_string());
            let text = nst::transfer::provenance(self.recipe, frame, style_paths);
            let encoding = Encoding { text, ..encoding.clone() };
            let painted = self.frame(index, &painter, previous.as_ref(), &encoding, &mut bar)?;
            previous = Some(painted);
            overall.inc(1);
        }
        overall.finish_and_clear();
        Ok("done")
    }

    /// The photo and saved painting of frame `index`, painted by an earlier run.
    fn saved(&self, index: usize, painter: &Painter) -> Result<Previous> {
        let output = &self.outputs[index];
        let content = prepare_content(self.recipe, &self.clip.frames[index], output, painter.styles())?;
        let photo = content.image().clone();
        let image = image_io::load(output, "painted frame")?;
        let painting = image_io::to_planar(&image, photo.width as u32, photo.height as u32);
        Ok(Previous { photo, painting })
    }

    /// Paint frame `index`, carried on from `previous` if there is one, and record it.
    fn frame(
        &mut self,
        index: usize,
        painter: &Painter,
        previous: Option<&Previous>,
        encoding: &Encoding,
        bar: &mut Bar,
    ) -> Result<Previous> {
        let started = Instant::now();
        let (frame, output) = (&self.clip.frames[index], &self.outputs[index]);
        let content = prepare_content(self.recipe, frame, output, painter.styles())?;
        let content = self.placing.place(content, frame, painter, bar)?;
        let photo = content.image().clone();
        let full_plan = painter.plan(&content)?;
        let (run_plan, carried, flows) = match previous {
            None => (full_plan, None, None),
            Some(previous) => {
                let before = &self.clip.frames[index - 1];
                // Forward: the frame before → this one; backward: this one → the frame before.
                let (forward, backward) =
                    self.flows.between((before, &previous.photo), (frame, &photo), self.clip)?;
                let carried = Carried {
                    previous: flow::warp(&previous.painting, &backward).image,
                    certainty: Mask {
                        width: photo.width,
                        height: photo.height,
                        data: flow::certainty(&backward, &forward),
                    },
                    weight: self.args.temporal_weight,
                };
                (self.later_plan(full_plan), Some(carried), Some((forward, backward)))
            }
        };
        let target = Target { path: output, save_partial: false, encoding };
        let (summary, painting) = painter.paint_frame(content, &run_plan, carried.as_ref(), &target, bar)?;
        let error = match (previous, &flows) {
            (Some(previous), Some((forward, backward))) => {
                warping_error(&previous.painting, &painting, forward, backward)
            }
            _ => None,
        };
        let record = VideoFrame {
            schema: SCHEMA,
            index: index + 1,
            input: frame,
            output,
            status: "done",
            seconds: Some(started.elapsed().as_secs_f64()),
            iterations: Some(summary.iterations),
            readout: Some((&summary.readout).into()),
            measures: Some((&summary.measures).into()),
            warping_error: error,
        };
        if self.args.json {
            progress::emit(&events::line(&VideoEvent::Frame(record.clone())));
        }
        self.records.push(record);
        Ok(Previous { photo, painting })
    }

    /// A frame after the first: only the recipe's finest level, for `--frame-iterations`; the
    /// carried painting is already at that size and close to done.
    fn later_plan(&self, full: RunPlan) -> RunPlan {
        let finest = full.levels.into_iter().last().map(|mut level| {
            level.iterations = self.args.frame_iterations as usize;
            level
        });
        RunPlan { levels: finest.into_iter().collect() }
    }

    /// Say how the clip went (flicker included), write the log, and return the outcome.
    fn finish(self, result: Result<&'static str>, style_paths: &[(PathBuf, f64)]) -> Result<()> {
        let painted = self.records.iter().filter(|r| r.status == "done").count();
        // The pairs painted in this run: a skipped frame has no warping error.
        let errors: Vec<f64> = self.records.iter().filter_map(|r| r.warping_error).collect();
        let flicker = (!errors.is_empty()).then(|| errors.iter().sum::<f64>() / errors.len() as f64);
        let status = match &result {
            Ok(status) => status,
            Err(e) if nst::error::exit_code(e) == 130 => "interrupted",
            Err(_) => "failed",
        };
        let end = VideoEnd {
            schema: SCHEMA,
            status,
            frames: self.outputs.len(),
            painted,
            skipped: self.records.len() - painted,
            flicker,
            seconds: self.started.elapsed().as_secs_f64(),
            error: result.as_ref().err().map(|e| format!("{e:#}")),
        };
        if !self.args.paint.quiet {
            eprintln!(
                "nst: video: {} painted, {} skipped, of {} frames, {:.1}s",
                end.painted, end.skipped, end.frames, end.seconds
            );
            if let Some(flicker) = flicker {
                eprintln!(
                    "nst: flicker: warping error {flicker:.3e} (Lai et al. 2018; mean over the {} frame pairs painted in this run)",
                    errors.len()
                );
            }
        }
        if let Some(path) = &self.args.log {
            let asked = &self.recipe.asked;
            let log = VideoLog {
                schema: SCHEMA,
                nst: env!("CARGO_PKG_VERSION"),
                frames_dir: &self.args.frames,
                styles: style_paths
                    .iter()
                    .map(|(path, weight)| StyleInput { path, weight: *weight })
                    .collect(),
                out_dir: &self.args.out_dir,
                device: self.device.as_deref().unwrap_or("none (nothing painted)"),
                recipe: &asked.values,
                recipe_from: RecipeFrom { base: asked.origin_name(), flags: asked.flagged().collect() },
                temporal_weight: self.args.temporal_weight,
                frame_iterations: self.args.frame_iterations,
                frames: &self.records,
                end: end.clone(),
            };
            image_io::write_atomic(path, &serde_json::to_vec_pretty(&log)?)?;
        }
        if self.args.json {
            progress::emit(&events::line(&VideoEvent::End(end)));
        }
        result.map(drop)
    }
}
