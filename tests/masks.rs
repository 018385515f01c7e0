//! `--style-mask` and region maps: which painting (or part of one) goes where, through the
//! binary; each region's Gram error measured with the library
//! (`nst::loss::guided::region_error`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod util;

use burn::tensor::{Tensor, TensorData};
use nst::image_io::{self, Mask};
use nst::loss::StyleGrams;
use nst::loss::guided::region_error;
use nst::model::{Vgg19, weights};
use nst::recipe::Recipe;
use util::TestDir;

/// cat.png is 451×300: masks in its shape, white above `split` (a fraction of the height).
fn write_mask(t: &TestDir, name: &str, top: u8, bottom: u8, split: f64) {
    let (w, h) = (451, 300);
    let edge = (h as f64 * split) as u32;
    image::GrayImage::from_fn(w, h, |_, y| image::Luma([if y < edge { top } else { bottom }]))
        .save(t.path(name))
        .unwrap();
}

fn pixels(t: &TestDir, name: &str) -> Vec<u8> {
    image::open(t.path(name)).unwrap().to_rgb8().into_raw()
}

fn setup() -> TestDir {
    let t = TestDir::new();
    for name in ["cat.png", "night_cafe.jpg", "starry_night.jpg"] {
        t.example(name);
    }
    write_mask(&t, "white.png", 255, 255, 0.5);
    write_mask(&t, "black.png", 0, 0, 0.5);
    write_mask(&t, "top.png", 255, 0, 0.5);
    write_mask(&t, "bottom.png", 0, 255, 0.5);
    t
}

/// The readout's view of a result: the network, and the picture as a tensor.
struct Scorer {
    recipe: Recipe,
    device: burn::tensor::Device,
    model: Vgg19,
    picture: Tensor<4>,
    /// The picture's width and height.
    size: (u32, u32),
}

impl Scorer {
    fn of(t: &TestDir, name: &str) -> Self {
        let recipe = Recipe::preset("default").unwrap();
        let device = burn::tensor::Device::flex();
        let model = Vgg19::new(weights::load(None, recipe.loss.deepest()).unwrap(), recipe.pooling, &device);
        let image = image_io::load(&t.path(name), "result").unwrap();
        let size = (image.width(), image.height());
        let picture = image_io::to_tensor(&image_io::to_planar(&image, size.0, size.1), &device);
        Scorer { recipe, device, model, picture, size }
    }

    /// A painting at the picture's longer side, as the run saw it.
    fn painting(&self, t: &TestDir, name: &str) -> Tensor<4> {
        let painting = image_io::load(&t.path(name), "painting").unwrap();
        let (pw, ph) = image_io::fit(painting.width(), painting.height(), self.size.0.max(self.size.1));
        image_io::to_tensor(&image_io::to_planar(&painting, pw, ph), &self.device)
    }

    /// `[1, 1, h, w]`: 1 where `inside(x, y)`.
    fn mask(&self, (w, h): (usize, usize), inside: impl Fn(usize, usize) -> bool) -> Tensor<4> {
        let values: Vec<f32> = (0..w * h).map(|i| if inside(i % w, i / w) { 1.0 } else { 0.0 }).collect();
        Tensor::from_data(TensorData::new(values, [1, 1, h, w]), &self.device)
    }

    /// The style error of the picture's `region` against `grams`.
    fn error(&self, region: &Tensor<4>, grams: &StyleGrams) -> f64 {
        region_error(&self.model, &self.recipe.loss, self.picture.clone(), region, grams).unwrap()
    }
}

/// `cat.png` with `paintings` (and their masks or maps) at 128 px on the CPU, to `out.png`.
fn paint_cat_at_128(t: &TestDir, paintings: &[&str]) -> util::Run {
    t.nst(
        &[&["run", "-c", "cat.png"][..], paintings, &["--size", "128", "--device", "cpu", "-o", "out.png"]]
            .concat(),
    )
}

/// `cat.png` in the night café's style, smoke preset, on the CPU, to `o.png`: the runs that are
/// refused.
const SMOKE_RUN: [&str; 11] =
    ["run", "-c", "cat.png", "-s", "night_cafe.jpg", "--preset", "smoke", "--device", "cpu", "-o", "o.png"];

/// Each `(extra flags, message)` exits 2 with the message and writes no output.
fn assert_refused(t: &TestDir, cases: &[(Vec<&str>, &str)]) {
    for (extra, needle) in cases {
        t.nst(&[&SMOKE_RUN[..], extra].concat()).assert_fails(2, needle);
        assert!(!t.path("o.png").exists(), "{extra:?} wrote an output");
    }
}

#[test]
fn a_black_mask_leaves_its_painting_out_and_a_lone_white_one_is_no_mask() {
    let t = setup();
    let base = ["run", "-c", "cat.png", "--preset", "smoke", "--device", "cpu"];
    t.nst(&[&base[..], &["-s", "night_cafe.jpg", "-o", "plain.png"]].concat()).assert_ok();
    let out = |name| [&base[..], &["-s", "night_cafe.jpg", "-o", name]].concat();
    let left_out = t.nst(
        &[out("left_out.png"), vec!["-s", "starry_night.jpg"]]
            .concat()
            .iter()
            .copied()
            .chain(["--style-mask", "white.png", "--style-mask", "black.png"])
            .collect::<Vec<_>>(),
    );
    left_out.assert_ok();
    assert!(
        left_out.stderr().contains("black.png: the mask is black everywhere: starry_night.jpg is left out")
    );
    assert_eq!(pixels(&t, "left_out.png"), pixels(&t, "plain.png"), "same pixels as without the painting");
    let reader =
        png::Decoder::new(std::io::BufReader::new(std::fs::File::open(t.path("left_out.png")).unwrap()))
            .read_info()
            .unwrap();
    let source = reader.info().utf8_text.iter().find(|c| c.keyword == "Source").unwrap().get_text().unwrap();
    assert_eq!(
        source, "cat.png in the style of night_cafe.jpg",
        "the picture's text names the painting left out"
    );
    t.nst(&[out("white.png.out.png"), vec!["--style-mask", "white.png"]].concat()).assert_ok();
    assert_eq!(pixels(&t, "white.png.out.png"), pixels(&t, "plain.png"), "a mask of ones is no mask");
    // Half the picture each: neither run above.
    let halves = [
        out("halves.png"),
        vec!["-s", "starry_night.jpg", "--style-mask", "top.png", "--style-mask", "bottom.png"],
    ];
    t.nst(&halves.concat()).assert_ok();
    assert_ne!(pixels(&t, "halves.png"), pixels(&t, "plain.png"));
}

#[test]
fn each_region_is_nearer_its_own_painting() {
    let t = setup();
    let run = paint_cat_at_128(
        &t,
        &[
            "-s",
            "starry_night.jpg",
            "-s",
            "night_cafe.jpg",
            "--style-mask",
            "top.png",
            "--style-mask",
            "bottom.png",
        ],
    );
    run.assert_ok();
    // The readout's view: each painting's Grams at the picture's size, each region's guided Gram.
    let scorer = Scorer::of(&t, "out.png");
    let grams = |name: &str| {
        StyleGrams::new(&scorer.model, &scorer.recipe.loss, &[(scorer.painting(&t, name), 1.0)], None)
    };
    let (starry, cafe) = (grams("starry_night.jpg"), grams("night_cafe.jpg"));
    let (w, h) = scorer.size;
    let mask = |name: &str| {
        Mask::from_image(&image_io::load(&t.path(name), "mask").unwrap(), w, h).to_tensor(&scorer.device)
    };
    let (top, bottom) = (mask("top.png"), mask("bottom.png"));
    let error = |region: &Tensor<4>, grams: &StyleGrams| scorer.error(region, grams);
    let (top_own, top_other) = (error(&top, &starry), error(&top, &cafe));
    let (bottom_own, bottom_other) = (error(&bottom, &cafe), error(&bottom, &starry));
    eprintln!(
        "top (Starry Night): {top_own:.4} against the café's {top_other:.4}; \
         bottom (Night Café): {bottom_own:.4} against the starry night's {bottom_other:.4}"
    );
    assert!(top_own < top_other, "the top is nearer the night café: {top_own} vs {top_other}");
    assert!(
        bottom_own < bottom_other,
        "the bottom is nearer the starry night: {bottom_own} vs {bottom_other}"
    );
}

/// Each tile weighs its activations by its part of every layer's mask, so tiles paint what the
/// whole image paints (tests/cli.rs has the same check without masks).
#[test]
fn masked_tiles_paint_what_the_whole_image_paints() {
    let t = setup();
    let masked = [
        &["run", "-c", "cat.png"][..],
        &util::two_masked("top.png", "bottom.png"),
        &["--size", "64", "-n", "4", "--scales", "1", "--device", "cpu", "--progress", "none"],
    ]
    .concat();
    t.nst(&[&masked[..], &["-o", "whole.png", "--sheet", "sheet.png"]].concat()).assert_ok();
    // The sheet shows each mask after its painting: six panels at the result's height (at
    // least 128), 8 px apart.
    let size = |name: &str| image::image_dimensions(t.path(name)).unwrap();
    let height = size("whole.png").1.clamp(128, 512) as f64;
    let panels = ["cat.png", "night_cafe.jpg", "top.png", "starry_night.jpg", "bottom.png", "whole.png"];
    let width: u32 =
        panels.iter().map(|&p| (size(p).0 as f64 * height / size(p).1 as f64).round() as u32).sum();
    assert_eq!(size("sheet.png").0, width + 8 * 7, "the sheet lacks a mask panel");
    let tiled = t.nst(&[&masked[..], &["-o", "tiled.png", "--tile-size", "16"]].concat());
    tiled.assert_ok();
    assert!(tiled.stderr().contains("tiles of up to 16 px a side"), "{}", tiled.stderr());
    let (whole, tiled) = (pixels(&t, "whole.png"), pixels(&t, "tiled.png"));
    let largest = whole.iter().zip(&tiled).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
    assert!(largest <= 2, "tiled and whole masked results differ by {largest} grey levels");
}

/// A mask fainter than a Gram matrix can hold (grey 2 of 255) leaves its painting's style
/// terms out at every layer instead of dividing by its zero mass: the run finishes.
#[test]
fn a_faint_mask_paints_without_a_nan() {
    let t = setup();
    write_mask(&t, "faint.png", 2, 2, 0.5);
    for tiles in [&[][..], &["--tile-size", "16", "--size", "64"]] {
        let base = ["run", "-c", "cat.png", "--preset", "smoke", "--device", "cpu", "-o", "o.png"];
        let run = t.nst(&[&base[..], &util::two_masked("faint.png", "white.png"), tiles].concat());
        run.assert_ok();
        let (_, last) = util::losses(&run.stderr());
        assert!(last.is_finite(), "{}", run.stderr());
    }
}

/// The recipe's `style_masks` are `--style-mask`'s: the same pixels; and the flag replaces them.
#[test]
fn a_recipes_style_masks_are_the_flags() {
    let t = setup();
    std::fs::write(t.path("masks.toml"), "style_masks = [\"top.png\", \"bottom.png\"]\n").unwrap();
    std::fs::write(t.path("one.toml"), "style_masks = [\"top.png\"]\n").unwrap();
    let base =
        ["run", "-c", "cat.png", "-s", "night_cafe.jpg", "-s", "starry_night.jpg", "--size", "48", "-n", "3"];
    let flags = ["--style-mask", "top.png", "--style-mask", "bottom.png"];
    let run = |extra: &[&str], out: &str| {
        t.nst(&[&base[..], extra, &["--device", "cpu", "-o", out]].concat()).assert_ok();
        pixels(&t, out)
    };
    let by_flags = run(&flags, "flags.png");
    assert_eq!(run(&["--config", "masks.toml"], "recipe.png"), by_flags);
    let swapped = ["--config", "masks.toml", "--style-mask", "bottom.png", "--style-mask", "top.png"];
    assert_ne!(run(&swapped, "swapped.png"), by_flags, "--style-mask did not replace the recipe's");
    t.nst(&[&base[..], &["--config", "one.toml", "-o", "o.png"]].concat())
        .assert_fails(2, "one.toml: style_masks: 1 masks for 2 --style images");
}

#[test]
fn bad_masks_are_refused_naming_the_flag_or_file() {
    let t = setup();
    image::GrayImage::from_pixel(100, 100, image::Luma([255])).save(t.path("square.png")).unwrap();
    let halves = ["-s", "starry_night.jpg", "--style-mask", "top.png", "--style-mask", "bottom.png"];
    let cases: [(Vec<&str>, &str); 5] = [
        (
            vec!["-s", "starry_night.jpg", "--style-mask", "top.png"],
            "--style-mask: 1 masks for 2 --style images",
        ),
        (vec!["--style-mask", "black.png"], "--style-mask: every mask is black everywhere"),
        (
            vec!["-s", "starry_night.jpg", "--style-mask", "top.png", "--style-mask", "square.png"],
            "square.png: --style-mask is 100×100",
        ),
        ([&halves[..], &["--style-blend", "1,2"]].concat(), "--style-blend: the masks blend"),
        (vec!["--style-mask", "missing.png"], "missing.png"),
    ];
    assert_refused(&t, &cases);
    // nst score's masks: each in the shape of the image it marks.
    let score = ["score", "-c", "cat.png", "-s", "night_cafe.jpg", "--device", "cpu"];
    t.nst(&[&score[..], &["--mask", "square.png", "cat.png"]].concat())
        .assert_fails(2, "square.png: --mask is 100×100, the image 451×300");
    t.nst(&[&score[..], &["--mask", "top.png", "--painting-mask", "square.png", "cat.png"]].concat())
        .assert_fails(2, "square.png: --painting-mask is 100×100, the painting 634×500");
}

/// The fixtures' region maps: the cat's top half blue, bottom half red; the painting's left
/// half blue, right half red.
fn region_fixtures(t: &TestDir) {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/regions");
    for name in ["cat_regions.png", "painting_regions.jpg", "three_colours.png"] {
        std::fs::copy(fixtures.join(name), t.path(name)).unwrap();
    }
}

/// A 634×500 painting (painting_regions.jpg's shape): The Starry Night on the left half, The
/// Night Café on the right.
fn two_halves(t: &TestDir) {
    let (w, h) = (634, 500);
    let half =
        |name: &str| image::open(t.path(name)).unwrap().resize_exact(w / 2, h, image::imageops::Triangle);
    let mut canvas = image::RgbImage::new(w, h);
    image::imageops::overlay(&mut canvas, &half("starry_night.jpg").to_rgb8(), 0, 0);
    image::imageops::overlay(&mut canvas, &half("night_cafe.jpg").to_rgb8(), (w / 2) as i64, 0);
    canvas.save(t.path("halves.png")).unwrap();
}

#[test]
fn each_region_takes_the_style_of_its_like_in_the_painting() {
    let t = setup();
    region_fixtures(&t);
    two_halves(&t);
    let run = paint_cat_at_128(
        &t,
        &[
            "-s",
            "halves.png",
            "--content-regions",
            "cat_regions.png",
            "--style-regions",
            "painting_regions.jpg",
        ],
    );
    run.assert_ok();
    assert!(run.stderr().contains("painting_regions.jpg: ") && run.stderr().contains("near-colours snapped"));
    let scorer = Scorer::of(&t, "out.png");
    // The painting's halves as the run saw them: at the picture's size, by its own map.
    let painting = scorer.painting(&t, "halves.png");
    let [_, _, ph, pw] = painting.dims();
    let region_grams = |left: bool| {
        let half = scorer.mask((pw, ph), |x, _| (x < pw / 2) == left);
        StyleGrams::of_region(&scorer.model, &scorer.recipe.loss, &painting, &half, None).unwrap()
    };
    let (starry, cafe) = (region_grams(true), region_grams(false));
    let (w, h) = (scorer.size.0 as usize, scorer.size.1 as usize);
    let error =
        |top: bool, grams: &StyleGrams| scorer.error(&scorer.mask((w, h), |_, y| (y < h / 2) == top), grams);
    let (top_own, top_other) = (error(true, &starry), error(true, &cafe));
    let (bottom_own, bottom_other) = (error(false, &cafe), error(false, &starry));
    eprintln!(
        "top (the painting's left, Starry Night): {top_own:.4} against its right's {top_other:.4}; \
         bottom (its right, Night Café): {bottom_own:.4} against its left's {bottom_other:.4}"
    );
    assert!(top_own * 3.0 < top_other, "the top: {top_own} vs {top_other}");
    assert!(bottom_own * 3.0 < bottom_other, "the bottom: {bottom_own} vs {bottom_other}");
}

#[test]
fn bad_region_maps_are_refused_naming_the_flag_or_file() {
    let t = setup();
    region_fixtures(&t);
    image::RgbImage::from_pixel(100, 100, image::Rgb([0, 0, 255])).save(t.path("square.png")).unwrap();
    let regions = |photo: &'static str, painting: &'static str| {
        vec!["--content-regions", photo, "--style-regions", painting]
    };
    let cases: [(Vec<&str>, &str); 8] = [
        (vec!["--content-regions", "cat_regions.png"], "--style-regions"),
        (
            [regions("cat_regions.png", "painting_regions.jpg"), vec!["-s", "starry_night.jpg"]].concat(),
            "--style-regions: 1 maps for 2 --style images",
        ),
        (
            [regions("cat_regions.png", "painting_regions.jpg"), vec!["--style-mask", "top.png"]].concat(),
            "--style-mask: give masks or region maps",
        ),
        (regions("square.png", "painting_regions.jpg"), "square.png: --content-regions is 100×100"),
        (regions("cat_regions.png", "cat_regions.png"), "cat_regions.png: --style-regions is 451×300"),
        (
            regions("three_colours.png", "painting_regions.jpg"),
            "painting_regions.jpg: --style-regions has no #00ff00",
        ),
        (regions("cat.png", "painting_regions.jpg"), "cat.png: --content-regions: "),
        (regions("missing.png", "painting_regions.jpg"), "missing.png"),
    ];
    assert_refused(&t, &cases);
}
