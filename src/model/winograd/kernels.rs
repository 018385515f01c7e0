//! Kernels into the Winograd domain, once when the model is loaded.

use rayon::prelude::*;

use super::arithmetic::{copy_lanes, taps_to_points};
use super::{ChannelStep, LANES, PATCH, POINTS, Pass};

/// Kernels `[outs][ins][3][3]` in the Winograd domain (G·g·Gᵀ), for the forward pass laid out
/// `[outs][point][ins]`, for the backward pass `[ins][point][outs]`: each channel the pass
/// produces is one contiguous piece, and the products read the kernels in place.
pub fn transform_kernels(weight: &[f32], outs: usize, ins: usize, pass: Pass) -> Vec<f32> {
    assert_eq!(weight.len(), outs * ins * 9, "kernels of {outs}×{ins}×3×3");
    // Kernel (o, i) starts at (o·ins + i)·9.
    let (produced, consumed, produced_stride, consumed_stride) = match pass {
        Pass::Forward => (outs, ins, ins * 9, 9),
        Pass::Backward => (ins, outs, 9, ins * 9),
    };
    let mut points = vec![0.0; produced * POINTS * consumed];
    points.par_chunks_mut(POINTS * consumed).enumerate().for_each(|(channel, out)| {
        let kernels = KernelRow { weight, first: channel * produced_stride, stride: consumed_stride };
        pulp::Arch::new().dispatch(ChannelStep::Kernels { kernels, out });
    });
    points
}

/// One produced channel's kernels inside a layer's weights: the n-th of them starts at
/// `first + n · stride`.
#[derive(Clone, Copy)]
pub(super) struct KernelRow<'a> {
    pub(super) weight: &'a [f32],
    pub(super) first: usize,
    pub(super) stride: usize,
}

/// One produced channel's kernels to `[point][consumed channel]`, 16 kernels at a time.
#[inline(always)]
pub(super) fn transform_channel(kernels: KernelRow, out: &mut [f32]) {
    let count = out.len() / POINTS;
    for first in (0..count).step_by(LANES) {
        let n = LANES.min(count - first);
        // taps[row][column][kernel]
        let mut taps = [[[0.0; LANES]; 3]; 3];
        for (q, kernel) in (first..first + n).enumerate() {
            let g = &kernels.weight[kernels.first + kernel * kernels.stride..][..9];
            for (k, &v) in g.iter().enumerate() {
                taps[k / 3][k % 3][q] = v;
            }
        }
        // G·g, column by column: gg[column][point row]
        let mut gg = [[[0.0; LANES]; PATCH]; 3];
        for (b, column) in gg.iter_mut().enumerate() {
            *column = taps_to_points(&[taps[0][b], taps[1][b], taps[2][b]]);
        }
        for a in 0..PATCH {
            let row = taps_to_points(&[gg[0][a], gg[1][a], gg[2][a]]);
            for (b, v) in row.iter().enumerate() {
                copy_lanes(&mut out[(a * PATCH + b) * count + first..], v, n);
            }
        }
    }
}
