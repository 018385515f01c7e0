//! `nst score`: the readout of any images against a photo and a painting.

use anyhow::Result;
use nst::image_io;
use nst::inputs::check_source;
use nst::model::{Vgg19, weights};
use nst::recipe::{RawRecipe, Recipe};

use crate::cli::ScoreArgs;
use crate::events::{self, SCHEMA, Score};

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
        let tile = if device.is_gpu { None } else { tile_for(image, &recipe) };
        let readout =
            nst::score::of_image(&model, &recipe.loss, image, &photo, &painting, &device.device, tile)?;
        if args.json {
            let line = Score {
                schema: SCHEMA,
                image: path,
                width: image.width(),
                height: image.height(),
                readout: (&readout).into(),
            };
            crate::progress::emit(&events::line(&line));
        } else {
            crate::progress::emit(&format!("{}: {readout}", path.display()));
        }
    }
    Ok(())
}

/// Tiles for scoring `image` when its network pass would not fit in the memory available.
fn tile_for(image: &image::DynamicImage, recipe: &Recipe) -> Option<usize> {
    let (budget, _) = nst::memory::budget(None)?;
    let size = (image.width() as usize, image.height() as usize);
    let halo = nst::model::tiles::halo(&recipe.loss.indices());
    let pixels = (size.0 * size.1) as u64;
    nst::memory::fit_level(size, pixels, 0, halo, budget).unwrap_or(Some(nst::memory::MIN_TILE))
}
