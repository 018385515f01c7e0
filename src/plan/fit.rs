//! Whether a level fits in the memory a run may use: whole, in tiles, or with a shorter L-BFGS
//! history; refused, naming a `--size` that would fit, when not even the smallest tiles do.

use anyhow::Result;

use crate::inputs::Styles;
use crate::memory;
use crate::recipe::Recipe;
use crate::usage;

/// What [`fit_in_memory`] needs of the recipe: the optimiser's stored image pairs, how the
/// user named the size (for messages), and `--max-memory`.
#[derive(Debug, Clone)]
pub struct MemoryNeeds {
    pub pairs: usize,
    pub size: String,
    /// Longer side of the output: the style images' size, which coarser levels shrink.
    pub side: u32,
    pub max: Option<u64>,
    /// `--tile-size`: tiles of at most this side wherever the image is larger.
    pub tile: Option<usize>,
}

impl MemoryNeeds {
    pub fn of(recipe: &Recipe) -> Self {
        MemoryNeeds {
            pairs: recipe.optimiser.stored_pairs(),
            size: recipe.describe("size", recipe.schedule.size),
            side: recipe.schedule.size,
            max: recipe.max_memory,
            tile: recipe.tile_size,
        }
    }
}

/// How a level fits in memory: whole or in tiles, and with the L-BFGS history cut short where
/// even the smallest tiles leave no room for all of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fit {
    /// Tiles of at most this many pixels a side; `None`: whole.
    pub tile: Option<usize>,
    /// History pairs to keep, when fewer than the recipe's `history_size` (and the level's
    /// iterations) would need.
    pub history: Option<usize>,
}

/// How a level of `width`×`height` fits in the memory the run may use: whole, or in tiles of
/// at most some core a side with `halo` around each, keeping fewer L-BFGS pairs if that is
/// what makes it fit; refused (naming a `--size` that would fit) when not even the smallest
/// tiles with one pair do. `on_gpu`: see [`memory::budget_for`].
pub(crate) fn fit_in_memory(
    needs: &MemoryNeeds,
    (width, height): (usize, usize),
    iterations: usize,
    styles: &Styles,
    halo: usize,
    on_gpu: bool,
) -> Result<Fit> {
    fit_in_budget(needs, (width, height), iterations, styles, halo, memory::budget_for(needs.max, on_gpu))
}

/// [`fit_in_memory`] in a `budget` already known: bytes, and what sets them (for messages);
/// `None`: no bound. Tests pass one, so that what fits does not depend on the machine's memory.
fn fit_in_budget(
    needs: &MemoryNeeds,
    (width, height): (usize, usize),
    iterations: usize,
    styles: &Styles,
    halo: usize,
    budget: Option<(f64, String)>,
) -> Result<Fit> {
    // `--tile-size` asks for tiles of at most its size wherever the image is larger.
    let with_asked_tile = |planned: Fit| {
        let tile = match (needs.tile, planned.tile) {
            (Some(asked), Some(needed)) => Some(asked.min(needed)),
            (asked, needed) => asked.or(needed),
        };
        Fit { tile: tile.filter(|&core| width.max(height) > core), ..planned }
    };
    let Some((budget, limit)) = budget else {
        return Ok(with_asked_tile(Fit { tile: None, history: None }));
    };
    // L-BFGS keeps a pair per iteration until its history is full.
    let wanted_pairs = needs.pairs.min(iterations);
    let shrink = (width.max(height) as f64 / needs.side.max(1) as f64).min(1.0);
    let style_pixels = styles.images.iter().map(|(s, _)| (s.width * s.height) as f64).fold(0.0, f64::max);
    let style_pixels = (style_pixels * shrink * shrink) as u64;
    for pairs in (1..=wanted_pairs.max(1)).rev() {
        if let Some(tile) = memory::fit_level((width, height), style_pixels, pairs, halo, budget) {
            return Ok(with_asked_tile(Fit { tile, history: (pairs < wanted_pairs).then_some(pairs) }));
        }
    }
    Err(refusal(needs, (width, height), wanted_pairs.min(1), styles, halo, (budget, &limit)))
}

/// Why a level of `width`×`height` cannot run in `budget` bytes, naming a `--size` that could.
fn refusal(
    needs: &MemoryNeeds,
    (width, height): (usize, usize),
    pairs: usize,
    styles: &Styles,
    halo: usize,
    (budget, limit): (f64, &str),
) -> anyhow::Error {
    let gib = |b: f64| b / (1u64 << 30) as f64;
    let needed = memory::tiled_estimate_bytes((width * height) as u64, 0, pairs);
    // The painting follows --size: at a given longer side, the squarer of the two images has
    // the more pixels, and the size named must fit both.
    let squareness = |w: usize, h: usize| w.min(h) as f64 / w.max(h).max(1) as f64;
    let squarest = styles.images.iter().map(|(s, _)| (s.width, s.height)).fold((width, height), |best, s| {
        if squareness(s.0, s.1) > squareness(best.0, best.1) { s } else { best }
    });
    let fits = memory::largest_side(squarest.0 as u32, squarest.1 as u32, pairs, halo, budget);
    if fits < memory::MIN_TILE as u32 {
        return usage!(
            "{}: nst needs about {:.1} GiB for VGG19 and its smallest tiles, but {:.1} GiB is {limit}",
            needs.size,
            gib(memory::tiled_estimate_bytes(0, memory::smallest_tile_pixels(halo), pairs)),
            gib(budget)
        );
    }
    usage!(
        "{}: a {width}×{height} run needs more than {:.1} GiB of memory even in tiles, but {:.1} GiB \
         is {limit}; --size {fits} or less would fit (with --style-size no larger)",
        needs.size,
        gib(needed),
        gib(budget)
    )
}

#[cfg(test)]
mod tests {
    use super::{MemoryNeeds, Styles, fit_in_budget};
    use crate::image_io::Planar;

    #[test]
    fn a_tight_budget_keeps_fewer_lbfgs_pairs_rather_than_refusing() {
        let painting = Planar { width: 64, height: 48, data: vec![0.0; 3 * 64 * 48] };
        let styles = Styles { images: vec![(painting, 1.0)], paths: Vec::new(), notices: Vec::new() };
        let needs =
            MemoryNeeds { pairs: 10, size: "--size 4096".into(), side: 4096, max: Some(4 << 30), tile: None };
        // 4 GiB whatever the machine has free (fit_in_memory would take the less of the two).
        let budget = || Some(((4u64 << 30) as f64, "allowed by --max-memory".to_string()));
        let fit = |iterations| fit_in_budget(&needs, (4096, 3072), iterations, &styles, 80, budget());
        // Two iterations keep two pairs: room for them in tiles.
        let few = fit(2).expect("fits");
        assert!(few.tile.is_some() && few.history.is_none(), "{few:?}");
        // Fifteen would keep ten pairs (3 GB at 4096×3072): fewer are kept instead.
        let many = fit(15).expect("fits with a shorter history");
        assert!(many.tile.is_some() && many.history.is_some_and(|pairs| pairs < 10), "{many:?}");
    }
}
