//! Pixels as weighted samples of colour, and their quantiles along fixed directions: what the
//! colour distance ([`crate::measures`]) and the distribution transfer ([`super::distribution`])
//! both measure along.

use crate::image_io::Planar;

/// Fixed unit directions spread over a hemisphere (a Fibonacci spiral): a direction and its
/// opposite give the same distance.
pub(crate) fn directions(count: usize) -> Vec<[f64; 3]> {
    let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
    (0..count)
        .map(|i| {
            let z = (i as f64 + 0.5) / count as f64;
            let r = (1.0 - z * z).sqrt();
            let phi = golden * i as f64;
            [r * phi.cos(), r * phi.sin(), z]
        })
        .collect()
}

pub(crate) fn dot(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// The quantiles at (k + ½)/`count` of weighted values `(value, weight)`.
pub(crate) fn weighted_quantiles(mut values: Vec<(f64, f64)>, count: usize) -> Vec<f64> {
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = values.iter().map(|(_, w)| w).sum();
    let mut out = Vec::with_capacity(count);
    let (mut index, mut below) = (0, 0.0);
    for k in 0..count {
        let target = (k as f64 + 0.5) / count as f64 * total;
        while index + 1 < values.len() && below + values[index].1 < target {
            below += values[index].1;
            index += 1;
        }
        out.push(values.get(index).map_or(0.0, |(v, _)| *v));
    }
    out
}

/// The RGB pixels of the `images` as one weighted mixture: at most `max` of each image's
/// pixels (a regular stride), each image counted by its weight (those ≤ 0 left out), the
/// weights summing to 1. Empty when no weight is positive.
pub(crate) fn mixture_samples(images: &[(&Planar, f64)], max: usize) -> Vec<([f64; 3], f64)> {
    let total: f64 = images.iter().map(|(_, w)| w.max(0.0)).sum();
    let mut samples = Vec::new();
    for (image, weight) in images.iter().filter(|(_, w)| *w > 0.0) {
        let n = image.width * image.height;
        let stride = n.div_ceil(max).max(1);
        let share = weight / total / n.div_ceil(stride).max(1) as f64;
        let pixel = |i: usize| [0, 1, 2].map(|c| image.data[c * n + i] as f64);
        samples.extend((0..n).step_by(stride).map(|i| (pixel(i), share)));
    }
    samples
}
