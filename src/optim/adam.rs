//! Adam (Kingma & Ba, 2015): one gradient per iteration, a step size per coordinate. Noisier than
//! L-BFGS on this problem but cheaper per iteration and popular in other tools.

use anyhow::Result;
use burn::tensor::Tensor;

use super::{Bounds, DifferentiableFunction, Minimiser, StepOutcome, within};

#[derive(Debug, Clone, Copy)]
pub struct AdamConfig {
    pub learning_rate: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub epsilon: f64,
    /// Keep x in this box, clamping after each update.
    pub bounds: Option<Bounds>,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig { learning_rate: 1.0, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, bounds: None }
    }
}

pub struct Adam {
    config: AdamConfig,
    x: Tensor<1>,
    /// f and ∇f at `x`.
    f: f64,
    gradient: Tensor<1>,
    m: Tensor<1>,
    v: Tensor<1>,
    iterations: usize,
    evaluations: usize,
    /// Which evaluation (counting from 1) was at `x`.
    accepted: usize,
}

impl Adam {
    /// Start at `x0` (moved into the bounds, if any), evaluating f there once.
    pub fn new(config: AdamConfig, function: &mut dyn DifferentiableFunction, x0: Tensor<1>) -> Result<Self> {
        let x0 = within(config.bounds, x0);
        let (f, gradient) = function.value_and_gradient(&x0)?;
        let zeros = x0.zeros_like();
        Ok(Adam {
            config,
            x: x0,
            f,
            gradient,
            m: zeros.clone(),
            v: zeros,
            iterations: 0,
            evaluations: 1,
            accepted: 1,
        })
    }
}

impl Minimiser for Adam {
    /// One Adam update, then f at the new point. A non-finite f there keeps the old point and
    /// ends the run, as a failed line search does for L-BFGS.
    fn step(&mut self, function: &mut dyn DifferentiableFunction) -> Result<StepOutcome> {
        let c = self.config;
        let t = (self.iterations + 1) as i32;
        let g = self.gradient.clone();
        let m = self.m.clone().mul_scalar(c.beta1).add(g.clone().mul_scalar(1.0 - c.beta1));
        let v = self.v.clone().mul_scalar(c.beta2).add(g.clone().mul(g).mul_scalar(1.0 - c.beta2));
        let m_hat = m.clone().div_scalar(1.0 - c.beta1.powi(t));
        let v_hat = v.clone().div_scalar(1.0 - c.beta2.powi(t));
        let update = m_hat.div(v_hat.sqrt().add_scalar(c.epsilon)).mul_scalar(c.learning_rate);
        let x = within(c.bounds, self.x.clone().sub(update));
        let (f, gradient) = function.value_and_gradient(&x)?;
        self.evaluations += 1;
        if !f.is_finite() {
            return Ok(StepOutcome::LineSearchFailed);
        }
        (self.x, self.f, self.gradient, self.m, self.v) = (x, f, gradient, m, v);
        self.accepted = self.evaluations;
        self.iterations += 1;
        Ok(StepOutcome::Improved)
    }

    fn x(&self) -> &Tensor<1> {
        &self.x
    }

    fn value(&self) -> f64 {
        self.f
    }

    fn iterations(&self) -> usize {
        self.iterations
    }

    fn evaluations(&self) -> usize {
        self.evaluations
    }

    fn accepted_evaluation(&self) -> usize {
        self.accepted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    /// f(x) = Σ (x − 3)², minimised at 3 everywhere.
    struct Bowl;

    impl DifferentiableFunction for Bowl {
        fn value_and_gradient(&mut self, x: &Tensor<1>) -> Result<(f64, Tensor<1>)> {
            let d = x.clone().sub_scalar(3.0);
            let f: f32 = d.clone().mul(d.clone()).sum().into_scalar();
            Ok((f as f64, d.mul_scalar(2.0)))
        }
    }

    #[test]
    fn adam_walks_down_a_bowl() {
        let device = Device::flex();
        let x0 = Tensor::<1>::from_floats([0.0, -5.0, 10.0], &device);
        let mut adam =
            Adam::new(AdamConfig { learning_rate: 0.1, ..Default::default() }, &mut Bowl, x0).unwrap();
        for _ in 0..2000 {
            adam.step(&mut Bowl).unwrap();
        }
        assert!(adam.value() < 1e-4, "f = {}", adam.value());
    }

    #[test]
    fn bounded_adam_stops_at_the_wall() {
        // The bowl's bottom (3) is outside [−1, 1]: the nearest point of the box is 1.
        let device = Device::flex();
        let x0 = Tensor::<1>::from_floats([0.0, -5.0, 10.0], &device);
        let bounds = Some(Bounds { low: -1.0, high: 1.0 });
        let mut adam =
            Adam::new(AdamConfig { learning_rate: 0.1, bounds, ..Default::default() }, &mut Bowl, x0)
                .unwrap();
        for _ in 0..200 {
            adam.step(&mut Bowl).unwrap();
            let x: Vec<f32> = adam.x().clone().into_data().try_to_vec().unwrap();
            assert!(x.iter().all(|v| (-1.0..=1.0).contains(v)), "left the box: {x:?}");
        }
        let x: Vec<f32> = adam.x().clone().into_data().try_to_vec().unwrap();
        assert!(x.iter().all(|v| (v - 1.0).abs() < 1e-6), "{x:?}");
    }

    #[test]
    fn a_nan_loss_keeps_the_last_good_point() {
        struct NanAfter(usize);
        impl DifferentiableFunction for NanAfter {
            fn value_and_gradient(&mut self, x: &Tensor<1>) -> Result<(f64, Tensor<1>)> {
                let (f, g) = Bowl.value_and_gradient(x)?;
                self.0 = self.0.saturating_sub(1);
                Ok(if self.0 == 0 { (f64::NAN, g) } else { (f, g) })
            }
        }
        let device = Device::flex();
        let mut f = NanAfter(4); // the start and two steps are good, the third step is NaN
        let mut adam = Adam::new(AdamConfig::default(), &mut f, Tensor::<1>::zeros([2], &device)).unwrap();
        assert_eq!(adam.step(&mut f).unwrap(), StepOutcome::Improved);
        assert_eq!(adam.step(&mut f).unwrap(), StepOutcome::Improved);
        let (good, iterations) = (adam.value(), adam.iterations());
        assert_eq!(adam.step(&mut f).unwrap(), StepOutcome::LineSearchFailed);
        assert_eq!((adam.value(), adam.iterations()), (good, iterations));
        let x: Vec<f32> = adam.x().clone().into_data().try_to_vec().unwrap();
        assert!(x.iter().all(|v| v.is_finite()));
    }
}
