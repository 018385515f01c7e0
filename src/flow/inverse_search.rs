//! Patch inverse search (Kroeger et al. §2.1): each patch of A on a grid finds its match in B
//! by Gauss–Newton on the patch's sum of squared differences. "Inverse" because the gradients
//! and the structure tensor are A's, fixed per patch, so a step costs one pass over the patch
//! instead of a gradient of B and a 2×2 solve each time. Candidates from the neighbours
//! already searched in the same sweep (spatial propagation, as OpenCV does) let a good match
//! spread over a patch that started wrong; two sweeps, forward then backward, carry it both ways.

use super::pyramid::{self, Padded};
use super::{DisParams, Flow, Grey};

/// Flow vectors on the patch grid: patch (col, row) has its top-left corner at
/// (col, row) × stride.
pub(super) struct Sparse {
    pub patch: usize,
    pub stride: usize,
    pub cols: usize,
    pub rows: usize,
    pub u: Vec<f32>,
    pub v: Vec<f32>,
}

/// A patch of A, as matching needs it: where it is, its gradient sums (for the mean-normalised
/// cost) and the inverse of its structure tensor (centred the same way).
struct Template {
    x0: usize,
    y0: usize,
    gradient_sum: [f32; 2],
    /// (H⁻¹)₁₁, (H⁻¹)₁₂, (H⁻¹)₂₂.
    inverse: [f32; 3],
}

/// Structure-tensor ridge per pixel of a patch, in (intensity / pixel)²: about the quantisation
/// noise of 8-bit frames, so that a flat patch (sky) takes small steps instead of chasing noise,
/// while a textured one (H per pixel in the hundreds) is not held back.
const RIDGE_PER_PIXEL: f32 = 0.05;

/// A Gauss–Newton step shorter than this (pixels) ends the search: the refinement that
/// follows resolves finer than the patches can.
const CONVERGED: f32 = 0.01;

/// The largest patch side [`DisParams::patch`] may ask for.
pub(super) const MAX_PATCH: usize = 32;

/// Frames A (with its gradients) and B (padded) of one level, and how patches are compared.
struct Matcher<'a> {
    a: &'a Grey,
    gx: Vec<f32>,
    gy: Vec<f32>,
    b: &'a Padded,
    patch: usize,
    mean_normalise: bool,
}

impl Matcher<'_> {
    fn template(&self, x0: usize, y0: usize) -> Template {
        let (p, w) = (self.patch, self.a.width);
        let (mut sx, mut sy, mut sxx, mut sxy, mut syy) = (0.0f32, 0.0f32, 0.0f32, 0.0f32, 0.0f32);
        for y in y0..y0 + p {
            for i in y * w + x0..y * w + x0 + p {
                let (gx, gy) = (self.gx[i], self.gy[i]);
                (sx, sy) = (sx + gx, sy + gy);
                (sxx, sxy, syy) = (sxx + gx * gx, sxy + gx * gy, syy + gy * gy);
            }
        }
        let n = (p * p) as f32;
        if self.mean_normalise {
            (sxx, sxy, syy) = (sxx - sx * sx / n, sxy - sx * sy / n, syy - sy * sy / n);
        }
        let ridge = RIDGE_PER_PIXEL * n;
        let (hxx, hyy) = (sxx + ridge, syy + ridge);
        let det = hxx * hyy - sxy * sxy;
        Template { x0, y0, gradient_sum: [sx, sy], inverse: [hyy / det, -sxy / det, hxx / det] }
    }

    /// The patch's cost at flow (u, v) (sum of squared differences, less the squared mean
    /// difference when mean-normalising) and, with `GRADIENT`, the right-hand side of the
    /// Gauss–Newton step, Σ ∇A·(B(x + w) − A(x)) (centred likewise).
    fn compare<const GRADIENT: bool>(&self, t: &Template, u: f32, v: f32) -> (f32, f32, f32) {
        let (p, w, h) = (self.patch, self.a.width, self.a.height);
        // Clamped so that the patch keeps at least a column and a row inside B.
        let x = (t.x0 as f32 + u).clamp(1.0 - p as f32, (w - 1) as f32);
        let y = (t.y0 as f32 + v).clamp(1.0 - p as f32, (h - 1) as f32);
        let (fx, fy) = (x.floor(), y.floor());
        let (ax, ay) = (x - fx, y - fy);
        let (w00, w01, w10, w11) = ((1.0 - ax) * (1.0 - ay), ax * (1.0 - ay), (1.0 - ax) * ay, ax * ay);
        let border = self.b.border as isize;
        let (bx, by) = ((fx as isize + border) as usize, (fy as isize + border) as usize);
        let stride = self.b.stride;
        // Sums per column, so that the loop runs along a row without a chain of dependent
        // additions and vectorises; added up at the end.
        let mut columns = [[0.0f32; MAX_PATCH]; 4];
        let [sums, squares, xs, ys] = columns.each_mut().map(|c| &mut c[..p]);
        for r in 0..p {
            let top = &self.b.data[(by + r) * stride + bx..][..p + 1];
            let bottom = &self.b.data[(by + r + 1) * stride + bx..][..p + 1];
            let at = (t.y0 + r) * w + t.x0;
            let row = [top, bottom, &self.a.data[at..at + p], &self.gx[at..at + p], &self.gy[at..at + p]];
            accumulate_row::<GRADIENT>(sums, squares, xs, ys, row, [w00, w01, w10, w11]);
        }
        let [sum, mut squares, mut rx, mut ry] = columns.map(|c| c[..p].iter().sum::<f32>());
        if self.mean_normalise {
            let n = (p * p) as f32;
            squares -= sum * sum / n;
            rx -= sum * t.gradient_sum[0] / n;
            ry -= sum * t.gradient_sum[1] / n;
        }
        (squares, rx, ry)
    }

    /// The best of `candidates` (by cost), then Gauss–Newton from there for up to `iterations`
    /// steps, stopping when the cost rises or the step falls under [`CONVERGED`]. A candidate
    /// within [`CONVERGED`] of one already tried is skipped. A result farther than a patch from
    /// where it started is dropped: it has locked onto something else.
    fn search(&self, t: &Template, candidates: &[(f32, f32)], iterations: usize) -> (f32, f32) {
        let close =
            |p: (f32, f32), q: (f32, f32)| (p.0 - q.0).powi(2) + (p.1 - q.1).powi(2) < CONVERGED * CONVERGED;
        // The candidates' costs come with the Gauss–Newton right-hand side, so that the
        // first step needs no second look at the winner.
        let mut start = candidates[0];
        let mut start_eval = self.compare::<true>(t, start.0, start.1);
        for (i, &c) in candidates.iter().enumerate().skip(1) {
            if candidates[..i].iter().any(|&d| close(c, d)) {
                continue;
            }
            let eval = self.compare::<true>(t, c.0, c.1);
            if eval.0 < start_eval.0 {
                (start, start_eval) = (c, eval);
            }
        }
        let [i11, i12, i22] = t.inverse;
        let (mut at, mut best, (mut best_cost, mut rx, mut ry)) = (start, start, start_eval);
        for i in 0..iterations {
            if i > 0 {
                let (cost, x, y) = self.compare::<true>(t, at.0, at.1);
                if cost >= best_cost {
                    at = best;
                    break;
                }
                (best, best_cost, rx, ry) = (at, cost, x, y);
            }
            let step = (i11 * rx + i12 * ry, i12 * rx + i22 * ry);
            at = (at.0 - step.0, at.1 - step.1);
            if step.0 * step.0 + step.1 * step.1 < CONVERGED * CONVERGED {
                break;
            }
        }
        let moved = ((at.0 - start.0).powi(2) + (at.1 - start.1).powi(2)).sqrt();
        if moved <= self.patch as f32 && at.0.is_finite() && at.1.is_finite() { at } else { start }
    }
}

/// One row of a patch into the per-column sums of [`Matcher::compare`]: `row` holds B's two
/// rows around the sample (one longer), then A's row and its gradients; `weights` are the
/// bilinear weights of the sample's position.
#[inline(always)]
fn accumulate_row<const GRADIENT: bool>(
    sums: &mut [f32],
    squares: &mut [f32],
    xs: &mut [f32],
    ys: &mut [f32],
    row: [&[f32]; 5],
    weights: [f32; 4],
) {
    let p = sums.len();
    let (squares, xs, ys) = (&mut squares[..p], &mut xs[..p], &mut ys[..p]);
    let [top, bottom, a, gx, gy] = row;
    let (top, top1, bottom, bottom1) = (&top[..p], &top[1..p + 1], &bottom[..p], &bottom[1..p + 1]);
    let (a, gx, gy) = (&a[..p], &gx[..p], &gy[..p]);
    let [w00, w01, w10, w11] = weights;
    for c in 0..p {
        let d = w00 * top[c] + w01 * top1[c] + w10 * bottom[c] + w11 * bottom1[c] - a[c];
        sums[c] += d;
        squares[c] += d * d;
        if GRADIENT {
            xs[c] += d * gx[c];
            ys[c] += d * gy[c];
        }
    }
}

/// One level's sparse flow from A (`a`) to B (`b`), starting each patch from `dense` (the
/// coarser level's result) at the patch's centre.
pub(super) fn search(a: &Grey, b: &Padded, dense: &Flow, params: &DisParams) -> Sparse {
    let (w, h) = (a.width, a.height);
    let patch = params.patch;
    let stride = params.stride.clamp(1, patch);
    let (cols, rows) = (1 + (w - patch) / stride, 1 + (h - patch) / stride);
    let (gx, gy) = pyramid::sobel(a);
    let matcher = Matcher { a, gx, gy, b, patch, mean_normalise: params.mean_normalise };
    let corner = |k: usize| ((k % cols) * stride, (k / cols) * stride);
    let templates: Vec<Template> = (0..rows * cols)
        .map(|k| {
            let (x0, y0) = corner(k);
            matcher.template(x0, y0)
        })
        .collect();
    let centre = |k: usize| {
        let (x0, y0) = corner(k);
        (y0 + patch / 2) * w + x0 + patch / 2
    };
    let mut u: Vec<f32> = (0..rows * cols).map(|k| dense.u[centre(k)]).collect();
    let mut v: Vec<f32> = (0..rows * cols).map(|k| dense.v[centre(k)]).collect();
    let sweeps = 2;
    let iterations = params.descent_iterations.div_ceil(sweeps);
    for sweep in 0..sweeps {
        let forward = sweep % 2 == 0;
        for n in 0..rows * cols {
            let k = if forward { n } else { rows * cols - 1 - n };
            let (col, row) = (k % cols, k / cols);
            let neighbours = if forward {
                [(col > 0).then(|| k - 1), (row > 0).then(|| k - cols)]
            } else {
                [(col + 1 < cols).then(|| k + 1), (row + 1 < rows).then(|| k + cols)]
            };
            let (mut candidates, mut count) = ([(u[k], v[k]); 3], 1);
            for j in neighbours.into_iter().flatten() {
                candidates[count] = (u[j], v[j]);
                count += 1;
            }
            (u[k], v[k]) = matcher.search(&templates[k], &candidates[..count], iterations);
        }
    }
    Sparse { patch, stride, cols, rows, u, v }
}
