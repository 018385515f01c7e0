//! How each level of a run will be evaluated, decided before any heavy work: its size, whole or
//! in tiles, the memory it is estimated to need and the network's work per evaluation. The
//! painter follows it; `nst run --dry-run` prints it with a time estimate.

use std::time::Instant;

use anyhow::Result;
use burn::tensor::{Device, Tensor, TensorData};

use crate::image_io;
use crate::inputs::{MemoryNeeds, Styles, fit_in_memory};
use crate::loss::{Objective, StyleGrams};
use crate::memory;
use crate::model::Vgg19;
use crate::model::tiles::{self, TileGrid};
use crate::recipe::{LossSpec, Recipe, Schedule};

/// One level as it will run.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelPlan {
    pub width: usize,
    pub height: usize,
    pub iterations: usize,
    /// Tiles of at most this many pixels a side; `None`: the whole image at once.
    pub tile: Option<usize>,
    pub tiles: usize,
    /// L-BFGS pairs to keep when memory allows fewer than the recipe's history.
    pub history: Option<usize>,
    /// Pixels the network passes over in one evaluation: the image, or its tiles with their
    /// halos and a third more for the forward-only pass that sums the Grams.
    pub work: usize,
    /// Estimated peak memory, bytes.
    pub bytes: f64,
}

/// L-BFGS evaluations per iteration, measured over default runs (the line search's extra
/// trials), for time estimates.
const EVALUATIONS_PER_ITERATION: f64 = 1.1;

impl LevelPlan {
    /// What memory made of the level, for notices: `in 16 tiles of up to 1024 px a side`,
    /// `L-BFGS history 2 (memory)`, both, or `None` for a whole level with its full history.
    pub fn how(&self) -> Option<String> {
        let tiles = self.tile.map(|core| format!("in {} tiles of up to {core} px a side", self.tiles));
        let history = self.history.map(|pairs| format!("L-BFGS history {pairs} (memory)"));
        let parts: Vec<String> = tiles.into_iter().chain(history).collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }

    /// Estimated seconds for this level at `seconds_per_pixel` per pixel of work: its
    /// evaluations, and a forward pass (a third of an evaluation) for the painting's Grams.
    pub fn seconds(&self, seconds_per_pixel: f64) -> f64 {
        let evaluations = 1.0 / 3.0 + 1.0 + EVALUATIONS_PER_ITERATION * self.iterations as f64;
        self.work as f64 * evaluations * seconds_per_pixel
    }
}

/// Estimated seconds for a whole run of `levels`: each level, and the readout at the end (the
/// result's and the photo's forward passes at the finest level).
pub fn run_seconds(levels: &[LevelPlan], seconds_per_pixel: f64) -> f64 {
    let readout = levels.last().map_or(0.0, |l| l.work as f64 * 2.0 / 3.0 * seconds_per_pixel);
    levels.iter().map(|l| l.seconds(seconds_per_pixel)).sum::<f64>() + readout
}

/// The levels of `schedule` for a photo of `photo` pixels, each fitted into memory
/// ([`fit_in_memory`]: refused if even the smallest tiles would not fit).
pub(crate) fn plan_levels(
    loss: &LossSpec,
    schedule: &Schedule,
    needs: &MemoryNeeds,
    (photo_w, photo_h): (usize, usize),
    styles: &Styles,
    on_gpu: bool,
) -> Result<Vec<LevelPlan>> {
    let wanted = loss.indices();
    let halo = tiles::halo(&wanted);
    schedule
        .levels
        .iter()
        .map(|level| {
            let (w, h) = image_io::fit(photo_w as u32, photo_h as u32, level.side);
            let (width, height) = (w as usize, h as usize);
            let fit = fit_in_memory(needs, (width, height), level.iterations, styles, halo, on_gpu)?;
            let (tile, history) = (fit.tile, fit.history);
            let pairs = history.unwrap_or(needs.pairs).min(level.iterations);
            let pixels = (width * height) as u64;
            let (tiles, work, bytes) = match tile {
                Some(core) => {
                    let grid = TileGrid::new(height, width, &wanted, core);
                    let largest = grid.tiles.iter().map(|t| t.rows.len() * t.cols.len()).max().unwrap_or(0);
                    let bytes = memory::tiled_estimate_bytes(pixels, largest as u64, pairs);
                    (grid.tiles.len(), grid.tiled_pixels() * 4 / 3, bytes)
                }
                None => (1, width * height, memory::estimate_bytes(pixels, pixels, pairs)),
            };
            Ok(LevelPlan { width, height, iterations: level.iterations, tile, tiles, history, work, bytes })
        })
        .collect()
}

/// [`plan_levels`] for a run of `recipe` on a photo of `photo` pixels.
pub fn plan_run(
    recipe: &Recipe,
    photo: (usize, usize),
    styles: &Styles,
    on_gpu: bool,
) -> Result<Vec<LevelPlan>> {
    plan_levels(&recipe.loss, &recipe.schedule, &MemoryNeeds::of(recipe), photo, styles, on_gpu)
}

/// This machine's pace: seconds per pixel of one evaluation, timed on a 512 px square (after a
/// first evaluation that also computes the content targets).
pub fn seconds_per_pixel(model: &Vgg19, loss: &LossSpec, device: &Device) -> Result<f64> {
    const SIDE: usize = 512;
    let pixels = 3 * SIDE * SIDE;
    let image = |seed: f32| {
        let data: Vec<f32> = (0..pixels).map(|i| 128.0 + 90.0 * ((i as f32 + seed) * 0.37).sin()).collect();
        Tensor::<1>::from_data(TensorData::new(data, [pixels]), device)
    };
    let shape = [1, 3, SIDE, SIDE];
    let grams = StyleGrams::new(model, loss, &[(image(3.0).reshape(shape), 1.0)], None);
    let mut objective = Objective::new(model.clone(), loss, image(0.0).reshape(shape), &grams);
    objective.evaluate(&image(0.0))?;
    let started = Instant::now();
    objective.evaluate(&image(7.0))?;
    Ok(started.elapsed().as_secs_f64() / (SIDE * SIDE) as f64)
}
