//! Forward–backward consistency: where the flow A → B and the flow B → A disagree, a pixel of
//! A was hidden in B (or the flow is wrong there), so a video must not carry its painting
//! over. The test is Ruder, Dosovitskiy & Brox's ("Artistic style transfer for videos", 2016).

use super::Flow;
use super::pyramid::{bilinear, central};

/// Per pixel of A, the forward vector plus the backward one where it lands,
/// w(x) + ŵ(x + w(x)), before its length is taken: zero for a consistent pair.
fn round_trip(forward: &Flow, backward: &Flow) -> Vec<(f32, f32, f32)> {
    let (w, h) = (forward.width, forward.height);
    assert_eq!((backward.width, backward.height), (w, h), "forward and backward flows of different sizes");
    let mut out = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let (u, v) = (forward.u[i], forward.v[i]);
            let (tx, ty) = (x as f32 + u, y as f32 + v);
            let bu = bilinear(&backward.u, w, h, tx, ty);
            let bv = bilinear(&backward.v, w, h, tx, ty);
            out.push((u + bu, v + bv, u * u + v * v + bu * bu + bv * bv));
        }
    }
    out
}

/// |w(x) + ŵ(x + w(x))| per pixel of A, in pixels.
pub fn round_trip_error(forward: &Flow, backward: &Flow) -> Vec<f32> {
    round_trip(forward, backward).into_iter().map(|(du, dv, _)| (du * du + dv * dv).sqrt()).collect()
}

/// Whether each pixel of A is seen in B: the round trip is short against the vectors' lengths,
/// |w + ŵ|² ≤ 0.01 (|w|² + |ŵ|²) + 0.5 (Ruder et al., eq. 4), and x + w(x) is inside B.
pub fn reliable(forward: &Flow, backward: &Flow) -> Vec<bool> {
    let (w, h) = (forward.width as f32, forward.height as f32);
    round_trip(forward, backward)
        .into_iter()
        .enumerate()
        .map(|(i, (du, dv, lengths))| {
            let (x, y) = ((i % forward.width) as f32, (i / forward.width) as f32);
            let (tx, ty) = (x + forward.u[i], y + forward.v[i]);
            let inside = (0.0..=w - 1.0).contains(&tx) && (0.0..=h - 1.0).contains(&ty);
            inside && du * du + dv * dv <= 0.01 * lengths + 0.5
        })
        .collect()
}

/// Whether each pixel of A lies on a motion boundary of `flow`, where the flow's gradient is
/// large against its length: |∇u|² + |∇v|² > 0.01 |w|² + 0.002 (Ruder et al., eq. 5). Warping
/// there mixes two objects' paint.
pub fn motion_boundaries(flow: &Flow) -> Vec<bool> {
    let (w, h) = (flow.width, flow.height);
    let [ux, uy, vx, vy] = [(&flow.u, true), (&flow.u, false), (&flow.v, true), (&flow.v, false)]
        .map(|(p, x)| central(p, w, h, x));
    (0..w * h)
        .map(|i| {
            let gradient = ux[i] * ux[i] + uy[i] * uy[i] + vx[i] * vx[i] + vy[i] * vy[i];
            let length = flow.u[i] * flow.u[i] + flow.v[i] * flow.v[i];
            gradient > 0.01 * length + 0.002
        })
        .collect()
}

/// How far to trust `forward` (A → B) for carrying B's painting onto A, per pixel of A, 0–1:
/// 0 where A's pixel is hidden in B or leaves it ([`reliable`]) or lies on a motion boundary
/// ([`motion_boundaries`]), 1 elsewhere; then blurred (a 5-tap binomial each way, about one
/// pixel's spread) so that the temporal term fades at the edges of what it holds instead of
/// drawing them.
pub fn certainty(forward: &Flow, backward: &Flow) -> Vec<f32> {
    let (w, h) = (forward.width, forward.height);
    let sure: Vec<f32> = reliable(forward, backward)
        .into_iter()
        .zip(motion_boundaries(forward))
        .map(|(seen, boundary)| if seen && !boundary { 1.0 } else { 0.0 })
        .collect();
    binomial_blur(&binomial_blur(&sure, w, h, true), w, h, false)
}

/// `data` (w×h) convolved with [1, 4, 6, 4, 1]/16 along x or y, edges clamped.
fn binomial_blur(data: &[f32], w: usize, h: usize, along_x: bool) -> Vec<f32> {
    const TAPS: [f32; 5] = [1.0 / 16.0, 4.0 / 16.0, 6.0 / 16.0, 4.0 / 16.0, 1.0 / 16.0];
    let mut out = vec![0.0; data.len()];
    for y in 0..h {
        for x in 0..w {
            out[y * w + x] = TAPS
                .iter()
                .enumerate()
                .map(|(k, tap)| {
                    let offset = k as isize - 2;
                    let (sx, sy) = if along_x {
                        ((x as isize + offset).clamp(0, w as isize - 1) as usize, y)
                    } else {
                        (x, (y as isize + offset).clamp(0, h as isize - 1) as usize)
                    };
                    tap * data[sy * w + sx]
                })
                .sum();
        }
    }
    out
}
