//! The readout's values: how closely an image matches the photo and the painting, on one scale
//! for any recipe and any tool. Relative content error ‖F − P‖² / ‖P‖² at each content layer and
//! relative Gram error ‖G − A‖² / ‖A‖² at each style layer (G, A: Gram matrices over positions,
//! so the painting's size does not matter). [`crate::loss::readout`] computes them.

use crate::layers::VGG19;

/// One layer's relative error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerError {
    /// Index into [`VGG19`].
    pub layer: usize,
    pub relative: f64,
}

impl LayerError {
    /// The layer's name as the readout prints it: `relu4_2`.
    pub fn name(&self) -> String {
        let layer = &VGG19[self.layer];
        format!("relu{}_{}", layer.block, layer.index_in_block)
    }
}

/// The relative errors of an image against a photo and a painting.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Readout {
    pub content: Vec<LayerError>,
    pub style: Vec<LayerError>,
}

impl Readout {
    /// Mean relative Gram error over the style layers.
    pub fn mean_style(&self) -> f64 {
        mean(&self.style)
    }
}

fn mean(errors: &[LayerError]) -> f64 {
    errors.iter().map(|e| e.relative).sum::<f64>() / errors.len().max(1) as f64
}

impl std::fmt::Display for Readout {
    /// `content relu4_2 1.71; style relu1_1 0.020 … relu4_1 0.131 (mean 0.072)`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |errors: &[LayerError]| {
            errors.iter().map(|e| format!("{} {:.3}", e.name(), e.relative)).collect::<Vec<_>>().join(" ")
        };
        write!(
            f,
            "content {}; style {} (mean {:.3})",
            list(&self.content),
            list(&self.style),
            self.mean_style()
        )
    }
}
