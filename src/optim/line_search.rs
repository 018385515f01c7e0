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
    /// Both strong-Wolfe conditions hold at `point`.
    pub wolfe: bool,
}

/// Search along a direction from `start` (t = 0) beginning with step `t0`.
/// `phi(t)` evaluates the function at x + t·d and returns (f, ∇f, ∇f·d).
pub fn strong_wolfe(
    phi: &mut dyn FnMut(f64) -> Result<(f64, Tensor<1>, f64)>,
    start: &Point,
    t0: f64,
    params: WolfeParams,
) -> Result<SearchResult> {
    let (f0, slope0) = (start.f, start.slope);
    let mut evaluations = 0;
    let mut eval = |t: f64, evaluations: &mut usize| -> Result<Point> {
        *evaluations += 1;
        let (f, gradient, slope) = phi(t)?;
        // A non-finite value or slope marks the step as far too long.
        let f = if f.is_finite() && slope.is_finite() { f } else { f64::INFINITY };
        Ok(Point { t, f, gradient, slope })
    };
    let armijo_fails = |p: &Point| p.f > f0 + params.c1 * p.t * slope0;
    let curvature_holds = |p: &Point| p.slope.abs() <= -params.c2 * slope0;

    // Bracketing phase: grow the step until an interval must contain an acceptable point.
    let mut prev = start.clone();
    let mut new = eval(t0, &mut evaluations)?;
    let mut bracket = loop {
        if armijo_fails(&new) || (evaluations > 1 && new.f >= prev.f) {
            break [prev, new];
        }
        if curvature_holds(&new) {
            return Ok(SearchResult { point: new, evaluations, wolfe: true });
        }
        if new.slope >= 0.0 {
            break [new, prev];
        }
        if evaluations >= params.max_evaluations {
            return Ok(SearchResult { point: new, evaluations, wolfe: false });
        }
        let (min_step, max_step) = (new.t + 0.01 * (new.t - prev.t), new.t * 10.0);
        let t = cubic_minimum(&prev, &new, Some((min_step, max_step)));
        prev = new;
        new = eval(t, &mut evaluations)?;
    };

    // Zoom phase: bracket[0] is the best point so far ("low"), bracket[1] the other end.
    if bracket[1].f < bracket[0].f {
        bracket.swap(0, 1);
    }
    let mut insufficient_progress = false;
    while evaluations < params.max_evaluations {
        let (lo_t, hi_t) = (bracket[0].t.min(bracket[1].t), bracket[0].t.max(bracket[1].t));
        if hi_t - lo_t < params.min_bracket * hi_t.max(1.0) {
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
        let trial = eval(t, &mut evaluations)?;
        if armijo_fails(&trial) || trial.f >= bracket[0].f {
            bracket[1] = trial;
            if bracket[1].f < bracket[0].f {
                bracket.swap(0, 1);
            }
        } else {
            if curvature_holds(&trial) {
                return Ok(SearchResult { point: trial, evaluations, wolfe: true });
            }
            if trial.slope * (bracket[1].t - bracket[0].t) >= 0.0 {
                bracket[1] = bracket[0].clone();
            }
            bracket[0] = trial;
        }
    }
    let [low, _] = bracket;
    Ok(SearchResult { point: low, evaluations, wolfe: false })
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
