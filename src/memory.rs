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

/// The largest longer side (for this aspect ratio) whose estimate stays under `budget` bytes.
pub fn largest_side(width: u32, height: u32, history: usize, budget: f64) -> u32 {
    let per_pixel = BYTES_PER_PIXEL + (history * 2 * 12) as f64;
    let pixels = ((budget - BASE_BYTES) / per_pixel).max(0.0);
    let (long, short) = (width.max(height) as f64, width.min(height).max(1) as f64);
    (pixels * long / short).sqrt() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_2048_square_fits_in_24_gib_and_its_side_is_recovered() {
        let gib = 1024f64.powi(3);
        let bytes = estimate_bytes(2048 * 2048, 2048 * 2048, 10);
        assert!(bytes < 24.0 * gib, "{}", bytes / gib);
        let side = largest_side(2048, 2048, 10, bytes);
        assert!((2040..=2048).contains(&side), "{side}");
    }
}
