//! When a level ends: the optimiser's own verdict, a loss that stalled, a picture that settled
//! ([`super::settle`]) or the level's iterations spent. One type owns all of them so that the
//! level's loop asks one question and their order is written down once.

use std::collections::VecDeque;

use anyhow::Result;
use burn::tensor::Tensor;

use super::settle::Settle;
use crate::optim::{Minimiser, StepOutcome};
use crate::report::Stop;

/// Steps over which the loss must improve by [`STALL_MIN_RELATIVE`] of itself (0.001% over 10,
/// as [`Stop::Stalled`] tells the user), else the level has stalled.
const STALL_WINDOW: usize = 10;
const STALL_MIN_RELATIVE: f64 = 1e-5;

/// The stop rules of one level.
pub(super) struct StopRule {
    /// The level's iterations: the most it runs.
    limit: usize,
    stall: StallDetector,
    settle: Settle,
}

impl StopRule {
    /// For a level of at most `limit` iterations from the image `start`, settled when a
    /// window moves its pixels by less than `settle` grey levels (0: never).
    pub fn new(limit: usize, settle: f64, start: &Tensor<1>) -> Self {
        StopRule {
            limit,
            stall: StallDetector::new(STALL_WINDOW, STALL_MIN_RELATIVE),
            settle: Settle::new(settle, start),
        }
    }

    /// Asked before each step with the last step's outcome (`None` before the first) and the
    /// optimiser after it: why the level ends now, if it does. The optimiser's verdict and a
    /// stall come first, then a settled picture, then the limit; the stall only counts steps
    /// that improved the loss, and the picture is compared only when nothing else stopped it.
    pub fn check(&mut self, last: Option<&StepOutcome>, minimiser: &dyn Minimiser) -> Result<Option<Stop>> {
        if let Some(outcome) = last {
            let stop = match outcome {
                StepOutcome::Improved if self.stall.stalled(minimiser.value()) => Some(Stop::Stalled),
                StepOutcome::Improved => None,
                StepOutcome::Converged => Some(Stop::Converged),
                StepOutcome::LineSearchFailed => Some(Stop::LineSearchFailed),
            };
            if stop.is_some() {
                return Ok(stop);
            }
            if self.settle.settled(minimiser.iterations(), minimiser.x())? {
                return Ok(Some(Stop::Settled));
            }
        }
        Ok((minimiser.iterations() >= self.limit).then_some(Stop::IterationLimit))
    }
}

/// Tells when a loss has stopped improving: less than `min_relative` over `window` steps.
#[derive(Debug, Clone)]
struct StallDetector {
    window: usize,
    min_relative: f64,
    history: VecDeque<f64>,
}

impl StallDetector {
    fn new(window: usize, min_relative: f64) -> Self {
        StallDetector { window, min_relative, history: VecDeque::new() }
    }

    /// Record the loss after a step; true when it has stalled.
    fn stalled(&mut self, loss: f64) -> bool {
        self.history.push_back(loss);
        if self.history.len() <= self.window {
            return false;
        }
        let old = self.history.pop_front().unwrap_or(loss);
        (old - loss) <= self.min_relative * old.abs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::DifferentiableFunction;
    use burn::tensor::{Device, TensorData};

    /// An optimiser that stands where a test puts it.
    struct At {
        x: Tensor<1>,
        value: f64,
        iterations: usize,
    }

    impl At {
        fn new(grey: f32) -> Self {
            // The CPU: burn's default device is the GPU where there is one, which these need not start.
            let x = Tensor::from_data(TensorData::new(vec![grey; 12], [12]), &Device::flex());
            At { x, value: 1.0, iterations: 0 }
        }

        /// One step that moved the picture to `grey` and the loss to `value`.
        fn stepped(&mut self, grey: f32, value: f64) -> &Self {
            *self = At { value, iterations: self.iterations + 1, ..At::new(grey) };
            self
        }
    }

    impl Minimiser for At {
        fn step(&mut self, _: &mut dyn DifferentiableFunction) -> Result<StepOutcome> {
            unreachable!("the rule only looks")
        }
        fn x(&self) -> &Tensor<1> {
            &self.x
        }
        fn value(&self) -> f64 {
            self.value
        }
        fn iterations(&self) -> usize {
            self.iterations
        }
        fn evaluations(&self) -> usize {
            self.iterations
        }
        fn accepted_evaluation(&self) -> usize {
            self.iterations
        }
    }

    const IMPROVED: Option<&StepOutcome> = Some(&StepOutcome::Improved);

    #[test]
    fn a_level_runs_to_its_limit_when_nothing_else_stops_it() {
        let mut at = At::new(0.0);
        let mut rule = StopRule::new(3, 0.0, at.x());
        assert_eq!(rule.check(None, &at).expect("read"), None);
        for i in 1..=2 {
            assert_eq!(rule.check(IMPROVED, at.stepped(i as f32, 1.0 / i as f64)).expect("read"), None);
        }
        assert_eq!(rule.check(IMPROVED, at.stepped(3.0, 0.1)).expect("read"), Some(Stop::IterationLimit));
        let at = At::new(0.0);
        assert_eq!(StopRule::new(0, 0.0, at.x()).check(None, &at).expect("read"), Some(Stop::IterationLimit));
    }

    #[test]
    fn the_optimisers_verdict_comes_before_a_settled_picture_and_the_limit() {
        let mut at = At::new(0.0);
        let mut rule = StopRule::new(1, 0.0, at.x());
        let converged = rule.check(Some(&StepOutcome::Converged), at.stepped(0.0, 1.0)).expect("read");
        assert_eq!(converged, Some(Stop::Converged));
        let mut at = At::new(0.0);
        let mut rule = StopRule::new(1, 0.0, at.x());
        let failed = rule.check(Some(&StepOutcome::LineSearchFailed), at.stepped(0.0, 1.0)).expect("read");
        assert_eq!(failed, Some(Stop::LineSearchFailed));
        // Any change counts as settled: the first comparison, after 10 iterations, ends it.
        let mut at = At::new(0.0);
        let mut rule = StopRule::new(10, 1e6, at.x());
        (1..10).for_each(|_| assert_eq!(rule.check(IMPROVED, at.stepped(1.0, 1.0)).expect("read"), None));
        assert_eq!(rule.check(IMPROVED, at.stepped(1.0, 1.0)).expect("read"), Some(Stop::Settled));
    }

    #[test]
    fn a_loss_stalls_when_ten_steps_gain_too_little() {
        let mut at = At::new(0.0);
        let mut rule = StopRule::new(100, 0.0, at.x());
        // 1 in 1000 a step for 10 steps, then no gain: the 20th step is 10 steps without one.
        let losses = (1..=10).map(|i| 1000.0 - i as f64).chain([990.0; 9]);
        for loss in losses {
            assert_eq!(rule.check(IMPROVED, at.stepped(0.0, loss)).expect("read"), None, "{loss}");
        }
        assert_eq!(rule.check(IMPROVED, at.stepped(0.0, 990.0)).expect("read"), Some(Stop::Stalled));
    }

    #[test]
    fn a_stall_needs_a_full_window_of_losses() {
        let mut stall = StallDetector::new(3, 0.01);
        assert!(!(0..3).any(|_| stall.stalled(1.0)), "fewer than a window: never");
        assert!(stall.stalled(1.0), "no gain over the window");
        let mut stall = StallDetector::new(3, 0.01);
        assert!(!(0..4).any(|i| stall.stalled(100.0 - 10.0 * i as f64)), "10% a step");
    }
}
