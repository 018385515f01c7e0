//! `nst features`: load the network, look at one image, write the grid.

use anyhow::Result;
use nst::layers::layer_index;
use nst::model::{Vgg19, weights};
use nst::{image_io, usage};

use super::args::FeaturesArgs;

const DEFAULT_LAYERS: [&str; 6] = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu4_2", "relu5_1"];

pub fn features(args: FeaturesArgs) -> Result<()> {
    let names: Vec<String> =
        if args.layers.is_empty() { DEFAULT_LAYERS.map(String::from).to_vec() } else { args.layers.clone() };
    let mut layers = Vec::new();
    for name in &names {
        let index =
            layer_index(name).ok_or_else(|| usage!("--layers: unknown layer '{name}' (run `nst layers`)"))?;
        layers.push(index);
    }
    layers.sort_unstable();
    layers.dedup();
    if !(1..=64).contains(&args.count) {
        return Err(usage!("--count {}: must be between 1 and 64", args.count));
    }
    if args.size < 16 || args.size > 2048 {
        return Err(usage!("--size {}: must be between 16 and 2048", args.size));
    }
    nst::encode::output_format(&args.output)?;
    let decoded = image_io::load(&args.image, "image")?;
    let (w, h) = image_io::fit(decoded.width(), decoded.height(), args.size);
    if w.min(h) < 16 {
        return Err(usage!("{}: too narrow to see at --size {}", args.image.display(), args.size));
    }
    let image = image_io::to_planar(&decoded, w, h);
    let device = nst::device::select(args.device, &mut |m| eprintln!("nst: {m}"))?;
    let deepest = *layers.iter().max().unwrap_or(&0);
    let weights = weights::load(args.weights.as_deref(), deepest)?;
    let model = Vgg19::new(weights, nst::recipe::Pooling::Max, &device.device);
    let grid = nst::features::feature_grid(&model, &image, &layers, args.count, &device)?;
    nst::encode::save_rgb_atomic(&grid, &args.output)?;
    eprintln!("nst: wrote {} ({}×{})", args.output.display(), grid.width(), grid.height());
    Ok(())
}
