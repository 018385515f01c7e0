//! The recipe as asked for: the TOML keys of a preset or file (serde, unknown keys refused) with
//! the command line's overrides on top. Each value remembers where it came from, so that
//! [`super::Recipe::resolve`] can name `--size 0` or `r.toml: size = 0` in its errors.

use std::collections::BTreeSet;
use std::fmt::Display;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::keys::{Overrides, RecipeFile, flag_of};
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    Max,
    /// Gatys et al. found average pooling gives slightly smoother results.
    Avg,
}

/// The optimiser of the image's pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum)]
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
        let level_count = self.values.level_iterations.len();
        self.flagged.extend(flags.apply_to(&mut self.values));
        let v = &mut self.values;
        if flags.iterations.is_some() || flags.scales.is_some_and(|n| n.count(v.size) != level_count) {
            v.level_iterations.clear();
        }
        if flags.style_size.is_some() {
            v.style_scale = None;
        }
        if flags.style_scale.is_some() {
            v.style_size = None;
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
