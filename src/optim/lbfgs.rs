//! Limited-memory BFGS (Nocedal & Wright, algorithm 7.4/7.5) over one flat tensor.
//! Iterate, gradient and history stay on the tensor's device; only scalars come back.

use std::collections::VecDeque;

use anyhow::Result;
use burn::tensor::Tensor;

use super::line_search::{Point, WolfeParams, strong_wolfe};
use super::{Bounds, DifferentiableFunction, Minimiser, dot, max_abs, within};

#[derive(Debug, Clone, Copy)]
pub struct LbfgsConfig {
    /// Number of (s, y) pairs kept; each pair costs two copies of x.
    pub history_size: usize,
    pub line_search: WolfeParams,
    /// Converged when max |∇f| falls below this.
    pub gradient_tolerance: f64,
    /// Keep x in this box: the line search moves along the direction and clamps (a projected
    /// search), so every point evaluated, and the result, lies inside.
    pub bounds: Option<Bounds>,
}

impl Default for LbfgsConfig {
    fn default() -> Self {
        LbfgsConfig {
            history_size: 10,
            line_search: WolfeParams::default(),
            gradient_tolerance: 1e-10,
            bounds: None,
        }
    }
}

/// Why a step did not make progress.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOutcome {
    /// The step lowered f.
    Improved,
    /// The gradient vanished: x is a minimiser.
    Converged,
    /// The line search found no lower point along the search direction.
    LineSearchFailed,
}

pub struct Lbfgs {
    config: LbfgsConfig,
    x: Tensor<1>,
    f: f64,
    gradient: Tensor<1>,
    history: VecDeque<(Tensor<1>, Tensor<1>, f64)>,
    /// Scale of the initial inverse Hessian, γ = sᵀy / yᵀy of the newest pair.
    gamma: f64,
    iterations: usize,
    evaluations: usize,
    /// Which evaluation (counting from 1) produced `x`.
    accepted: usize,
}

impl Lbfgs {
    /// Start at `x0` (moved into the bounds, if any), evaluating f there once.
    pub fn new(
        config: LbfgsConfig,
        function: &mut dyn DifferentiableFunction,
        x0: Tensor<1>,
    ) -> Result<Self> {
        let x0 = within(config.bounds, x0);
        let (f, gradient) = function.value_and_gradient(&x0)?;
        Ok(Lbfgs {
            config,
            x: x0,
            f,
            gradient,
            history: VecDeque::with_capacity(config.history_size),
            gamma: 1.0,
            iterations: 0,
            evaluations: 1,
            accepted: 1,
        })
    }

    /// One iteration: a direction from the history, a strong-Wolfe line search along it, and
    /// the history update. On failure x stays at the best point seen.
    fn lbfgs_step(&mut self, function: &mut dyn DifferentiableFunction) -> Result<StepOutcome> {
        if max_abs(&self.gradient)? <= self.config.gradient_tolerance {
            return Ok(StepOutcome::Converged);
        }
        let mut direction = self.free(self.direction()?);
        let mut slope = dot(&self.gradient, &direction)?;
        // NaN counts as "not a descent direction" too.
        if slope.is_nan() || slope >= 0.0 {
            // Not a descent direction (history gone bad): restart from steepest descent.
            self.history.clear();
            direction = self.free(self.gradient.clone().neg());
            slope = dot(&self.gradient, &direction)?;
            if slope == 0.0 {
                // Every coordinate the gradient would move sits on a bound: a constrained minimiser.
                return Ok(StepOutcome::Converged);
            }
        }
        let t0 = if self.history.is_empty() {
            // No curvature known yet: move the pixel that changes most by one grey level. (The
            // textbook 1/|∇f|₁ moves each of a 512 px image's pixels by ~1e-6 and cost ten
            // evaluations of growing the step.)
            1.0 / max_abs(&self.gradient)?
        } else {
            1.0
        };
        let start = Point { t: 0.0, f: self.f, gradient: self.gradient.clone(), slope, evaluation: 0 };
        let x = self.x.clone();
        let bounds = self.config.bounds;
        let mut phi = |t: f64| -> Result<(f64, Tensor<1>, f64)> {
            let (f, g) = function.value_and_gradient(&moved(&x, &direction, t, bounds))?;
            let s = dot(&g, &direction)?;
            Ok((f, g, s))
        };
        let result = strong_wolfe(&mut phi, &start, t0, self.config.line_search)?;
        let evaluations_before = self.evaluations;
        self.evaluations += result.evaluations;
        self.iterations += 1;
        let best = result.point;
        if best.f.is_nan() || best.f >= self.f {
            return Ok(StepOutcome::LineSearchFailed);
        }
        // The new point is the one evaluated: (x + t·d) clamped, not x + s, which rounds.
        let (s, next) = match bounds {
            None => {
                let s = direction.mul_scalar(best.t as f32);
                (s.clone(), self.x.clone().add(s))
            }
            Some(_) => {
                let next = moved(&self.x, &direction, best.t, bounds);
                (next.clone().sub(self.x.clone()), next)
            }
        };
        let y = best.gradient.clone().sub(self.gradient.clone());
        let ys = dot(&y, &s)?;
        // Keep only pairs with positive curvature, which keeps the inverse Hessian positive.
        if ys > 1e-10 {
            if self.history.len() == self.config.history_size {
                self.history.pop_front();
            }
            self.gamma = ys / dot(&y, &y)?;
            self.history.push_back((s, y, 1.0 / ys));
        }
        self.x = next;
        self.accepted = evaluations_before + best.evaluation;
        self.f = best.f;
        self.gradient = best.gradient;
        Ok(StepOutcome::Improved)
    }

    /// `direction` without the components the bounds stop, if there are bounds.
    fn free(&self, direction: Tensor<1>) -> Tensor<1> {
        match self.config.bounds {
            Some(bounds) => bounds.free_direction(&self.x, direction),
            None => direction,
        }
    }

    /// −H∇f by the two-loop recursion.
    fn direction(&self) -> Result<Tensor<1>> {
        let mut q = self.gradient.clone().neg();
        let mut alphas = Vec::with_capacity(self.history.len());
        for (s, y, rho) in self.history.iter().rev() {
            let alpha = rho * dot(s, &q)?;
            q = q.sub(y.clone().mul_scalar(alpha as f32));
            alphas.push(alpha);
        }
        let mut r = q.mul_scalar(self.gamma as f32);
        for ((s, y, rho), alpha) in self.history.iter().zip(alphas.into_iter().rev()) {
            let beta = rho * dot(y, &r)?;
            r = r.add(s.clone().mul_scalar((alpha - beta) as f32));
        }
        Ok(r)
    }
}

/// x + t·d, clamped into the bounds if there are any.
fn moved(x: &Tensor<1>, direction: &Tensor<1>, t: f64, bounds: Option<Bounds>) -> Tensor<1> {
    within(bounds, x.clone().add(direction.clone().mul_scalar(t as f32)))
}

impl Minimiser for Lbfgs {
    fn step(&mut self, function: &mut dyn DifferentiableFunction) -> Result<StepOutcome> {
        self.lbfgs_step(function)
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

    struct Quadratic {
        diag: Tensor<1>,
        b: Tensor<1>,
    }

    impl DifferentiableFunction for Quadratic {
        // f = ½ xᵀAx − bᵀx with A diagonal; minimiser A⁻¹b.
        fn value_and_gradient(&mut self, x: &Tensor<1>) -> Result<(f64, Tensor<1>)> {
            let ax = x.clone().mul(self.diag.clone());
            let f = 0.5 * dot(x, &ax)? - dot(&self.b, x)?;
            Ok((f, ax.sub(self.b.clone())))
        }
    }

    fn values(t: &Tensor<1>) -> Vec<f32> {
        t.clone().into_data().try_to_vec::<f32>().unwrap()
    }

    fn minimise(f: &mut dyn DifferentiableFunction, x0: Tensor<1>, iterations: usize) -> Lbfgs {
        let mut opt = Lbfgs::new(LbfgsConfig::default(), f, x0).unwrap();
        for _ in 0..iterations {
            if opt.step(f).unwrap() != StepOutcome::Improved {
                break;
            }
        }
        opt
    }

    #[test]
    fn quadratic_reaches_its_minimiser() {
        let device = Device::flex();
        let diag: Vec<f32> = (1..=20).map(|i| i as f32 * 0.5).collect(); // condition number 20
        let b: Vec<f32> = (0..20).map(|i| (i as f32 * 0.7).sin() * 3.0).collect();
        let expected: Vec<f32> = b.iter().zip(&diag).map(|(b, a)| b / a).collect();
        let mut f = Quadratic {
            diag: Tensor::from_floats(diag.as_slice(), &device),
            b: Tensor::from_floats(b.as_slice(), &device),
        };
        let opt = minimise(&mut f, Tensor::zeros([20], &device), 100);
        for (got, want) in values(opt.x()).iter().zip(&expected) {
            assert!((got - want).abs() < 1e-3, "{got} vs {want}");
        }
        assert!(opt.iterations() < 40, "took {} iterations", opt.iterations());
    }

    #[test]
    fn bounded_quadratic_reaches_the_minimiser_in_the_box() {
        // A diagonal quadratic's minimiser within a box is its free minimiser clamped.
        let device = Device::flex();
        let diag: Vec<f32> = (1..=12).map(|i| i as f32).collect();
        let b: Vec<f32> = (0..12).map(|i| (i as f32 * 1.3).sin() * 20.0).collect();
        let bounds = Bounds { low: -1.0, high: 2.0 };
        let expected: Vec<f32> = b.iter().zip(&diag).map(|(b, a)| (b / a).clamp(-1.0, 2.0)).collect();
        assert!(b.iter().zip(&diag).any(|(b, a)| b / a > 2.0) && b.iter().any(|b| *b < -1.0));
        let mut f = Quadratic {
            diag: Tensor::from_floats(diag.as_slice(), &device),
            b: Tensor::from_floats(b.as_slice(), &device),
        };
        let config = LbfgsConfig { bounds: Some(bounds), ..LbfgsConfig::default() };
        let x0 = Tensor::from_floats([5.0; 12], &device); // outside: projected on the way in
        let mut opt = Lbfgs::new(config, &mut f, x0).unwrap();
        for _ in 0..100 {
            let inside = values(opt.x()).iter().all(|v| (-1.0..=2.0).contains(v));
            assert!(inside, "left the box: {:?}", values(opt.x()));
            if opt.step(&mut f).unwrap() != StepOutcome::Improved {
                break;
            }
        }
        for (got, want) in values(opt.x()).iter().zip(&expected) {
            assert!((got - want).abs() < 1e-3, "{got} vs {want}");
        }
    }

    struct Rosenbrock;

    impl DifferentiableFunction for Rosenbrock {
        // f = (1 − a)² + 100 (b − a²)²; minimiser (1, 1).
        fn value_and_gradient(&mut self, x: &Tensor<1>) -> Result<(f64, Tensor<1>)> {
            let v = values(x);
            let (a, b) = (v[0] as f64, v[1] as f64);
            let f = (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2);
            let g = [(-2.0 * (1.0 - a) - 400.0 * a * (b - a * a)) as f32, (200.0 * (b - a * a)) as f32];
            Ok((f, Tensor::from_floats(g, &x.device())))
        }
    }

    #[test]
    fn rosenbrock_reaches_one_one() {
        let device = Device::flex();
        let opt = minimise(&mut Rosenbrock, Tensor::from_floats([-1.2, 1.0], &device), 200);
        let x = values(opt.x());
        assert!(
            (x[0] - 1.0).abs() < 1e-3 && (x[1] - 1.0).abs() < 1e-3,
            "{x:?} after {} its",
            opt.iterations()
        );
        assert!(opt.value() < 1e-6, "{}", opt.value());
    }

    /// A function that turns NaN after a few evaluations, as a loss can mid-run (an overflow,
    /// a bad pixel): the run stops with a reason and keeps the last good point.
    struct TurnsNan {
        inner: Quadratic,
        good_evaluations: usize,
    }

    impl DifferentiableFunction for TurnsNan {
        fn value_and_gradient(&mut self, x: &Tensor<1>) -> Result<(f64, Tensor<1>)> {
            let (f, g) = self.inner.value_and_gradient(x)?;
            if self.good_evaluations == 0 {
                return Ok((f64::NAN, g.mul_scalar(f32::NAN)));
            }
            self.good_evaluations -= 1;
            Ok((f, g))
        }
    }

    #[test]
    fn a_loss_that_turns_nan_stops_the_run_at_the_last_good_point() {
        let device = Device::flex();
        let quadratic = || Quadratic {
            diag: Tensor::from_floats([1.0, 4.0, 9.0, 16.0], &device),
            b: Tensor::from_floats([1.0, -2.0, 3.0, -4.0], &device),
        };
        let mut f = TurnsNan { inner: quadratic(), good_evaluations: 4 };
        let mut opt = Lbfgs::new(LbfgsConfig::default(), &mut f, Tensor::zeros([4], &device)).unwrap();
        let start = opt.value();
        let mut outcomes = Vec::new();
        for _ in 0..20 {
            let outcome = opt.step(&mut f).unwrap();
            outcomes.push(outcome.clone());
            if outcome != StepOutcome::Improved {
                break;
            }
        }
        assert_eq!(outcomes.last(), Some(&StepOutcome::LineSearchFailed), "{outcomes:?}");
        assert!(opt.value().is_finite() && opt.value() <= start, "{} from {start}", opt.value());
        assert!(values(opt.x()).iter().all(|v| v.is_finite()), "{:?}", values(opt.x()));
        let (f_at_x, _) = quadratic().value_and_gradient(opt.x()).unwrap();
        assert!((f_at_x - opt.value()).abs() < 1e-6, "x and its value disagree");
    }
}
