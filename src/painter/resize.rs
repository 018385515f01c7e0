//! How images move between a run's levels and the device: a coarse result carried to the next
//! size, the painting shrunk in step with a level, and images to and from tensors.

use std::path::{Path, PathBuf};

use anyhow::Result;
use burn::tensor::Tensor;

use crate::image_io::Planar;
use crate::readback;
use crate::recipe::MIN_LEVEL_SIDE;

/// The previous level's result upscaled to `photo`'s size, plus the photo's detail that the
/// coarse level could not hold (photo − photo blurred to the coarse size): a plain upscale is
/// so smooth that the fine level started with a style loss as high as from scratch.
pub(super) fn with_photo_detail(previous: &Planar, photo: &Planar) -> Planar {
    let (w, h) = (photo.width, photo.height);
    let mut start = previous.resized(w, h);
    let blurred = photo.resized(previous.width, previous.height).resized(w, h);
    for ((s, p), b) in start.data.iter_mut().zip(&photo.data).zip(&blurred.data) {
        *s = (*s + p - b).clamp(0.0, 255.0);
    }
    start
}

/// `style` scaled by `scale` (≤ 1), its longer side kept at [`MIN_LEVEL_SIDE`] or more.
pub(super) fn shrunk_for_level(style: &Planar, scale: f64) -> Planar {
    let longer = style.width.max(style.height) as f64;
    let scale = scale.max((MIN_LEVEL_SIDE as f64 / longer).min(1.0));
    if scale >= 1.0 {
        return style.clone();
    }
    let side = |n: usize| ((n as f64 * scale).round() as usize).max(1);
    style.resized(side(style.width), side(style.height))
}

/// `out.png` → `out_0100.png`: the checkpoint after iteration 100.
pub fn checkpoint_path(output: &Path, iteration: usize) -> PathBuf {
    let stem = output.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = output.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_else(|| "png".into());
    output.with_file_name(format!("{stem}_{iteration:04}.{ext}"))
}

pub(super) fn from_tensor(x: &Tensor<1>, width: usize, height: usize) -> Result<Planar> {
    let data = readback::values(x.clone(), "the image")?;
    Ok(Planar { width, height, data })
}
