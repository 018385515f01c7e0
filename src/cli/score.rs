//! `nst score`: the readout of any images against a photo and a painting, or a stylised clip's
//! flicker against its input frames.

use std::path::{Path, PathBuf};

use anyhow::Result;
use image::DynamicImage;
use nst::device::ComputeDevice;
use nst::flow::{self, DisParams, Grey};
use nst::image_io;
use nst::inputs::check_source;
use nst::measures::Measures;
use nst::measures::flicker::warping_error;
use nst::model::{Vgg19, weights};
use nst::recipe::{RawRecipe, Recipe};
use nst::usage;
use nst::video::read_clip;

use super::args::ScoreArgs;
use super::events::{self, SCHEMA, Score};

pub fn score(args: ScoreArgs) -> Result<()> {
    let recipe = Recipe::resolve(RawRecipe::chosen(args.config.as_deref(), args.preset.as_deref())?)?;
    if let (Some(frames), Some(stylised)) = (&args.frames, &args.stylised) {
        return score_frames(&args, &recipe, frames, stylised);
    }
    let (Some(content), Some(style)) = (&args.content, &args.style) else {
        return Err(usage!("give --content and --style with the images, or --frames and --stylised"));
    };
    let photo = image_io::load(content, "content image")?;
    let mut images = Vec::with_capacity(args.images.len());
    for path in &args.images {
        let image = image_io::load(path, "image")?;
        check_source(path, &image, &recipe)?;
        images.push((path.clone(), image, photo.clone()));
    }
    let mut readouts = Readouts::load(&args, &recipe, style)?;
    if let Some(path) = &args.mask {
        readouts.mask = Some((path.clone(), image_io::load(path, "mask")?));
    }
    if let Some(path) = &args.painting_mask {
        let mask = image_io::load(path, "painting mask")?;
        check_shape(path, "--painting-mask", &mask, ("painting", &readouts.painting))?;
        readouts.painting_mask = Some(mask);
    }
    for (path, image, photo) in &images {
        readouts.print(path, image, photo, args.json)?;
    }
    Ok(())
}

/// The network and painting for readouts.
struct Readouts<'a> {
    recipe: &'a Recipe,
    painting: DynamicImage,
    device: ComputeDevice,
    model: Vgg19,
    /// `--mask`: a region to score on its own.
    mask: Option<(PathBuf, DynamicImage)>,
    /// `--painting-mask`: the part of the painting to score the region against.
    painting_mask: Option<DynamicImage>,
}

impl<'a> Readouts<'a> {
    fn load(args: &ScoreArgs, recipe: &'a Recipe, style: &Path) -> Result<Self> {
        let painting = image_io::load(style, "style image")?;
        let device = nst::device::select(args.device, &mut |m| eprintln!("nst: {m}"))?;
        let weights = weights::load(args.weights.as_deref(), recipe.loss.deepest())?;
        let model = Vgg19::new(weights, recipe.pooling, &device.device);
        Ok(Readouts { recipe, painting, device, model, mask: None, painting_mask: None })
    }

    /// One image's readout and measures against `photo`, as a line of text or JSON.
    fn print(&self, path: &Path, image: &DynamicImage, photo: &DynamicImage, json: bool) -> Result<()> {
        let size = (image.width() as usize, image.height() as usize);
        let loss = &self.recipe.loss;
        let tile = nst::plan::readout_tile(loss, size, self.device.is_gpu);
        let dev = &self.device.device;
        let readout =
            nst::loss::readout::of_image(&self.model, loss, image, photo, &self.painting, dev, tile)?;
        let measures = measures_of(image, photo, &self.painting);
        let region = match &self.mask {
            Some((mask_path, mask)) => {
                check_shape(mask_path, "--mask", mask, ("image", image))?;
                let painting = (&self.painting, self.painting_mask.as_ref());
                Some(nst::loss::readout::region_of_image(&self.model, loss, image, painting, mask, dev)?)
            }
            None => None,
        };
        if json {
            let line = Score {
                schema: SCHEMA,
                image: path,
                width: image.width(),
                height: image.height(),
                readout: (&readout).into(),
                measures: (&measures).into(),
                region_style: region,
            };
            super::progress::emit(&events::line(&line));
        } else {
            super::progress::emit(&format!("{}: {readout}", path.display()));
            for line in measures.lines() {
                super::progress::emit(&format!("{}: {line}", path.display()));
            }
            if let (Some(region), Some((mask, _))) = (region, &self.mask) {
                let mask = mask.display();
                super::progress::emit(&format!(
                    "{}: style error where {mask} is white {region:.4} (the region's Gram matrices, mean over style layers)",
                    path.display()
                ));
            }
        }
        Ok(())
    }
}

/// A mask (`flag`) must have the shape of the image it marks, `what` (within 2%), as
/// `--style-mask` has the photo's.
fn check_shape(
    path: &Path,
    flag: &str,
    mask: &DynamicImage,
    (what, image): (&str, &DynamicImage),
) -> Result<()> {
    let ((mw, mh), (w, h)) = ((mask.width(), mask.height()), (image.width(), image.height()));
    if !image_io::same_shape((mw, mh), (w, h)) {
        return Err(usage!(
            "{}: {flag} is {mw}×{mh}, the {what} {w}×{h}: a mask needs the shape of the image it marks",
            path.display()
        ));
    }
    Ok(())
}

/// `--frames IN --stylised OUT`: each consecutive pair's warping error and their mean, with each
/// frame's readout when a painting is given.
fn score_frames(args: &ScoreArgs, recipe: &Recipe, frames: &Path, stylised: &Path) -> Result<()> {
    let clip = read_clip(frames)?;
    let outputs: Vec<PathBuf> =
        clip.frames.iter().map(|f| stylised.join(f.file_name().unwrap_or_default())).collect();
    // Every stylised frame decodes and has the first one's size, before any flow is computed;
    // each is decoded again when its turn comes, so that a long clip is never all in memory.
    let mut size = None;
    for output in &outputs {
        let image = load_stylised(output)?;
        let (w, h) = (image.width(), image.height());
        let (first_w, first_h) = *size.get_or_insert((w, h));
        if (w, h) != (first_w, first_h) {
            let (first, output) = (outputs[0].display(), output.display());
            return Err(usage!("{output}: stylised frame is {w}×{h}, but {first} is {first_w}×{first_h}"));
        }
    }
    let readouts = match &args.style {
        Some(style) => Some(Readouts::load(args, recipe, style)?),
        None => None,
    };
    let (w, h) = size.unwrap_or((0, 0));
    let mut previous: Option<(nst::image_io::Planar, nst::image_io::Planar)> = None;
    let mut errors = Vec::new();
    for ((frame, output), index) in clip.frames.iter().zip(&outputs).zip(1..) {
        let (input, image) = (image_io::load(frame, "frame")?, load_stylised(output)?);
        if let Some(readouts) = &readouts {
            readouts.print(output, &image, &input, args.json)?;
        }
        let photo = image_io::to_planar(&input, w, h);
        let painting = image_io::to_planar(&image, w, h);
        if let Some((photo_before, painting_before)) = &previous {
            let (a, b) = (Grey::from_planar(photo_before), Grey::from_planar(&photo));
            let (forward, backward) = flow::dis_both(&a, &b, &DisParams::medium());
            let error = warping_error(painting_before, &painting, &forward, &backward);
            errors.extend(error);
            if args.json {
                let line = events::Flicker { schema: SCHEMA, index, image: output, warping_error: error };
                super::progress::emit(&events::line(&line));
            } else {
                let error = error.map_or("no pixel the flow is sure of".into(), |e| format!("{e:.3e}"));
                super::progress::emit(&format!("{}: warping error {error}", output.display()));
            }
        }
        previous = Some((photo, painting));
    }
    let flicker = (!errors.is_empty()).then(|| errors.iter().sum::<f64>() / errors.len() as f64);
    if args.json {
        let line = events::FlickerEnd { schema: SCHEMA, pairs: errors.len(), flicker };
        super::progress::emit(&events::line(&line));
    } else {
        let mean = flicker.map_or("none (fewer than two frames)".into(), |f| format!("{f:.3e}"));
        super::progress::emit(&format!(
            "flicker: warping error {mean} (Lai et al. 2018; mean over {} frame pairs)",
            errors.len()
        ));
    }
    Ok(())
}

/// A stylised frame (`--stylised`), every input frame needing one of the same name.
fn load_stylised(path: &Path) -> Result<DynamicImage> {
    image_io::load(path, "stylised frame")
        .map_err(|e| usage!("--stylised: {e:#} (each input frame needs its stylised frame, same name)"))
}

/// The measures no recipe minimises, with the photo at the image's size and the painting at
/// its own.
fn measures_of(image: &DynamicImage, photo: &DynamicImage, painting: &DynamicImage) -> Measures {
    let planar = |i: &DynamicImage| image_io::to_planar(i, i.width(), i.height());
    let image = planar(image);
    let photo = image_io::to_planar(photo, image.width as u32, image.height as u32);
    Measures::of(&image, &photo, &[(planar(painting), 1.0)])
}
