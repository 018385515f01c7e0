//! Colour distribution transfer (Pitié, Kokaram & Dahyot, "Automated colour grading using
//! colour distribution transfer", 2007): a photo's colours moved onto a painting's whole
//! distribution, not only its mean and covariance. A dark painting with bright flowers is two
//! clusters of colour; matching its mean and covariance gives the photo one grey-brown cloud.

use super::samples::{directions, dot, mixture_samples, weighted_quantiles};
use super::{from_pixels, pixel};
use crate::image_io::Planar;

/// Rounds of marginal matching: each along three orthogonal axes.
const ROUNDS: usize = 6;
/// Quantiles of the paintings' distribution kept for the matching.
const QUANTILES: usize = 1024;
/// The spiral of directions the rounds' axes are drawn from (the colour distance's 32, so that
/// the transfer moves along the same spread of directions the distance measures).
const SPIRAL_DIRECTIONS: usize = 32;
/// Painting pixels sampled at most (a regular stride).
const MAX_SAMPLES: usize = 1 << 16;

/// `image` with its colours moved, round by round, so that along each of a few fixed axes
/// their distribution is the `paintings`' mixture (each counted by its blend weight): each
/// pixel's projection is replaced by the painting's value at the same rank. Order along every
/// axis is kept, so the photo's shapes stay where they were.
pub fn with_distribution_of(image: &Planar, paintings: &[(Planar, f64)]) -> Planar {
    let paintings: Vec<(&Planar, f64)> = paintings.iter().map(|(p, w)| (p, *w)).collect();
    let target = mixture_samples(&paintings, MAX_SAMPLES);
    if target.is_empty() {
        return image.clone();
    }
    let n = image.width * image.height;
    let mut pixels: Vec<[f64; 3]> = (0..n).map(|i| pixel(image, i)).collect();
    let spiral = directions(SPIRAL_DIRECTIONS);
    for round in 0..ROUNDS {
        for axis in
            orthonormal_axes(spiral[(round * 5) % spiral.len()], spiral[(round * 5 + 2) % spiral.len()])
        {
            let wanted =
                weighted_quantiles(target.iter().map(|(p, w)| (dot(p, &axis), *w)).collect(), QUANTILES);
            let mut order: Vec<(f64, usize)> = pixels.iter().map(|p| dot(p, &axis)).zip(0..).collect();
            order.sort_by(|a, b| a.0.total_cmp(&b.0));
            for (rank, (value, i)) in order.into_iter().enumerate() {
                let k = ((rank as f64 + 0.5) / n as f64 * QUANTILES as f64) as usize;
                let shift = wanted[k.min(QUANTILES - 1)] - value;
                (0..3).for_each(|c| pixels[i][c] += shift * axis[c]);
            }
        }
    }
    from_pixels(image.width, image.height, pixels.into_iter().map(|p| p.map(|v| v.clamp(0.0, 255.0))))
}

/// Three orthonormal axes, the first along `a`, the second in the plane of `a` and `b`.
fn orthonormal_axes(a: [f64; 3], b: [f64; 3]) -> [[f64; 3]; 3] {
    let unit = |v: [f64; 3]| {
        let norm = dot(&v, &v).sqrt().max(1e-12);
        v.map(|x| x / norm)
    };
    let x = unit(a);
    let along = dot(&b, &x);
    let y = unit([b[0] - along * x[0], b[1] - along * x[1], b[2] - along * x[2]]);
    let z = [x[1] * y[2] - x[2] * y[1], x[2] * y[0] - x[0] * y[2], x[0] * y[1] - x[1] * y[0]];
    [x, y, z]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::colour_distance;

    /// A painting of two colour clusters: dark ground and bright flowers, Arcimboldo's kind.
    fn two_clusters(w: usize, h: usize) -> Planar {
        let n = w * h;
        let mut data = vec![0.0; 3 * n];
        for i in 0..n {
            let bright = (i * 7919) % 5 < 2;
            let base: [f32; 3] = if bright { [230.0, 190.0, 170.0] } else { [20.0, 25.0, 15.0] };
            for c in 0..3 {
                data[c * n + i] = base[c] + ((i * (c + 3)) % 23) as f32;
            }
        }
        Planar { width: w, height: h, data }
    }

    #[test]
    fn the_photo_takes_the_whole_distribution_not_only_mean_and_covariance() {
        let photo = Planar {
            width: 24,
            height: 16,
            data: (0..3 * 24 * 16).map(|i| 120.0 + ((i * 37) % 61) as f32).collect(),
        };
        let painting = two_clusters(30, 20);
        let by_moments = super::super::in_colours_of_moments(&photo, &[(painting.clone(), 1.0)]);
        let whole = with_distribution_of(&by_moments, &[(painting.clone(), 1.0)]);
        let (moments, distribution) =
            (colour_distance(&by_moments, &[(&painting, 1.0)]), colour_distance(&whole, &[(&painting, 1.0)]));
        assert!(distribution < 0.25 * moments, "{moments} → {distribution}");
        assert!(distribution < 2.0, "{distribution}");
        // Nothing to match: the image as it was.
        assert_eq!(with_distribution_of(&photo, &[]), photo);
    }
}
