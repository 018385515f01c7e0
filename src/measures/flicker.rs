//! Flicker: how much a stylised video changes where its input did not, as the warping error of
//! Lai et al. ("Learning Blind Video Temporal Consistency", ECCV 2018). For consecutive outputs
//! O_t, O_{t+1} of input frames I_t, I_{t+1}:
//!
//! E(t) = Σ_x c(x) ‖O_t(x) − O_{t+1}(x + w(x))‖² / Σ_x c(x),
//!
//! with w the flow from I_t to I_{t+1} and c the pixels the forward–backward check passes, both
//! from the *input* frames: what the video should carry over, whatever tool painted it. Pixel
//! values in 0–1, the squared difference averaged over the three channels; the clip's error is
//! the mean over its pairs.

use crate::flow::{self, Flow};
use crate::image_io::Planar;

/// E(t) of outputs `now` (O_t) and `next` (O_{t+1}), same size as the flows from I_t to
/// I_{t+1} (`forward`) and back (`backward`); `None` where no pixel passes the check.
pub fn warping_error(now: &Planar, next: &Planar, forward: &Flow, backward: &Flow) -> Option<f64> {
    let sure = flow::reliable(forward, backward);
    let carried = flow::warp(next, forward).image;
    let n = now.width * now.height;
    let (mut sum, mut count) = (0.0f64, 0usize);
    for (i, _) in sure.iter().enumerate().filter(|(_, sure)| **sure) {
        let squared: f64 =
            (0..3).map(|c| ((now.data[c * n + i] - carried.data[c * n + i]) as f64 / 255.0).powi(2)).sum();
        sum += squared / 3.0;
        count += 1;
    }
    (count > 0).then(|| sum / count as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3-channel w×h ramp image, moved `dx` pixels right.
    fn ramp(w: usize, h: usize, dx: f32) -> Planar {
        let data = (0..3)
            .flat_map(|c| {
                (0..h)
                    .flat_map(move |y| (0..w).map(move |x| (x as f32 - dx) * 9.0 + y as f32 * 5.0 + c as f32))
            })
            .collect();
        Planar { width: w, height: h, data }
    }

    fn pan(w: usize, h: usize, dx: f32) -> Flow {
        Flow { width: w, height: h, u: vec![dx; w * h], v: vec![0.0; w * h] }
    }

    #[test]
    fn outputs_that_move_with_the_flow_do_not_flicker_and_ones_that_shimmer_do() {
        let (w, h) = (12, 8);
        let (forward, backward) = (pan(w, h, 2.0), pan(w, h, -2.0));
        let (now, next) = (ramp(w, h, 0.0), ramp(w, h, 2.0));
        let still = warping_error(&now, &next, &forward, &backward).unwrap();
        assert!(still < 1e-10, "{still}");
        // The same frames with a 10-level change everywhere: (10/255)² per pixel.
        let mut shimmer = next.clone();
        shimmer.data.iter_mut().for_each(|v| *v += 10.0);
        let e = warping_error(&now, &shimmer, &forward, &backward).unwrap();
        assert!((e - (10.0f64 / 255.0).powi(2)).abs() < 1e-9, "{e}");
        // The columns that leave the frame are not counted: a change only there costs nothing.
        let mut edge = next.clone();
        for c in 0..3 {
            for y in 0..h {
                // Output pixels that no pixel of `now` maps to (x < 2 of `next`).
                edge.data[(c * h + y) * w] += 100.0;
            }
        }
        assert!(warping_error(&now, &edge, &forward, &backward).unwrap() < 1e-10);
    }
}
