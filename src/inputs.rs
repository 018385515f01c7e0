//! Everything about a run that can be checked before heavy work: the output path, every input
//! image (decoded and sized), the sizes VGG19 can see, and the memory the run will need.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::image_io::{self, Planar};
use crate::memory;
use crate::recipe::{Recipe, Start};
use crate::usage;

/// The style images, decoded and scaled, each with its blend weight (the weights sum to 1).
pub struct Styles {
    pub(crate) images: Vec<(Planar, f64)>,
    pub(crate) paths: Vec<PathBuf>,
}

/// A content photo, decoded and scaled to the output size, with its starting image if that is
/// a file.
pub struct Content {
    pub(crate) image: Planar,
    pub(crate) init: Option<Planar>,
}

/// Decode and scale every style image; `blend` weights are checked and normalised.
pub fn prepare_styles(recipe: &Recipe, styles: &[(PathBuf, f64)]) -> Result<Styles> {
    if styles.is_empty() {
        return Err(usage!("--style: at least one style image is needed"));
    }
    let total: f64 = styles.iter().map(|(_, w)| w).sum();
    if styles.iter().any(|(_, w)| !(w.is_finite() && *w >= 0.0)) || total == 0.0 || !total.is_finite() {
        let given: Vec<_> = styles.iter().map(|(_, w)| w.to_string()).collect();
        return Err(usage!("--style-blend {}: weights must be ≥ 0 with a positive sum", given.join(",")));
    }
    let mut images = Vec::with_capacity(styles.len());
    for (path, weight) in styles {
        let style = image_io::load(path, "style image")?;
        check_source(path, &style, recipe)?;
        let (w, h) = image_io::fit(style.width(), style.height(), recipe.style_side);
        // No `--scales` check: coarse levels never shrink the painting below 128 px.
        let sized = check_size(w, h, recipe).and_then(|()| check_host_memory(w, h, recipe));
        sized.map_err(|e| usage!("{}: {}: {e}", path.display(), recipe.style_side_source()))?;
        images.push((image_io::to_planar(&style, w, h), weight / total));
    }
    Ok(Styles { images, paths: styles.iter().map(|(p, _)| p.clone()).collect() })
}

/// Check the output path, then decode and scale the content photo (and an `init` image file).
pub fn prepare_content(recipe: &Recipe, content: &Path, output: &Path, styles: &Styles) -> Result<Content> {
    crate::encode::output_format(output)?;
    let init_path = match &recipe.start {
        Start::File(p) => Some(p.as_path()),
        _ => None,
    };
    let inputs = std::iter::once(content).chain(init_path).chain(styles.paths.iter().map(PathBuf::as_path));
    if !image_io::is_stdio(output) {
        check_output(output, inputs)?;
    }

    let photo = image_io::load(content, "content image")?;
    check_source(content, &photo, recipe)?;
    let schedule = &recipe.schedule;
    let size = recipe.describe("size", schedule.size);
    let (w, h) = image_io::fit(photo.width(), photo.height(), schedule.size);
    check_size(w, h, recipe).map_err(|e| usage!("{size}: {e}"))?;
    let (cw, ch) = image_io::fit(w, h, schedule.coarsest_side());
    check_size(cw, ch, recipe).map_err(|e| {
        let scales = recipe.describe("scales", schedule.levels.len());
        usage!("{scales}: at the coarsest level {e}; use fewer scales")
    })?;
    check_host_memory(w, h, recipe).map_err(|e| usage!("{size}: {e}"))?;
    let init = match init_path {
        Some(path) => Some(image_io::to_planar(&image_io::load(path, "--init image")?, w, h)),
        None => None,
    };
    Ok(Content { image: image_io::to_planar(&photo, w, h), init })
}

/// The output must not be an input, and its directory must exist.
fn check_output<'a>(output: &Path, inputs: impl Iterator<Item = &'a Path>) -> Result<()> {
    let dir = image_io::output_dir(output);
    if !dir.is_dir() {
        return Err(usage!("{}: output directory {} does not exist", output.display(), dir.display()));
    }
    if output.is_dir() {
        return Err(usage!("{}: the output is a directory", output.display()));
    }
    // Fail now, not after an hour of optimisation, if the directory is not writable.
    image_io::partial_file_for(output)?;
    let canonical_output = std::fs::canonicalize(dir).ok().zip(output.file_name()).map(|(d, f)| d.join(f));
    for input in inputs {
        if std::fs::canonicalize(input).ok().is_some_and(|i| Some(i) == canonical_output) {
            return Err(usage!("{}: the output would overwrite an input image", output.display()));
        }
    }
    Ok(())
}

/// An input smaller than the network can see holds no usable content or style.
pub fn check_source(path: &Path, image: &image::DynamicImage, recipe: &Recipe) -> Result<()> {
    let (w, h, min) = (image.width(), image.height(), recipe.loss.min_side());
    if w.min(h) < min {
        return Err(usage!("{}: image is {w}×{h}; VGG19 needs at least {min} pixels a side", path.display()));
    }
    Ok(())
}

/// The deepest layer must still have a pixel after the pools.
fn check_size(width: u32, height: u32, recipe: &Recipe) -> Result<()> {
    let min_side = recipe.loss.min_side();
    if width.min(height) < min_side {
        return Err(usage!(
            "the image would be {width}×{height}, but layer {} needs at least {min_side} pixels a side",
            recipe.loss.deepest_name()
        ));
    }
    Ok(())
}

/// Refuse to even scale an image to `width`×`height` when the host cannot hold it.
fn check_host_memory(width: u32, height: u32, recipe: &Recipe) -> Result<()> {
    let needed = memory::host_image_bytes(width as u64 * height as u64);
    match memory::available_bytes().filter(|available| needed > *available) {
        Some(available) => {
            let fits = memory::largest_side(width, height, recipe.optimiser.stored_pairs(), available);
            Err(usage!("a {width}×{height} image does not fit in memory; {fits} pixels a side or less would"))
        }
        None => Ok(()),
    }
}

/// What [`fit_in_memory`] needs of the recipe: the optimiser's stored image pairs, how the
/// user named the size (for messages), and `--max-memory`.
#[derive(Debug, Clone)]
pub(crate) struct MemoryNeeds {
    pub pairs: usize,
    pub size: String,
    /// Longer side of the output: the style images' size, which coarser levels shrink.
    pub side: u32,
    pub max: Option<u64>,
    /// `--tile-size`: tiles of at most this side wherever the image is larger.
    pub tile: Option<usize>,
}

impl MemoryNeeds {
    pub(crate) fn of(recipe: &Recipe) -> Self {
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
    Err(refusal(needs, (width, height), wanted_pairs.min(1), styles, (budget, &limit)))
}

/// Why a level of `width`×`height` cannot run in `budget` bytes, naming a `--size` that could.
fn refusal(
    needs: &MemoryNeeds,
    (width, height): (usize, usize),
    pairs: usize,
    styles: &Styles,
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
    let fits = memory::largest_side(squarest.0 as u32, squarest.1 as u32, pairs, budget);
    if fits < memory::MIN_TILE as u32 {
        return usage!(
            "{}: nst needs about {:.1} GiB for VGG19 and its smallest tiles, but {:.1} GiB is {limit}",
            needs.size,
            gib(memory::tiled_estimate_bytes(0, memory::smallest_tile_pixels(), pairs)),
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
        let styles = Styles { images: vec![(painting, 1.0)], paths: Vec::new() };
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
