//! The TOML recipe: which VGG19 layers carry content and style, the loss weights and the
//! optimiser settings. Parsed with serde, then checked by [`Recipe::validate`] before any heavy
//! work, so every mistake is reported with the key it was made in.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};

pub use crate::colour::PreserveColors;
use crate::device::DeviceChoice;
use crate::layers::{self, VGG19};
use crate::transfer::Init;
use crate::usage;

/// How a layer's Gram-matrix difference is scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StyleNormalization {
    /// G = FFᵀ/(H·W); loss = Σ(G − A)² / C⁴. Layers of any depth and any image size weigh alike.
    Channels,
    /// Gatys et al. and the Keras example: G = FFᵀ; loss = Σ(G − A)² / (4·C²·(H·W)²).
    Gatys,
}

/// How the content and variation terms reduce over elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reduction {
    /// Mean over elements (pixels): independent of the image size.
    Mean,
    /// Sum over elements, as in Gatys et al. and the Keras example.
    Sum,
}

/// Pooling between VGG19's blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    Max,
    /// Gatys et al. found average pooling gives slightly smoother results.
    Avg,
}

/// The style and content weight of one VGG19 layer (the seed post's `LayerWeights`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LayerWeights {
    pub style: f64,
    pub content: f64,
}

/// A whole recipe. Every field has a default (the values of `weights/presets/default.toml`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Recipe {
    /// Global multiplier of the content loss. Default 1.
    pub content_weight: f64,
    /// Global multiplier of the style loss. Default 1e3.
    pub style_weight: f64,
    /// Global multiplier of the variation loss. Default 1e-3.
    pub tv_weight: f64,
    /// Variation loss is (dx² + dy²)^tv_exponent over pixels (0–255 scale). Default 1.25.
    pub tv_exponent: f64,
    /// Content loss: mean or sum of (F − P)². Default "mean".
    pub content_normalization: Reduction,
    /// Variation loss: mean or sum over pixels. Default "mean".
    pub tv_normalization: Reduction,
    /// Default "channels".
    pub style_normalization: StyleNormalization,
    /// Default "max".
    pub pooling: Pooling,
    /// L-BFGS iterations. Default 500.
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
    /// Starting image: "content", "noise" or an image path (`--init`). Default "content".
    pub init: Init,
    /// Seed of the noise start (`--seed`). Default 0.
    pub seed: u64,
    /// "auto", "gpu" or "cpu" (`--device`). Default "auto".
    pub device: DeviceChoice,
    /// Keep the photo's colours: "none", "luminance" or "match" (`--preserve-colors`).
    pub preserve_colors: PreserveColors,
    /// Coarse-to-fine levels, each twice the size of the one before, ending at `size`
    /// (`--scales`). Default 1.
    pub scales: usize,
    /// Iterations at each level, coarsest first. Default: `iterations` at the coarsest, half as
    /// many at each finer level.
    pub level_iterations: Vec<usize>,
    /// "lbfgs" or "adam" (`--optimizer`). Default "lbfgs".
    pub optimizer: OptimizerKind,
    /// Adam's step size in pixel units, 0–255 (`--lr`). Default 2.
    pub learning_rate: f64,
    /// Write a checkpoint every this many iterations, 0 for none (`--save-every`). Default 0.
    pub save_every: usize,
    /// Per-layer weights keyed by layer name (`relu4_2`, `block4_conv2`, …).
    pub layers: BTreeMap<String, LayerWeights>,
}

/// Smallest longer side of a coarse-to-fine level. Below it relu5_1 sees a handful of
/// positions, and a Gram matrix over so few is the painting's layout rather than its style.
pub const MIN_LEVEL_SIDE: u32 = 128;

/// The optimiser of the image's pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// L-BFGS with a strong-Wolfe line search: the classic choice for style transfer.
    Lbfgs,
    /// Adam: one evaluation per iteration, noisier.
    Adam,
}

impl Default for Recipe {
    fn default() -> Self {
        let style = |name: &str| (name.to_string(), LayerWeights { style: 1.0, content: 0.0 });
        let mut layers: BTreeMap<_, _> =
            ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"].into_iter().map(style).collect();
        layers.insert("relu4_2".into(), LayerWeights { style: 0.0, content: 1.0 });
        Recipe {
            content_weight: 1.0,
            style_weight: 1e3,
            tv_weight: 1e-3,
            tv_exponent: 1.25,
            content_normalization: Reduction::Mean,
            tv_normalization: Reduction::Mean,
            style_normalization: StyleNormalization::Channels,
            pooling: Pooling::Max,
            iterations: 500,
            history_size: 10,
            size: 512,
            style_size: None,
            style_scale: None,
            init: Init::Content,
            seed: 0,
            device: DeviceChoice::Auto,
            preserve_colors: PreserveColors::None,
            scales: 1,
            level_iterations: Vec::new(),
            optimizer: OptimizerKind::Lbfgs,
            learning_rate: 2.0,
            save_every: 0,
            layers,
        }
    }
}

/// The presets built into the binary, by name; their files live in `weights/presets/`.
pub const PRESETS: [(&str, &str); 3] = [
    ("default", include_str!("../weights/presets/default.toml")),
    ("seed", include_str!("../weights/presets/seed.toml")),
    ("smoke", include_str!("../weights/presets/smoke.toml")),
];

/// A layer's resolved weights, by index into [`VGG19`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResolvedLayer {
    pub index: usize,
    pub style: f64,
    pub content: f64,
}

impl Recipe {
    /// Parse a recipe from TOML text; `origin` names it in errors (a path or `preset NAME`).
    pub fn from_toml(text: &str, origin: &str) -> Result<Recipe> {
        // toml's message already shows the line, the caret and the offending key.
        let recipe: Recipe = toml::from_str(text).map_err(|e| usage!("{origin}: {e}"))?;
        recipe.validate().map_err(|e| usage!("{origin}: {e}"))?;
        Ok(recipe)
    }

    pub fn from_file(path: &Path) -> Result<Recipe> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| usage!("{}: cannot read recipe: {e}", path.display()))?;
        Recipe::from_toml(&text, &path.display().to_string())
    }

    pub fn preset(name: &str) -> Result<Recipe> {
        let (_, text) = PRESETS.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            let names: Vec<_> = PRESETS.iter().map(|(n, _)| *n).collect();
            usage!("--preset: unknown preset '{name}' (available: {})", names.join(", "))
        })?;
        Recipe::from_toml(text, &format!("preset {name}"))
    }

    /// Check every value; the error names the key and what it accepts.
    pub fn validate(&self) -> Result<(), String> {
        let weight = |key: &str, value: f64| -> Result<(), String> {
            if value.is_finite() && value >= 0.0 {
                Ok(())
            } else {
                Err(format!("{key} = {value}: must be a finite number ≥ 0"))
            }
        };
        weight("content_weight", self.content_weight)?;
        weight("style_weight", self.style_weight)?;
        weight("tv_weight", self.tv_weight)?;
        if !(self.tv_exponent.is_finite() && self.tv_exponent >= 0.5 && self.tv_exponent <= 4.0) {
            return Err(format!("tv_exponent = {}: must be between 0.5 and 4", self.tv_exponent));
        }
        if self.iterations == 0 {
            return Err("iterations = 0: must be at least 1".into());
        }
        if !(1..=100).contains(&self.history_size) {
            return Err(format!("history_size = {}: must be between 1 and 100", self.history_size));
        }
        if self.size == 0 {
            return Err("size = 0: the output needs at least one pixel a side".into());
        }
        if self.style_size == Some(0) {
            return Err("style_size = 0: the style image needs at least one pixel a side".into());
        }
        if let Some(scale) = self.style_scale {
            if !(scale.is_finite() && (0.05..=20.0).contains(&scale)) {
                return Err(format!("style_scale = {scale}: must be between 0.05 and 20"));
            }
            if self.style_size.is_some() {
                return Err("style_scale and style_size: give one or the other".into());
            }
        }
        if !(1..=6).contains(&self.scales) {
            return Err(format!("scales = {}: must be between 1 and 6", self.scales));
        }
        let coarsest = self.size >> (self.scales - 1);
        if self.scales > 1 && coarsest < MIN_LEVEL_SIDE {
            return Err(format!(
                "scales = {} at size = {}: the coarsest level would be {coarsest} px; below \
                 {MIN_LEVEL_SIDE} px the deep layers' Gram matrices copy the painting's layout, so \
                 use fewer scales or a size of at least {}",
                self.scales,
                self.size,
                MIN_LEVEL_SIDE << (self.scales - 1)
            ));
        }
        if !self.level_iterations.is_empty() && self.level_iterations.len() != self.scales {
            return Err(format!(
                "level_iterations has {} entries for scales = {}: give one per level, coarsest first",
                self.level_iterations.len(),
                self.scales
            ));
        }
        if self.level_iterations.contains(&0) {
            return Err("level_iterations: every level needs at least 1 iteration".into());
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(format!("learning_rate = {}: must be a finite number > 0", self.learning_rate));
        }
        let mut seen = BTreeMap::new();
        for (name, w) in &self.layers {
            let Some(index) = layers::layer_index(name) else {
                return Err(format!(
                    "layers.{name}: unknown layer (run `nst layers`; e.g. relu4_2 or block4_conv2)"
                ));
            };
            if let Some(other) = seen.insert(index, name) {
                return Err(format!("layers.{name}: same layer as layers.{other}"));
            }
            weight(&format!("layers.{name}.style"), w.style)?;
            weight(&format!("layers.{name}.content"), w.content)?;
        }
        let resolved = self.resolved_layers();
        let content = resolved.iter().any(|l| l.content > 0.0) && self.content_weight > 0.0;
        let style = resolved.iter().any(|l| l.style > 0.0) && self.style_weight > 0.0;
        if !content && !style {
            return Err("no layer has a style or content weight > 0 (with content_weight or \
                        style_weight > 0): nothing to optimise; see [layers]"
                .into());
        }
        Ok(())
    }

    /// The layers with a non-zero weight, in network order. Call after `validate`.
    pub fn resolved_layers(&self) -> Vec<ResolvedLayer> {
        let mut out: Vec<_> = self
            .layers
            .iter()
            .filter_map(|(name, w)| {
                let index = layers::layer_index(name)?;
                (w.style > 0.0 || w.content > 0.0).then_some(ResolvedLayer {
                    index,
                    style: w.style,
                    content: w.content,
                })
            })
            .collect();
        out.sort_by_key(|l| l.index);
        out
    }

    /// Longer side of the style image: `style_size`, else `style_scale` × `size`, else `size`.
    pub fn style_side(&self) -> u32 {
        match (self.style_size, self.style_scale) {
            (Some(side), _) => side,
            (None, Some(scale)) => ((self.size as f64 * scale).round() as u32).max(1),
            (None, None) => self.size,
        }
    }

    /// Longer side and iterations of each coarse-to-fine level, coarsest first.
    pub fn levels(&self) -> Vec<(u32, usize)> {
        (0..self.scales)
            .map(|level| {
                let halvings = (self.scales - 1 - level) as u32;
                let side = (self.size >> halvings).max(1);
                let iterations = match self.level_iterations.get(level) {
                    Some(&n) => n,
                    None => (self.iterations >> level).max(1),
                };
                (side, iterations)
            })
            .collect()
    }

    /// Name of the deepest layer the recipe uses, for messages.
    pub fn deepest_layer(&self) -> &'static str {
        let deepest = self.resolved_layers().iter().map(|l| l.index).max().unwrap_or(0);
        VGG19[deepest].name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_parses() {
        for (name, _) in PRESETS {
            Recipe::preset(name).unwrap_or_else(|e| panic!("preset {name}: {e:#}"));
        }
    }

    #[test]
    fn default_preset_file_matches_the_built_in_default() {
        assert_eq!(Recipe::preset("default").unwrap(), Recipe::default());
    }

    fn error_of(text: &str) -> String {
        format!("{:#}", Recipe::from_toml(text, "r.toml").unwrap_err())
    }

    #[test]
    fn each_kind_of_bad_table_has_its_own_error() {
        let cases = [
            ("content_weight = [", "r.toml"),
            ("colour = 1", "unknown field `colour`"),
            ("[layers]\nrelu9_1 = { style = 1 }", "layers.relu9_1: unknown layer"),
            ("[layers]\nrelu1_1 = { stlye = 1 }", "unknown field `stlye`"),
            ("style_weight = nan", "style_weight = NaN"),
            ("tv_weight = -1", "tv_weight = -1"),
            ("[layers]\nrelu1_1 = { style = -2 }", "layers.relu1_1.style = -2"),
            ("[layers]\nrelu1_1 = { style = 0 }", "nothing to optimise"),
            ("content_weight = 0\nstyle_weight = 0", "nothing to optimise"),
            ("[layers]\nrelu1_1 = { style = 1 }\nblock1_conv1 = { style = 1 }", "same layer"),
            ("iterations = 0", "iterations = 0"),
            ("history_size = 0", "history_size = 0"),
            ("tv_exponent = 9", "tv_exponent = 9"),
            ("pooling = \"min\"", "unknown variant `min`"),
            ("size = 0", "size = 0"),
            ("style_size = 0", "style_size = 0"),
            ("style_scale = 0", "style_scale = 0"),
            ("style_scale = 2\nstyle_size = 64", "one or the other"),
            ("device = \"tpu\"", "unknown variant `tpu`"),
            ("seed = -1", "seed"),
            ("scales = 9", "scales = 9"),
            ("scales = 2\nlevel_iterations = [5]", "level_iterations has 1 entries"),
            ("scales = 3\nsize = 256", "coarsest level would be 64 px"),
            ("learning_rate = 0", "learning_rate = 0"),
            ("preserve_colors = \"grey\"", "unknown variant `grey`"),
            ("optimizer = \"sgd\"", "unknown variant `sgd`"),
        ];
        for (text, expected) in cases {
            let err = error_of(text);
            assert!(err.contains(expected), "{text:?} gave {err:?}, expected {expected:?}");
        }
    }

    #[test]
    fn syntax_errors_show_the_line() {
        let err = error_of("content_weight = 1\nstyle_weight = = 2\n");
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn partial_recipe_keeps_defaults() {
        let r = Recipe::from_toml("tv_weight = 0.5", "r").unwrap();
        assert_eq!(r.tv_weight, 0.5);
        assert_eq!(r.layers, Recipe::default().layers);
    }
}
