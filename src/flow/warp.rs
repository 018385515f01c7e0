//! Moving an image along a flow, as a video carries the previous frame's painting to the next:
//! out(x) = image(x + w(x)), sampled bilinearly, with a mask of the pixels whose source lies
//! outside the image (there the value is the nearest edge's, and the caller should repaint).

use super::pyramid::bilinear;
use super::{Flow, Grey};
use crate::image_io::Planar;

/// A warped image and, per pixel, whether x + w(x) fell inside the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Warped<T> {
    pub image: T,
    pub inside: Vec<bool>,
}

/// Each plane of `planes` (each `w`×`h`, one after another) warped by `flow`.
fn warp_planes(planes: &[f32], w: usize, h: usize, flow: &Flow) -> (Vec<f32>, Vec<bool>) {
    assert_eq!((flow.width, flow.height), (w, h), "warping an image by a flow of another size");
    let mut out = vec![0.0; planes.len()];
    let mut inside = vec![false; w * h];
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let (tx, ty) = (x as f32 + flow.u[i], y as f32 + flow.v[i]);
            inside[i] = (0.0..=(w - 1) as f32).contains(&tx) && (0.0..=(h - 1) as f32).contains(&ty);
            // A non-finite vector (a hole in a .flo file) keeps the pixel where it is.
            let (tx, ty) = if tx.is_finite() && ty.is_finite() { (tx, ty) } else { (x as f32, y as f32) };
            for (plane, out) in planes.chunks_exact(w * h).zip(out.chunks_exact_mut(w * h)) {
                out[i] = bilinear(plane, w, h, tx, ty);
            }
        }
    }
    (out, inside)
}

/// `image` warped by `flow` (same size): out(x) = image(x + w(x)).
///
/// # Panics
/// If the flow and the image differ in size.
pub fn warp(image: &Planar, flow: &Flow) -> Warped<Planar> {
    let (data, inside) = warp_planes(&image.data, image.width, image.height, flow);
    Warped { image: Planar { width: image.width, height: image.height, data }, inside }
}

/// [`warp`] for a greyscale image.
pub fn warp_grey(image: &Grey, flow: &Flow) -> Warped<Grey> {
    let (data, inside) = warp_planes(&image.data, image.width, image.height, flow);
    Warped { image: Grey { width: image.width, height: image.height, data }, inside }
}
