//! The pyramid DIS works down, and the small image operations the other steps share: halving,
//! gradients, bilinear sampling with replicated borders, and carrying a flow to a finer level.

use super::{DisParams, Flow, Grey};

/// How many levels (full size included) `params` asks for at `width`×`height`: halve while
/// the longer side stays at least `coarsest_side` and the shorter one holds a patch.
pub(super) fn level_count(width: usize, height: usize, params: &DisParams) -> usize {
    let (mut w, mut h, mut levels) = (width, height, 1);
    while (w / 2).max(h / 2) >= params.coarsest_side.max(1) && (w / 2).min(h / 2) >= params.patch.max(1) {
        (w, h, levels) = (w / 2, h / 2, levels + 1);
    }
    levels
}

/// `image` and `levels − 1` halvings of it.
pub(super) fn build(image: &Grey, levels: usize) -> Vec<Grey> {
    let mut pyramid = vec![image.clone()];
    while pyramid.len() < levels {
        let next = halve(&pyramid[pyramid.len() - 1]);
        pyramid.push(next);
    }
    pyramid
}

/// Each pixel the mean of the 2×2 block it covers (an odd last row or column is dropped), as
/// OpenCV's area resize: no blur beyond the block, so fine texture survives a level longer.
/// Coarse pixel X covers fine pixels 2X and 2X + 1, so x = 2X + 0.5 maps the centres.
fn halve(image: &Grey) -> Grey {
    let (w, h) = (image.width / 2, image.height / 2);
    let src = |x: usize, y: usize| image.data[y * image.width + x];
    let mut data = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let sum =
                src(2 * x, 2 * y) + src(2 * x + 1, 2 * y) + src(2 * x, 2 * y + 1) + src(2 * x + 1, 2 * y + 1);
            data.push(0.25 * sum);
        }
    }
    Grey { width: w, height: h, data }
}

/// Sobel derivatives (normalised to intensity per pixel, borders replicated): the 3×3 smoothing
/// across the derivative keeps a patch's structure tensor well-conditioned on noisy frames.
pub(super) fn sobel(image: &Grey) -> (Vec<f32>, Vec<f32>) {
    let (w, h) = (image.width, image.height);
    let at = |x: usize, y: usize| image.data[y * w + x];
    let (mut gx, mut gy) = (vec![0.0; w * h], vec![0.0; w * h]);
    for y in 0..h {
        let (up, down) = (y.saturating_sub(1), (y + 1).min(h - 1));
        for x in 0..w {
            let (left, right) = (x.saturating_sub(1), (x + 1).min(w - 1));
            let column = |x: usize| at(x, up) + 2.0 * at(x, y) + at(x, down);
            let row = |y: usize| at(left, y) + 2.0 * at(x, y) + at(right, y);
            gx[y * w + x] = (column(right) - column(left)) / 8.0;
            gy[y * w + x] = (row(down) - row(up)) / 8.0;
        }
    }
    (gx, gy)
}

/// Central differences, (f(x + 1) − f(x − 1)) / 2 with borders replicated: along x, or along y.
pub(super) fn central(data: &[f32], w: usize, h: usize, along_x: bool) -> Vec<f32> {
    let mut out = vec![0.0; w * h];
    for (y, row) in out.chunks_exact_mut(w).enumerate() {
        if along_x {
            let src = &data[y * w..(y + 1) * w];
            for (x, o) in row.iter_mut().enumerate() {
                *o = 0.5 * (src[(x + 1).min(w - 1)] - src[x.saturating_sub(1)]);
            }
        } else {
            let before = &data[y.saturating_sub(1) * w..][..w];
            let after = &data[(y + 1).min(h - 1) * w..][..w];
            row.iter_mut().zip(before.iter().zip(after)).for_each(|(o, (b, a))| *o = 0.5 * (a - b));
        }
    }
    out
}

/// Bilinear value of a `w`×`h` plane at (x, y), the point clamped into the plane first
/// (replicated borders).
pub(super) fn bilinear(data: &[f32], w: usize, h: usize, x: f32, y: f32) -> f32 {
    let x = x.clamp(0.0, (w - 1) as f32);
    let y = y.clamp(0.0, (h - 1) as f32);
    let (x0, y0) = (x as usize, y as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (ax, ay) = (x - x0 as f32, y - y0 as f32);
    let top = data[y0 * w + x0] + ax * (data[y0 * w + x1] - data[y0 * w + x0]);
    let bottom = data[y1 * w + x0] + ax * (data[y1 * w + x1] - data[y1 * w + x0]);
    top + ay * (bottom - top)
}

/// `flow` carried to a level `factor` times finer of `width`×`height`: sampled bilinearly where
/// each fine pixel's centre falls on the coarse grid, X = (x + 0.5) / factor − 0.5, and scaled.
pub(super) fn upsample(flow: &Flow, width: usize, height: usize, factor: f32) -> Flow {
    let (cw, ch) = (flow.width, flow.height);
    let mut out = Flow::zero(width, height);
    for y in 0..height {
        let cy = (y as f32 + 0.5) / factor - 0.5;
        for x in 0..width {
            let cx = (x as f32 + 0.5) / factor - 0.5;
            out.u[y * width + x] = factor * bilinear(&flow.u, cw, ch, cx, cy);
            out.v[y * width + x] = factor * bilinear(&flow.v, cw, ch, cx, cy);
        }
    }
    out
}

/// An image with `border` replicated pixels on every side: the patch search and densification
/// read a patch of B wherever a vector sends it (clamped to overlap B by a pixel) without
/// bounds checks or clamping in their inner loops.
pub(super) struct Padded {
    pub border: usize,
    pub stride: usize,
    pub data: Vec<f32>,
}

impl Padded {
    pub fn new(image: &Grey, border: usize) -> Padded {
        let (w, h) = (image.width, image.height);
        let stride = w + 2 * border;
        let mut data = Vec::with_capacity(stride * (h + 2 * border));
        for py in 0..h + 2 * border {
            let y = py.saturating_sub(border).min(h - 1);
            let row = &image.data[y * w..(y + 1) * w];
            data.extend(std::iter::repeat_n(row[0], border));
            data.extend_from_slice(row);
            data.extend(std::iter::repeat_n(row[w - 1], border));
        }
        Padded { border, stride, data }
    }
}
