//! One style-transfer run: check the inputs, load the model and paint. `nst batch` uses the
//! pieces ([`crate::inputs`], [`Painter`]) to paint many photos with one model.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::device::ComputeDevice;
use crate::encode::Encoding;
use crate::inputs::{Content, MaskFiles, Styles, prepare_content, prepare_styles, read_masks};
use crate::model::{Vgg19, weights};
use crate::painter::{Painter, Target};
use crate::plan::{self, RunPlan};
use crate::recipe::Recipe;
use crate::regions::RegionPaths;
use crate::report::{Progress, RunSummary};

/// Everything one run needs: the resolved recipe and the files.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub content: PathBuf,
    /// Style images with their blend weights (normalised to sum 1 when prepared).
    pub styles: Vec<(PathBuf, f64)>,
    /// Where each style applies (`--style-mask` or the recipe's `style_masks`), one per style
    /// in order; none: everywhere.
    pub masks: MaskFiles,
    /// Region maps (`--content-regions`, `--style-regions`), in place of masks.
    pub regions: Option<RegionPaths>,
    pub output: PathBuf,
    /// How to paint: losses, optimiser, sizes, start and device.
    pub recipe: Recipe,
    /// Weights file; `None` for the built-in VGG19.
    pub weights: Option<PathBuf>,
    /// On interruption, write the image reached so far (else leave no output).
    pub save_partial: bool,
    /// JPEG quality and PNG depth; the PNG text is added per picture ([`provenance`]).
    pub encoding: Encoding,
}

impl RunOptions {
    /// The inputs of a run as the sheet shows them, labelled: the photo (and its region map), then
    /// each painting (and its mask or region map).
    pub fn shown(&self) -> Vec<(String, PathBuf)> {
        let mut inputs = vec![("content".to_string(), self.content.clone())];
        if let Some(regions) = &self.regions {
            inputs.push(("regions".into(), regions.photo.clone()));
        }
        let several = self.styles.len() > 1;
        for (i, (style, _)) in self.styles.iter().enumerate() {
            let number = if several { format!(" {}", i + 1) } else { String::new() };
            inputs.push((format!("style{number}"), style.clone()));
            let placing = match &self.regions {
                Some(regions) => regions.paintings.get(i).map(|map| ("regions", map)),
                None => self.masks.paths.get(i).map(|mask| ("mask", mask)),
            };
            if let Some((what, path)) = placing {
                inputs.push((format!("{what}{number}"), path.clone()));
            }
        }
        inputs
    }
}

/// Run style transfer as `options` says, on `device`.
pub fn run(options: &RunOptions, device: &ComputeDevice, progress: &mut dyn Progress) -> Result<RunSummary> {
    let prepared = prepare(options)?;
    let run_plan = plan(options, &prepared, device)?;
    run_prepared(options, prepared, &run_plan, device, progress)
}

/// Every input checked and decoded; made by [`prepare`] before the device is even chosen.
pub struct Prepared {
    styles: Styles,
    content: Content,
}

impl Prepared {
    /// What the user should know about the inputs as sized ([`Styles::notices`]).
    pub fn notices(&self) -> &[String] {
        &self.styles.notices
    }
}

/// Check the output path and decode and size every input, before any heavy work.
pub fn prepare(options: &RunOptions) -> Result<Prepared> {
    let masked = read_masks(&options.styles, &options.masks)?;
    let mut styles = prepare_styles(&options.recipe, &masked.styles)?;
    styles.notices.extend(masked.notices.iter().cloned());
    let content = prepare_content(&options.recipe, &options.content, &options.output, &styles)?;
    let content = match &options.regions {
        Some(paths) => {
            let (content, notices) = content.with_regions(paths, &styles)?;
            styles.notices.extend(notices);
            content
        }
        None => content.with_masks(&masked)?,
    };
    Ok(Prepared { styles, content })
}

/// How the run will use memory on `device`, level by level ([`plan::plan_run`]): made before
/// any weights load, so that a size that cannot fit is refused at once.
pub fn plan(options: &RunOptions, prepared: &Prepared, device: &ComputeDevice) -> Result<RunPlan> {
    plan::plan_run(&options.recipe, prepared.content.size(), &prepared.styles, device.is_gpu)
}

/// This machine's pace in seconds per pixel of work ([`plan::seconds_per_pixel`]), for a dry
/// run's time estimate: loads the model and times one evaluation, with as many masked
/// paintings as `prepared` has.
pub fn pace(options: &RunOptions, prepared: &Prepared, device: &ComputeDevice) -> Result<f64> {
    let recipe = &options.recipe;
    let weights = weights::load(options.weights.as_deref(), recipe.loss.deepest())?;
    let model = Vgg19::new(weights, recipe.pooling, &device.device);
    plan::seconds_per_pixel(&model, &recipe.loss, &device.device, prepared.content.guides.len())
}

/// [`run`] for inputs already checked by [`prepare`] and planned by [`plan`].
pub fn run_prepared(
    options: &RunOptions,
    prepared: Prepared,
    run_plan: &RunPlan,
    device: &ComputeDevice,
    progress: &mut dyn Progress,
) -> Result<RunSummary> {
    // The paintings used: a black mask's is left out of the picture's text as of the picture.
    let used: Vec<(PathBuf, f64)> = prepared.styles.paths.iter().map(|p| (p.clone(), 1.0)).collect();
    let text = provenance(&options.recipe, &options.content, &used);
    let painter = Painter::new(&options.recipe, options.weights.as_deref(), prepared.styles, device)?;
    let encoding = Encoding { text, ..options.encoding.clone() };
    let target = Target { path: &options.output, save_partial: options.save_partial, encoding: &encoding };
    painter.paint(prepared.content, run_plan, &target, progress)
}

/// PNG text that says how a picture was made: nst's version, the inputs' file names and the
/// recipe as TOML (`--config` takes it back).
pub fn provenance(recipe: &Recipe, content: &Path, styles: &[(PathBuf, f64)]) -> Vec<(String, String)> {
    let name = |p: &Path| {
        p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned())
    };
    let styles: Vec<String> = styles.iter().map(|(p, _)| name(p)).collect();
    let mut text = vec![
        ("Software".to_string(), format!("nst {}", env!("CARGO_PKG_VERSION"))),
        ("Source".to_string(), format!("{} in the style of {}", name(content), styles.join(" + "))),
    ];
    if let Ok(toml) = toml::to_string(&recipe.asked.values) {
        text.push(("nst-recipe".to_string(), toml));
    }
    text
}
