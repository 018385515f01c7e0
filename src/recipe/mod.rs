//! The recipe: what to paint with. Read raw ([`RawRecipe`]: a preset or TOML file with the
//! command line's [`Overrides`] on top, each value knowing where it came from), then resolved
//! once by [`Recipe::resolve`], which checks every range, into the typed parts the stages take.

mod bytes;
mod file;
mod keys;
mod parts;
mod resolve;

pub use bytes::MemorySize;
pub use file::{
    LayerWeights, OptimizerKind, Origin, PRESETS, Pooling, RawRecipe, Reduction, Scales, StyleNormalization,
};
pub use keys::{Overrides, RecipeFile, flag_of};
pub use parts::{LayerSpec, Level, LossSpec, MIN_LEVEL_SIDE, Optimiser, Schedule, Start};

use anyhow::Result;

use crate::colour::PreserveColors;
use crate::device::DeviceChoice;

/// A checked recipe, in parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipe {
    pub loss: LossSpec,
    /// Pooling between VGG19's blocks.
    pub pooling: Pooling,
    pub schedule: Schedule,
    pub optimiser: Optimiser,
    pub start: Start,
    /// Longer side the style images are scaled to.
    pub style_side: u32,
    pub colours: PreserveColors,
    pub device: DeviceChoice,
    /// Bytes the run may use (`--max-memory`); `None`: what the system has.
    pub max_memory: Option<u64>,
    /// Tiles of at most this many pixels a side for every level larger (`--tile-size`).
    pub tile_size: Option<usize>,
    /// What was asked for, with where each value came from: for messages and the log.
    pub asked: RawRecipe,
}

impl Recipe {
    /// A built-in preset, resolved.
    pub fn preset(name: &str) -> Result<Recipe> {
        Recipe::resolve(RawRecipe::preset(name)?)
    }

    /// The built-in default recipe with some keys changed, e.g. for tests and benches:
    /// `Recipe::with(|r| r.size = 64)`.
    pub fn with(change: impl FnOnce(&mut RecipeFile)) -> Result<Recipe> {
        let mut asked = RawRecipe::default();
        change(&mut asked.values);
        Recipe::resolve(asked)
    }

    /// How the key `key` is named in messages: its flag if a flag set it, else the key.
    pub fn describe(&self, key: &str, value: impl std::fmt::Display) -> String {
        self.asked.describe(key, value)
    }

    /// The key or flag that sized the style images, as the user gave it: `--style-scale 0.5`.
    pub fn style_side_source(&self) -> String {
        let v = &self.asked.values;
        match (v.style_size, v.style_scale) {
            (Some(side), _) => self.describe("style_size", side),
            (None, Some(scale)) => self.describe("style_scale", scale),
            (None, None) => self.describe("size", v.size),
        }
    }
}

impl Default for Recipe {
    fn default() -> Self {
        // The defaults are checked by a test; resolving them cannot fail.
        Recipe::resolve(RawRecipe::default()).unwrap_or_else(|e| unreachable!("the default recipe: {e:#}"))
    }
}

#[cfg(test)]
mod tests;
