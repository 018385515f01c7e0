//! The properties the fuzzers check, shared by the cargo-fuzz targets (`fuzz/`), the mutation
//! tests and the corpus replay that CI runs. Each takes arbitrary bytes; it may return early on
//! an error, but a panic, a hang or a wrong-sized success is a bug.

use crate::image_io;
use crate::layers::VGG19;
use crate::model::weights;
use crate::recipe::{Origin, RawRecipe, Recipe};

/// Any text as a recipe: an error, or a recipe whose parts agree with what was asked.
pub fn recipe(bytes: &[u8]) {
    if let Ok(text) = std::str::from_utf8(bytes)
        && let Ok(raw) = RawRecipe::from_toml(text, Origin::File("fuzz.toml".into()))
        && let Ok(recipe) = Recipe::resolve(raw)
    {
        let values = &recipe.asked.values;
        assert_eq!(recipe.schedule.levels.len(), values.scales.count(values.size));
        assert!(recipe.schedule.levels.iter().all(|l| l.side >= 1 && l.iterations >= 1));
        assert!(recipe.style_side >= 1 && !recipe.loss.layers.is_empty());
    }
}

/// Any bytes as a weights file loaded up to layer `deepest`: an error, or exactly the right
/// number of values for every layer.
pub fn weights(bytes: &[u8], deepest: usize) {
    if let Ok(w) = weights::parse(bytes, "fuzz.safetensors", deepest) {
        assert_eq!(w.convs.len(), deepest + 1);
        for (conv, layer) in w.convs.iter().zip(&VGG19) {
            assert_eq!(conv.weight.len(), layer.in_channels * layer.out_channels * 9);
            assert_eq!(conv.bias.len(), layer.out_channels);
        }
    }
}

/// Any bytes as an input image: an error, or an image that scales to finite 0–255 planes.
pub fn image(bytes: &[u8]) {
    if let Ok(image) = image_io::decode(bytes, "fuzz", "image") {
        let (w, h) = image_io::fit(image.width(), image.height(), 24);
        let planar = image_io::to_planar(&image, w, h);
        assert!(planar.data.iter().all(|v| v.is_finite() && (0.0..=255.0).contains(v)));
    }
}
