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

mod arithmetic;
mod band;
mod kernels;

use gemm::{Parallelism, gemm};
use rayon::prelude::*;

use self::band::{Band, Tiles};
pub use self::kernels::transform_kernels;
use self::kernels::{KernelRow, transform_channel};

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
    let turned = pass == Pass::Backward;
    let output = Planes { channels: channels_out, ..planes };
    for first_row in (0..tiles.down).step_by(band_rows) {
        let band = Band { first_row, rows: band_rows.min(tiles.down - first_row), tiles };
        let count = band.rows * tiles.across;
        let patches = &mut patches[..channels_in * POINTS * count];
        let products = &mut products[..POINTS * channels_out * count];
        band.gather_patches(turned, x, fused.gate, planes, patches);
        products.par_chunks_mut(channels_out * count).enumerate().for_each(|(point, product)| {
            multiply_at_point(kernels, patches, point, product, count);
        });
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
