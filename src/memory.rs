//! Will a run fit in memory? Estimated before any heavy work, so an absurd `--size` is refused
//! with a size that would fit rather than ending in the kernel's OOM killer.

/// Fixed cost: the binary, the VGG19 weights (f32), their Winograd forms for the CPU's
/// convolutions (two layouts of 36 values per 9 weights: 415 MB) and the runtime's pools.
const BASE_BYTES: f64 = 700e6;
/// Peak bytes per output pixel for VGG19 to relu5_1 forward + backward on the CPU, measured
/// with /usr/bin/time at 256² and 512² (2.1 KB), plus a margin.
const BYTES_PER_PIXEL: f64 = 2.6e3;

/// Estimated peak bytes for an output of `pixels` and a style image of `style_pixels`, with
/// `history` L-BFGS pairs (two RGB f32 images each).
pub fn estimate_bytes(pixels: u64, style_pixels: u64, history: usize) -> f64 {
    BASE_BYTES + BYTES_PER_PIXEL * pixels.max(style_pixels) as f64 + (history * 2 * 12) as f64 * pixels as f64
}

/// Peak bytes per output pixel of a tiled level outside the tile's network: the image, its
/// gradient and the optimiser's working vectors, the photo's content activations (relu4_2 keeps
/// 512 channels at 1/64 of the pixels: 32 B), the variation term's graph and the host's copies.
/// Measured ~100 B (2048×1537, one L-BFGS pair, /usr/bin/time), doubled for a margin.
const TILED_BYTES_PER_PIXEL: f64 = 200.0;
/// Largest tile core, a side. Past it the 80 px halo's share of the work shrinks little (1.34×
/// the core's pixels at 1024, 1.16× at 2048) while the tile's memory grows with its square.
pub const MAX_TILE: usize = 1024;
/// Smallest tile core worth running: below it the halo is most of the work.
pub const MIN_TILE: usize = 128;

/// Pixels of the smallest tile with a `halo` ([`crate::model::tiles::halo`] of the layers read)
/// around it.
pub fn smallest_tile_pixels(halo: usize) -> u64 {
    let side = MIN_TILE + 2 * halo;
    (side * side) as u64
}

/// Estimated peak bytes of a level of `pixels` evaluated in tiles of `tile_pixels` (halo
/// included), with `pairs` L-BFGS pairs.
pub fn tiled_estimate_bytes(pixels: u64, tile_pixels: u64, pairs: usize) -> f64 {
    BASE_BYTES
        + BYTES_PER_PIXEL * tile_pixels as f64
        + (TILED_BYTES_PER_PIXEL + (pairs * 2 * 12) as f64) * pixels as f64
}

/// How a level of `width`×`height` (and a painting of `style_pixels`) fits in `budget` bytes:
/// `Some(None)` whole, `Some(Some(core))` in tiles of `core` pixels a side at most with `halo`
/// around each (the largest that fits, up to [`MAX_TILE`]), `None` not at all.
pub fn fit_level(
    (width, height): (usize, usize),
    style_pixels: u64,
    pairs: usize,
    halo: usize,
    budget: f64,
) -> Option<Option<usize>> {
    let pixels = (width * height) as u64;
    if estimate_bytes(pixels, style_pixels, pairs) <= budget {
        return Some(None);
    }
    (MIN_TILE..=MAX_TILE).rev().step_by(16).find_map(|core| {
        let side = (core + 2 * halo) as u64;
        let tile_pixels = side * side;
        (tiled_estimate_bytes(pixels, tile_pixels, pairs) <= budget).then_some(Some(core))
    })
}

/// Bytes the host needs just to decode and resize an image of `pixels` (RGBA f32 + planar RGB),
/// whatever device then runs the optimisation.
pub fn host_image_bytes(pixels: u64) -> f64 {
    BASE_BYTES + 32.0 * pixels as f64
}

mod cgroup;

/// Memory the system can give us now: Linux `MemAvailable`, or less where a container's cgroup
/// limit leaves less; `None` if neither is known.
pub fn available_bytes() -> Option<f64> {
    available().map(|(bytes, _)| bytes)
}

/// [`available_bytes`], and what limits it, for messages: "available" (the host) or "left
/// under the container's memory limit".
pub fn available() -> Option<(f64, &'static str)> {
    let host = host_available_bytes().map(|b| (b, "available"));
    let container = cgroup::room_bytes().map(|b| (b, "left under the container's memory limit (cgroup)"));
    [host, container].into_iter().flatten().reduce(|a, b| if b.0 < a.0 { b } else { a })
}

fn host_available_bytes() -> Option<f64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// The memory a run may use and what sets it, for messages: `max` (`--max-memory`) or what
/// the system has ([`available`]), whichever is less; `None` if neither is known.
pub fn budget(max: Option<u64>) -> Option<(f64, String)> {
    let asked = max.map(|bytes| (bytes as f64, "allowed by --max-memory".to_string()));
    let system = available().map(|(bytes, what)| (bytes, what.to_string()));
    [asked, system].into_iter().flatten().reduce(|a, b| if b.0 < a.0 { b } else { a })
}

/// [`budget`] for a run on the CPU; on a GPU only `max` bounds it (nst does not know the
/// adapter's memory, and the estimates are the CPU's).
pub fn budget_for(max: Option<u64>, on_gpu: bool) -> Option<(f64, String)> {
    if on_gpu { max.map(|bytes| (bytes as f64, "allowed by --max-memory".to_string())) } else { budget(max) }
}

/// The largest longer side (for this aspect ratio) whose tiled estimate (smallest tiles with
/// `halo` around them, `history` pairs) stays under `budget` bytes.
pub fn largest_side(width: u32, height: u32, history: usize, halo: usize, budget: f64) -> u32 {
    let smallest_tile = smallest_tile_pixels(halo) as f64;
    let per_pixel = TILED_BYTES_PER_PIXEL + (history * 2 * 12) as f64;
    let pixels = ((budget - BASE_BYTES - BYTES_PER_PIXEL * smallest_tile) / per_pixel).max(0.0);
    let (long, short) = (width.max(height) as f64, width.min(height).max(1) as f64);
    (pixels * long / short).sqrt() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_2048_square_fits_24_gib_whole_and_4096_fits_6_gib_in_tiles() {
        let gib = 1024f64.powi(3);
        assert_eq!(fit_level((2048, 2048), 2048 * 2048, 10, 80, 24.0 * gib), Some(None));
        let core_at = |budget: f64| match fit_level((4096, 3072), 4096 * 3072, 2, 80, budget * gib) {
            Some(Some(core)) => core,
            other => panic!("4096×3072 in {budget} GiB: {other:?}"),
        };
        assert_eq!(core_at(16.0), MAX_TILE);
        assert!(core_at(6.0) < core_at(8.0), "less memory, smaller tiles");
        assert_eq!(fit_level((4096, 3072), 0, 2, 80, 1.0 * gib), None);
    }

    #[test]
    fn the_largest_side_named_fits() {
        let gib = 1024f64.powi(3);
        let side = largest_side(4096, 3072, 2, 80, 4.0 * gib);
        let (w, h) = (side as usize, side as usize * 3 / 4);
        assert!(fit_level((w, h), 0, 2, 80, 4.0 * gib).is_some(), "{side}");
        let bigger = (w + 64, (w + 64) * 3 / 4);
        assert!(fit_level(bigger, 0, 2, 80, 4.0 * gib).is_none(), "{side}");
    }
}
