//! The painter through the library alone: tiny runs with a progress sink that records.

use std::path::{Path, PathBuf};

use super::resize::{shrunk_for_level, with_photo_detail};
use super::*;
use crate::error::Interrupted;
use crate::inputs::{prepare_content, prepare_styles};
use crate::recipe::{MIN_LEVEL_SIDE, Scales};
use crate::report::{IterationReport, Stop};

fn blank(width: usize, height: usize) -> Planar {
    Planar { width, height, data: vec![0.0; width * height * 3] }
}

#[test]
fn a_coarse_level_shrinks_the_painting_but_not_below_the_minimum_side() {
    let half = shrunk_for_level(&blank(600, 400), 0.5);
    assert_eq!((half.width, half.height), (300, 200));
    let floor = shrunk_for_level(&blank(600, 400), 0.125);
    assert_eq!((floor.width, floor.height), (MIN_LEVEL_SIDE as usize, 85));
    let small = shrunk_for_level(&blank(100, 50), 0.5);
    assert_eq!((small.width, small.height), (100, 50), "already under the minimum: kept");
    let full = shrunk_for_level(&blank(600, 400), 1.0);
    assert_eq!((full.width, full.height), (600, 400));
}

#[test]
fn a_coarse_result_gets_the_photos_fine_detail_back() {
    let (w, h) = (40, 30);
    let data = (0..w * h * 3).map(|i| ((i * 37) % 256) as f32).collect();
    let photo = Planar { width: w, height: h, data };
    // A coarse level that painted nothing: the photo shrunk. Its start is the photo again.
    let start = with_photo_detail(&photo.resized(20, 15), &photo);
    assert_eq!((start.width, start.height), (w, h));
    let worst = start.data.iter().zip(&photo.data).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(worst < 0.01, "differs from the photo by {worst}");
    // What the coarse level painted survives the upscale.
    let painted = with_photo_detail(&blank(20, 15), &photo);
    let mean = |p: &Planar| p.data.iter().sum::<f32>() / p.data.len() as f32;
    assert!(mean(&painted) < mean(&photo) * 0.5, "the coarse result was replaced by the photo");
}

/// Records what the painter says; asks to stop after `cancel_after` iterations.
#[derive(Default)]
struct Recording {
    notices: Vec<String>,
    started_with: Option<usize>,
    iterations: Vec<IterationReport>,
    finished: bool,
    cancel_after: Option<usize>,
}

impl Progress for Recording {
    fn notice(&mut self, message: &str) {
        self.notices.push(message.to_string());
    }
    fn start(&mut self, iterations: usize) {
        self.started_with = Some(iterations);
    }
    fn iteration(&mut self, report: &IterationReport) {
        self.iterations.push(*report);
    }
    fn finish(&mut self) {
        self.finished = true;
    }
    fn cancelled(&self) -> bool {
        self.cancel_after.is_some_and(|n| self.iterations.len() >= n)
    }
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name)
}

/// Paint cat.png in night_cafe.jpg's style with `recipe`, into a fresh folder.
fn paint(recipe: &Recipe, progress: &mut Recording) -> (tempfile::TempDir, Result<RunSummary>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = dir.path().join("out.png");
    let styles = prepare_styles(recipe, &[(example("night_cafe.jpg"), 1.0)]).expect("style");
    let content = prepare_content(recipe, &example("cat.png"), &output, &styles).expect("content");
    let device = ComputeDevice::cpu();
    let painter = Painter::new(recipe, None, styles, &device).expect("painter");
    let encoding = crate::encode::Encoding::default();
    let target = Target { path: &output, save_partial: true, encoding: &encoding };
    let result =
        painter.plan(&content).and_then(|run_plan| painter.paint(content, &run_plan, &target, progress));
    (dir, result)
}

#[test]
fn a_painter_reports_each_level_and_iteration_and_why_it_stopped() {
    let recipe =
        Recipe::with(|r| (r.size, r.scales, r.iterations) = (256, Scales::Count(2), 4)).expect("recipe");
    let mut progress = Recording::default();
    let (dir, result) = paint(&recipe, &mut progress);
    let summary = result.expect("run");
    assert_eq!(summary.stop, Stop::IterationLimit);
    assert_eq!(summary.stopped_early(), None);
    assert_eq!(progress.started_with, Some(9), "4 at 128 px, then 5 (4/3 of 4) at 256 px");
    assert_eq!(progress.iterations.len(), 9);
    assert_eq!(progress.iterations[0].width.max(progress.iterations[0].height), 128);
    assert_eq!(progress.iterations[8].width.max(progress.iterations[8].height), 256);
    assert_eq!(progress.notices.len(), 2, "{:?}", progress.notices);
    assert_eq!(
        (progress.iterations[0].level, progress.iterations[8].level, progress.iterations[8].levels),
        (1, 2, 2)
    );
    let per_level: Vec<_> =
        summary.levels.iter().map(|l| (l.width.max(l.height), l.iterations, l.stop)).collect();
    assert_eq!(per_level, [(128, 4, Stop::IterationLimit), (256, 5, Stop::IterationLimit)]);
    assert_eq!(summary.readout.style.len(), 4);
    assert!(summary.readout.content[0].relative > 0.0 && summary.readout.mean_style() > 0.0);
    assert!(progress.notices[1].starts_with("level 2 of 2"), "{:?}", progress.notices);
    assert!(progress.finished && summary.final_loss < summary.initial_loss);
    assert!(dir.path().join("out.png").exists());
}

#[test]
fn a_painter_at_the_minimum_stops_as_converged() {
    // Only the content term, starting at the photo itself: the loss and its gradient are zero.
    let recipe = Recipe::with(|r| {
        (r.size, r.style_weight, r.tv_weight, r.palette_weight) = (32, 0.0, 0.0, 0.0);
        r.init = "content".into();
    })
    .expect("recipe");
    let mut progress = Recording::default();
    let (_dir, result) = paint(&recipe, &mut progress);
    let summary = result.expect("run");
    assert_eq!(summary.stop, Stop::Converged);
    let message = summary.stopped_early().expect("an early stop");
    assert!(message.contains("converged"), "{message}");
}

#[test]
fn a_cancelled_painter_writes_the_image_so_far() {
    let recipe = Recipe::with(|r| (r.size, r.iterations) = (32, 50)).expect("recipe");
    let mut progress = Recording { cancel_after: Some(2), ..Recording::default() };
    let (dir, result) = paint(&recipe, &mut progress);
    let error = result.expect_err("cancelled");
    let saved = error.downcast_ref::<Interrupted>().and_then(|i| i.saved.clone());
    assert_eq!(saved, Some(dir.path().join("out.png")));
    assert_eq!(progress.iterations.len(), 2);
}

#[test]
fn a_level_ends_when_its_picture_settles() {
    let settled_at = |settle: f64| {
        let recipe = Recipe::with(|r| (r.size, r.iterations, r.settle) = (32, 25, settle)).expect("recipe");
        let mut progress = Recording::default();
        let (_dir, result) = paint(&recipe, &mut progress);
        (result.expect("run"), progress)
    };
    // Any change counts as settled: the first comparison, after 10 iterations, ends it.
    let (summary, progress) = settled_at(1e6);
    assert_eq!((summary.iterations, summary.stop), (10, Stop::Settled));
    assert!(summary.stopped_early().is_some_and(|m| m.contains("stopped changing visibly")));
    assert!(progress.iterations.iter().all(|r| r.pixel_change > 0.0), "every iteration moved pixels");
    // Never settled: the level runs its iterations.
    let (summary, progress) = settled_at(0.0);
    assert_eq!((summary.iterations, summary.stop), (25, Stop::IterationLimit));
    let done: Vec<f64> = progress.iterations.iter().map(|r| r.done).collect();
    assert!(done.windows(2).all(|w| w[0] < w[1]) && done[24] == 1.0, "{done:?}");
    assert!(progress.iterations.iter().all(|r| r.remaining.is_some()));
}
