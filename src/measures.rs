//! Measures of a finished picture that no recipe minimises, so that they can judge one: how far
//! its colours are from the painting's, and how much of the photo's structure it keeps. The
//! readout's relative errors (`score`) are the default's own loss and cannot see a picture that
//! keeps the photo's palette or pastes in the painting's figures; these can.
//!
//! - **Colour distance**: the sliced Wasserstein distance between the picture's pixels and the
//!   painting's in CIE Lab, in Lab units (ΔE-like): along each of 32 fixed directions, the mean
//!   absolute difference of the two projected distributions' quantiles, averaged. 0 means the
//!   same colours in the same proportions, wherever they are; a blend's paintings count as one
//!   mixture, by weight.
//! - **Structure**: the mean SSIM (Wang et al. 2004) of the picture's luminance against the
//!   photo's, so colour-blind: 1 is the photo's structure untouched, lower means more of it was
//!   painted over (by strokes, or by figures that are not in the photo).

pub mod flicker;

use crate::colour::samples::{directions, dot, mixture_samples, weighted_quantiles};
use crate::image_io::Planar;

/// The measures of one picture, each its own number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measures {
    /// Sliced Wasserstein distance to the painting's colours, CIE Lab units.
    pub colour_distance: f64,
    /// Mean SSIM of luminance against the photo, at most 1.
    pub structure: f64,
}

impl Measures {
    /// `image` against `photo` (any size: resized to the image's) and the `paintings` with
    /// their blend weights.
    pub fn of(image: &Planar, photo: &Planar, paintings: &[(Planar, f64)]) -> Measures {
        let paintings: Vec<(&Planar, f64)> = paintings.iter().map(|(p, w)| (p, *w)).collect();
        Measures {
            colour_distance: colour_distance(image, &paintings),
            structure: structure(image, &photo.resized(image.width, image.height)),
        }
    }

    /// The lines a run's summary and `nst score` print, one per measure.
    pub fn lines(&self) -> [String; 2] {
        [
            format!(
                "colour distance to the painting {:.2} (CIE Lab, sliced Wasserstein; 0: its palette)",
                self.colour_distance
            ),
            format!("structure kept from the photo {:.3} (luminance SSIM; 1: the photo's)", self.structure),
        ]
    }
}

/// Projections per distance: enough that the distance moves by well under 1% between sets.
const DIRECTIONS: usize = 32;
/// Quantiles compared along each direction.
const QUANTILES: usize = 1024;
/// Pixels sampled from each image at most (a regular stride): a 4096 px print costs no more.
const MAX_SAMPLES: usize = 1 << 18;

/// Sliced Wasserstein distance in CIE Lab between `image`'s pixels and the weighted mixture of
/// the `paintings`' pixels.
pub fn colour_distance(image: &Planar, paintings: &[(&Planar, f64)]) -> f64 {
    let in_lab = |samples: Vec<([f64; 3], f64)>| -> Vec<([f64; 3], f64)> {
        samples.into_iter().map(|(rgb, weight)| (lab(rgb), weight)).collect()
    };
    let picture = in_lab(mixture_samples(&[(image, 1.0)], MAX_SAMPLES));
    let mixture = in_lab(mixture_samples(paintings, MAX_SAMPLES));
    let distance: f64 = directions(DIRECTIONS)
        .iter()
        .map(|d| {
            let (a, b) = (quantiles(&picture, d), quantiles(&mixture, d));
            a.iter().zip(&b).map(|(x, y)| (x - y).abs()).sum::<f64>() / QUANTILES as f64
        })
        .sum();
    distance / DIRECTIONS as f64
}

/// The weighted samples' quantiles at (k + ½)/[`QUANTILES`] along `direction`.
fn quantiles(samples: &[([f64; 3], f64)], direction: &[f64; 3]) -> Vec<f64> {
    let projected = samples.iter().map(|(p, w)| (dot(p, direction), *w)).collect();
    weighted_quantiles(projected, QUANTILES)
}

/// sRGB 0–255 → CIE L*a*b* (D65 white).
fn lab(rgb: [f64; 3]) -> [f64; 3] {
    let linear = rgb.map(|v| {
        let v = (v / 255.0).clamp(0.0, 1.0);
        if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
    });
    let [r, g, b] = linear;
    let x = (0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b) / 0.950_47;
    let y = 0.212_672_9 * r + 0.715_152_2 * g + 0.072_175_0 * b;
    let z = (0.019_333_9 * r + 0.119_192_0 * g + 0.950_304_1 * b) / 1.088_83;
    let f = |t: f64| {
        const D: f64 = 6.0 / 29.0;
        if t > D * D * D { t.cbrt() } else { t / (3.0 * D * D) + 4.0 / 29.0 }
    };
    let (fx, fy, fz) = (f(x), f(y), f(z));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// Mean SSIM of the luminances of `image` and `photo` (same size), with the usual constants
/// and an 11-tap Gaussian window of σ 1.5, after averaging down so that the shorter side is
/// about 256 px (Wang et al.'s own recipe: the measure then means the same at any size).
pub fn structure(image: &Planar, photo: &Planar) -> f64 {
    let factor = (image.width.min(image.height) as f64 / 256.0).round().max(1.0) as usize;
    let (x, w, h) = luminance_pooled(image, factor);
    let (y, _, _) = luminance_pooled(photo, factor);
    let blur = |v: &[f64]| gaussian_blur(v, w, h);
    let product = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).collect::<Vec<f64>>();
    let (mx, my) = (blur(&x), blur(&y));
    let (xx, yy, xy) = (blur(&product(&x, &x)), blur(&product(&y, &y)), blur(&product(&x, &y)));
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let total: f64 = (0..w * h)
        .map(|i| {
            let (vx, vy, cxy) = (xx[i] - mx[i] * mx[i], yy[i] - my[i] * my[i], xy[i] - mx[i] * my[i]);
            ((2.0 * mx[i] * my[i] + c1) * (2.0 * cxy + c2))
                / ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2))
        })
        .sum();
    total / (w * h).max(1) as f64
}

/// Rec. 601 luminance averaged over `factor`×`factor` blocks: values, width, height.
fn luminance_pooled(image: &Planar, factor: usize) -> (Vec<f64>, usize, usize) {
    let (w, h) = ((image.width / factor).max(1), (image.height / factor).max(1));
    let luma = image.luma();
    let mut out = vec![0.0; w * h];
    for y in 0..h {
        for x in 0..w {
            let mut sum = 0.0;
            let mut count = 0.0f64;
            for yy in y * factor..((y + 1) * factor).min(image.height) {
                for xx in x * factor..((x + 1) * factor).min(image.width) {
                    sum += luma[yy * image.width + xx];
                    count += 1.0;
                }
            }
            out[y * w + x] = sum / count.max(1.0);
        }
    }
    (out, w, h)
}

/// Separable Gaussian (σ 1.5, 11 taps), edges clamped.
fn gaussian_blur(values: &[f64], w: usize, h: usize) -> Vec<f64> {
    const RADIUS: isize = 5;
    let taps: Vec<f64> = (-RADIUS..=RADIUS).map(|d| (-(d * d) as f64 / (2.0 * 1.5 * 1.5)).exp()).collect();
    let norm: f64 = taps.iter().sum();
    let taps: Vec<f64> = taps.iter().map(|t| t / norm).collect();
    let along = |source: &[f64], horizontal: bool| {
        let mut out = vec![0.0; w * h];
        for y in 0..h {
            for x in 0..w {
                out[y * w + x] = taps
                    .iter()
                    .enumerate()
                    .map(|(k, t)| {
                        let d = k as isize - RADIUS;
                        let (sx, sy) = if horizontal {
                            ((x as isize + d).clamp(0, w as isize - 1) as usize, y)
                        } else {
                            (x, (y as isize + d).clamp(0, h as isize - 1) as usize)
                        };
                        t * source[sy * w + sx]
                    })
                    .sum();
            }
        }
        out
    };
    along(&along(values, true), false)
}

#[cfg(test)]
mod tests;
