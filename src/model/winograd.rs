//! VGG19's convolution (3×3 kernel, stride 1, one pixel of zero padding) by Winograd's minimal
//! filtering F(4×4, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks").
//!
//! Each 4×4 block of output pixels comes from a 6×6 patch of the input. Patches and kernels are
//! moved into a "Winograd domain" of 36 points where the convolution becomes 36 independent
//! matrix products (kernels × patches, summed over input channels), and the products are moved
//! back. That is 36 multiplications per 16 outputs and input channel instead of 144: the work
//! that dominates style transfer shrinks 4×, while the transforms are cheap additions.
//!
//! The photo is processed in bands of tile rows so that a band's patches and products stay in
//! cache between the three steps. Kernels are transformed when the model is loaded, once per
//! pass. The backward pass (the gradient with respect to a layer's input) is the same
//! convolution with channels swapped and every kernel turned 180°, and correlating with a
//! turned kernel is correlating the turned patch with the kernel and turning the result: so it
//! uses the same transformed kernels, laid out with the channels swapped, and reads each patch
//! and writes each tile back to front.

use gemm::{Parallelism, gemm};
use rayon::prelude::*;

/// Output pixels per tile side.
const TILE: usize = 4;
/// Input pixels per patch side: a tile plus the kernel's reach.
const PATCH: usize = TILE + 2;
/// Points of the Winograd domain: one matrix product each.
pub const POINTS: usize = PATCH * PATCH;
/// Tiles handled together by the transforms: one AVX-512 register of f32.
const LANES: usize = 16;
/// Tiles per band: measured (64–1024 tried at VGG19's 512 px shapes) as the cache sweet spot.
const BAND_TILES: usize = 512;

type Lanes = [f32; LANES];

/// Bᵀ·d: six input pixels in a line to the 6 points, for 16 tiles at once.
#[inline(always)]
fn patch_to_points(d: &[Lanes; PATCH]) -> [Lanes; PATCH] {
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
fn points_to_tile(m: &[Lanes; PATCH]) -> [Lanes; TILE] {
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
fn taps_to_points(g: &[Lanes; 3]) -> [Lanes; PATCH] {
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
fn copy_lanes(to: &mut [f32], from: &[f32], n: usize) {
    if n == LANES {
        to[..LANES].copy_from_slice(&from[..LANES]);
    } else {
        to[..n].copy_from_slice(&from[..n]);
    }
}

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
struct KernelRow<'a> {
    weight: &'a [f32],
    first: usize,
    stride: usize,
}

/// One produced channel's kernels to `[point][consumed channel]`, 16 kernels at a time.
#[inline(always)]
fn transform_channel(kernels: KernelRow, out: &mut [f32]) {
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

/// One channel's share of a step, run by pulp under the widest SIMD this CPU has (AVX-512
/// here). pulp compiles for that SIMD only what is inlined into its dispatch: closures were
/// not, and stayed on SSE2; the functions called here are `#[inline(always)]`.
enum ChannelStep<'a> {
    Kernels {
        kernels: KernelRow<'a>,
        out: &'a mut [f32],
    },
    Gather {
        band: &'a Band,
        turned: bool,
        plane: &'a [f32],
        gate: Option<&'a [f32]>,
        width: usize,
        height: usize,
        out: &'a mut [f32],
    },
    Scatter {
        band: &'a Band,
        turned: bool,
        products: &'a [f32],
        channel: usize,
        bias: f32,
        relu: bool,
        planes: Planes,
        plane: &'a mut [f32],
    },
}

impl pulp::WithSimd for ChannelStep<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        match self {
            ChannelStep::Kernels { kernels, out } => transform_channel(kernels, out),
            ChannelStep::Gather { band, turned: false, plane, gate, width, height, out } => {
                band.gather_channel::<false>(plane, gate, width, height, out)
            }
            ChannelStep::Gather { band, turned: true, plane, gate, width, height, out } => {
                band.gather_channel::<true>(plane, gate, width, height, out)
            }
            ChannelStep::Scatter { band, turned: false, products, channel, bias, relu, planes, plane } => {
                band.scatter_channel::<false>(products, channel, bias, relu, planes, plane)
            }
            ChannelStep::Scatter { band, turned: true, products, channel, bias, relu, planes, plane } => {
                band.scatter_channel::<true>(products, channel, bias, relu, planes, plane)
            }
        }
    }
}

/// The shape of one image's activations: channels × height × width.
#[derive(Debug, Clone, Copy)]
pub struct Planes {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
}

/// Kernels from [`transform_kernels`] for one pass: `[outs][point][ins]` of that pass.
#[derive(Debug, Clone, Copy)]
pub struct Kernels<'a> {
    pub points: &'a [f32],
    pub outs: usize,
    pub ins: usize,
}

/// Which convolution to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// The layer.
    Forward,
    /// The gradient with respect to the layer's input.
    Backward,
}

/// What is done on the way into and out of the Winograd domain, saving a pass over the
/// activations each.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fused<'a> {
    /// Added to each output channel.
    pub bias: Option<&'a [f32]>,
    /// The result through a ReLU.
    pub relu: bool,
    /// The input taken only where `gate` (the same shape) is positive: the gradient through
    /// the ReLU whose output `gate` is.
    pub gate: Option<&'a [f32]>,
}

/// One image `x` (`[kernels.ins][height][width]`) through a layer's convolution or its gradient,
/// with the kernels [`transform_kernels`] made for that pass and what `fused` adds. Returns
/// `[kernels.outs][height][width]`.
pub fn convolve(x: &[f32], planes: Planes, kernels: Kernels, pass: Pass, fused: Fused) -> Vec<f32> {
    let Planes { channels, height, width } = planes;
    let (channels_in, channels_out) = (kernels.ins, kernels.outs);
    assert_eq!(channels, channels_in, "{channels} channels for kernels taking {channels_in}");
    assert_eq!(x.len(), channels * height * width, "an image of {channels}×{height}×{width}");
    assert_eq!(kernels.points.len(), POINTS * kernels.outs * kernels.ins, "Winograd kernels");
    assert!(fused.bias.is_none_or(|b| b.len() == channels_out), "one bias per output channel");
    assert!(fused.gate.is_none_or(|g| g.len() == x.len()), "a gate the shape of the input");
    let tiles = Tiles::new(height, width);
    let band_rows = (BAND_TILES / tiles.across).clamp(1, tiles.down);
    let band_tiles = band_rows * tiles.across;
    let mut y = vec![0.0; channels_out * height * width];
    let mut scratch = Scratch::take();
    let (patches, products) =
        scratch.sized(channels_in * POINTS * band_tiles, POINTS * channels_out * band_tiles);
    for first_row in (0..tiles.down).step_by(band_rows) {
        let band = Band { first_row, rows: band_rows.min(tiles.down - first_row), tiles };
        let count = band.rows * tiles.across;
        let patches = &mut patches[..channels_in * POINTS * count];
        let products = &mut products[..POINTS * channels_out * count];
        let turned = pass == Pass::Backward;
        band.gather_patches(turned, x, fused.gate, planes, patches);
        products.par_chunks_mut(channels_out * count).enumerate().for_each(|(point, product)| {
            multiply_at_point(kernels, patches, point, product, count);
        });
        let output = Planes { channels: channels_out, ..planes };
        band.scatter_tiles(turned, products, fused, &mut y, output);
    }
    scratch.give_back();
    y
}

/// The bands' patches and products, kept between calls on a thread: fresh buffers each call
/// spent a tenth of an evaluation being zeroed. Every element used is written before it is
/// read, so old contents do not matter.
#[derive(Default)]
struct Scratch {
    patches: Vec<f32>,
    products: Vec<f32>,
}

thread_local! {
    static SCRATCH: std::cell::Cell<Scratch> = std::cell::Cell::new(Scratch::default());
}

impl Scratch {
    fn take() -> Scratch {
        SCRATCH.take()
    }

    fn sized(&mut self, patches: usize, products: usize) -> (&mut [f32], &mut [f32]) {
        for (buffer, len) in [(&mut self.patches, patches), (&mut self.products, products)] {
            if buffer.len() < len {
                buffer.resize(len, 0.0);
            }
        }
        (&mut self.patches[..patches], &mut self.products[..products])
    }

    fn give_back(self) {
        SCRATCH.set(self);
    }
}

/// The grid of 4×4 output tiles covering an image (the last row and column may overhang).
#[derive(Debug, Clone, Copy)]
struct Tiles {
    down: usize,
    across: usize,
    /// Groups of 16 tiles per tile row.
    lane_groups: usize,
}

impl Tiles {
    fn new(height: usize, width: usize) -> Tiles {
        let across = width.div_ceil(TILE);
        Tiles { down: height.div_ceil(TILE), across, lane_groups: across.div_ceil(LANES) }
    }
}

/// Consecutive tile rows, processed together.
struct Band {
    first_row: usize,
    rows: usize,
    tiles: Tiles,
}

impl Band {
    /// Patches of every input channel in the Winograd domain, `[channel][point][tile]`; each
    /// patch turned 180° first if `turned`, and zero wherever `gate` is not positive.
    fn gather_patches(
        &self,
        turned: bool,
        x: &[f32],
        gate: Option<&[f32]>,
        planes: Planes,
        patches: &mut [f32],
    ) {
        let Planes { height, width, .. } = planes;
        let count = self.rows * self.tiles.across;
        patches.par_chunks_mut(POINTS * count).enumerate().for_each(|(channel, out)| {
            let plane = &x[channel * height * width..][..height * width];
            let gate = gate.map(|g| &g[channel * height * width..][..height * width]);
            let step = ChannelStep::Gather { band: self, turned, plane, gate, width, height, out };
            pulp::Arch::new().dispatch(step);
        });
    }

    #[inline(always)]
    fn gather_channel<const TURNED: bool>(
        &self,
        plane: &[f32],
        gate: Option<&[f32]>,
        width: usize,
        height: usize,
        out: &mut [f32],
    ) {
        let count = self.rows * self.tiles.across;
        // A padded copy of each of the six image rows under a tile row, long enough for the
        // last group of 16 tiles to read zeros past the edge, then split into its four phases
        // (pixels 4n, 4n+1, 4n+2, 4n+3) so that a patch column of 16 tiles is 16 contiguous
        // values rather than a stride-4 gather.
        let phase_len = self.tiles.lane_groups * LANES + 1;
        let line = TILE * phase_len;
        let mut padded = vec![0.0; line];
        let mut phases = vec![0.0; PATCH * line]; // [row j][phase][n]
        for row in 0..self.rows {
            let tile_row = self.first_row + row;
            for (j, line_phases) in phases.chunks_exact_mut(line).enumerate() {
                let source = (TILE * tile_row + j).checked_sub(1).filter(|&r| r < height);
                let pixels = &mut padded[1..=width];
                match (source, gate) {
                    (Some(r), None) => pixels.copy_from_slice(&plane[r * width..][..width]),
                    (Some(r), Some(gate)) => {
                        let (values, gate) = (&plane[r * width..][..width], &gate[r * width..][..width]);
                        for ((p, &v), &g) in pixels.iter_mut().zip(values).zip(gate) {
                            *p = if g > 0.0 { v } else { 0.0 };
                        }
                    }
                    (None, _) => pixels.fill(0.0),
                }
                let (phase0, rest) = line_phases.split_at_mut(phase_len);
                let (phase1, rest) = rest.split_at_mut(phase_len);
                let (phase2, phase3) = rest.split_at_mut(phase_len);
                let phases = phase0.iter_mut().zip(phase1).zip(phase2).zip(phase3);
                for (pixels, (((p0, p1), p2), p3)) in padded.chunks_exact(TILE).zip(phases) {
                    (*p0, *p1, *p2, *p3) = (pixels[0], pixels[1], pixels[2], pixels[3]);
                }
            }
            for group in 0..self.tiles.lane_groups {
                let first = group * LANES;
                // d[column][row][tile]
                let mut d = [[[0.0; LANES]; PATCH]; PATCH];
                for (j, line_phases) in phases.chunks_exact(line).enumerate() {
                    let j = if TURNED { PATCH - 1 - j } else { j };
                    for (l, column) in d.iter_mut().enumerate() {
                        let l = if TURNED { PATCH - 1 - l } else { l };
                        let from = (l % TILE) * phase_len + first + l / TILE;
                        column[j].copy_from_slice(&line_phases[from..][..LANES]);
                    }
                }
                let mut e = [[[0.0; LANES]; PATCH]; PATCH]; // [row point][column]
                for (l, column) in d.iter().enumerate() {
                    for (i, v) in patch_to_points(column).into_iter().enumerate() {
                        e[i][l] = v;
                    }
                }
                let n = LANES.min(self.tiles.across - first);
                let at = row * self.tiles.across + first;
                for (i, line_points) in e.iter().enumerate() {
                    for (k, v) in patch_to_points(line_points).iter().enumerate() {
                        copy_lanes(&mut out[(i * PATCH + k) * count + at..], v, n);
                    }
                }
            }
        }
    }

    /// The products `[point][channel][tile]` back to output pixels (each tile turned 180° if
    /// `turned`), plus the bias, through the ReLU if asked.
    fn scatter_tiles(&self, turned: bool, products: &[f32], fused: Fused, y: &mut [f32], planes: Planes) {
        y.par_chunks_mut(planes.height * planes.width).enumerate().for_each(|(channel, plane)| {
            let bias = fused.bias.map_or(0.0, |b| b[channel]);
            let relu = fused.relu;
            let step =
                ChannelStep::Scatter { band: self, turned, products, channel, bias, relu, planes, plane };
            pulp::Arch::new().dispatch(step);
        });
    }

    #[inline(always)]
    fn scatter_channel<const TURNED: bool>(
        &self,
        products: &[f32],
        channel: usize,
        bias: f32,
        relu: bool,
        planes: Planes,
        plane: &mut [f32],
    ) {
        let Planes { channels: outs, height, width } = planes;
        let count = self.rows * self.tiles.across;
        let line = TILE * self.tiles.lane_groups * LANES;
        let mut lines = vec![0.0; TILE * line];
        for row in 0..self.rows {
            for group in 0..self.tiles.lane_groups {
                let first = group * LANES;
                let n = LANES.min(self.tiles.across - first);
                let at = row * self.tiles.across + first;
                let mut m = [[[0.0; LANES]; PATCH]; PATCH]; // [column][row]
                for i in 0..PATCH {
                    for (j, column) in m.iter_mut().enumerate() {
                        let from = ((i * PATCH + j) * outs + channel) * count + at;
                        copy_lanes(&mut column[i], &products[from..], n);
                    }
                }
                let mut s = [[[0.0; LANES]; PATCH]; TILE]; // [pixel row][column]
                for (j, column) in m.iter().enumerate() {
                    for (a, v) in points_to_tile(column).into_iter().enumerate() {
                        s[a][j] = v;
                    }
                }
                for (a, pixel_row) in s.iter().enumerate() {
                    let out = points_to_tile(pixel_row);
                    let a = if TURNED { TILE - 1 - a } else { a };
                    let target = &mut lines[a * line + TILE * first..][..TILE * LANES];
                    for (q, pixels) in target.chunks_exact_mut(TILE).enumerate() {
                        for (b, v) in pixels.iter_mut().enumerate() {
                            let b = if TURNED { TILE - 1 - b } else { b };
                            *v = out[b][q] + bias;
                        }
                    }
                }
            }
            let top = TILE * (self.first_row + row);
            for (a, pixels) in lines.chunks_exact(line).enumerate() {
                if top + a < height {
                    let target = &mut plane[(top + a) * width..][..width];
                    if relu {
                        for (t, &v) in target.iter_mut().zip(&pixels[..width]) {
                            *t = v.max(0.0);
                        }
                    } else {
                        target.copy_from_slice(&pixels[..width]);
                    }
                }
            }
        }
    }
}

/// At one point: products[out][tile] = Σ_in kernel[out][point][in] · patches[in][point][tile].
fn multiply_at_point(kernels: Kernels, patches: &[f32], point: usize, products: &mut [f32], tiles: usize) {
    let Kernels { points, outs, ins } = kernels;
    let (kernel_stride, patch_stride) = (POINTS * ins, POINTS * tiles);
    // The reads below stay inside these slices.
    assert!(points.len() == outs * kernel_stride && products.len() == outs * tiles && ins >= 1);
    assert!(patches.len() >= (ins - 1) * patch_stride + point * tiles + tiles);
    let (kernel, patch) = (points[point * ins..].as_ptr(), patches[point * tiles..].as_ptr());
    // Computed as productsᵀ = patchesᵀ × kernelsᵀ, the form the `gemm` crate runs fastest: its
    // micro-kernel writes columns of the result, and it reads the right-hand operand in place
    // (no copy, "packing") when that is contiguous down its columns, as the kernels are here.
    // Measured per layer, the other orientations ran at a third to half the speed.
    // SAFETY: the pointers and strides address only elements inside the three slices checked
    // above; `products` is borrowed mutably, the others shared, so nothing aliases.
    #[allow(unsafe_code)]
    unsafe {
        let (m, n, k) = (tiles, outs, ins);
        let (dst, dst_cs, dst_rs) = (products.as_mut_ptr(), tiles, 1);
        let (lhs, lhs_cs, lhs_rs) = (patch, patch_stride, 1);
        let (rhs, rhs_cs, rhs_rs) = (kernel, kernel_stride, 1);
        gemm(
            m,
            n,
            k,
            dst,
            dst_cs as isize,
            dst_rs as isize,
            false,
            lhs,
            lhs_cs as isize,
            lhs_rs as isize,
            rhs,
            rhs_cs as isize,
            rhs_rs as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            // The 36 points already keep both cores busy.
            Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition, summed in f64.
    fn direct(x: &[f32], planes: Planes, weight: &[f32], outs: usize, bias: &[f32]) -> Vec<f32> {
        let Planes { channels: ins, height, width } = planes;
        let mut y = vec![0.0; outs * height * width];
        for o in 0..outs {
            for r in 0..height {
                for c in 0..width {
                    let mut sum = f64::from(bias[o]);
                    for i in 0..ins {
                        for ky in 0..3 {
                            for kx in 0..3 {
                                let (yy, xx) = ((r + ky).checked_sub(1), (c + kx).checked_sub(1));
                                let (Some(yy), Some(xx)) = (yy, xx) else { continue };
                                if yy < height && xx < width {
                                    let w = weight[((o * ins + i) * 3 + ky) * 3 + kx];
                                    sum += f64::from(w) * f64::from(x[(i * height + yy) * width + xx]);
                                }
                            }
                        }
                    }
                    y[(o * height + r) * width + c] = sum as f32;
                }
            }
        }
        y
    }

    fn values(n: usize, seed: f32) -> Vec<f32> {
        (0..n).map(|i| (i as f32 * 0.618 + seed).sin()).collect()
    }

    fn largest_difference(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(p, q)| (p - q).abs()).fold(0.0, f32::max)
    }

    /// Sizes that are not multiples of 4, wider than one group of 16 tiles, and tall enough for
    /// several bands all meet the definition.
    #[test]
    fn matches_the_definition() {
        for (ins, outs, height, width) in [(5, 4, 7, 9), (3, 2, 1, 1), (8, 6, 13, 70), (2, 3, 300, 9)] {
            let planes = Planes { channels: ins, height, width };
            let x = values(ins * height * width, 1.0);
            let weight = values(outs * ins * 9, 2.0);
            let bias = values(outs, 3.0);
            let points = transform_kernels(&weight, outs, ins, Pass::Forward);
            let kernels = Kernels { points: &points, outs, ins };
            let fast =
                convolve(&x, planes, kernels, Pass::Forward, Fused { bias: Some(&bias), ..Fused::default() });
            let exact = direct(&x, planes, &weight, outs, &bias);
            let error = largest_difference(&fast, &exact);
            assert!(error < 1e-4, "{ins}→{outs} at {height}×{width}: off by {error}");
        }
    }

    /// The backward pass is the adjoint of the forward one: ⟨conv(x), g⟩ = ⟨x, back(g)⟩.
    #[test]
    fn backward_is_the_adjoint() {
        for (ins, outs, height, width) in [(3, 5, 6, 11), (4, 2, 9, 70)] {
            let weight = values(outs * ins * 9, 0.5);
            let x = values(ins * height * width, 1.5);
            let g = values(outs * height * width, 2.5);
            let zeros = vec![0.0; outs];
            let forward = direct(&x, Planes { channels: ins, height, width }, &weight, outs, &zeros);
            let points = transform_kernels(&weight, outs, ins, Pass::Backward);
            let kernels = Kernels { points: &points, outs: ins, ins: outs };
            let back = convolve(
                &g,
                Planes { channels: outs, height, width },
                kernels,
                Pass::Backward,
                Fused::default(),
            );
            let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(p, q)| f64::from(p * q)).sum::<f64>();
            let (left, right) = (dot(&forward, &g), dot(&x, &back));
            assert!((left - right).abs() < 1e-5 * left.abs().max(1.0), "{left} vs {right}");
        }
    }
}
