//! Everything about a run that can be checked before heavy work: the output path, every input
//! image (decoded and sized), the sizes VGG19 can see, and the memory the run will need.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::config::Recipe;
use crate::image_io::{self, Planar};
use crate::layers::VGG19;
use crate::memory;
use crate::transfer::{Init, RunOptions};
use crate::usage;

/// Everything checked and decoded before the model is touched.
pub(crate) struct Inputs {
    pub content: Planar,
    pub style: Planar,
    pub init: Option<Planar>,
}

/// Decode and size every input image and check the output path, all before any heavy work.
pub(crate) fn prepare_inputs(options: &RunOptions) -> Result<Inputs> {
    if options.size == 0 {
        return Err(usage!("--size 0: the output needs at least one pixel a side"));
    }
    image_io::output_format(&options.output)?;
    check_output(&options.output, &[Some(&options.content), Some(&options.style), init_path(&options.init)])?;

    let content = image_io::load(&options.content, "content image")?;
    check_source(&options.content, &content, &options.recipe)?;
    let (w, h) = image_io::fit(content.width(), content.height(), options.size);
    check_size(w, h, &options.recipe)?;
    let style = image_io::load(&options.style, "style image")?;
    check_source(&options.style, &style, &options.recipe)?;
    let style_side = options.style_size.unwrap_or(options.size);
    if style_side == 0 {
        return Err(usage!("--style-size 0: the style image needs at least one pixel a side"));
    }
    let (sw, sh) = image_io::fit(style.width(), style.height(), style_side);
    check_size(sw, sh, &options.recipe).map_err(|e| usage!("style image: {e}"))?;
    let host_needed = memory::host_image_bytes(w as u64 * h as u64 + sw as u64 * sh as u64);
    if let Some(available) = memory::available_bytes().filter(|available| host_needed > *available) {
        let fits = memory::largest_side(w, h, options.recipe.history_size, available);
        return Err(usage!(
            "--size {}: a {w}×{h} image does not fit in memory; --size {fits} or less would",
            options.size
        ));
    }
    let init = match &options.init {
        Init::File(path) => Some(image_io::to_planar(&image_io::load(path, "--init image")?, w, h)),
        _ => None,
    };
    Ok(Inputs {
        content: image_io::to_planar(&content, w, h),
        style: image_io::to_planar(&style, sw, sh),
        init,
    })
}

fn init_path(init: &Init) -> Option<&PathBuf> {
    match init {
        Init::File(p) => Some(p),
        _ => None,
    }
}

/// The output must not be an input, and its directory must exist.
fn check_output(output: &Path, inputs: &[Option<&PathBuf>]) -> Result<()> {
    let dir = image_io::output_dir(output);
    if !dir.is_dir() {
        return Err(usage!("{}: output directory {} does not exist", output.display(), dir.display()));
    }
    if output.is_dir() {
        return Err(usage!("{}: --output is a directory", output.display()));
    }
    // Fail now, not after an hour of optimisation, if the directory is not writable.
    image_io::partial_file_for(output)?;
    let canonical_output = std::fs::canonicalize(dir).ok().zip(output.file_name()).map(|(d, f)| d.join(f));
    for input in inputs.iter().flatten() {
        if std::fs::canonicalize(input).ok().is_some_and(|i| Some(i) == canonical_output) {
            return Err(usage!("{}: --output would overwrite an input image", output.display()));
        }
    }
    Ok(())
}

/// Smallest side the recipe's deepest layer can see: VGG19 halves the image at each pool.
fn min_side(recipe: &Recipe) -> u32 {
    let deepest = recipe.resolved_layers().iter().map(|l| l.index).max().unwrap_or(0);
    1 << VGG19[..deepest].iter().filter(|l| l.pool_after).count()
}

/// An input smaller than the network can see holds no usable content or style.
fn check_source(path: &Path, image: &image::DynamicImage, recipe: &Recipe) -> Result<()> {
    let (w, h, min) = (image.width(), image.height(), min_side(recipe));
    if w.min(h) < min {
        return Err(usage!("{}: image is {w}×{h}; VGG19 needs at least {min} pixels a side", path.display()));
    }
    Ok(())
}

/// The deepest layer must still have a pixel after the pools.
fn check_size(width: u32, height: u32, recipe: &Recipe) -> Result<()> {
    let min_side = min_side(recipe);
    if width.min(height) < min_side {
        return Err(usage!(
            "--size: the image would be {width}×{height}, but layer {} needs at least {min_side} pixels a side",
            recipe.deepest_layer()
        ));
    }
    Ok(())
}

/// Refuse a run whose estimated peak memory exceeds what the system has available.
pub(crate) fn check_memory(options: &RunOptions, inputs: &Inputs) -> Result<()> {
    let Some(available) = memory::available_bytes() else { return Ok(()) };
    let history = options.recipe.history_size;
    let (w, h) = (inputs.content.width as u32, inputs.content.height as u32);
    let style_pixels = (inputs.style.width * inputs.style.height) as u64;
    let needed = memory::estimate_bytes(w as u64 * h as u64, style_pixels, history);
    if needed <= available {
        return Ok(());
    }
    let gib = |b: f64| b / (1u64 << 30) as f64;
    let fits = memory::largest_side(w, h, history, available);
    Err(usage!(
        "--size {}: a {w}×{h} run needs about {:.1} GiB of memory, but {:.1} GiB is available; \
         --size {fits} or less would fit (with --style-size no larger)",
        options.size,
        gib(needed),
        gib(available)
    ))
}
