//! Where a recipe's values are checked: [`Recipe::resolve`] applies each key's own rule (from
//! the table in `keys.rs`), then the rules between keys and the `[layers]` table, and turns what
//! was asked for into typed parts, or names the first bad value by its flag or its key and file.

use std::collections::BTreeMap;
use std::fmt::Display;

use anyhow::Result;

use super::Recipe;
use super::file::{OptimizerKind, RawRecipe, Reduction};
use super::keys::{WEIGHT_RULE, is_weight};
use super::parts::{LayerSpec, LossSpec, MIN_LEVEL_SIDE, Optimiser, Schedule, Start};
use crate::layers;

impl Recipe {
    /// Check every value of `asked` and build the parts each stage takes.
    pub fn resolve(asked: RawRecipe) -> Result<Recipe> {
        if let Some((key, value, rule)) = asked.values.broken_rule() {
            return Err(asked.error(&[key], format!("{}: {rule}", asked.describe(key, value))));
        }
        let loss = loss_spec(&asked)?;
        let schedule = schedule(&asked)?;
        let optimiser = optimiser(&asked)?;
        let style_side = style_side(&asked)?;
        let v = &asked.values;
        Ok(Recipe {
            loss,
            pooling: v.pooling,
            schedule,
            optimiser,
            start: Start::parse(&v.init, v.seed),
            style_side,
            colours: v.preserve_colors,
            device: v.device,
            max_memory: v.max_memory.map(|m| m.0),
            tile_size: (v.tile_size > 0).then_some(v.tile_size),
            asked,
        })
    }
}

/// `Err` naming `key` = `value` (or its flag) when `ok` is false.
fn require(asked: &RawRecipe, ok: bool, key: &str, value: impl Display, rule: &str) -> Result<()> {
    if ok { Ok(()) } else { Err(asked.error(&[key], format!("{}: {rule}", asked.describe(key, value)))) }
}

fn weight(asked: &RawRecipe, key: &str, value: f64) -> Result<()> {
    require(asked, is_weight(&value), key, value, WEIGHT_RULE)
}

fn loss_spec(asked: &RawRecipe) -> Result<LossSpec> {
    let v = &asked.values;
    let tv_ok = v.tv_normalization != Reduction::Relative;
    require(asked, tv_ok, "tv_normalization", "\"relative\"", "only content_normalization can be relative")?;
    let layers = layer_specs(asked)?;
    let content = layers.iter().any(|l| l.content > 0.0) && v.content_weight > 0.0;
    let style = layers.iter().any(|l| l.style > 0.0) && v.style_weight > 0.0;
    if !content && !style {
        return Err(asked.error(
            &["layers", "content_weight", "style_weight"],
            "no layer has a style or content weight > 0 (with content_weight or style_weight > 0): \
             nothing to optimise; see [layers]",
        ));
    }
    Ok(LossSpec {
        layers,
        content_weight: v.content_weight,
        style_weight: v.style_weight,
        tv_weight: v.tv_weight,
        tv_exponent: v.tv_exponent,
        content_reduction: v.content_normalization,
        tv_reduction: v.tv_normalization,
        style_normalization: v.style_normalization,
        gram_positions: v.gram_positions,
        palette_weight: v.palette_weight,
    })
}

/// The `[layers]` table by VGG19 index: names known, each layer once, weights ≥ 0.
fn layer_specs(asked: &RawRecipe) -> Result<Vec<LayerSpec>> {
    let mut seen = BTreeMap::new();
    let mut specs = Vec::new();
    for (name, w) in &asked.values.layers {
        let key = format!("layers.{name}");
        let Some(index) = layers::layer_index(name) else {
            return Err(asked.error(
                &["layers"],
                format!("{key}: unknown layer (run `nst layers`; e.g. relu4_2 or block4_conv2)"),
            ));
        };
        if let Some(other) = seen.insert(index, name) {
            return Err(asked.error(&["layers"], format!("{key}: same layer as layers.{other}")));
        }
        weight(asked, &format!("{key}.style"), w.style)?;
        weight(asked, &format!("{key}.content"), w.content)?;
        if w.style > 0.0 || w.content > 0.0 {
            specs.push(LayerSpec { index, style: w.style, content: w.content });
        }
    }
    specs.sort_by_key(|l| l.index);
    Ok(specs)
}

fn schedule(asked: &RawRecipe) -> Result<Schedule> {
    let v = &asked.values;
    let scales = v.scales.count(v.size);
    require(asked, (1..=6).contains(&scales), "scales", v.scales, "must be between 1 and 6")?;
    let coarsest = v.size >> (scales - 1);
    if scales > 1 && coarsest < MIN_LEVEL_SIDE {
        return Err(asked.error(
            &["scales", "size"],
            format!(
                "scales = {} at size = {}: the coarsest level would be {coarsest} px; below \
                 {MIN_LEVEL_SIDE} px the deep layers' Gram matrices copy the painting's layout, so \
                 use fewer scales or a size of at least {}",
                scales,
                v.size,
                MIN_LEVEL_SIDE << (scales - 1)
            ),
        ));
    }
    let per_level = &v.level_iterations;
    if !per_level.is_empty() && per_level.len() != scales {
        let message = format!(
            "level_iterations has {} entries for scales = {}: give one per level, coarsest first",
            per_level.len(),
            v.scales
        );
        return Err(asked.error(&["level_iterations", "scales"], message));
    }
    if per_level.contains(&0) {
        return Err(
            asked.error(&["level_iterations"], "level_iterations: every level needs at least 1 iteration")
        );
    }
    let levels = Schedule::coarse_to_fine(v.size, scales, v.iterations, per_level);
    Ok(Schedule { size: v.size, levels, save_every: v.save_every, settle: v.settle })
}

fn optimiser(asked: &RawRecipe) -> Result<Optimiser> {
    let v = &asked.values;
    Ok(match v.optimizer {
        OptimizerKind::Lbfgs => Optimiser::Lbfgs { history: v.history_size },
        OptimizerKind::Adam => Optimiser::Adam { learning_rate: v.learning_rate },
    })
}

/// Longer side of the style image: `style_size`, else `style_scale` × `size`, else `size`.
fn style_side(asked: &RawRecipe) -> Result<u32> {
    let v = &asked.values;
    if let Some(side) = v.style_size {
        require(asked, side >= 1, "style_size", side, "the style image needs at least one pixel a side")?;
    }
    if let Some(scale) = v.style_scale {
        let ok = scale.is_finite() && (0.05..=20.0).contains(&scale);
        require(asked, ok, "style_scale", scale, "must be between 0.05 and 20")?;
        if v.style_size.is_some() {
            return Err(asked
                .error(&["style_scale", "style_size"], "style_scale and style_size: give one or the other"));
        }
    }
    Ok(match (v.style_size, v.style_scale) {
        (Some(side), _) => side,
        (None, Some(scale)) => ((v.size as f64 * scale).round() as u32).max(1),
        (None, None) => v.size,
    })
}
