//! Dense optical flow on the CPU, for carrying a painting from one video frame to the next
//! (issue 29): DIS, "Fast Optical Flow using Dense Inverse Search" (Kroeger, Timofte, Dai & Van
//! Gool, ECCV 2016), designed after OpenCV's Apache-2.0 `dis_flow.cpp` and
//! `variational_refinement.cpp` but written here, in plain Rust, so that the binary needs no
//! OpenCV.
//!
//! Coarse to fine over a pyramid (`pyramid.rs`), each level: a sparse grid of patches each finds
//! where it went by inverse-compositional Gauss–Newton (`inverse_search.rs`), the patches' vectors
//! are blended into a dense field by how well each explains a pixel (`densify.rs`), and a few
//! fixed-point iterations of a variational energy (brightness and gradient constancy, smooth
//! flow) polish it (`refine.rs`). [`warp`] moves an image along a flow; [`middlebury`] reads and
//! writes `.flo` files, for `--flow-dir`.

mod checker;
mod consistency;
mod densify;
mod inverse_search;
pub mod middlebury;
mod pyramid;
mod refine;
mod tensors;
mod warp;

#[cfg(test)]
mod certainty_tests;
#[cfg(test)]
mod tests;

pub use consistency::{certainty, motion_boundaries, reliable, round_trip_error};
pub use warp::{Warped, warp, warp_grey};

use crate::image_io::Planar;

/// A greyscale image, floats 0–255, row-major: what flow is computed on.
#[derive(Debug, Clone, PartialEq)]
pub struct Grey {
    pub width: usize,
    pub height: usize,
    pub data: Vec<f32>,
}

impl Grey {
    /// Luma (Rec. 601 weights) of a planar RGB image: flow needs structure, not colour, and one
    /// channel is a third of the work.
    pub fn from_planar(image: &Planar) -> Grey {
        let data = image.luma().into_iter().map(|y| y as f32).collect();
        Grey { width: image.width, height: image.height, data }
    }
}

/// A dense flow field from frame A to frame B, in pixels: A(x) ≈ B(x + w(x)) with
/// w = (u, v) at each pixel, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    pub width: usize,
    pub height: usize,
    pub u: Vec<f32>,
    pub v: Vec<f32>,
}

impl Flow {
    /// No motion anywhere.
    pub fn zero(width: usize, height: usize) -> Flow {
        Flow { width, height, u: vec![0.0; width * height], v: vec![0.0; width * height] }
    }
}

/// DIS's knobs. Intensities are 0–255, so the variational weights are on OpenCV's scale.
#[derive(Debug, Clone, PartialEq)]
pub struct DisParams {
    /// Side of the square patches the search matches, 1 to 32.
    pub patch: usize,
    /// Spacing of the patch grid; less than `patch`, so that patches overlap and the densified
    /// field is a blend, not a mosaic.
    pub stride: usize,
    /// The pyramid stops halving before the longer side would fall below this: large enough for
    /// a few patches, small enough that a patch's reach covers the fastest motion.
    pub coarsest_side: usize,
    /// The finest level the patch search runs at (0: full size). The levels below it are only
    /// upsampled to and refined: cheaper, but the refinement alone recovers less (at 1, the
    /// tests' 7.5 × 3 px pan is found to 0.1 px instead of 0.02).
    pub finest_search_level: usize,
    /// Gauss–Newton steps per patch and level, split between the two sweeps of the grid.
    pub descent_iterations: usize,
    /// Subtract each patch's mean difference, so that a change of brightness is not motion.
    pub mean_normalise: bool,
    /// Fixed-point (re-weighting) iterations of the variational refinement; 0 skips it.
    pub refine_iterations: usize,
    /// Successive over-relaxation sweeps per fixed-point iteration.
    pub sor_iterations: usize,
    /// Weight of smoothness.
    pub alpha: f32,
    /// Weight of brightness constancy.
    pub delta: f32,
    /// Weight of gradient constancy.
    pub gamma: f32,
}

impl DisParams {
    /// The default: search and refinement down to full size; a few hundredths of a pixel on the
    /// tests' pans, under a tenth on their zooms, and about 50 ms a 512×384 frame pair (both
    /// directions, one per core) on a 2-core Xeon.
    pub fn medium() -> DisParams {
        DisParams {
            patch: 8,
            stride: 4,
            coarsest_side: 32,
            finest_search_level: 0,
            descent_iterations: 16,
            mean_normalise: true,
            refine_iterations: 5,
            sor_iterations: 5,
            alpha: 20.0,
            delta: 5.0,
            gamma: 10.0,
        }
    }
}

/// The flow from `a` to `b` (same size): a(x) ≈ b(x + w(x)).
///
/// # Panics
/// If the two images differ in size: frames of one video never do.
pub fn dis(a: &Grey, b: &Grey, params: &DisParams) -> Flow {
    assert_eq!((a.width, a.height), (b.width, b.height), "flow between images of different sizes");
    if a.width == 0 || a.height == 0 {
        return Flow::zero(a.width, a.height);
    }
    let patch = params.patch.clamp(1, inverse_search::MAX_PATCH);
    let params = &DisParams { patch, stride: params.stride.clamp(1, patch), ..params.clone() };
    let levels = pyramid::level_count(a.width, a.height, params);
    let (pyramid_a, pyramid_b) = (pyramid::build(a, levels), pyramid::build(b, levels));
    let coarsest = &pyramid_a[levels - 1];
    let mut flow = Flow::zero(coarsest.width, coarsest.height);
    for level in (0..levels).rev() {
        let (i0, i1) = (&pyramid_a[level], &pyramid_b[level]);
        if (flow.width, flow.height) != (i0.width, i0.height) {
            flow = pyramid::upsample(&flow, i0.width, i0.height, 2.0);
        }
        let searched = level >= params.finest_search_level.min(levels - 1);
        if searched && i0.width >= patch && i0.height >= patch {
            // Room for a patch (and the stretch to the edge that densification adds) wherever
            // the search lets it go.
            let padded = pyramid::Padded::new(i1, patch + params.stride + 2);
            let sparse = inverse_search::search(i0, &padded, &flow, params);
            flow = densify::densify(&sparse, i0, &padded);
        }
        refine::refine(i0, i1, &mut flow, params);
    }
    flow
}

/// The flows `a` → `b` and `b` → `a`, one per thread: a video needs both (the backward one to
/// find what the forward one cannot see).
pub fn dis_both(a: &Grey, b: &Grey, params: &DisParams) -> (Flow, Flow) {
    rayon::join(|| dis(a, b, params), || dis(b, a, params))
}

impl Flow {
    /// The flow of the same motion seen at `width`×`height`: sampled bilinearly where each new
    /// pixel's centre falls, its vectors scaled by the change of size along each axis.
    pub fn resized(&self, width: usize, height: usize) -> Flow {
        if (width, height) == (self.width, self.height) {
            return self.clone();
        }
        if self.width == 0 || self.height == 0 {
            return Flow::zero(width, height);
        }
        let (sx, sy) = (self.width as f32 / width as f32, self.height as f32 / height as f32);
        let (mut u, mut v) = (Vec::with_capacity(width * height), Vec::with_capacity(width * height));
        for y in 0..height {
            let fy = (y as f32 + 0.5) * sy - 0.5;
            for x in 0..width {
                let fx = (x as f32 + 0.5) * sx - 0.5;
                u.push(pyramid::bilinear(&self.u, self.width, self.height, fx, fy) / sx);
                v.push(pyramid::bilinear(&self.v, self.width, self.height, fx, fy) / sy);
            }
        }
        Flow { width, height, u, v }
    }
}
