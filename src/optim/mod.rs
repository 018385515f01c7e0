//! Minimising a differentiable function of one flat tensor. Knows nothing about images or VGG.

pub mod adam;
pub mod bounds;
pub mod lbfgs;
pub mod line_search;

use anyhow::Result;
use burn::tensor::Tensor;

use crate::readback;

pub use adam::{Adam, AdamConfig};
pub use bounds::{Bounds, within};
pub use lbfgs::{Lbfgs, LbfgsConfig, StepOutcome};

/// A function to minimise, with its gradient.
pub trait DifferentiableFunction {
    /// f(x) and ∇f(x). A non-finite value is allowed: the optimiser treats it as a failed point.
    fn value_and_gradient(&mut self, x: &Tensor<1>) -> Result<(f64, Tensor<1>)>;
}

/// An iterative minimiser of one flat tensor (L-BFGS, Adam), driven one step at a time.
pub trait Minimiser {
    fn step(&mut self, function: &mut dyn DifferentiableFunction) -> Result<StepOutcome>;
    /// The current point: the best found for L-BFGS, the latest for Adam.
    fn x(&self) -> &Tensor<1>;
    /// f at [`Minimiser::x`].
    fn value(&self) -> f64;
    fn iterations(&self) -> usize;
    /// Function evaluations so far (L-BFGS's line search takes several per iteration).
    fn evaluations(&self) -> usize;
    /// Which evaluation, counting from 1, was at [`Minimiser::x`]: lets the caller find what
    /// else it learnt at that point.
    fn accepted_evaluation(&self) -> usize;
}

/// a · b, read back from the device.
pub fn dot(a: &Tensor<1>, b: &Tensor<1>) -> Result<f64> {
    readback::scalar(a.clone().mul(b.clone()).sum(), "a dot product")
}

/// max |a_i|, read back from the device.
pub fn max_abs(a: &Tensor<1>) -> Result<f64> {
    readback::scalar(a.clone().abs().max(), "a largest element")
}
