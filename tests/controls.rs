//! The artist's controls of `nst run` through the real binary on tiny images, on the CPU:
//! several styles, style scale, colour preservation, coarse-to-fine, checkpoints, logs, Adam.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod util;

use util::TestDir;

/// `nst run` on the cat in the night-café style at 48 px from seeded noise, plus `args`.
fn paint(t: &TestDir, out: &str, args: &[&str]) -> util::Run {
    for name in ["cat.png", "night_cafe.jpg", "starry_night.jpg"] {
        if !t.path(name).exists() {
            t.example(name);
        }
    }
    let mut full =
        vec!["run", "-c", "cat.png", "-o", out, "--device", "cpu", "--init", "noise", "--seed", "3"];
    for (flag, default) in [("-s", "night_cafe.jpg"), ("--size", "48"), ("-n", "8")] {
        if !args.contains(&flag) {
            full.extend([flag, default]);
        }
    }
    full.extend(args);
    let run = t.nst(&full);
    run.assert_ok();
    run
}

fn rgb(t: &TestDir, name: &str) -> image::RgbImage {
    image::open(t.path(name)).unwrap_or_else(|e| panic!("{name}: {e}")).to_rgb8()
}

/// I and Q (YIQ chroma) of a pixel.
fn chroma(p: &image::Rgb<u8>) -> (f64, f64) {
    let [r, g, b] = p.0.map(f64::from);
    (0.596 * r - 0.274 * g - 0.322 * b, 0.211 * r - 0.523 * g + 0.312 * b)
}

/// Mean |chroma(a) − chroma(b)| over the pixels of two images of one size.
fn chroma_distance(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    let sum: f64 = a
        .pixels()
        .zip(b.pixels())
        .map(|(p, q)| {
            let ((pi, pq), (qi, qq)) = (chroma(p), chroma(q));
            (pi - qi).abs() + (pq - qq).abs()
        })
        .sum();
    sum / (a.width() * a.height()) as f64
}

/// The content photo at the output's size, as nst scales it.
fn content_at(t: &TestDir, like: &image::RgbImage) -> image::RgbImage {
    let cat = image::open(t.path("cat.png")).unwrap().to_rgb8();
    image::imageops::resize(&cat, like.width(), like.height(), image::imageops::FilterType::Lanczos3)
}

#[test]
fn two_styles_blended_one_to_zero_equal_the_first_alone() {
    let t = TestDir::new();
    paint(&t, "one.png", &["-s", "night_cafe.jpg"]);
    paint(&t, "blend.png", &["-s", "night_cafe.jpg", "-s", "starry_night.jpg", "--style-blend", "1,0"]);
    paint(&t, "half.png", &["-s", "night_cafe.jpg", "-s", "starry_night.jpg", "--style-blend", "1,1"]);
    assert_eq!(rgb(&t, "one.png"), rgb(&t, "blend.png"));
    assert_ne!(rgb(&t, "one.png"), rgb(&t, "half.png"));
}

#[test]
fn luminance_mode_keeps_the_photo_chroma() {
    let t = TestDir::new();
    paint(&t, "plain.png", &["-n", "20"]);
    paint(&t, "lum.png", &["-n", "20", "--preserve-colors", "luminance"]);
    let (plain, lum) = (rgb(&t, "plain.png"), rgb(&t, "lum.png"));
    let content = content_at(&t, &lum);
    let (kept, drifted) = (chroma_distance(&lum, &content), chroma_distance(&plain, &content));
    assert!(kept < 4.0, "luminance mode moved the chroma by {kept:.1} on average");
    assert!(kept < drifted / 3.0, "kept {kept:.1} vs {drifted:.1} without preservation");
}

#[test]
fn match_mode_paints_in_the_photo_colours() {
    let t = TestDir::new();
    // A strong pull to the painting, so that without `match` its colours clearly take over.
    paint(&t, "plain.png", &["-n", "20", "--style-weight", "10"]);
    paint(&t, "match.png", &["-n", "20", "--style-weight", "10", "--preserve-colors", "match"]);
    let (plain, matched) = (rgb(&t, "plain.png"), rgb(&t, "match.png"));
    let content = content_at(&t, &matched);
    let mean = |img: &image::RgbImage| {
        let n = (img.width() * img.height()) as f64;
        [0, 1, 2].map(|c| img.pixels().map(|p| p[c] as f64).sum::<f64>() / n)
    };
    let off = |img: &image::RgbImage| {
        let (m, c) = (mean(img), mean(&content));
        (0..3).map(|i| (m[i] - c[i]).abs()).sum::<f64>()
    };
    assert!(off(&matched) < off(&plain), "match {:.1} vs plain {:.1}", off(&matched), off(&plain));
}

#[test]
fn scales_end_at_the_requested_size_and_the_log_shows_each_level() {
    let t = TestDir::new();
    paint(&t, "out.png", &["--scales", "2", "--size", "256", "-n", "4", "--log", "run.json"]);
    assert_eq!(rgb(&t, "out.png").width(), 256);
    let log: serde_json::Value = serde_json::from_slice(&std::fs::read(t.path("run.json")).unwrap()).unwrap();
    let widths: Vec<u64> =
        log["iterations"].as_array().unwrap().iter().map(|i| i["width"].as_u64().unwrap()).collect();
    // Default iterations per level: 4 at the coarse level, 4/3 of that at the finest.
    assert_eq!(widths, [128, 128, 128, 128, 256, 256, 256, 256, 256]);
}

#[test]
fn checkpoints_appear_every_n_iterations() {
    let t = TestDir::new();
    paint(&t, "out.png", &["-n", "6", "--save-every", "2"]);
    for name in ["out_0002.png", "out_0004.png", "out_0006.png", "out.png"] {
        assert_eq!(rgb(&t, name).width(), 48, "{name}");
    }
    assert!(!t.path("out_0001.png").exists() && !t.path("out_0003.png").exists());
}

#[test]
fn the_json_log_and_events_parse_and_the_losses_fall() {
    let t = TestDir::new();
    let run = paint(&t, "out.png", &["-n", "10", "--log", "run.json", "--json"]);
    let events: Vec<serde_json::Value> =
        run.stdout().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let iterations = events.iter().filter(|e| e["event"] == "iteration").count();
    assert_eq!((iterations, events.len()), (10, 11), "{}", run.stdout());
    let end = &events[10];
    assert_eq!((&end["event"], &end["status"]), (&"end".into(), &"done".into()), "{end}");
    assert!(end["output"].as_str().unwrap().ends_with("out.png") && end["summary"]["final_loss"].is_number());
    let log: serde_json::Value = serde_json::from_slice(&std::fs::read(t.path("run.json")).unwrap()).unwrap();
    assert_eq!(log["status"], "done");
    assert_eq!(log["recipe"]["size"], 48);
    assert_eq!(log["recipe"]["layers"]["relu4_2"]["content"], 1.0);
    assert!(log["device"].as_str().unwrap().starts_with("CPU"));
    let losses: Vec<f64> =
        log["iterations"].as_array().unwrap().iter().map(|i| i["loss"].as_f64().unwrap()).collect();
    assert_eq!(losses.len(), 10);
    assert!(losses.windows(2).all(|w| w[1] <= w[0]), "L-BFGS losses rise: {losses:?}");
    assert!(
        log["summary"]["final_loss"].as_f64().unwrap() < log["summary"]["initial_loss"].as_f64().unwrap()
    );
}

#[test]
fn adam_lowers_the_loss_too() {
    let t = TestDir::new();
    let run = paint(&t, "out.png", &["-n", "30", "--optimizer", "adam", "--lr", "4"]);
    let (first, last) = util::losses(&run.stderr());
    assert!(last < first / 2.0, "Adam took the loss only from {first} to {last}");
}

#[test]
fn style_scale_changes_the_strokes_and_is_checked() {
    let t = TestDir::new();
    paint(&t, "one.png", &[]);
    paint(&t, "half.png", &["--style-scale", "0.5"]);
    assert_ne!(rgb(&t, "one.png"), rgb(&t, "half.png"));
    let too_small =
        t.nst(&["run", "-c", "cat.png", "-s", "night_cafe.jpg", "--size", "48", "--style-scale", "0.1"]);
    too_small.assert_fails(2, "--style-scale 0.1");
    let too_coarse =
        t.nst(&["run", "-c", "cat.png", "-s", "night_cafe.jpg", "--size", "256", "--scales", "3"]);
    too_coarse.assert_fails(2, "scales = 3 at size = 256: the coarsest level would be 64 px");
}

#[test]
fn every_control_works_in_one_command() {
    let t = TestDir::new();
    let run = paint(
        &t,
        "all.png",
        &[
            "-s",
            "night_cafe.jpg",
            "-s",
            "starry_night.jpg",
            "--style-blend",
            "0.6,0.4",
            "--style-scale",
            "0.8",
            "--preserve-colors",
            "luminance",
            "--scales",
            "2",
            "--size",
            "256",
            "-n",
            "4",
            "--save-every",
            "4",
            "--log",
            "all.json",
            "--json",
            "--sheet",
            "sheet.png",
        ],
    );
    assert!(!run.stdout().is_empty());
    assert_eq!(rgb(&t, "all.png").width(), 256);
    assert!(rgb(&t, "sheet.png").width() > 3 * 128, "content | 2 styles | result side by side");
    assert!(t.path("all_0004.png").exists() && t.path("all.json").exists());
}

#[test]
fn features_draws_a_row_per_layer_and_names_a_bad_one() {
    let t = TestDir::new();
    t.example("cat.png");
    let base = ["features", "-i", "cat.png", "--count", "4", "--size", "64", "--device", "cpu"];
    t.nst(&[&base[..], &["--layers", "relu1_1,relu3_1", "-o", "grid.png"]].concat()).assert_ok();
    let grid = rgb(&t, "grid.png");
    // A label column, then four 96 px tiles a row, 4 px apart; two rows.
    assert_eq!((grid.width(), grid.height()), (120 + 4 * 100 + 4, 2 * 100 + 4));
    t.nst(&[&base[..], &["--layers", "relu9_9", "-o", "bad.png"]].concat()).assert_fails(2, "relu9_9");
    assert!(!t.path("bad.png").exists());
}

#[test]
fn score_reads_any_image_against_photo_and_painting() {
    let t = TestDir::new();
    t.example("cat.png");
    t.example("night_cafe.jpg");
    let painting = image::open(t.path("night_cafe.jpg")).unwrap().resize(96, 96, image::imageops::Lanczos3);
    painting.save(t.path("painting.png")).unwrap();
    image::open(t.path("cat.png"))
        .unwrap()
        .resize(96, 96, image::imageops::Lanczos3)
        .save(t.path("photo.png"))
        .unwrap();
    let run = t.nst(&[
        "score",
        "--json",
        "--device",
        "cpu",
        "-c",
        "photo.png",
        "-s",
        "painting.png",
        "photo.png",
        "painting.png",
    ]);
    run.assert_ok();
    let lines: Vec<serde_json::Value> =
        run.stdout().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout());
    let error = |line: &serde_json::Value, part: &str, layer: &str| line[part][layer].as_f64().unwrap();
    let (photo, painting) = (&lines[0], &lines[1]);
    // The photo keeps all of itself and none of the painting; the painting the other way round.
    assert_eq!(error(photo, "content", "relu4_2"), 0.0);
    assert!(photo["mean_style"].as_f64().unwrap() > 0.1, "{photo}");
    assert!(error(painting, "content", "relu4_2") > 0.3, "{painting}");
    for layer in ["relu1_1", "relu2_1", "relu3_1", "relu4_1"] {
        assert!(error(painting, "style", layer) < 1e-4, "{layer}: {painting}");
        assert!(error(photo, "style", layer) > 1e-3, "{layer}: {photo}");
    }
    // The measures no recipe minimises say the same: the photo has all its structure and not
    // the painting's colours, the painting its own colours and little of the photo's structure.
    let measure = |line: &serde_json::Value, name: &str| line["measures"][name].as_f64().unwrap();
    assert!((measure(photo, "structure") - 1.0).abs() < 1e-9, "{photo}");
    assert!(measure(painting, "structure") < 0.5, "{painting}");
    assert!(measure(painting, "colour_distance") < 0.5, "{painting}");
    assert!(measure(photo, "colour_distance") > 5.0, "{photo}");
    let text = t.nst(&["score", "--device", "cpu", "-c", "photo.png", "-s", "painting.png", "photo.png"]);
    text.assert_ok();
    assert!(text.stdout().contains("photo.png: colour distance to the painting "), "{}", text.stdout());
    assert!(text.stdout().contains("photo.png: structure kept from the photo 1.000"), "{}", text.stdout());
    // A run reports the same readout for its result, in its summary and its log. A black and
    // white checkerboard as the photo: the optimiser pushes some pixels past 0 and 255.
    let checker =
        image::RgbImage::from_fn(48, 48, |x, y| image::Rgb([255 * ((x / 12 + y / 12) % 2 == 0) as u8; 3]));
    checker.save(t.path("checker.png")).unwrap();
    // From the photo itself (not recoloured), every style layer at its full weight whatever the
    // painting's size: the sum below is then of the errors times the weights.
    std::fs::write(t.path("plain.toml"), "init = \"content\"\ngram_positions = 0\n").unwrap();
    let painted = t.nst(&[
        "run",
        "--config",
        "plain.toml",
        "--device",
        "cpu",
        "-c",
        "checker.png",
        "-s",
        "painting.png",
        "--size",
        "48",
        "-n",
        "20",
        "--style-weight",
        "100",
        "-o",
        "out.png",
        "--log",
        "out.json",
    ]);
    painted.assert_ok();
    assert!(painted.stderr().contains("relative errors: content relu4_2 "), "{}", painted.stderr());
    assert!(painted.stderr().contains("colour distance to the painting "), "{}", painted.stderr());
    let log: serde_json::Value = serde_json::from_slice(&std::fs::read(t.path("out.json")).unwrap()).unwrap();
    let readout = &log["summary"]["readout"];
    assert_eq!(readout["style"].as_object().unwrap().len(), 4, "{log}");
    assert!(log["summary"]["measures"]["structure"].as_f64().unwrap() < 1.0, "{log}");
    // The optimiser kept the pixels in 0–255, so the picture saved is the one it optimised: its
    // own last loss terms are the readout's errors times the weights (style 100, each layer 1).
    // Unbounded, L-BFGS pushed this checkerboard past 0 and 255 and the style terms were 3e-4 apart.
    let last = log["iterations"].as_array().unwrap().last().unwrap().clone();
    let style_errors: f64 = readout["style"].as_object().unwrap().values().map(|v| v.as_f64().unwrap()).sum();
    let content_error = error(readout, "content", "relu4_2");
    for (term, optimised, saved) in [
        ("style", last["style"].as_f64().unwrap(), 100.0 * style_errors),
        ("content", last["content"].as_f64().unwrap(), content_error),
    ] {
        assert!((optimised - saved).abs() <= 1e-4 * saved, "{term}: optimised {optimised}, saved {saved}");
    }
    // ... and it is the readout of the file it wrote, as `nst score` reads it (up to 8-bit
    // rounding), not of the optimiser's unclamped pixels (relu1_1 was 2.7% off).
    let scored =
        t.nst(&["score", "--json", "--device", "cpu", "-c", "checker.png", "-s", "painting.png", "out.png"]);
    scored.assert_ok();
    let scored: serde_json::Value = serde_json::from_str(scored.stdout().trim()).unwrap();
    for (part, layer) in [("content", "relu4_2"), ("style", "relu1_1"), ("style", "relu3_1")] {
        let (ran, read) = (error(readout, part, layer), error(&scored, part, layer));
        assert!((ran - read).abs() <= 0.005 * read + 1e-4, "{part} {layer}: run {ran}, score {read}");
    }
    t.nst(&["score", "--device", "cpu", "-c", "photo.png", "-s", "painting.png", "missing.png"])
        .assert_fails(2, "missing.png");
}
