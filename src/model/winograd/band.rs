//! A band of tile rows: patches gathered into the Winograd domain, products scattered back.

use rayon::prelude::*;

use super::arithmetic::{copy_lanes, patch_to_points, points_to_tile};
use super::{ChannelStep, Fused, LANES, PATCH, POINTS, Planes, TILE};

/// The grid of 4×4 output tiles covering an image (the last row and column may overhang).
#[derive(Debug, Clone, Copy)]
pub(super) struct Tiles {
    pub(super) down: usize,
    pub(super) across: usize,
    /// Groups of 16 tiles per tile row.
    lane_groups: usize,
}

impl Tiles {
    pub(super) fn new(height: usize, width: usize) -> Tiles {
        let across = width.div_ceil(TILE);
        Tiles { down: height.div_ceil(TILE), across, lane_groups: across.div_ceil(LANES) }
    }
}

/// Consecutive tile rows, processed together.
pub(super) struct Band {
    pub(super) first_row: usize,
    pub(super) rows: usize,
    pub(super) tiles: Tiles,
}

impl Band {
    /// Patches of every input channel in the Winograd domain, `[channel][point][tile]`; each
    /// patch turned 180° first if `turned`, and zero wherever `gate` is not positive.
    pub(super) fn gather_patches(
        &self,
        turned: bool,
        x: &[f32],
        gate: Option<&[f32]>,
        planes: Planes,
        patches: &mut [f32],
    ) {
        let Planes { height, width, .. } = planes;
        let count = self.rows * self.tiles.across;
        patches.par_chunks_mut(POINTS * count).enumerate().for_each(|(channel, out)| {
            let plane = &x[channel * height * width..][..height * width];
            let gate = gate.map(|g| &g[channel * height * width..][..height * width]);
            let step = ChannelStep::Gather { band: self, turned, plane, gate, width, height, out };
            pulp::Arch::new().dispatch(step);
        });
    }

    #[inline(always)]
    pub(super) fn gather_channel<const TURNED: bool>(
        &self,
        plane: &[f32],
        gate: Option<&[f32]>,
        width: usize,
        height: usize,
        out: &mut [f32],
    ) {
        let count = self.rows * self.tiles.across;
        // A padded copy of each of the six image rows under a tile row, long enough for the
        // last group of 16 tiles to read zeros past the edge, then split into its four phases
        // (pixels 4n, 4n+1, 4n+2, 4n+3) so that a patch column of 16 tiles is 16 contiguous
        // values rather than a stride-4 gather.
        let phase_len = self.tiles.lane_groups * LANES + 1;
        let line = TILE * phase_len;
        let mut padded = vec![0.0; line];
        let mut phases = vec![0.0; PATCH * line]; // [row j][phase][n]
        for row in 0..self.rows {
            self.rows_in_phases(
                self.first_row + row,
                (plane, gate),
                (width, height),
                &mut padded,
                &mut phases,
            );
            for group in 0..self.tiles.lane_groups {
                let first = group * LANES;
                // d[column][row][tile]
                let mut d = [[[0.0; LANES]; PATCH]; PATCH];
                for (j, line_phases) in phases.chunks_exact(line).enumerate() {
                    let j = if TURNED { PATCH - 1 - j } else { j };
                    for (l, column) in d.iter_mut().enumerate() {
                        let l = if TURNED { PATCH - 1 - l } else { l };
                        let from = (l % TILE) * phase_len + first + l / TILE;
                        column[j].copy_from_slice(&line_phases[from..][..LANES]);
                    }
                }
                let mut e = [[[0.0; LANES]; PATCH]; PATCH]; // [row point][column]
                for (l, column) in d.iter().enumerate() {
                    for (i, v) in patch_to_points(column).into_iter().enumerate() {
                        e[i][l] = v;
                    }
                }
                let n = LANES.min(self.tiles.across - first);
                let at = row * self.tiles.across + first;
                for (i, line_points) in e.iter().enumerate() {
                    for (k, v) in patch_to_points(line_points).iter().enumerate() {
                        copy_lanes(&mut out[(i * PATCH + k) * count + at..], v, n);
                    }
                }
            }
        }
    }

    /// The six image rows under tile row `tile_row` (zero past the edges; zero where the gate
    /// is not positive), each padded and split into its four phases.
    #[inline(always)]
    fn rows_in_phases(
        &self,
        tile_row: usize,
        (plane, gate): (&[f32], Option<&[f32]>),
        (width, height): (usize, usize),
        padded: &mut [f32],
        phases: &mut [f32],
    ) {
        let phase_len = self.tiles.lane_groups * LANES + 1;
        for (j, line_phases) in phases.chunks_exact_mut(TILE * phase_len).enumerate() {
            let source = (TILE * tile_row + j).checked_sub(1).filter(|&r| r < height);
            let pixels = &mut padded[1..=width];
            match (source, gate) {
                (Some(r), None) => pixels.copy_from_slice(&plane[r * width..][..width]),
                (Some(r), Some(gate)) => {
                    let (values, gate) = (&plane[r * width..][..width], &gate[r * width..][..width]);
                    for ((p, &v), &g) in pixels.iter_mut().zip(values).zip(gate) {
                        *p = if g > 0.0 { v } else { 0.0 };
                    }
                }
                (None, _) => pixels.fill(0.0),
            }
            let (phase0, rest) = line_phases.split_at_mut(phase_len);
            let (phase1, rest) = rest.split_at_mut(phase_len);
            let (phase2, phase3) = rest.split_at_mut(phase_len);
            let phases = phase0.iter_mut().zip(phase1).zip(phase2).zip(phase3);
            for (pixels, (((p0, p1), p2), p3)) in padded.chunks_exact(TILE).zip(phases) {
                (*p0, *p1, *p2, *p3) = (pixels[0], pixels[1], pixels[2], pixels[3]);
            }
        }
    }

    /// The products `[point][channel][tile]` back to output pixels (each tile turned 180° if
    /// `turned`), plus the bias, through the ReLU if asked.
    pub(super) fn scatter_tiles(
        &self,
        turned: bool,
        products: &[f32],
        fused: Fused,
        y: &mut [f32],
        planes: Planes,
    ) {
        y.par_chunks_mut(planes.height * planes.width).enumerate().for_each(|(channel, plane)| {
            let bias = fused.bias.map_or(0.0, |b| b[channel]);
            let relu = fused.relu;
            let step =
                ChannelStep::Scatter { band: self, turned, products, channel, bias, relu, planes, plane };
            pulp::Arch::new().dispatch(step);
        });
    }

    #[inline(always)]
    pub(super) fn scatter_channel<const TURNED: bool>(
        &self,
        products: &[f32],
        channel: usize,
        bias: f32,
        relu: bool,
        planes: Planes,
        plane: &mut [f32],
    ) {
        let Planes { channels: outs, height, width } = planes;
        let count = self.rows * self.tiles.across;
        let line = TILE * self.tiles.lane_groups * LANES;
        let mut lines = vec![0.0; TILE * line];
        for row in 0..self.rows {
            for group in 0..self.tiles.lane_groups {
                let first = group * LANES;
                let n = LANES.min(self.tiles.across - first);
                let at = row * self.tiles.across + first;
                let mut m = [[[0.0; LANES]; PATCH]; PATCH]; // [column][row]
                for i in 0..PATCH {
                    for (j, column) in m.iter_mut().enumerate() {
                        let from = ((i * PATCH + j) * outs + channel) * count + at;
                        copy_lanes(&mut column[i], &products[from..], n);
                    }
                }
                let mut s = [[[0.0; LANES]; PATCH]; TILE]; // [pixel row][column]
                for (j, column) in m.iter().enumerate() {
                    for (a, v) in points_to_tile(column).into_iter().enumerate() {
                        s[a][j] = v;
                    }
                }
                for (a, pixel_row) in s.iter().enumerate() {
                    let out = points_to_tile(pixel_row);
                    let a = if TURNED { TILE - 1 - a } else { a };
                    let target = &mut lines[a * line + TILE * first..][..TILE * LANES];
                    for (q, pixels) in target.chunks_exact_mut(TILE).enumerate() {
                        for (b, v) in pixels.iter_mut().enumerate() {
                            let b = if TURNED { TILE - 1 - b } else { b };
                            *v = out[b][q] + bias;
                        }
                    }
                }
            }
            let top = TILE * (self.first_row + row);
            for (a, pixels) in lines.chunks_exact(line).enumerate() {
                if top + a < height {
                    let target = &mut plane[(top + a) * width..][..width];
                    if relu {
                        for (t, &v) in target.iter_mut().zip(&pixels[..width]) {
                            *t = v.max(0.0);
                        }
                    } else {
                        target.copy_from_slice(&pixels[..width]);
                    }
                }
            }
        }
    }
}
