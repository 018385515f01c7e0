//! The recipe as asked for: the TOML keys of a preset or file (serde, unknown keys refused) with
//! the command line's overrides on top. Each value remembers where it came from, so that
//! [`super::Recipe::resolve`] can name `--size 0` or `r.toml: size = 0` in its errors.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::bytes::MemorySize;
use crate::colour::PreserveColors;
use crate::device::DeviceChoice;
use crate::usage;

/// How a layer's Gram-matrix difference is scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StyleNormalization {
    /// G = FFᵀ/(H·W); loss = Σ(G − A)² / C⁴. Layers of any depth and any image size weigh alike.
    Channels,
    /// Gatys et al. and the Keras example: G = FFᵀ; loss = Σ(G − A)² / (4·C²·(H·W)²).
    Gatys,
    /// The readout's relative Gram error Σ(G − A)² / ΣA²: every layer counts by how far it is
    /// from the painting's, whatever its depth, channels or the painting's contrast.
    Relative,
}

/// How the content and variation terms reduce over elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reduction {
    /// Mean over elements (pixels): independent of the image size.
    Mean,
    /// Sum over elements, as in Gatys et al. and the Keras example.
    Sum,
    /// Content only: the readout's relative error Σ(F − P)² / ΣP².
    Relative,
}

/// Pooling between VGG19's blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    Max,
    /// Gatys et al. found average pooling gives slightly smoother results.
    Avg,
}

/// The optimiser of the image's pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// L-BFGS with a strong-Wolfe line search: the classic choice for style transfer.
    Lbfgs,
    /// Adam: one evaluation per iteration, noisier.
    Adam,
}

/// How many coarse-to-fine levels: a number, or as many as the size allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(try_from = "ScalesToml", into = "ScalesToml")]
pub enum Scales {
    /// Levels from 128 px (or more) doubling up to `size`; one below 256 px.
    Auto,
    Count(usize),
}

impl Scales {
    /// The number of levels at output size `size`.
    pub fn count(self, size: u32) -> usize {
        match self {
            Scales::Count(n) => n,
            Scales::Auto => (1..6).take_while(|&n| size >> n >= super::MIN_LEVEL_SIDE).count() + 1,
        }
    }
}

impl std::str::FromStr for Scales {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "auto" => Ok(Scales::Auto),
            n => n.parse().map(Scales::Count).map_err(|_| format!("'{n}': give a number of levels or auto")),
        }
    }
}

impl std::fmt::Display for Scales {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scales::Auto => f.write_str("\"auto\""),
            Scales::Count(n) => write!(f, "{n}"),
        }
    }
}

/// `scales` as TOML writes it: a number or the word "auto".
#[derive(Deserialize, Serialize)]
#[serde(untagged)]
enum ScalesToml {
    Count(usize),
    Word(String),
}

impl TryFrom<ScalesToml> for Scales {
    type Error = String;
    fn try_from(value: ScalesToml) -> Result<Self, String> {
        match value {
            ScalesToml::Count(n) => Ok(Scales::Count(n)),
            ScalesToml::Word(word) if word == "auto" => Ok(Scales::Auto),
            ScalesToml::Word(word) => {
                Err(format!("scales = \"{word}\": give a number of levels or \"auto\""))
            }
        }
    }
}

impl From<Scales> for ScalesToml {
    fn from(scales: Scales) -> Self {
        match scales {
            Scales::Auto => ScalesToml::Word("auto".into()),
            Scales::Count(n) => ScalesToml::Count(n),
        }
    }
}

/// The style and content weight of one VGG19 layer (the seed post's `LayerWeights`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LayerWeights {
    pub style: f64,
    pub content: f64,
}

/// Every key of a recipe TOML. Each has a default (the values of `weights/presets/default.toml`);
/// nothing here is checked yet: [`super::Recipe::resolve`] does that, in one place.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecipeFile {
    /// Global multiplier of the content loss. Default 1.
    pub content_weight: f64,
    /// Global multiplier of the style loss. Default 6.
    pub style_weight: f64,
    /// Global multiplier of the variation loss. Default 0 (none: docs/measurements.md, "Why no smoothing").
    pub tv_weight: f64,
    /// Variation loss is (dx² + dy²)^tv_exponent over pixels (0–255 scale). Default 1.25.
    pub tv_exponent: f64,
    /// Content loss: Σ(F − P)²/ΣP² ("relative"), or the mean or sum of (F − P)². Default
    /// "relative".
    pub content_normalization: Reduction,
    /// Variation loss: mean or sum over pixels. Default "mean".
    pub tv_normalization: Reduction,
    /// Default "relative".
    pub style_normalization: StyleNormalization,
    /// Default "max".
    pub pooling: Pooling,
    /// Iterations at the coarsest level (half as many at each finer one, 4/3 of the level
    /// before at the finest of several). Default 60.
    pub iterations: usize,
    /// L-BFGS history (pairs of vectors the size of the image). Default 10.
    pub history_size: usize,
    /// Longer side of the output in pixels (`--size`). Default 512.
    pub size: u32,
    /// Longer side of the style image in pixels (`--style-size`). Default: `size`.
    pub style_size: Option<u32>,
    /// Style image's longer side as a multiple of the output's (`--style-scale`): above 1 the
    /// brush strokes get smaller, below 1 bigger. Default 1.
    pub style_scale: Option<f64>,
    /// Starting image (`--init`): "recoloured" (the photo in the painting's colours: their mean
    /// and covariance, then their whole distribution; the photo itself when colours are
    /// preserved), "content", "noise" or an image path. Default "recoloured".
    pub init: String,
    /// Seed of the noise start (`--seed`). Default 0.
    pub seed: u64,
    /// "auto", "gpu" or "cpu" (`--device`). Default "auto".
    pub device: DeviceChoice,
    /// Memory the run may use, e.g. "4G" (`--max-memory`); levels that would not fit are
    /// evaluated in tiles. Default: what the machine or its container has available.
    pub max_memory: Option<MemorySize>,
    /// Evaluate levels larger than this many pixels a side in tiles of at most that size, even
    /// where memory does not require it (`--tile-size`); 0: only where it does. Default 0.
    pub tile_size: usize,
    /// Keep the photo's colours: "none", "luminance" or "match" (`--preserve-colors`).
    pub preserve_colors: PreserveColors,
    /// Coarse-to-fine levels, each twice the size of the one before, ending at `size`
    /// (`--scales`): a number, or "auto" for as many as keep the coarsest at 128 px or more
    /// (512 px: 128, 256, 512). Default "auto".
    pub scales: Scales,
    /// Iterations at each level, coarsest first. Default: `iterations` at the coarsest, half as
    /// many at each finer level, 4/3 of the level before at the finest of several.
    pub level_iterations: Vec<usize>,
    /// "lbfgs" or "adam" (`--optimizer`). Default "lbfgs".
    pub optimizer: OptimizerKind,
    /// Adam's step size in pixel units, 0–255 (`--lr`). Default 2.
    pub learning_rate: f64,
    /// Write a checkpoint every this many iterations, 0 for none (`--save-every`). Default 0.
    pub save_every: usize,
    /// End a level early once 10 iterations have moved its pixels by less than this RMS, in
    /// grey levels 0–255 (`--settle`); 0 runs every level's iterations. Default 2.5.
    pub settle: f64,
    /// A style layer counts fully only where the painting's feature map at that layer has at
    /// least this many positions per channel; with fewer its Gram matrix holds the painting's
    /// layout (its faces and figures) more than its texture, and the layer's weight falls in
    /// proportion. 0: every layer counts fully. Default 2.
    pub gram_positions: f64,
    /// Per-layer weights keyed by layer name (`relu4_2`, `block4_conv2`, …).
    pub layers: BTreeMap<String, LayerWeights>,
}

impl Default for RecipeFile {
    fn default() -> Self {
        let style = |name: &str| (name.to_string(), LayerWeights { style: 1.0, content: 0.0 });
        let mut layers: BTreeMap<_, _> =
            ["relu1_1", "relu2_1", "relu3_1", "relu4_1"].into_iter().map(style).collect();
        layers.insert("relu4_2".into(), LayerWeights { style: 0.0, content: 1.0 });
        RecipeFile {
            content_weight: 1.0,
            style_weight: 6.0,
            tv_weight: 0.0,
            tv_exponent: 1.25,
            content_normalization: Reduction::Relative,
            tv_normalization: Reduction::Mean,
            style_normalization: StyleNormalization::Relative,
            pooling: Pooling::Max,
            iterations: 60,
            history_size: 10,
            size: 512,
            style_size: None,
            style_scale: None,
            init: "recoloured".into(),
            seed: 0,
            device: DeviceChoice::Auto,
            max_memory: None,
            tile_size: 0,
            preserve_colors: PreserveColors::None,
            scales: Scales::Auto,
            level_iterations: Vec::new(),
            optimizer: OptimizerKind::Lbfgs,
            learning_rate: 2.0,
            save_every: 0,
            settle: 2.5,
            gram_positions: 2.0,
            layers,
        }
    }
}

/// The presets built into the binary, by name; their files live in `weights/presets/`.
pub const PRESETS: [(&str, &str); 3] = [
    ("default", include_str!("../../weights/presets/default.toml")),
    ("seed", include_str!("../../weights/presets/seed.toml")),
    ("smoke", include_str!("../../weights/presets/smoke.toml")),
];

/// Where the recipe's values (other than flags) came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// The built-in defaults: no `--preset`, no `--config`.
    Default,
    Preset(String),
    File(PathBuf),
}

/// The command line's values for recipe keys, each `None` when its flag was not given. Field
/// names are the TOML keys; [`flag_of`] names their flags.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub content_weight: Option<f64>,
    pub style_weight: Option<f64>,
    pub tv_weight: Option<f64>,
    pub iterations: Option<usize>,
    pub history_size: Option<usize>,
    pub size: Option<u32>,
    pub style_size: Option<u32>,
    pub style_scale: Option<f64>,
    pub pooling: Option<Pooling>,
    pub init: Option<String>,
    pub seed: Option<u64>,
    pub device: Option<DeviceChoice>,
    pub max_memory: Option<MemorySize>,
    pub tile_size: Option<usize>,
    pub preserve_colors: Option<PreserveColors>,
    pub scales: Option<Scales>,
    pub save_every: Option<usize>,
    pub settle: Option<f64>,
    pub optimizer: Option<OptimizerKind>,
    pub learning_rate: Option<f64>,
}

/// The command-line flag that sets a recipe key, if one does.
pub fn flag_of(key: &str) -> Option<&'static str> {
    Some(match key {
        "content_weight" => "--content-weight",
        "style_weight" => "--style-weight",
        "tv_weight" => "--tv-weight",
        "iterations" => "--iterations",
        "history_size" => "--history",
        "size" => "--size",
        "style_size" => "--style-size",
        "style_scale" => "--style-scale",
        "pooling" => "--pooling",
        "init" => "--init",
        "seed" => "--seed",
        "device" => "--device",
        "max_memory" => "--max-memory",
        "tile_size" => "--tile-size",
        "preserve_colors" => "--preserve-colors",
        "scales" => "--scales",
        "save_every" => "--save-every",
        "settle" => "--settle",
        "optimizer" => "--optimizer",
        "learning_rate" => "--lr",
        _ => return None,
    })
}

/// A recipe's values with their origins: the file or preset, and the keys flags replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRecipe {
    pub values: RecipeFile,
    pub origin: Origin,
    /// Keys whose value came from a command-line flag.
    flagged: BTreeSet<&'static str>,
}

impl Default for RawRecipe {
    fn default() -> Self {
        RawRecipe { values: RecipeFile::default(), origin: Origin::Default, flagged: BTreeSet::new() }
    }
}

impl RawRecipe {
    /// Parse TOML text; syntax and unknown keys are refused here, ranges by `resolve`.
    pub fn from_toml(text: &str, origin: Origin) -> Result<RawRecipe> {
        let raw = RawRecipe { values: RecipeFile::default(), origin, flagged: BTreeSet::new() };
        // toml's message already shows the line, the caret and the offending key.
        let values = toml::from_str(text).map_err(|e| usage!("{}: {e}", raw.origin_name()))?;
        Ok(RawRecipe { values, ..raw })
    }

    pub fn from_file(path: &Path) -> Result<RawRecipe> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| usage!("{}: cannot read recipe: {e}", path.display()))?;
        RawRecipe::from_toml(&text, Origin::File(path.to_path_buf()))
    }

    pub fn preset(name: &str) -> Result<RawRecipe> {
        let (_, text) = PRESETS.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            let names: Vec<_> = PRESETS.iter().map(|(n, _)| *n).collect();
            usage!("--preset: unknown preset '{name}' (available: {})", names.join(", "))
        })?;
        RawRecipe::from_toml(text, Origin::Preset(name.to_string()))
    }

    /// The recipe `--config FILE` or `--preset NAME` names, else the built-in default.
    pub fn chosen(config: Option<&Path>, preset: Option<&str>) -> Result<RawRecipe> {
        match (config, preset) {
            (Some(path), _) => RawRecipe::from_file(path),
            (None, Some(name)) => RawRecipe::preset(name),
            (None, None) => Ok(RawRecipe::default()),
        }
    }

    /// Put the command line's values over the file's. `--iterations` replaces per-level
    /// counts, `--scales` those of another level count, and `--style-size` and `--style-scale`
    /// replace each other.
    pub fn apply(&mut self, flags: &Overrides) {
        macro_rules! set {
            ($($key:ident),*) => {$(
                if let Some(value) = flags.$key.clone() {
                    self.values.$key = value;
                    self.flagged.insert(stringify!($key));
                }
            )*};
        }
        set!(content_weight, style_weight, tv_weight, iterations, history_size, size, pooling, init);
        set!(seed, device, preserve_colors, scales, save_every, settle, optimizer, learning_rate, tile_size);
        if let Some(size) = flags.max_memory {
            self.values.max_memory = Some(size);
            self.flagged.insert("max_memory");
        }
        let v = &mut self.values;
        if flags.iterations.is_some()
            || flags.scales.is_some_and(|n| n.count(v.size) != v.level_iterations.len())
        {
            v.level_iterations.clear();
        }
        if let Some(side) = flags.style_size {
            (v.style_size, v.style_scale) = (Some(side), None);
            self.flagged.insert("style_size");
        }
        if let Some(scale) = flags.style_scale {
            (v.style_size, v.style_scale) = (None, Some(scale));
            self.flagged.insert("style_scale");
        }
    }

    /// The keys whose values came from command-line flags, in key order.
    pub fn flagged(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.flagged.iter().copied()
    }

    /// Whether `key`'s value came from its command-line flag.
    pub fn from_flag(&self, key: &str) -> bool {
        self.flagged.contains(key)
    }

    /// `key` and its value as the user wrote them: `--size 0` or `size = 0`.
    pub fn describe(&self, key: &str, value: impl Display) -> String {
        match flag_of(key).filter(|_| self.from_flag(key)) {
            Some(flag) => format!("{flag} {value}"),
            None => format!("{key} = {value}"),
        }
    }

    /// The file or preset the values came from, for messages: `r.toml`, `preset smoke`.
    pub fn origin_name(&self) -> String {
        match &self.origin {
            Origin::Default => "default recipe".into(),
            Origin::Preset(name) => format!("preset {name}"),
            Origin::File(path) => path.display().to_string(),
        }
    }

    /// An error about the values of `keys`: prefixed by the file when one of them came from
    /// it, followed by the flags that set the others.
    pub fn error(&self, keys: &[&str], message: impl Display) -> anyhow::Error {
        let flags: Vec<_> = keys.iter().filter(|k| self.from_flag(k)).filter_map(|k| flag_of(k)).collect();
        let from_file = keys.iter().any(|k| !self.from_flag(k)) && self.origin != Origin::Default;
        let prefix = if from_file { format!("{}: ", self.origin_name()) } else { String::new() };
        let single_flag = keys.len() == 1 && flags.len() == 1;
        let suffix = if flags.is_empty() || single_flag {
            String::new()
        } else {
            format!(" (set by {})", flags.join(", "))
        };
        usage!("{prefix}{message}{suffix}")
    }
}
