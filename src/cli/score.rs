//! `nst score`: the readout of any images against a photo and a painting.

use anyhow::Result;
use image::DynamicImage;
use nst::image_io;
use nst::inputs::check_source;
use nst::measures::Measures;
use nst::model::{Vgg19, weights};
use nst::recipe::{RawRecipe, Recipe};

use super::args::ScoreArgs;
use super::events::{self, SCHEMA, Score};

pub fn score(args: ScoreArgs) -> Result<()> {
    let recipe = Recipe::resolve(RawRecipe::chosen(args.config.as_deref(), args.preset.as_deref())?)?;
    let photo = image_io::load(&args.content, "content image")?;
    let painting = image_io::load(&args.style, "style image")?;
    let mut images = Vec::with_capacity(args.images.len());
    for path in &args.images {
        let image = image_io::load(path, "image")?;
        check_source(path, &image, &recipe)?;
        images.push(image);
    }
    let device = nst::device::select(args.device, &mut |m| eprintln!("nst: {m}"))?;
    let weights = weights::load(args.weights.as_deref(), recipe.loss.deepest())?;
    let model = Vgg19::new(weights, recipe.pooling, &device.device);
    for (path, image) in args.images.iter().zip(&images) {
        let size = (image.width() as usize, image.height() as usize);
        let tile = nst::plan::readout_tile(&recipe.loss, size, device.is_gpu);
        let readout = nst::loss::readout::of_image(
            &model,
            &recipe.loss,
            image,
            &photo,
            &painting,
            &device.device,
            tile,
        )?;
        let measures = measures_of(image, &photo, &painting);
        if args.json {
            let line = Score {
                schema: SCHEMA,
                image: path,
                width: image.width(),
                height: image.height(),
                readout: (&readout).into(),
                measures: (&measures).into(),
            };
            super::progress::emit(&events::line(&line));
        } else {
            super::progress::emit(&format!("{}: {readout}", path.display()));
            for line in measures.lines() {
                super::progress::emit(&format!("{}: {line}", path.display()));
            }
        }
    }
    Ok(())
}

/// The measures no recipe minimises, with the photo at the image's size and the painting at
/// its own.
fn measures_of(image: &DynamicImage, photo: &DynamicImage, painting: &DynamicImage) -> Measures {
    let planar = |i: &DynamicImage| image_io::to_planar(i, i.width(), i.height());
    let image = planar(image);
    let photo = image_io::to_planar(photo, image.width as u32, image.height as u32);
    Measures::of(&image, &photo, &[(planar(painting), 1.0)])
}
