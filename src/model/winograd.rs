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
//! cache between the three steps. Kernels are transformed once, when the model is loaded, and
//! serve the backward pass too: the gradient with respect to a layer's input is the same
//! convolution with channels swapped and every kernel turned 180°, and correlating with a
//! turned kernel is correlating the turned patch with the kernel and turning the result. So
//! that pass reads the kernels transposed and each patch and tile back to front.

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

/// Kernels `[outs][ins][3][3]` in the Winograd domain (G·g·Gᵀ), laid out `[outs][point][ins]`
/// so that each output channel is one contiguous piece.
pub fn transform_kernels(weight: &[f32], outs: usize, ins: usize) -> Vec<f32> {
    assert_eq!(weight.len(), outs * ins * 9, "kernels of {outs}×{ins}×3×3");
    let mut points = vec![0.0; outs * POINTS * ins];
    points.par_chunks_mut(POINTS * ins).enumerate().for_each(|(o, out)| {
        pulp::Arch::new().dispatch(
            #[inline(always)]
            || {
                let kernels = &weight[o * ins * 9..][..ins * 9];
                for first in (0..ins).step_by(LANES) {
                    let n = LANES.min(ins - first);
                    // taps[row][column][kernel]
                    let mut taps = [[[0.0; LANES]; 3]; 3];
                    for (q, g) in kernels[first * 9..][..n * 9].chunks_exact(9).enumerate() {
                        for (k, &v) in g.iter().enumerate() {
                            taps[k / 3][k % 3][q] = v;
                        }
                    }
                    // G·g, column by column: gg[column][point row]
                    let gg: [[Lanes; PATCH]; 3] =
                        std::array::from_fn(|b| taps_to_points(&[taps[0][b], taps[1][b], taps[2][b]]));
                    for a in 0..PATCH {
                        let row = taps_to_points(&[gg[0][a], gg[1][a], gg[2][a]]);
                        for (b, v) in row.iter().enumerate() {
                            out[(a * PATCH + b) * ins + first..][..n].copy_from_slice(&v[..n]);
                        }
                    }
                }
            },
        )
    });
    points
}

/// The shape of one image's activations: channels × height × width.
#[derive(Debug, Clone, Copy)]
pub struct Planes {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
}

/// A layer's kernels from [`transform_kernels`]: `[outs][point][ins]`.
#[derive(Debug, Clone, Copy)]
pub struct Kernels<'a> {
    pub points: &'a [f32],
    pub outs: usize,
    pub ins: usize,
}

/// Which convolution to compute with a layer's kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// The layer: `ins` channels in, `outs` out.
    Forward,
    /// The gradient with respect to the layer's input: `outs` channels in, `ins` out.
    Backward,
}

/// One image `x` (`[channels][height][width]`) through a layer's convolution in the direction
/// `pass`, plus `bias` if given. Returns `[channels out][height][width]`.
pub fn convolve(x: &[f32], planes: Planes, kernels: Kernels, pass: Pass, bias: Option<&[f32]>) -> Vec<f32> {
    let Planes { channels, height, width } = planes;
    let (channels_in, channels_out) = match pass {
        Pass::Forward => (kernels.ins, kernels.outs),
        Pass::Backward => (kernels.outs, kernels.ins),
    };
    assert_eq!(channels, channels_in, "{channels} channels for kernels taking {channels_in}");
    assert_eq!(x.len(), channels * height * width, "an image of {channels}×{height}×{width}");
    assert_eq!(kernels.points.len(), POINTS * kernels.outs * kernels.ins, "Winograd kernels");
    assert!(bias.is_none_or(|b| b.len() == channels_out), "one bias per output channel");
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
        match pass {
            Pass::Forward => band.gather_patches::<false>(x, planes, patches),
            Pass::Backward => band.gather_patches::<true>(x, planes, patches),
        }
        products.par_chunks_mut(channels_out * count).enumerate().for_each(|(point, product)| {
            multiply_at_point(kernels, pass, patches, point, product, count);
        });
        let output = Planes { channels: channels_out, ..planes };
        match pass {
            Pass::Forward => band.scatter_tiles::<false>(products, bias, &mut y, output),
            Pass::Backward => band.scatter_tiles::<true>(products, bias, &mut y, output),
        }
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
    /// patch turned 180° first if `TURNED`.
    fn gather_patches<const TURNED: bool>(&self, x: &[f32], planes: Planes, patches: &mut [f32]) {
        let Planes { height, width, .. } = planes;
        let count = self.rows * self.tiles.across;
        // A padded copy of the six image rows under a tile row, long enough for the last
        // group of 16 tiles to read zeros past the edge.
        let line = TILE * self.tiles.lane_groups * LANES + 2;
        patches.par_chunks_mut(POINTS * count).enumerate().for_each(|(channel, out)| {
            // Under the widest SIMD this CPU has: the loops below are written for it.
            pulp::Arch::new().dispatch(
                #[inline(always)]
                || {
                    let plane = &x[channel * height * width..][..height * width];
                    let mut lines = vec![0.0; PATCH * line];
                    for row in 0..self.rows {
                        let tile_row = self.first_row + row;
                        for (j, padded) in lines.chunks_exact_mut(line).enumerate() {
                            let source = (TILE * tile_row + j).checked_sub(1).filter(|&r| r < height);
                            match source {
                                Some(r) => padded[1..=width].copy_from_slice(&plane[r * width..][..width]),
                                None => padded[1..=width].fill(0.0),
                            }
                        }
                        for group in 0..self.tiles.lane_groups {
                            let first = group * LANES;
                            // d[column][row][tile]
                            let mut d = [[[0.0; LANES]; PATCH]; PATCH];
                            for (j, padded) in lines.chunks_exact(line).enumerate() {
                                let j = if TURNED { PATCH - 1 - j } else { j };
                                for (l, column) in d.iter_mut().enumerate() {
                                    let l = if TURNED { PATCH - 1 - l } else { l };
                                    for (q, v) in column[j].iter_mut().enumerate() {
                                        *v = padded[TILE * (first + q) + l];
                                    }
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
                                    out[(i * PATCH + k) * count + at..][..n].copy_from_slice(&v[..n]);
                                }
                            }
                        }
                    }
                },
            )
        });
    }

    /// The products `[point][channel][tile]` back to output pixels (each tile turned 180° if
    /// `TURNED`), plus the bias.
    fn scatter_tiles<const TURNED: bool>(
        &self,
        products: &[f32],
        bias: Option<&[f32]>,
        y: &mut [f32],
        planes: Planes,
    ) {
        let Planes { channels: outs, height, width } = planes;
        let count = self.rows * self.tiles.across;
        let line = TILE * self.tiles.lane_groups * LANES;
        y.par_chunks_mut(height * width).enumerate().for_each(|(channel, plane)| {
            pulp::Arch::new().dispatch(
                #[inline(always)]
                || {
                    let mut lines = vec![0.0; TILE * line];
                    let bias = bias.map_or(0.0, |b| b[channel]);
                    for row in 0..self.rows {
                        for group in 0..self.tiles.lane_groups {
                            let first = group * LANES;
                            let n = LANES.min(self.tiles.across - first);
                            let at = row * self.tiles.across + first;
                            let mut m = [[[0.0; LANES]; PATCH]; PATCH]; // [column][row]
                            for i in 0..PATCH {
                                for (j, column) in m.iter_mut().enumerate() {
                                    let from = ((i * PATCH + j) * outs + channel) * count + at;
                                    column[i][..n].copy_from_slice(&products[from..][..n]);
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
                                plane[(top + a) * width..][..width].copy_from_slice(&pixels[..width]);
                            }
                        }
                    }
                },
            )
        });
    }
}

/// At one point: products[out][tile] = Σ_in kernel[out][in] · patches[in][point][tile], the
/// kernels read transposed for the backward pass.
fn multiply_at_point(
    kernels: Kernels,
    pass: Pass,
    patches: &[f32],
    point: usize,
    products: &mut [f32],
    tiles: usize,
) {
    let Kernels { points, outs, ins } = kernels;
    let (kernel_row, kernel_column) = (POINTS * ins, 1); // strides over `outs` and `ins`
    let (rows, inner, row_stride, inner_stride) = match pass {
        Pass::Forward => (outs, ins, kernel_row, kernel_column),
        Pass::Backward => (ins, outs, kernel_column, kernel_row),
    };
    let patch_stride = POINTS * tiles;
    // The reads below stay inside these slices.
    assert!(points.len() == outs * kernel_row && products.len() == rows * tiles && inner >= 1);
    assert!(patches.len() >= (inner - 1) * patch_stride + point * tiles + tiles);
    // SAFETY: the pointers and strides address only elements inside the three slices checked
    // above; `products` is borrowed mutably, the others shared, so nothing aliases.
    #[allow(unsafe_code)]
    unsafe {
        gemm(
            rows,
            tiles,
            inner,
            products.as_mut_ptr(),
            1,
            tiles as isize,
            false,
            points.as_ptr().add(point * ins),
            inner_stride as isize,
            row_stride as isize,
            patches.as_ptr().add(point * tiles),
            1,
            patch_stride as isize,
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
            let points = transform_kernels(&weight, outs, ins);
            let kernels = Kernels { points: &points, outs, ins };
            let fast = convolve(&x, planes, kernels, Pass::Forward, Some(&bias));
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
            let points = transform_kernels(&weight, outs, ins);
            let kernels = Kernels { points: &points, outs, ins };
            let back = convolve(&g, Planes { channels: outs, height, width }, kernels, Pass::Backward, None);
            let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(p, q)| f64::from(p * q)).sum::<f64>();
            let (left, right) = (dot(&forward, &g), dot(&x, &back));
            assert!((left - right).abs() < 1e-5 * left.abs().max(1.0), "{left} vs {right}");
        }
    }
}
