//! When a level's picture has settled: what the eye sees, not a fixed count, ends a level.
//! Every [`WINDOW`] iterations the image is compared with itself [`WINDOW`] iterations before;
//! once the RMS difference of its pixels is below the recipe's `settle` (in grey levels,
//! 0–255) the level is done (docs/measurements.md, "When a level stops", has the runs that
//! chose the rule and its threshold).

use anyhow::Result;
use burn::tensor::Tensor;

use crate::optim::dot;

/// Iterations between comparisons.
pub const WINDOW: usize = 10;

pub(super) struct Settle {
    /// 0: never settles.
    threshold: f64,
    /// The image at the last comparison (the level's start at first).
    snapshot: Option<Tensor<1>>,
}

impl Settle {
    pub fn new(threshold: f64, start: &Tensor<1>) -> Self {
        Settle { threshold, snapshot: (threshold > 0.0).then(|| start.clone()) }
    }

    /// Called with the image after the level's `iteration`-th iteration (from 1): true when the
    /// last [`WINDOW`] iterations changed it by less than the threshold.
    pub fn settled(&mut self, iteration: usize, x: &Tensor<1>) -> Result<bool> {
        if !iteration.is_multiple_of(WINDOW) {
            return Ok(false);
        }
        let Some(snapshot) = self.snapshot.replace(x.clone()) else {
            return Ok(false);
        };
        Ok(rms_change(&snapshot, x)? < self.threshold)
    }
}

/// The RMS difference of two images' pixels, in grey levels.
pub(super) fn rms_change(before: &Tensor<1>, after: &Tensor<1>) -> Result<f64> {
    let change = after.clone() - before.clone();
    let pixels = change.dims()[0].max(1);
    Ok((dot(&change, &change)? / pixels as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    fn pixels(values: Vec<f32>) -> Tensor<1> {
        let n = values.len();
        // The CPU: burn's default device is the GPU where there is one, which these need not start.
        Tensor::from_data(TensorData::new(values, [n]), &Device::flex())
    }

    fn grey(level: f32) -> Tensor<1> {
        pixels(vec![level; 12])
    }

    #[test]
    fn a_level_settles_when_a_window_moves_the_pixels_less_than_the_threshold() {
        let mut settle = Settle::new(2.5, &grey(0.0));
        assert!(!settle.settled(5, &grey(10.0)).expect("read"), "compared only every 10 iterations");
        assert!(!settle.settled(10, &grey(3.0)).expect("read"), "3 grey levels since the start");
        assert!(settle.settled(20, &grey(5.0)).expect("read"), "2 grey levels in the last window");
    }

    #[test]
    fn a_zero_threshold_never_settles() {
        let mut settle = Settle::new(0.0, &grey(0.0));
        assert!(!settle.settled(10, &grey(0.0)).expect("read"));
        assert!(!settle.settled(20, &grey(0.0)).expect("read"));
    }

    #[test]
    fn the_change_is_an_rms_in_grey_levels() {
        let change = rms_change(&pixels(vec![1.0; 4]), &pixels(vec![1.0, 1.0, 4.0, 5.0])).expect("read");
        assert!((change - (25.0f64 / 4.0).sqrt()).abs() < 1e-6, "{change}");
    }
}
