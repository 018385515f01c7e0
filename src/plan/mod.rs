//! The one place a run's memory is planned: the budget, and for each level its size, whole or
//! in tiles, the L-BFGS history memory allows, the estimated peak and the network's work per
//! evaluation; and the painting's tiles for its Grams ([`painting_tile`], which a painter asks
//! once for all its photos). Made once, after the device is chosen
//! and before any weights load, so that a `--size` that cannot fit is refused at once; the
//! painter follows the plan, and `nst run --dry-run` prints it with a time estimate.

mod fit;
mod pace;

use anyhow::Result;

pub use fit::MemoryNeeds;
use fit::fit_in_memory;
pub use pace::seconds_per_pixel;

use crate::image_io;
use crate::inputs::Styles;
use crate::memory;
use crate::model::tiles::{self, TileGrid};
use crate::recipe::{LossSpec, Recipe, Schedule};

/// A run as it will go, level by level, coarsest first.
#[derive(Debug, Clone, PartialEq)]
pub struct RunPlan {
    pub levels: Vec<LevelPlan>,
}

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
) -> Result<RunPlan> {
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
        .collect::<Result<_>>()
        .map(|levels| RunPlan { levels })
}

/// The plan of a run of `recipe` on a photo of `photo` pixels with `styles`, on a GPU or not;
/// refused (naming a `--size` that would fit) when a level cannot fit even in tiles.
pub fn plan_run(recipe: &Recipe, photo: (usize, usize), styles: &Styles, on_gpu: bool) -> Result<RunPlan> {
    plan_levels(&recipe.loss, &recipe.schedule, &MemoryNeeds::of(recipe), photo, styles, on_gpu)
}

/// Tiles for the painting's Grams at a level of longer side `side`, when its forward pass would
/// not fit in memory whole; refusals are left to [`fit_in_memory`] of the level, which sees the
/// photo too.
pub fn painting_tile(
    loss: &LossSpec,
    needs: &MemoryNeeds,
    styles: &Styles,
    side: u32,
    on_gpu: bool,
) -> Option<usize> {
    let halo = tiles::halo(&loss.style_indices());
    let shrink = (side as f64 / needs.side.max(1) as f64).min(1.0);
    let (w, h) = styles.images.iter().map(|(s, _)| (s.width, s.height)).max_by_key(|(w, h)| w * h)?;
    let size = ((w as f64 * shrink) as usize, (h as f64 * shrink) as usize);
    let memory = MemoryNeeds { pairs: 0, ..needs.clone() };
    fit_in_memory(&memory, size, 0, styles, halo, on_gpu).map_or(Some(memory::MIN_TILE), |fit| fit.tile)
}

/// Tiles for the readout of an image of `width`×`height` (`nst score`), when its network pass
/// would not fit in the memory available whole.
pub fn readout_tile(loss: &LossSpec, (width, height): (usize, usize), on_gpu: bool) -> Option<usize> {
    let (budget, _) = memory::budget_for(None, on_gpu)?;
    let pixels = (width * height) as u64;
    let halo = tiles::halo(&loss.indices());
    memory::fit_level((width, height), pixels, 0, halo, budget).unwrap_or(Some(memory::MIN_TILE))
}
