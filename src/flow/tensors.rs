//! The data terms of the variational refinement as motion tensors (Bruhn et al. 2005): built
//! once per level from A and B warped by the flow so far, they turn each fixed-point
//! iteration's data term into a few multiply-adds per pixel.

use super::checker::Checker;
use super::pyramid::{bilinear, central};
use super::{Flow, Grey};

/// ζ²: keeps the normalisations finite on flat ground, and a tiny ridge on the increment.
pub(super) const ZETA_SQUARED: f32 = 0.01;

/// The data terms as motion tensors, fixed while B is not re-warped. For brightness
/// constancy J = n·(I_x, I_y, I_z)ᵀ(I_x, I_y, I_z), with the derivatives those of the mean of
/// A and warped B (symmetric: neither frame's sampling is favoured), I_z = warped B − A and
/// n = 1 / (|∇I|² + ζ²); then the squared normalised residual at increment (du, dv) is
/// (du, dv, 1) J (du, dv, 1)ᵀ. For gradient constancy, the same for I_x and I_y, summed.
/// Entries 11, 12, 22, 13, 23, 33; zero where x + w(x) leaves B, which then says nothing.
pub(super) struct Tensors {
    pub brightness: [Checker; 6],
    pub gradient: [Checker; 6],
}

impl Tensors {
    pub fn new(a: &Grey, b: &Grey, flow: &Flow) -> Tensors {
        let (w, h) = (a.width, a.height);
        let mut average = vec![0.0; w * h];
        let mut z = vec![0.0; w * h];
        let mut inside = vec![0.0; w * h];
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                let (tx, ty) = (x as f32 + flow.u[i], y as f32 + flow.v[i]);
                let warped = bilinear(&b.data, w, h, tx, ty);
                average[i] = 0.5 * (a.data[i] + warped);
                z[i] = warped - a.data[i];
                let landed = (0.0..=(w - 1) as f32).contains(&tx) && (0.0..=(h - 1) as f32).contains(&ty);
                inside[i] = if landed { 1.0 } else { 0.0 };
            }
        }
        let d = |plane: &[f32], along_x: bool| central(plane, w, h, along_x);
        let (ix, iy) = (d(&average, true), d(&average, false));
        let (ixx, ixy, iyy) = (d(&ix, true), d(&ix, false), d(&iy, false));
        let (ixz, iyz) = (d(&z, true), d(&z, false));
        let mut brightness = [(); 6].map(|_| Checker::zeros(w, h));
        let mut gradient = [(); 6].map(|_| Checker::zeros(w, h));
        let tensor = |p: f32, q: f32, r: f32, weight: f32| {
            [p * p, p * q, q * q, p * r, q * r, r * r].map(|e| weight * e)
        };
        for y in 0..h {
            for colour in 0..2 {
                let parity = Checker::parity(colour, y);
                let mut b_cells = brightness.each_mut().map(|c| c.run_mut(colour, y));
                let mut g_cells = gradient.each_mut().map(|c| c.run_mut(colour, y));
                for j in 0..b_cells[0].len() {
                    let i = y * w + 2 * j + parity;
                    let n = inside[i] / (ix[i] * ix[i] + iy[i] * iy[i] + ZETA_SQUARED);
                    for (cells, e) in b_cells.iter_mut().zip(tensor(ix[i], iy[i], z[i], n)) {
                        cells[j] = e;
                    }
                    let nx = inside[i] / (ixx[i] * ixx[i] + ixy[i] * ixy[i] + ZETA_SQUARED);
                    let ny = inside[i] / (ixy[i] * ixy[i] + iyy[i] * iyy[i] + ZETA_SQUARED);
                    let (jx, jy) = (tensor(ixx[i], ixy[i], ixz[i], nx), tensor(ixy[i], iyy[i], iyz[i], ny));
                    for (cells, (ex, ey)) in g_cells.iter_mut().zip(jx.into_iter().zip(jy)) {
                        cells[j] = ex + ey;
                    }
                }
            }
        }
        Tensors { brightness, gradient }
    }
}
