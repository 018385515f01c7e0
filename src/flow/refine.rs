//! Variational refinement (Kroeger et al. §2.3, the energy of Brox et al. 2004): the densified
//! field is a blend of patch translations, blocky and biased where a patch straddles two
//! motions; this polishes it pixel by pixel. The energy, per pixel, is
//! δ·Ψ(brightness constancy) + γ·Ψ(gradient constancy) + α·Ψ(|∇u|² + |∇v|²), with
//! Ψ(s²) = √(s² + ε²) (robust: outliers and motion edges cost linearly, not squared) and each
//! data term normalised by its image gradient (Zimmer et al.), so that strong edges do not
//! outvote the rest. B is warped once by the current flow and the energy linearised in the
//! increment (du, dv); each fixed-point iteration re-weights Ψ at the current increment and
//! solves the resulting linear system by a few sweeps of red-black over-relaxation.
//!
//! The per-pixel loops are written as functions of slices, outputs `&mut`, so that the
//! compiler knows they do not overlap their inputs and vectorises them, under pulp's dispatch
//! to the widest SIMD the CPU has.

use super::checker::Checker;
use super::tensors::{Tensors, ZETA_SQUARED};
use super::{DisParams, Flow, Grey};

/// ε² of the robust penalty: below ε = 0.001 a residual counts as zero.
const EPSILON_SQUARED: f32 = 1e-6;
/// Over-relaxation factor of the SOR sweeps.
const OMEGA: f32 = 1.6;

/// Per pixel, the 2×2 system of the current fixed-point iteration in the form the sweeps use:
/// a12, 1 / (a11 + Σ link weights), 1 / (a22 + Σ link weights), and the right-hand sides.
struct System {
    a12: Checker,
    inverse11: Checker,
    inverse22: Checker,
    bu: Checker,
    bv: Checker,
}

/// Refine `flow` from A (`a`) to B (`b`) in place.
pub(super) fn refine(a: &Grey, b: &Grey, flow: &mut Flow, params: &DisParams) {
    if params.refine_iterations == 0 {
        return;
    }
    let (w, h) = (a.width, a.height);
    let zeros = Checker::zeros(w, h);
    let mut solver = Solver {
        tensors: Tensors::new(a, b, flow),
        u: Checker::from_plane(&flow.u, w, h),
        v: Checker::from_plane(&flow.v, w, h),
        du: zeros.clone(),
        dv: zeros.clone(),
        sx: zeros.clone(),
        sy: zeros.clone(),
        current: [zeros.clone(), zeros.clone()],
        system: System {
            a12: zeros.clone(),
            inverse11: zeros.clone(),
            inverse22: zeros.clone(),
            bu: zeros.clone(),
            bv: zeros,
        },
        params,
    };
    pulp::Arch::new().dispatch(&mut solver);
    let (du, dv) = (solver.du.to_plane(), solver.dv.to_plane());
    flow.u.iter_mut().zip(du).for_each(|(u, d)| *u += d);
    flow.v.iter_mut().zip(dv).for_each(|(v, d)| *v += d);
}

/// The refinement's state at one level.
struct Solver<'a> {
    tensors: Tensors,
    /// The flow before refinement.
    u: Checker,
    v: Checker,
    /// The increment.
    du: Checker,
    dv: Checker,
    /// Link weights: `sx` to the right neighbour, `sy` to the one below (0 past the edge).
    sx: Checker,
    sy: Checker,
    /// The current flow u + du, its spares replicating the edge.
    current: [Checker; 2],
    system: System,
    params: &'a DisParams,
}

/// The fixed-point iterations, run by pulp under the widest SIMD this CPU has, as
/// src/model/winograd does: pulp compiles for it only what is inlined into `with_simd`, hence
/// the `#[inline(always)]` on everything the iterations call.
impl pulp::WithSimd for &mut Solver<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        for _ in 0..self.params.refine_iterations {
            self.weigh();
            self.build();
            for _ in 0..self.params.sor_iterations {
                self.relax();
            }
        }
    }
}

impl Solver<'_> {
    /// Ψ′ of the smoothness term at the current flow, into `sx` and `sy`.
    #[inline(always)]
    fn weigh(&mut self) {
        let Solver { u, v, du, dv, sx, sy, current: [cu, cv], params, .. } = self;
        smoothness_weights(u, v, du, dv, params.alpha, [cu, cv], sx, sy);
    }

    /// The system of the current fixed-point iteration.
    #[inline(always)]
    fn build(&mut self) {
        let (sx, sy, du, dv, u, v) = (&self.sx, &self.sy, &self.du, &self.dv, &self.u, &self.v);
        for colour in 0..2 {
            for y in 0..u.height {
                let data = DataRow {
                    brightness: self.tensors.brightness.each_ref().map(|c| c.cells(colour, y)),
                    gradient: self.tensors.gradient.each_ref().map(|c| c.cells(colour, y)),
                    du: du.cells(colour, y),
                    dv: dv.cells(colour, y),
                    delta: self.params.delta,
                    gamma: self.params.gamma,
                };
                let system = &mut self.system;
                system_cells(
                    system.a12.run_mut(colour, y),
                    system.inverse11.run_mut(colour, y),
                    system.inverse22.run_mut(colour, y),
                    system.bu.run_mut(colour, y),
                    system.bv.run_mut(colour, y),
                    &data,
                    u.around(colour, y),
                    v.around(colour, y),
                    links(sx, sy, colour, y),
                );
            }
        }
    }

    /// One red-black sweep of over-relaxation.
    #[inline(always)]
    fn relax(&mut self) {
        let (sx, sy, system) = (&self.sx, &self.sy, &self.system);
        for colour in 0..2 {
            for y in 0..sx.height {
                let links = links(sx, sy, colour, y);
                let s = [&system.a12, &system.inverse11, &system.inverse22, &system.bu, &system.bv]
                    .map(|c| c.cells(colour, y));
                let (du, du_around) = self.du.cells_and_neighbours(colour, y);
                let (dv, dv_around) = self.dv.cells_and_neighbours(colour, y);
                relax_cells(du, dv, du_around, dv_around, links, s);
            }
        }
    }
}

/// The weights of the links of `colour`'s pixels in row y to their left, right, upper and lower
/// neighbours.
#[inline(always)]
fn links<'a>(sx: &'a Checker, sy: &'a Checker, colour: usize, y: usize) -> [&'a [f32]; 4] {
    [sx.neighbours(colour, y)[0], sx.cells(colour, y), sy.neighbours(colour, y)[2], sy.cells(colour, y)]
}

/// α/2 / √(|∇u|² + |∇v|² + ε²) at the current flow u + du (written to `current`), by forward
/// differences: Ψ′ of the smoothness term, small across a motion edge so that it stays sharp.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn smoothness_weights(
    u: &Checker,
    v: &Checker,
    du: &Checker,
    dv: &Checker,
    alpha: f32,
    current: [&mut Checker; 2],
    sx: &mut Checker,
    sy: &mut Checker,
) {
    let sum = |out: &mut Checker, a: &Checker, b: &Checker| {
        for (colour, cells) in out.colours.iter_mut().enumerate() {
            let (a, b) = (&a.colours[colour], &b.colours[colour]);
            cells.iter_mut().zip(a.iter().zip(b)).for_each(|(c, (a, b))| *c = a + b);
        }
        out.replicate_edges();
    };
    let [cu, cv] = current;
    sum(cu, u, du);
    sum(cv, v, dv);
    let (w, h) = (u.width, u.height);
    for colour in 0..2 {
        for y in 0..h {
            let (n, parity) = (u.count(colour, y), Checker::parity(colour, y));
            let ([u0, _, ur, _, ud], [v0, _, vr, _, vd]) = (cu.around(colour, y), cv.around(colour, y));
            smoothness_cells(sx.run_mut(colour, y), sy.run_mut(colour, y), [u0, ur, ud], [v0, vr, vd], alpha);
            // No links past the right and bottom edges.
            if n > 0 && 2 * (n - 1) + parity == w - 1 {
                sx.run_mut(colour, y)[n - 1] = 0.0;
            }
            if y + 1 == h {
                sy.run_mut(colour, y).fill(0.0);
            }
        }
    }
}

/// [`smoothness_weights`] of one run of cells, from the flow at each cell, its right and its
/// lower neighbour.
#[inline(always)]
fn smoothness_cells(sx: &mut [f32], sy: &mut [f32], u: [&[f32]; 3], v: [&[f32]; 3], alpha: f32) {
    let n = sx.len();
    let (sy, [u0, ur, ud], [v0, vr, vd]) = (&mut sy[..n], u.map(|s| &s[..n]), v.map(|s| &s[..n]));
    for k in 0..n {
        let (ux, uy, vx, vy) = (ur[k] - u0[k], ud[k] - u0[k], vr[k] - v0[k], vd[k] - v0[k]);
        let weight = 0.5 * alpha / (ux * ux + uy * uy + vx * vx + vy * vy + EPSILON_SQUARED).sqrt();
        (sx[k], sy[k]) = (weight, weight);
    }
}

/// The data terms of one run of cells: the tensors and the current increment.
struct DataRow<'a> {
    brightness: [&'a [f32]; 6],
    gradient: [&'a [f32]; 6],
    du: &'a [f32],
    dv: &'a [f32],
    delta: f32,
    gamma: f32,
}

/// One run of cells of the system: the data terms with Ψ′ at the current increment, plus the
/// smoothness links (`links`: left, right, up, down) to the neighbours at the flow before
/// refinement (`u`, `v`: the cell, then its left, right, upper and lower neighbours).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn system_cells(
    a12: &mut [f32],
    inverse11: &mut [f32],
    inverse22: &mut [f32],
    bu: &mut [f32],
    bv: &mut [f32],
    data: &DataRow,
    u: [&[f32]; 5],
    v: [&[f32]; 5],
    links: [&[f32]; 4],
) {
    let n = a12.len();
    let (inverse11, inverse22, bu, bv) =
        (&mut inverse11[..n], &mut inverse22[..n], &mut bu[..n], &mut bv[..n]);
    let [b11, b12, b22, b13, b23, b33] = data.brightness.map(|s| &s[..n]);
    let [g11, g12, g22, g13, g23, g33] = data.gradient.map(|s| &s[..n]);
    let (du, dv) = (&data.du[..n], &data.dv[..n]);
    let [u0, ul, ur, ut, ub] = u.map(|s| &s[..n]);
    let [v0, vl, vr, vt, vb] = v.map(|s| &s[..n]);
    let [left, right, up, down] = links.map(|s| &s[..n]);
    for k in 0..n {
        let (p, q) = (du[k], dv[k]);
        let quadratic = |j11: f32, j12: f32, j22: f32, j13: f32, j23: f32, j33: f32| {
            p * (j11 * p + 2.0 * (j12 * q + j13)) + q * (j22 * q + 2.0 * j23) + j33
        };
        let rb = quadratic(b11[k], b12[k], b22[k], b13[k], b23[k], b33[k]).max(0.0);
        let rg = quadratic(g11[k], g12[k], g22[k], g13[k], g23[k], g33[k]).max(0.0);
        let wb = 0.5 * data.delta / (rb + EPSILON_SQUARED).sqrt();
        let wg = 0.5 * data.gamma / (rg + EPSILON_SQUARED).sqrt();
        let total = left[k] + right[k] + up[k] + down[k];
        a12[k] = wb * b12[k] + wg * g12[k];
        inverse11[k] = 1.0 / (wb * b11[k] + wg * g11[k] + ZETA_SQUARED + total);
        inverse22[k] = 1.0 / (wb * b22[k] + wg * g22[k] + ZETA_SQUARED + total);
        bu[k] = left[k] * (ul[k] - u0[k])
            + right[k] * (ur[k] - u0[k])
            + up[k] * (ut[k] - u0[k])
            + down[k] * (ub[k] - u0[k])
            - (wb * b13[k] + wg * g13[k]);
        bv[k] = left[k] * (vl[k] - v0[k])
            + right[k] * (vr[k] - v0[k])
            + up[k] * (vt[k] - v0[k])
            + down[k] * (vb[k] - v0[k])
            - (wb * b23[k] + wg * g23[k]);
    }
}

/// One over-relaxation step of a run of cells: each solves its 2×2 system with its neighbours'
/// increments (`du_around`, `dv_around`: left, right, up, down, all of the other colour) held.
/// `s` is the system's a12, 1/c11, 1/c22, bu, bv.
#[inline(always)]
fn relax_cells(
    du: &mut [f32],
    dv: &mut [f32],
    du_around: [&[f32]; 4],
    dv_around: [&[f32]; 4],
    links: [&[f32]; 4],
    s: [&[f32]; 5],
) {
    let n = du.len();
    let dv = &mut dv[..n];
    let [ul, ur, ut, ub] = du_around.map(|s| &s[..n]);
    let [vl, vr, vt, vb] = dv_around.map(|s| &s[..n]);
    let [left, right, up, down] = links.map(|s| &s[..n]);
    let [a12, inverse11, inverse22, bu, bv] = s.map(|s| &s[..n]);
    for k in 0..n {
        let su = left[k] * ul[k] + right[k] * ur[k] + up[k] * ut[k] + down[k] * ub[k];
        let sv = left[k] * vl[k] + right[k] * vr[k] + up[k] * vt[k] + down[k] * vb[k];
        du[k] += OMEGA * ((bu[k] + su - a12[k] * dv[k]) * inverse11[k] - du[k]);
        dv[k] += OMEGA * ((bv[k] + sv - a12[k] * du[k]) * inverse22[k] - dv[k]);
    }
}
