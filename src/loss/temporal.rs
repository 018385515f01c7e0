//! Temporal term (Ruder, Dosovitskiy & Brox, "Artistic style transfer for videos", 2016): a
//! video frame's painting held to the previous frame's, carried along the optical flow, wherever
//! the flow can be trusted. Without it each frame paints its strokes anew and the video flickers.

use burn::tensor::Tensor;

/// The previous frame's output warped onto this frame and the flow's certainty per pixel.
#[derive(Clone)]
pub struct TemporalTarget {
    /// `[1, 3, H, W]`, 0–255, as the loss sees images.
    pub previous: Tensor<4>,
    /// `[1, 1, H, W]`, 0–1: 0 where the flow is occluded, leaves the frame or crosses a motion
    /// boundary.
    pub certainty: Tensor<4>,
    /// γ, the term's multiplier.
    pub weight: f64,
}

/// γ · mean over pixels and channels of c ⊙ ((x − previous)/255)², for an image `[1, 3, H, W]`
/// (0–255): in 0–1 units, so that γ reads the same at any bit depth of the frames.
pub fn temporal_loss(image: Tensor<4>, target: &TemporalTarget) -> Tensor<1> {
    let elements = image.dims().iter().product::<usize>() as f32;
    let difference = image.sub(target.previous.clone()).div_scalar(255.0);
    let weighted = difference.clone().mul(difference).mul(target.certainty.clone());
    weighted.sum().div_scalar(elements).mul_scalar(target.weight as f32)
}
