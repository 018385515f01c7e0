//! The cost of style transfer on the CPU: one loss + gradient evaluation of the default recipe
//! at several sizes, and the time to the first iteration (weights, targets, first evaluation).
//!
//! ```text
//! cargo bench --bench evaluation -- [--sizes 128,256,512] [--evaluations 10] [--json]
//! ```
//! Prints per size the median seconds per evaluation; the time to load the weights, to have the
//! painting's Grams too, and to finish the first evaluation (which also yields the photo's
//! content targets, the run starting at the photo); and the peak memory (VmHWM). `--json`
//! prints one JSON line per size (benches/compare_pytorch.py reads it).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that fails should stop loudly

use std::path::Path;
use std::time::Instant;

use burn::tensor::{Tensor, TensorData};
use nst::Recipe;
use nst::device::ComputeDevice;
use nst::image_io::{fit, load, to_planar};
use nst::loss::{Objective, StyleGrams};
use nst::model::{Vgg19, weights};

fn arg<T: std::str::FromStr>(args: &[String], flag: &str) -> Option<T> {
    args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok())
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap_or("VmHWM: 0 kB");
    line.split_whitespace().nth(1).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 1024.0
}

/// What one size costs: seconds to load the weights, to have the painting's Grams too, to
/// finish the first evaluation, and the median of the others.
struct Timing {
    width: usize,
    height: usize,
    loaded: f64,
    style: f64,
    first_iteration: f64,
    median: f64,
}

fn measure(recipe: &Recipe, device: &ComputeDevice, size: u32, evaluations: usize) -> Timing {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let started = Instant::now();
    let model =
        Vgg19::new(weights::load(None, recipe.loss.deepest()).unwrap(), recipe.pooling, &device.device);
    let loaded = started.elapsed().as_secs_f64();
    let tensor = |name: &str| {
        let image = load(&examples.join(name), name).unwrap();
        let (w, h) = fit(image.width(), image.height(), size);
        let planar = to_planar(&image, w, h);
        Tensor::<4>::from_data(TensorData::new(planar.data, [1, 3, h as usize, w as usize]), &device.device)
    };
    let content = tensor("castle.jpg");
    let grams = StyleGrams::new(&model, &recipe.loss, &[(tensor("starry_night.jpg"), 1.0)], None);
    let shape = content.dims();
    let mut objective = Objective::new(model, &recipe.loss, content.clone(), &grams);
    let x = content.reshape([shape.iter().product::<usize>()]);
    // Reading one value back waits for the Grams to be computed.
    let _: f32 = x.clone().sum().into_scalar();
    let style = started.elapsed().as_secs_f64();
    objective.evaluate(&x).unwrap();
    let first_iteration = started.elapsed().as_secs_f64();
    let mut times: Vec<f64> = (0..evaluations)
        .map(|_| {
            let t = Instant::now();
            objective.evaluate(&x).unwrap();
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    Timing { width: shape[3], height: shape[2], loaded, style, first_iteration, median }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let sizes: Vec<u32> = arg::<String>(&args, "--sizes")
        .unwrap_or_else(|| "128,256,512".into())
        .split(',')
        .map(|s| s.parse().expect("--sizes: numbers"))
        .collect();
    let evaluations: usize = arg(&args, "--evaluations").unwrap_or(10);
    let json = args.iter().any(|a| a == "--json");
    let device = ComputeDevice::cpu();
    let recipe = Recipe::default();
    if !json {
        println!("{}; default recipe; median of {evaluations} evaluations", device.description);
        println!(
            "{:>6} {:>10} {:>12} {:>14} {:>12} {:>9}",
            "size", "s/eval", "weights s", "+ style s", "+ 1st eval s", "peak MB"
        );
    }
    for size in sizes {
        let Timing { width, height, loaded, style, first_iteration, median } =
            measure(&recipe, &device, size, evaluations);
        let peak = peak_rss_mb();
        if json {
            println!(
                "{{\"size\": {size}, \"width\": {width}, \"height\": {height}, \"seconds_per_evaluation\": {median}, \
                 \"load_seconds\": {loaded}, \"style_seconds\": {style}, \
                 \"first_iteration_seconds\": {first_iteration}, \"peak_mb\": {peak}, \
                 \"cpu_instructions\": \"{}\"}}",
                nst::device::cpu_instructions()
            );
        } else {
            println!(
                "{size:>6} {median:>10.3} {loaded:>12.3} {style:>14.3} {first_iteration:>12.3} {peak:>9.0}"
            );
        }
    }
}
