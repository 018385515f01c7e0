//! Forward–backward consistency: where the flow A → B and the flow B → A disagree, a pixel of
//! A was hidden in B (or the flow is wrong there), so a video must not carry its painting
//! over. The test is Ruder, Dosovitskiy & Brox's ("Artistic style transfer for videos", 2016).

use super::Flow;
use super::pyramid::bilinear;

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
