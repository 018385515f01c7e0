//! Every recipe key, declared once: its type, default, documentation, command-line flag and
//! the rule its value must keep. From this one table come the TOML file's struct
//! ([`RecipeFile`], its defaults and docs), the flags that override it ([`Overrides`], which
//! `nst run` and `nst batch` flatten into their arguments), the flag each key is known by in
//! messages ([`flag_of`]) and each key's own check ([`RecipeFile::broken_rule`]); `resolve.rs`
//! adds the rules between keys and turns the keys into the parts each stage takes.
//!
//! Adding a key: one entry here (a flag's `#[arg(…)]`, or `#[arg(skip)]` for a file-only key,
//! and its rule), one line in `weights/presets/default.toml`, and its use where `resolve.rs`
//! builds the part that takes it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use serde::{Deserialize, Serialize};

use super::bytes::MemorySize;
use super::file::{LayerWeights, OptimizerKind, Pooling, Reduction, Scales, StyleNormalization};
use crate::colour::PreserveColors;
use crate::device::DeviceChoice;

/// Smallest `tile_size` accepted: one position of relu5_1 (the planner's own smallest tile,
/// [`crate::memory::MIN_TILE`], is larger).
const MIN_ASKED_TILE: usize = 16;

/// `key: FileType = default, flag: #[arg(…)] FlagType, check: |value| ok => "rule";` for each
/// key, in the order a recipe file is written. A flag's value replaces the key's (`FlagType`
/// into `FileType`: `u32` into `Option<u32>` for the optional keys). The check is optional.
macro_rules! recipe_keys {
    ($(
        $(#[doc = $doc:literal])*
        $key:ident: $file_type:ty = $default:expr, flag: #[arg($($arg:tt)*)] $flag_type:ty
            $(, check: $ok:expr => $rule:expr)?;
    )*) => {
        /// Every key of a recipe TOML, with its default (`weights/presets/default.toml` gives the
        /// same values); nothing here is checked yet: [`super::Recipe::resolve`] does that.
        #[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct RecipeFile {
            $($(#[doc = $doc])* pub $key: $file_type,)*
        }

        impl Default for RecipeFile {
            fn default() -> Self {
                RecipeFile { $($key: $default,)* }
            }
        }

        impl RecipeFile {
            /// The first key, in table order, whose value breaks its own rule: the key, its
            /// value and the rule. Rules between keys are `resolve.rs`'s.
            pub(super) fn broken_rule(&self) -> Option<(&'static str, String, &'static str)> {
                $($(
                    let ok: fn(&$file_type) -> bool = $ok;
                    if !ok(&self.$key) {
                        return Some((stringify!($key), self.$key.to_string(), $rule));
                    }
                )?)*
                None
            }
        }

        /// The command line's values for recipe keys, each `None` when its flag was not given.
        /// Field names are the TOML keys.
        #[derive(Debug, Clone, Default, clap::Args)]
        #[command(next_help_heading = "Recipe (each flag overrides the recipe's key)")]
        pub struct Overrides {
            $($(#[doc = $doc])* #[arg($($arg)*)] pub $key: Option<$flag_type>,)*
        }

        impl Overrides {
            /// Put each given flag's value in `file`; the keys they set, in table order.
            pub(super) fn apply_to(&self, file: &mut RecipeFile) -> Vec<&'static str> {
                let mut given = Vec::new();
                $(if let Some(value) = &self.$key {
                    file.$key = value.clone().into();
                    given.push(stringify!($key));
                })*
                given
            }
        }
    };
}

recipe_keys! {
    /// Global multiplier of the content loss [recipe default: 1].
    content_weight: f64 = 1.0, flag: #[arg(long, value_name = "W")] f64, check: is_weight => WEIGHT_RULE;
    /// Global multiplier of the style loss [recipe default: 6].
    style_weight: f64 = 6.0, flag: #[arg(long, value_name = "W")] f64, check: is_weight => WEIGHT_RULE;
    /// Multiplier of the variation (smoothness) loss [recipe default: 0, none:
    /// docs/measurements.md, "Why no smoothing"].
    tv_weight: f64 = 0.0, flag: #[arg(long, value_name = "W")] f64, check: is_weight => WEIGHT_RULE;
    /// Variation loss is (dx² + dy²)^tv_exponent over pixels (0–255 scale). Default 1.25.
    tv_exponent: f64 = 1.25, flag: #[arg(skip)] f64,
        check: |e| e.is_finite() && (0.5..=4.0).contains(e) => "must be between 0.5 and 4";
    /// Content loss: Σ(F − P)²/ΣP² ("relative"), or the mean or sum of (F − P)². Default
    /// "relative".
    content_normalization: Reduction = Reduction::Relative, flag: #[arg(skip)] Reduction;
    /// Variation loss: mean or sum over pixels. Default "mean".
    tv_normalization: Reduction = Reduction::Mean, flag: #[arg(skip)] Reduction;
    /// Style loss per layer: "relative", "channels" or "gatys". Default "relative".
    style_normalization: StyleNormalization = StyleNormalization::Relative, flag: #[arg(skip)] StyleNormalization;
    /// Pooling between VGG19 blocks [recipe default: max].
    pooling: Pooling = Pooling::Max, flag: #[arg(long, value_enum)] Pooling;
    /// Iterations at the coarsest level, half as many at each finer one, 4/3 of the level
    /// before at the finest (see --scales) [recipe default: 60].
    iterations: usize = 60, flag: #[arg(long, short = 'n', value_name = "N")] usize, check: |n| *n >= 1 => "must be at least 1";
    /// L-BFGS history size: pairs of vectors the size of the image [recipe default: 10].
    history_size: usize = 10, flag: #[arg(long = "history", value_name = "N")] usize,
        check: |n| (1..=100).contains(n) => "must be between 1 and 100";
    /// Longer side of the output in pixels [recipe default: 512].
    size: u32 = 512, flag: #[arg(long, value_name = "PX")] u32,
        check: |side| *side >= 1 => "the output needs at least one pixel a side";
    /// Longer side the style image is scaled to [default: --size].
    style_size: Option<u32> = None, flag: #[arg(long, value_name = "PX", conflicts_with = "style_scale")] u32;
    /// Style image size as a multiple of the output's: >1 smaller brush strokes, <1 bigger.
    style_scale: Option<f64> = None, flag: #[arg(long, value_name = "F")] f64;
    /// Starting image: recoloured (the photo in the painting's colours: their mean and
    /// covariance, then their whole distribution; the photo itself when colours are preserved),
    /// content (the photo as it is), noise, or an image file [recipe default: recoloured].
    init: String = "recoloured".into(), flag: #[arg(long, value_name = "recoloured|content|noise|FILE")] String;
    /// Seed for --init noise; the same seed gives the same run on the same device.
    seed: u64 = 0, flag: #[arg(long)] u64;
    /// Where to compute: auto (a GPU if found, else the CPU), gpu or cpu [recipe default: auto].
    device: DeviceChoice = DeviceChoice::Auto,
        flag: #[arg(long, value_name = "auto|gpu|gpu:N|cpu", help_heading = "Device and network")] DeviceChoice;
    /// Memory the run may use (4G, 512M): levels that would not fit are evaluated in tiles
    /// [default: what the machine or its container has available].
    max_memory: Option<MemorySize> = None,
        flag: #[arg(long, value_name = "SIZE", help_heading = "Device and network")] MemorySize;
    /// Evaluate every level larger than N px in tiles of at most N px a side, whether or not
    /// memory requires it (the result is the same) [recipe default: 0, only when it does].
    tile_size: usize = 0, flag: #[arg(long, value_name = "N", help_heading = "Device and network")] usize,
        check: |t| *t == 0 || *t >= MIN_ASKED_TILE => "must be 0 (tiles only where memory needs them) or ≥ 16";
    /// Keep the photo's colours: luminance (transfer brightness only) or match (recolour the
    /// painting to the photo's colours) [recipe default: none].
    preserve_colors: PreserveColors = PreserveColors::None,
        flag: #[arg(long, value_enum, value_name = "MODE")] PreserveColors;
    /// Where each style applies: one mask per --style, in order (the recipe's form of
    /// --style-mask, which replaces it); paths from the working directory. Empty: everywhere.
    style_masks: Vec<PathBuf> = Vec::new(), flag: #[arg(skip)] Vec<PathBuf>;
    /// Coarse-to-fine levels, each twice the size of the last, ending at --size: big strokes
    /// and the painting's colours come cheaply at small sizes. auto: from 128 px up (512 px:
    /// 128, 256, 512) [recipe default: auto].
    scales: Scales = Scales::Auto, flag: #[arg(long, value_name = "N|auto")] Scales;
    /// Iterations at each level, coarsest first. Default: `iterations` at the coarsest, half as
    /// many at each finer level, 4/3 of the level before at the finest of several.
    level_iterations: Vec<usize> = Vec::new(), flag: #[arg(skip)] Vec<usize>;
    /// The pixel optimiser [recipe default: lbfgs].
    optimizer: OptimizerKind = OptimizerKind::Lbfgs, flag: #[arg(long, value_enum)] OptimizerKind;
    /// Adam's step size in 0–255 pixel units [recipe default: 2].
    learning_rate: f64 = 2.0, flag: #[arg(long = "lr", value_name = "RATE")] f64,
        check: |r| r.is_finite() && *r > 0.0 => "must be a finite number > 0";
    /// Write OUTPUT_0100.png … every N iterations [recipe default: 0, none].
    save_every: usize = 0, flag: #[arg(long, value_name = "N")] usize;
    /// End a level once 10 iterations change the picture by less than G grey levels (RMS,
    /// 0–255); 0 runs every iteration [recipe default: 2.5].
    settle: f64 = 2.5, flag: #[arg(long, value_name = "G")] f64, check: is_weight => WEIGHT_RULE;
    /// A style layer counts fully only where the painting's feature map at that layer has at
    /// least this many positions per channel; with fewer its Gram matrix holds the painting's
    /// layout (its faces and figures) more than its texture, and the layer's weight falls in
    /// proportion. 0: every layer counts fully. Default 2.
    gram_positions: f64 = 2.0, flag: #[arg(skip)] f64,
        check: |p| p.is_finite() && (0.0..=64.0).contains(p) => "must be between 0 and 64";
    /// Multiplier of the palette term, which holds the output's colour mean and covariance at
    /// the painting's: a Gram matrix does not pin them, and the photo's colours crept back
    /// (docs/measurements.md, The gallery) [recipe default: 100, 0: none].
    palette_weight: f64 = 100.0, flag: #[arg(long, value_name = "W")] f64, check: is_weight => WEIGHT_RULE;
    /// Per-layer weights keyed by layer name (`relu4_2`, `block4_conv2`, …).
    layers: BTreeMap<String, LayerWeights> = default_layers(), flag: #[arg(skip)] BTreeMap<String, LayerWeights>;
}

/// Gatys et al.'s layers less relu5_1: style at relu1_1 … relu4_1, content at relu4_2.
fn default_layers() -> BTreeMap<String, LayerWeights> {
    let style = |name: &str| (name.to_string(), LayerWeights { style: 1.0, content: 0.0 });
    let mut layers: BTreeMap<_, _> =
        ["relu1_1", "relu2_1", "relu3_1", "relu4_1"].into_iter().map(style).collect();
    layers.insert("relu4_2".into(), LayerWeights { style: 0.0, content: 1.0 });
    layers
}

/// A weight's rule, for the table's weights and `[layers]`' (`resolve.rs`).
pub(super) fn is_weight(weight: &f64) -> bool {
    weight.is_finite() && *weight >= 0.0
}
pub(super) const WEIGHT_RULE: &str = "must be a finite number ≥ 0";

/// The command-line flag that sets a recipe key, if one does: `--history` for `history_size`.
pub fn flag_of(key: &str) -> Option<String> {
    let command = Overrides::augment_args(clap::Command::new("nst"));
    let long = command.get_arguments().find(|arg| arg.get_id() == key)?.get_long()?;
    Some(format!("--{long}"))
}
