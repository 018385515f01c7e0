//! Strong-Wolfe line search (Nocedal & Wright, algorithms 3.5 and 3.6), with cubic interpolation.

use anyhow::Result;
use burn::tensor::Tensor;

/// One evaluated point along the search direction.
#[derive(Clone)]
pub struct Point {
    pub t: f64,
    pub f: f64,
    pub gradient: Tensor<1>,
    /// Directional derivative ∇f·d at this point.
    pub slope: f64,
    /// Which of the search's evaluations this point is (1 for the first; 0 for the start).
    pub evaluation: usize,
}

#[derive(Debug, Clone, Copy)]
pub struct WolfeParams {
    /// Sufficient decrease (Armijo) constant.
    pub c1: f64,
    /// Curvature constant.
    pub c2: f64,
    pub max_evaluations: usize,
    /// Stop zooming once the bracket is this narrow (in units of the step).
    pub min_bracket: f64,
}

impl Default for WolfeParams {
    fn default() -> Self {
        WolfeParams { c1: 1e-4, c2: 0.9, max_evaluations: 25, min_bracket: 1e-9 }
    }
}

/// Result of a search: the best point found and how many evaluations it took.
pub struct SearchResult {
    pub point: Point,
    pub evaluations: usize,
}

/// Search along a direction from `start` (t = 0) beginning with step `t0`.
/// `phi(t)` evaluates the function at x + t·d and returns (f, ∇f, ∇f·d).
pub fn strong_wolfe(
    phi: &mut dyn FnMut(f64) -> Result<(f64, Tensor<1>, f64)>,
    start: &Point,
    t0: f64,
    params: WolfeParams,
) -> Result<SearchResult> {
    let mut search = Search { phi, f0: start.f, slope0: start.slope, params, evaluations: 0 };
    match search.bracket(start, t0)? {
        Bracketing::Found(result) => Ok(*result),
        Bracketing::Bracket(bracket) => search.zoom(*bracket),
    }
}

/// One line search in progress: the function along the direction and what it has cost.
struct Search<'a> {
    phi: &'a mut dyn FnMut(f64) -> Result<(f64, Tensor<1>, f64)>,
    /// f and its slope at t = 0.
    f0: f64,
    slope0: f64,
    params: WolfeParams,
    evaluations: usize,
}

/// How the bracketing phase ended: at an acceptable point, or with an interval holding one.
enum Bracketing {
    Found(Box<SearchResult>),
    Bracket(Box<[Point; 2]>),
}

impl Search<'_> {
    fn eval(&mut self, t: f64) -> Result<Point> {
        self.evaluations += 1;
        let (f, gradient, slope) = (self.phi)(t)?;
        // A non-finite value or slope marks the step as far too long.
        let f = if f.is_finite() && slope.is_finite() { f } else { f64::INFINITY };
        Ok(Point { t, f, gradient, slope, evaluation: self.evaluations })
    }

    fn armijo_fails(&self, p: &Point) -> bool {
        p.f > self.f0 + self.params.c1 * p.t * self.slope0
    }

    fn curvature_holds(&self, p: &Point) -> bool {
        p.slope.abs() <= -self.params.c2 * self.slope0
    }

    fn result(&self, point: Point) -> SearchResult {
        SearchResult { point, evaluations: self.evaluations }
    }

    /// Grow the step until an interval must contain an acceptable point.
    fn bracket(&mut self, start: &Point, t0: f64) -> Result<Bracketing> {
        let mut prev = start.clone();
        let mut new = self.eval(t0)?;
        loop {
            if self.armijo_fails(&new) || (self.evaluations > 1 && new.f >= prev.f) {
                return Ok(Bracketing::Bracket(Box::new([prev, new])));
            }
            if self.curvature_holds(&new) {
                return Ok(Bracketing::Found(Box::new(self.result(new))));
            }
            if new.slope >= 0.0 {
                return Ok(Bracketing::Bracket(Box::new([new, prev])));
            }
            if self.evaluations >= self.params.max_evaluations {
                return Ok(Bracketing::Found(Box::new(self.result(new))));
            }
            let (min_step, max_step) = (new.t + 0.01 * (new.t - prev.t), new.t * 10.0);
            let t = cubic_minimum(&prev, &new, Some((min_step, max_step)));
            prev = new;
            new = self.eval(t)?;
        }
    }

    /// Shrink the bracket around an acceptable point. `bracket[0]` is the best point so far
    /// ("low"), `bracket[1]` the other end.
    fn zoom(&mut self, mut bracket: [Point; 2]) -> Result<SearchResult> {
        if bracket[1].f < bracket[0].f {
            bracket.swap(0, 1);
        }
        let mut insufficient_progress = false;
        while self.evaluations < self.params.max_evaluations {
            let (lo_t, hi_t) = (bracket[0].t.min(bracket[1].t), bracket[0].t.max(bracket[1].t));
            if hi_t - lo_t < self.params.min_bracket * hi_t.max(1.0) {
                break;
            }
            let mut t = cubic_minimum(&bracket[0], &bracket[1], None);
            // Keep the trial away from the ends, or the bracket may never shrink.
            let margin = 0.1 * (hi_t - lo_t);
            if (hi_t - t).min(t - lo_t) < margin {
                if insufficient_progress || t >= hi_t || t <= lo_t {
                    t = if (t - hi_t).abs() < (t - lo_t).abs() { hi_t - margin } else { lo_t + margin };
                    insufficient_progress = false;
                } else {
                    insufficient_progress = true;
                }
            } else {
                insufficient_progress = false;
            }
            let trial = self.eval(t)?;
            if self.armijo_fails(&trial) || trial.f >= bracket[0].f {
                bracket[1] = trial;
                if bracket[1].f < bracket[0].f {
                    bracket.swap(0, 1);
                }
            } else {
                if self.curvature_holds(&trial) {
                    return Ok(self.result(trial));
                }
                if trial.slope * (bracket[1].t - bracket[0].t) >= 0.0 {
                    bracket[1] = bracket[0].clone();
                }
                bracket[0] = trial;
            }
        }
        let [low, _] = bracket;
        Ok(self.result(low))
    }
}

/// Minimiser of the cubic through two points with their slopes, clamped to `bounds`
/// (default: between the points). Falls back to the midpoint when the cubic has no minimum.
fn cubic_minimum(a: &Point, b: &Point, bounds: Option<(f64, f64)>) -> f64 {
    let (lo, hi) = bounds.unwrap_or((a.t.min(b.t), a.t.max(b.t)));
    let d1 = a.slope + b.slope - 3.0 * (a.f - b.f) / (a.t - b.t);
    let d2_squared = d1 * d1 - a.slope * b.slope;
    let candidate = if d2_squared >= 0.0 {
        let d2 = d2_squared.sqrt();
        if a.t <= b.t {
            b.t - (b.t - a.t) * ((b.slope + d2 - d1) / (b.slope - a.slope + 2.0 * d2))
        } else {
            a.t - (a.t - b.t) * ((a.slope + d2 - d1) / (a.slope - b.slope + 2.0 * d2))
        }
    } else {
        f64::NAN
    };
    if candidate.is_finite() { candidate.clamp(lo, hi) } else { (lo + hi) / 2.0 }
}
