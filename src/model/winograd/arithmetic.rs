//! The transforms' arithmetic, on 16 tiles (or kernels) at once: written for the vectoriser.

use super::{LANES, Lanes, PATCH, TILE};

/// Bᵀ·d: six input pixels in a line to the 6 points, for 16 tiles at once.
#[inline(always)]
pub(super) fn patch_to_points(d: &[Lanes; PATCH]) -> [Lanes; PATCH] {
    let mut r = [[0.0; LANES]; PATCH];
    for q in 0..LANES {
        let [d0, d1, d2, d3, d4, d5] = [d[0][q], d[1][q], d[2][q], d[3][q], d[4][q], d[5][q]];
        r[0][q] = 4.0 * d0 - 5.0 * d2 + d4;
        r[1][q] = -4.0 * (d1 + d2) + d3 + d4;
        r[2][q] = 4.0 * (d1 - d2) - d3 + d4;
        r[3][q] = 2.0 * (d3 - d1) - d2 + d4;
        r[4][q] = 2.0 * (d1 - d3) - d2 + d4;
        r[5][q] = 4.0 * d1 - 5.0 * d3 + d5;
    }
    r
}

/// Aᵀ·m: the 6 points of a line back to four output pixels, for 16 tiles at once.
#[inline(always)]
pub(super) fn points_to_tile(m: &[Lanes; PATCH]) -> [Lanes; TILE] {
    let mut y = [[0.0; LANES]; TILE];
    for q in 0..LANES {
        let [m0, m1, m2, m3, m4, m5] = [m[0][q], m[1][q], m[2][q], m[3][q], m[4][q], m[5][q]];
        let (sum12, diff12, sum34, diff34) = (m1 + m2, m1 - m2, m3 + m4, m3 - m4);
        y[0][q] = m0 + sum12 + sum34;
        y[1][q] = diff12 + 2.0 * diff34;
        y[2][q] = sum12 + 4.0 * sum34;
        y[3][q] = diff12 + 8.0 * diff34 + m5;
    }
    y
}

/// G·g: a kernel's three taps in a line to the 6 points, for 16 kernels at once.
#[inline(always)]
pub(super) fn taps_to_points(g: &[Lanes; 3]) -> [Lanes; PATCH] {
    // Multiplications by reciprocals: dividing was most of the time to load the model.
    const SIXTH: f32 = 1.0 / 6.0;
    let mut r = [[0.0; LANES]; PATCH];
    for q in 0..LANES {
        let [g0, g1, g2] = [g[0][q], g[1][q], g[2][q]];
        let (outer, quarter_sum, half_middle) = (g0 + g2, 0.25 * g0 + g2, 0.5 * g1);
        r[0][q] = 0.25 * g0;
        r[1][q] = -(outer + g1) * SIXTH;
        r[2][q] = -(outer - g1) * SIXTH;
        r[3][q] = (quarter_sum + half_middle) * SIXTH;
        r[4][q] = (quarter_sum - half_middle) * SIXTH;
        r[5][q] = g2;
    }
    r
}

/// Copies the first `n` of 16 values. The full 16, the common case, as a fixed-size copy: a
/// `memcpy` call per 16 values was a tenth of an evaluation.
#[inline(always)]
pub(super) fn copy_lanes(to: &mut [f32], from: &[f32], n: usize) {
    if n == LANES {
        to[..LANES].copy_from_slice(&from[..LANES]);
    } else {
        to[..n].copy_from_slice(&from[..n]);
    }
}
