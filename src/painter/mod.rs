//! The painting itself: VGG19 and the style Grams loaded once, then any number of content photos
//! optimised against them (one for `nst run`, a folder for `nst batch`), level by level of the
//! [`Schedule`] from its [`Start`], with checkpoints and colour preservation.

mod carried;
mod colours;
mod eta;
mod level;
mod resize;
mod settle;
mod stop_rule;

use std::borrow::Cow;
use std::path::Path;
use std::time::Instant;

use anyhow::{Result, anyhow};
use burn::tensor::Device;

use crate::colour;
use crate::device::ComputeDevice;
use crate::encode::{self, Encoding};
use crate::image_io::{self, Planar, to_tensor};
use crate::inputs::{Content, Styles};
use crate::loss::readout;
use crate::loss::{GuidedStyle, StyleGrams};
use crate::measures::Measures;
use crate::model::{Vgg19, weights};
use crate::plan::{self, MemoryNeeds, RunPlan};
use crate::recipe::{LossSpec, Optimiser, Recipe, Schedule, Start};
use crate::regions::Guide;
use crate::report::Readout;
use crate::report::{Progress, RunSummary};

pub use carried::Carried;
use colours::ColourMode;
use level::{LevelAt, LevelResult, Outputs, Tally};
pub use resize::checkpoint_path;
use resize::{shrunk_for_level, with_photo_detail};

/// Where a painter writes its result and checkpoints, and how.
pub struct Target<'a> {
    pub path: &'a Path,
    /// On cancellation, write the image reached so far.
    pub save_partial: bool,
    pub encoding: &'a Encoding,
}

/// The parts of the recipe a painter works from.
#[derive(Clone)]
struct Plan {
    loss: LossSpec,
    schedule: Schedule,
    start: Start,
    optimiser: Optimiser,
    colours: ColourMode,
    memory: MemoryNeeds,
}

/// VGG19 on a device with the style targets of one set of styles.
pub struct Painter {
    model: Vgg19,
    /// The styles' Grams in their own colours for each level's longer side (painting shrunk in
    /// step), the common case, computed once for every photo.
    level_grams: Vec<(u32, StyleGrams)>,
    plan: Plan,
    device: ComputeDevice,
    styles: Styles,
}

impl Painter {
    /// Load the weights (`None`: built in) and compute the blended style Grams.
    pub fn new(
        recipe: &Recipe,
        weights: Option<&Path>,
        styles: Styles,
        device: &ComputeDevice,
    ) -> Result<Self> {
        let model =
            Vgg19::new(weights::load(weights, recipe.loss.deepest())?, recipe.pooling, &device.device);
        let plan = Plan {
            loss: recipe.loss.clone(),
            schedule: recipe.schedule.clone(),
            start: recipe.start.clone(),
            optimiser: recipe.optimiser,
            colours: recipe.colours.into(),
            memory: MemoryNeeds::of(recipe),
        };
        Ok(Painter::with_model(model, plan, styles, device))
    }

    /// The same network with other styles: a batch loads the weights once for all its looks.
    pub fn restyled(&self, styles: Styles) -> Self {
        Painter::with_model(self.model.clone(), self.plan.clone(), styles, &self.device)
    }

    fn with_model(model: Vgg19, plan: Plan, styles: Styles, device: &ComputeDevice) -> Self {
        let level_grams = if !plan.colours.grams_depend_on_photo() {
            let grams_at = |side| {
                let tile = plan::painting_tile(&plan.loss, &plan.memory, &styles, side, device.is_gpu);
                grams_at_level(&model, &plan, &styles.images, (side, tile), &device.device, |s| s)
            };
            plan.schedule.levels.iter().map(|level| (level.side, grams_at(level.side))).collect()
        } else {
            Vec::new() // they depend on the photo: made per photo by `grams_for`
        };
        Painter { model, level_grams, plan, device: device.clone(), styles }
    }

    /// The plan of painting `content` with this painter ([`plan::plan_run`]), for callers
    /// that paint many photos with one painter.
    pub fn plan(&self, content: &Content) -> Result<RunPlan> {
        let p = &self.plan;
        plan::plan_levels(&p.loss, &p.schedule, &p.memory, content.size(), &self.styles, self.device.is_gpu)
    }

    /// The styles this painter paints in.
    pub fn styles(&self) -> &Styles {
        &self.styles
    }

    /// Optimise one content photo, level by level as `run_plan` says ([`plan::plan_run`] for
    /// this photo), and write the result to `target`. On cancellation the image so far is
    /// written if the target asks for it, and the error is [`crate::error::Interrupted`].
    pub fn paint(
        &self,
        content: Content,
        run_plan: &RunPlan,
        target: &Target,
        progress: &mut dyn Progress,
    ) -> Result<RunSummary> {
        self.paint_frame(content, run_plan, None, target, progress).map(|(summary, _)| summary)
    }

    /// [`Painter::paint`] for a video frame: started from the previous frame's painting
    /// `carried` along the flow and held to it by the temporal term, if given. Also returns the
    /// picture as painted, in floating point, for carrying on to the next frame.
    pub fn paint_frame(
        &self,
        content: Content,
        run_plan: &RunPlan,
        carried: Option<&Carried>,
        target: &Target,
        progress: &mut dyn Progress,
    ) -> Result<(RunSummary, Planar)> {
        let photo = &content.image;
        let plans = &run_plan.levels;
        let work = plans.iter().map(|level| (level.work, level.iterations));
        // The plan's, not the recipe's: a video frame after the first runs fewer.
        let planned = plans.iter().map(|level| level.iterations).sum();
        let mut tally = Tally {
            iterations_before: 0,
            planned,
            evaluations: 0,
            started: Instant::now(),
            eta: eta::Eta::new(work),
        };
        progress.start(planned);
        let outputs = Outputs { target, photo };
        let (mut initial_loss, mut last) = (None, None::<LevelResult>);
        let mut summaries = Vec::with_capacity(plans.len());
        for (number, plan) in plans.iter().enumerate() {
            let (w, h) = (plan.width, plan.height);
            let level_photo = photo.resized(w, h);
            let how = plan.how();
            if plans.len() > 1 || how.is_some() {
                let (n, iterations) = (plans.len(), plan.iterations);
                let tiled = how.map(|how| format!(", {how}")).unwrap_or_default();
                progress
                    .notice(&format!("level {} of {n}: {w}×{h}, {iterations} iterations{tiled}", number + 1));
            }
            let start = match (last.take(), carried) {
                (Some(previous), _) => with_photo_detail(&previous.image, &level_photo),
                (None, Some(carried)) => carried.start(&self.first_start(&content, photo)).resized(w, h),
                (None, None) => self.first_start(&content, &level_photo),
            };
            let at = LevelAt { number: number + 1, of: plans.len(), plan, carried, guides: &content.guides };
            let result = self.level(&level_photo, start, at, &mut tally, &outputs, progress)?;
            initial_loss.get_or_insert(result.initial_loss);
            summaries.push(result.summary);
            last = Some(result);
        }
        progress.finish();
        let last = last.ok_or_else(|| anyhow!("the recipe has no levels"))?;
        // The optimiser kept the pixels in 0–255 (level.rs), so this is the picture as saved.
        let readout = self.readout_of(&last.image, photo, &last.grams, plans.last().and_then(|p| p.tile))?;
        let image = self.finish(last.image, photo);
        let measures = Measures::of(&image, photo, &self.weighted_by(&content.guides));
        encode::save_atomic(&image, target.path, target.encoding)?;
        let summary = RunSummary {
            iterations: tally.iterations_before,
            evaluations: tally.evaluations,
            initial_loss: initial_loss.unwrap_or(f64::NAN),
            final_loss: last.final_loss,
            final_terms: last.final_terms,
            elapsed: tally.started.elapsed(),
            output: target.path.to_path_buf(),
            width: image.width,
            height: image.height,
            stop: last.stop,
            readout,
            measures,
            levels: summaries,
        };
        Ok((summary, image))
    }

    /// How closely the last level's `image` matches `photo` and the painting, as the loss
    /// sees them (in grey for `luminance`).
    fn readout_of(
        &self,
        image: &Planar,
        photo: &Planar,
        grams: &StyleGrams,
        tile: Option<usize>,
    ) -> Result<Readout> {
        let colours = self.plan.colours;
        let (image, seen) = (colours.seen(image.clone()), colours.seen(photo.clone()));
        let dev = &self.device.device;
        readout::readout(
            &self.model,
            &self.plan.loss,
            to_tensor(&image, dev),
            to_tensor(&seen, dev),
            grams,
            tile,
        )
    }

    /// The image the first level starts from, at `photo`'s size.
    fn first_start(&self, content: &Content, photo: &Planar) -> Planar {
        match (&self.plan.start, &content.init) {
            (Start::File(_), Some(file)) => file.resized(photo.width, photo.height),
            (Start::Noise { seed }, _) => image_io::noise(photo.width, photo.height, *seed),
            (Start::Recoloured, _) if self.plan.colours.recolours_start() => {
                if content.guides.is_empty() {
                    colour::in_colours_of(photo, &self.styles.images)
                } else {
                    self.recoloured_by_guides(photo, &content.guides)
                }
            }
            _ => photo.clone(),
        }
    }

    /// The style Grams for painting `photo`, the content at one level's size. The painting
    /// shrinks with the level so that its strokes keep their size relative to the picture (at
    /// 512 px Grams a 256 px level painted strokes twice as big and washed the photo out), but
    /// never below [`crate::recipe::MIN_LEVEL_SIDE`]: smaller, the deep layers' Grams copy its
    /// layout.
    fn grams_for(&self, photo: &Planar, tile: Option<usize>) -> StyleGrams {
        let side = photo.width.max(photo.height) as u32;
        if let Some((_, grams)) = self.level_grams.iter().find(|(level_side, _)| *level_side == side) {
            return grams.clone();
        }
        let adapt = |style: Planar| self.plan.colours.adapt_painting(style, photo);
        let device = &self.device.device;
        grams_at_level(&self.model, &self.plan, &self.styles.images, (side, tile), device, adapt)
    }

    /// The photo in each painting's colours where its guide says (in the colours of the part
    /// of the painting a region map marks), and as it is where the guides leave it unstyled.
    fn recoloured_by_guides(&self, photo: &Planar, guides: &[Guide]) -> Planar {
        let n = photo.width * photo.height;
        let mut out = vec![0.0f32; 3 * n];
        let mut coverage = vec![0.0f32; n];
        for guide in guides {
            let style = &self.styles.images[guide.style].0;
            let painting = match &guide.painting {
                Some(region) => colour::region_pixels(style, region),
                None => style.clone(),
            };
            let recoloured = colour::in_colours_of(photo, &[(painting, 1.0)]);
            let mask = guide.photo.resized(photo.width, photo.height);
            let weight = guide.weight as f32;
            for (i, value) in out.iter_mut().enumerate() {
                *value += weight * mask.data[i % n] * recoloured.data[i];
            }
            coverage.iter_mut().zip(&mask.data).for_each(|(c, m)| *c += weight * m);
        }
        for (i, value) in out.iter_mut().enumerate() {
            let covered = coverage[i % n];
            // Where the masks overlap past 1, their average; where they leave room, the photo.
            *value = if covered > 1.0 { *value / covered } else { *value + (1.0 - covered) * photo.data[i] };
        }
        Planar { data: out, ..photo.clone() }
    }

    /// The paintings with their weights for the measures: the blend's, or with guides how much
    /// of the picture's style each accounts for.
    fn weighted_by(&self, guides: &[Guide]) -> Cow<'_, [(Planar, f64)]> {
        if guides.is_empty() {
            return Cow::Borrowed(&self.styles.images);
        }
        let total: f64 = guides.iter().map(Guide::share).sum::<f64>().max(f64::MIN_POSITIVE);
        let mut weights = vec![0.0; self.styles.images.len()];
        guides.iter().for_each(|guide| weights[guide.style] += guide.share() / total);
        Cow::Owned(self.styles.images.iter().zip(weights).map(|((style, _), w)| (style.clone(), w)).collect())
    }

    /// Each guide's painting (or its region) as Grams, with the guide's mask at `photo`'s size
    /// (a level's), for a run with masks or region maps. Each painting is seen once per level,
    /// however many regions of it the guides take.
    fn guided_for(&self, photo: &Planar, guides: &[Guide], tile: Option<usize>) -> Result<Vec<GuidedStyle>> {
        let (side, device) = (photo.width.max(photo.height) as u32, &self.device.device);
        let level_scale = side as f64 / self.plan.schedule.size as f64;
        let adapt = |style: Planar| self.plan.colours.adapt_painting(style, photo);
        let mut grams: Vec<Option<StyleGrams>> = vec![None; guides.len()];
        for (number, (style, _)) in self.styles.images.iter().enumerate() {
            let its: Vec<usize> = (0..guides.len()).filter(|&g| guides[g].style == number).collect();
            let regions: Vec<&image_io::Mask> =
                its.iter().filter_map(|&g| guides[g].painting.as_ref()).collect();
            if regions.is_empty() {
                // Masks: the whole painting, its Grams shared by its guides.
                let alone = [(style.clone(), 1.0)];
                let whole = grams_at_level(&self.model, &self.plan, &alone, (side, tile), device, adapt);
                its.iter().for_each(|&g| grams[g] = Some(whole.clone()));
                continue;
            }
            // Region maps: every guide of this painting takes a region of it.
            let shrunk = adapt(shrunk_for_level(style, level_scale));
            let masks: Vec<_> =
                regions.iter().map(|r| r.resized(shrunk.width, shrunk.height).to_tensor(device)).collect();
            let painting = to_tensor(&shrunk, device);
            let each = StyleGrams::of_regions(&self.model, &self.plan.loss, &painting, &masks, tile)?;
            its.iter().zip(each).for_each(|(&g, region)| grams[g] = Some(region));
        }
        guides
            .iter()
            .zip(grams)
            .map(|(guide, grams)| {
                let grams = grams.ok_or_else(|| anyhow!("a guide names painting {} of none", guide.style))?;
                let mask = guide.photo.resized(photo.width, photo.height);
                Ok(GuidedStyle { grams, mask: mask.to_tensor(device), share: guide.weight * mask.share() })
            })
            .collect()
    }

    /// The optimised image as the user sees it: scaled to the full size if it comes from a
    /// coarser level, and with the photo's chroma for `luminance`.
    fn finish(&self, image: Planar, photo: &Planar) -> Planar {
        let image = image.resized(photo.width, photo.height);
        self.plan.colours.finish(image, photo)
    }
}

/// The styles' blended Grams for a level whose longer side is `side`: each painting shrunk in
/// step with the level ([`shrunk_for_level`]), then `adapt`ed (colour preservation); seen in
/// tiles of `tile` a side if given.
fn grams_at_level(
    model: &Vgg19,
    plan: &Plan,
    styles: &[(Planar, f64)],
    (side, tile): (u32, Option<usize>),
    device: &Device,
    adapt: impl Fn(Planar) -> Planar,
) -> StyleGrams {
    let level_scale = side as f64 / plan.schedule.size as f64;
    let tensors: Vec<_> = styles
        .iter()
        .map(|(style, weight)| (to_tensor(&adapt(shrunk_for_level(style, level_scale)), device), *weight))
        .collect();
    StyleGrams::new(model, &plan.loss, &tensors, tile)
}

#[cfg(test)]
mod tests;
