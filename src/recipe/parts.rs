//! The typed parts a recipe resolves into. Each stage takes the one part it needs: the losses a
//! [`LossSpec`], the painter a [`Schedule`] and a [`Start`], the pixel optimiser an [`Optimiser`].

use std::path::PathBuf;

use super::file::{Reduction, StyleNormalization};
use crate::layers::{self, VGG19};

/// One VGG19 layer the loss reads, with its weights (at least one of them > 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerSpec {
    /// Index into [`VGG19`].
    pub index: usize,
    pub style: f64,
    pub content: f64,
}

/// What the objective computes: the layers in network order, the terms' weights and scalings.
#[derive(Debug, Clone, PartialEq)]
pub struct LossSpec {
    /// Layers with a non-zero weight, in network order.
    pub layers: Vec<LayerSpec>,
    pub content_weight: f64,
    pub style_weight: f64,
    pub tv_weight: f64,
    pub tv_exponent: f64,
    pub content_reduction: Reduction,
    pub tv_reduction: Reduction,
    pub style_normalization: StyleNormalization,
    /// Positions per channel a painting's map needs for its layer to count fully.
    pub gram_positions: f64,
    /// Weight of the output's colour moments against the painting's.
    pub palette_weight: f64,
}

impl LossSpec {
    /// Index of the deepest layer read: the network stops there.
    pub fn deepest(&self) -> usize {
        self.layers.iter().map(|l| l.index).max().unwrap_or(0)
    }

    /// Smallest side an image may have for the deepest layer to still have a pixel.
    pub fn min_side(&self) -> u32 {
        layers::min_side(self.deepest())
    }

    pub fn deepest_name(&self) -> &'static str {
        VGG19[self.deepest()].name
    }

    /// Indices of every layer read, ascending.
    pub fn indices(&self) -> Vec<usize> {
        self.layers.iter().map(|l| l.index).collect()
    }

    /// Indices of the layers with a style weight, ascending.
    pub fn style_indices(&self) -> Vec<usize> {
        self.layers.iter().filter(|l| l.style > 0.0).map(|l| l.index).collect()
    }

    /// Indices of the layers with a content weight, ascending.
    pub fn content_indices(&self) -> Vec<usize> {
        self.layers.iter().filter(|l| l.content > 0.0).map(|l| l.index).collect()
    }
}

/// Smallest longer side of a coarse-to-fine level. Below it relu5_1 sees a handful of
/// positions, and a Gram matrix over so few is the painting's layout rather than its style.
pub const MIN_LEVEL_SIDE: u32 = 128;

/// One size the image is optimised at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    /// Longer side in pixels.
    pub side: u32,
    pub iterations: usize,
}

/// The sizes and iterations of a run, coarsest first, ending at the output's size.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// Longer side of the output in pixels.
    pub size: u32,
    pub levels: Vec<Level>,
    /// Write a checkpoint every this many iterations; 0 for none.
    pub save_every: usize,
    /// A level ends once 10 iterations move its pixels by less than this RMS, in grey levels;
    /// 0 never.
    pub settle: f64,
}

impl Schedule {
    /// `levels` levels, each twice the side of the one before, ending at `size`; a level
    /// without an entry in `level_iterations` gets `iterations` halved once per level, except
    /// the finest of several, which gets 4/3 of the level before it: the finest level decides
    /// the picture's detail and both errors, the coarse ones little (docs/measurements.md,
    /// "The schedule", has the runs that chose it).
    pub fn coarse_to_fine(
        size: u32,
        levels: usize,
        iterations: usize,
        level_iterations: &[usize],
    ) -> Vec<Level> {
        let halved = |level: usize| (iterations >> level).max(1);
        (0..levels)
            .map(|level| {
                let finest_of_several = level > 0 && level + 1 == levels;
                let default =
                    if finest_of_several { (halved(level - 1) * 4 / 3).max(1) } else { halved(level) };
                Level {
                    side: (size >> (levels - 1 - level)).max(1),
                    iterations: level_iterations.get(level).copied().unwrap_or(default),
                }
            })
            .collect()
    }

    /// Longer side of the coarsest level.
    pub fn coarsest_side(&self) -> u32 {
        self.levels.first().map_or(self.size, |l| l.side)
    }
}

/// The optimiser of the image's pixels, with its one setting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Optimiser {
    /// L-BFGS keeping `history` pairs of image-sized vectors.
    Lbfgs { history: usize },
    /// Adam with a step of `learning_rate` grey levels.
    Adam { learning_rate: f64 },
}

impl Optimiser {
    /// Pairs of image-sized vectors the optimiser keeps, for the memory estimate.
    pub fn stored_pairs(&self) -> usize {
        match self {
            Optimiser::Lbfgs { history } => *history,
            Optimiser::Adam { .. } => 1, // m and v
        }
    }
}

/// How the optimised image starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Start {
    /// The content photo itself.
    Content,
    /// The content photo recoloured to the painting's colours: their mean and covariance, then
    /// their whole distribution (the photo itself when colours are preserved).
    Recoloured,
    /// Gaussian noise around mid-grey, from this seed.
    Noise { seed: u64 },
    /// Another image, scaled to the output size.
    File(PathBuf),
}

impl Start {
    /// `content`, `recoloured`, `noise` or a path, as the `init` key and `--init` take it.
    pub fn parse(init: &str, seed: u64) -> Start {
        match init {
            "content" => Start::Content,
            "recoloured" | "recolored" => Start::Recoloured,
            "noise" => Start::Noise { seed },
            path => Start::File(PathBuf::from(path)),
        }
    }
}
