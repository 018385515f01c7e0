//! The readout: how closely an image matches the photo and the painting, on one scale for any
//! recipe and any tool. Relative content error ‖F − P‖² / ‖P‖² at each content layer and
//! relative Gram error ‖G − A‖² / ‖A‖² at each style layer (G, A: Gram matrices over positions,
//! so the painting's size does not matter).

use anyhow::{Result, anyhow};
use burn::tensor::Tensor;

use crate::image_io::{self, to_tensor};
use crate::layers::VGG19;
use crate::loss::{StyleGrams, gram};
use crate::model::Vgg19;
use crate::recipe::LossSpec;

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

    /// Mean relative content error over the content layers.
    pub fn mean_content(&self) -> f64 {
        mean(&self.content)
    }
}

fn mean(errors: &[LayerError]) -> f64 {
    errors.iter().map(|e| e.relative).sum::<f64>() / errors.len().max(1) as f64
}

/// The readout of `image` against `photo` (same size as `image`) and the painting's `grams`,
/// at `spec`'s layers. Both images `[1, 3, H, W]`, 0–255, on the model's device.
pub fn readout(
    model: &Vgg19,
    spec: &LossSpec,
    image: Tensor<4>,
    photo: Tensor<4>,
    grams: &StyleGrams,
) -> Result<Readout> {
    let indices = spec.indices();
    let acts = model.forward(image, &indices);
    let content_indices = spec.content_indices();
    let photo_acts = model.forward(photo, &content_indices);
    let mut readout = Readout::default();
    for (layer, target) in content_indices.into_iter().zip(photo_acts) {
        let at =
            indices.iter().position(|&i| i == layer).ok_or_else(|| anyhow!("layer {layer} not computed"))?;
        readout.content.push(LayerError { layer, relative: relative(acts[at].clone(), target)? });
    }
    for (&layer, act) in indices.iter().zip(acts) {
        if let Some(target) = grams.of_layer(layer) {
            readout.style.push(LayerError { layer, relative: relative(gram(act), target.clone())? });
        }
    }
    Ok(readout)
}

impl std::fmt::Display for Readout {
    /// `content relu4_2 1.71; style relu1_1 0.020 … relu5_1 0.131 (mean 0.072)`
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

/// The readout of any `image` against the `photo` (scaled to the image's size) and the
/// `painting` (its longer side scaled to the image's), e.g. another tool's result.
pub fn of_image(
    model: &Vgg19,
    spec: &LossSpec,
    image: &image::DynamicImage,
    photo: &image::DynamicImage,
    painting: &image::DynamicImage,
    device: &burn::tensor::Device,
) -> Result<Readout> {
    let (w, h) = (image.width(), image.height());
    let (sw, sh) = image_io::fit(painting.width(), painting.height(), w.max(h));
    let painting = to_tensor(&image_io::to_planar(painting, sw, sh), device);
    let grams = StyleGrams::new(model, spec, &[(painting, 1.0)]);
    let photo = to_tensor(&image_io::to_planar(photo, w, h), device);
    readout(model, spec, to_tensor(&image_io::to_planar(image, w, h), device), photo, &grams)
}

/// ‖a − b‖² / ‖b‖².
fn relative<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> Result<f64> {
    let difference: f32 = a.sub(b.clone()).square().sum().try_into_scalar().map_err(|e| anyhow!("{e:?}"))?;
    let norm: f32 = b.square().sum().try_into_scalar().map_err(|e| anyhow!("{e:?}"))?;
    Ok(difference as f64 / (norm as f64).max(f64::MIN_POSITIVE))
}
