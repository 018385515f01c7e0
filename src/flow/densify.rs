//! Densification (Kroeger et al. §2.2): each pixel's flow is the mean of the vectors of the
//! patches that cover it, each weighted by how well it explains that pixel,
//! 1 / max(1, |B(x + w) − A(x)|). Where two surfaces meet, the patch that belongs to the
//! pixel's surface wins instead of the two being averaged into a vector that fits neither.

use super::inverse_search::Sparse;
use super::pyramid::Padded;
use super::{Flow, Grey};

/// The dense flow of A (`a`) to B (`b`, padded by at least patch + stride) from one level's
/// patch vectors. Patch by patch: within a patch the vector is one translation, so B is
/// sampled with the same bilinear weights along each row and the loop vectorises. The last
/// column and row of patches reach to the image's edge, where the grid stops short of it.
pub(super) fn densify(sparse: &Sparse, a: &Grey, b: &Padded) -> Flow {
    let (w, h, p, s) = (a.width, a.height, sparse.patch, sparse.stride);
    let (mut su, mut sv, mut total) = (vec![0.0f32; w * h], vec![0.0f32; w * h], vec![0.0f32; w * h]);
    for row in 0..sparse.rows {
        let (y0, y1) = (row * s, if row + 1 == sparse.rows { h } else { row * s + p });
        for col in 0..sparse.cols {
            let (x0, x1) = (col * s, if col + 1 == sparse.cols { w } else { col * s + p });
            let k = row * sparse.cols + col;
            let (u, v) = (sparse.u[k], sparse.v[k]);
            // Clamped as the search clamps it: the patch keeps a pixel inside B.
            let x = (x0 as f32 + u).clamp(1.0 - p as f32, (w - 1) as f32);
            let y = (y0 as f32 + v).clamp(1.0 - p as f32, (h - 1) as f32);
            let (fx, fy) = (x.floor(), y.floor());
            let (ax, ay) = (x - fx, y - fy);
            let (w00, w01, w10, w11) = ((1.0 - ax) * (1.0 - ay), ax * (1.0 - ay), (1.0 - ax) * ay, ax * ay);
            let bx = (fx as isize + b.border as isize) as usize;
            let by = (fy as isize + b.border as isize) as usize;
            let n = x1 - x0;
            for (r, y) in (y0..y1).enumerate() {
                let top = &b.data[(by + r) * b.stride + bx..][..n + 1];
                let bottom = &b.data[(by + r + 1) * b.stride + bx..][..n + 1];
                let at = y * w + x0;
                let a = &a.data[at..at + n];
                let (su, sv, total) = (&mut su[at..at + n], &mut sv[at..at + n], &mut total[at..at + n]);
                for c in 0..n {
                    let error =
                        w00 * top[c] + w01 * top[c + 1] + w10 * bottom[c] + w11 * bottom[c + 1] - a[c];
                    let weight = 1.0 / error.abs().max(1.0);
                    su[c] += weight * u;
                    sv[c] += weight * v;
                    total[c] += weight;
                }
            }
        }
    }
    for ((u, v), t) in su.iter_mut().zip(&mut sv).zip(&total) {
        (*u, *v) = (*u / t, *v / t);
    }
    Flow { width: w, height: h, u: su, v: sv }
}
