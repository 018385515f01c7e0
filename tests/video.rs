//! `nst video` and `nst score --frames` through the real binary, on the 3-frame 64×48 clip cut
//! from OpenCV's box.mp4 (tests/fixtures/clip), on the CPU with the smoke recipe.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod util;

use std::collections::BTreeSet;
use std::path::Path;

use util::TestDir;

const FRAMES: [&str; 3] = ["00001.png", "00002.png", "00003.png"];

/// The fixture clip copied to `frames/`, and the night café beside it.
fn clip(t: &TestDir) {
    std::fs::create_dir(t.path("frames")).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip");
    for name in FRAMES {
        std::fs::copy(fixture.join(name), t.path(&format!("frames/{name}"))).unwrap();
    }
    t.example("night_cafe.jpg");
}

/// `nst video` over `frames/` into `out/` with the smoke recipe, and `args`.
fn video(t: &TestDir, args: &[&str]) -> util::Run {
    let base = ["video", "--frames", "frames", "-s", "night_cafe.jpg", "--out-dir", "out"];
    t.nst(&[&base[..], &["--preset", "smoke", "--device", "cpu"], args].concat())
}

fn json_lines(run: &util::Run) -> Vec<serde_json::Value> {
    run.stdout().lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

fn files_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

#[test]
fn a_clip_is_painted_frame_by_frame_and_its_flicker_read_out() {
    let t = TestDir::new();
    clip(&t);
    let run = video(&t, &["--json"]);
    run.assert_ok();
    assert_eq!(files_in(&t.path("out")), FRAMES.iter().map(|s| s.to_string()).collect());
    for name in FRAMES {
        let image = image::open(t.path(&format!("out/{name}"))).unwrap();
        assert_eq!((image.width(), image.height()), (64, 48), "{name}");
    }
    let lines = json_lines(&run);
    assert_eq!(lines.len(), 4, "three frames and the end");
    for (line, index) in lines[..3].iter().zip(1..) {
        assert_eq!((line["event"].as_str(), line["index"].as_u64()), (Some("frame"), Some(index)));
        assert_eq!(line["status"], "done");
        assert!(line["readout"]["content"]["relu4_2"].as_f64().is_some(), "{line}");
    }
    // The smoke recipe's 10 iterations for the first frame; --frame-iterations for the rest.
    assert_eq!(lines[0]["iterations"], 10);
    assert!(lines[1]["iterations"].as_u64().unwrap() <= 20);
    assert!(lines[0].get("warping_error").is_none(), "the first frame has none before it");
    let errors: Vec<f64> = lines[1..3].iter().map(|l| l["warping_error"].as_f64().unwrap()).collect();
    let end = &lines[3];
    assert_eq!((end["event"].as_str(), end["status"].as_str()), (Some("end"), Some("done")));
    assert_eq!((end["painted"].as_u64(), end["skipped"].as_u64()), (Some(3), Some(0)));
    let flicker = end["flicker"].as_f64().unwrap();
    assert!((flicker - (errors[0] + errors[1]) / 2.0).abs() < 1e-12, "{flicker} vs {errors:?}");

    // `nst score --frames` reads the same flicker from the saved 8-bit frames, as for any tool.
    let score = t.nst(&["score", "--frames", "frames", "--stylised", "out", "--json"]);
    score.assert_ok();
    let lines = json_lines(&score);
    assert_eq!(lines.len(), 3, "two pairs and the mean");
    for (line, painted) in lines[..2].iter().zip(&errors) {
        let scored = line["warping_error"].as_f64().unwrap();
        assert!((scored - painted).abs() <= 0.02 * painted, "score {scored} vs video {painted}");
    }
    assert_eq!(lines[2]["pairs"], 2);

    // With a painting, each frame's readout comes too; as text, the mean last.
    let text = t.nst(&["score", "--frames", "frames", "--stylised", "out", "-s", "night_cafe.jpg"]);
    text.assert_ok();
    let stdout = text.stdout();
    assert_eq!(stdout.lines().filter(|l| l.contains("relu4_2")).count(), 3, "{stdout}");
    assert!(stdout.lines().last().unwrap().starts_with("flicker: warping error"), "{stdout}");
}

#[test]
fn a_rerun_continues_from_the_last_painted_frame() {
    let t = TestDir::new();
    clip(&t);
    video(&t, &[]).assert_ok();
    let bytes = |name: &str| std::fs::read(t.path(&format!("out/{name}"))).unwrap();
    let (first, second, third) = (bytes(FRAMES[0]), bytes(FRAMES[1]), image::open(t.path("out/00003.png")));
    std::fs::remove_file(t.path("out/00003.png")).unwrap();
    // What a kill during the write of frame 3 leaves.
    std::fs::write(t.path("out/.00003.png.x1y2z3.nst-partial"), b"half a frame").unwrap();

    let rerun = video(&t, &["--json"]);
    rerun.assert_ok();
    let lines = json_lines(&rerun);
    let statuses: Vec<&str> = lines[..3].iter().map(|l| l["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["skipped", "skipped", "done"]);
    assert_eq!((lines[3]["painted"].as_u64(), lines[3]["skipped"].as_u64()), (Some(1), Some(2)));
    assert!(lines[2]["warping_error"].as_f64().is_some(), "frame 3 was carried on from frame 2's file");
    assert_eq!(files_in(&t.path("out")), FRAMES.iter().map(|s| s.to_string()).collect());
    assert_eq!((bytes(FRAMES[0]), bytes(FRAMES[1])), (first, second), "painted frames are kept");
    // Carried on from frame 2's saved 8-bit picture instead of its floats: nearly the same frame.
    let (before, after) = (third.unwrap().to_rgb8(), image::open(t.path("out/00003.png")).unwrap().to_rgb8());
    let difference =
        before.as_raw().iter().zip(after.as_raw()).map(|(a, b)| a.abs_diff(*b) as f64).sum::<f64>()
            / before.as_raw().len() as f64;
    assert!(difference < 3.0, "frame 3 resumed differs by {difference} levels on average");

    let done = video(&t, &[]);
    done.assert_ok();
    assert!(done.stderr().contains("all 3 frames are painted already"), "{}", done.stderr());
}

/// A Middlebury `.flo` file of a `w`×`h` flow moving everything by (u, v).
fn flo(w: i32, h: i32, (u, v): (f32, f32)) -> Vec<u8> {
    let mut bytes = Vec::new();
    bytes.extend(202021.25f32.to_le_bytes());
    bytes.extend(w.to_le_bytes());
    bytes.extend(h.to_le_bytes());
    for _ in 0..w * h {
        bytes.extend(u.to_le_bytes());
        bytes.extend(v.to_le_bytes());
    }
    bytes
}

#[test]
fn flow_files_are_read_instead_of_computed() {
    let t = TestDir::new();
    clip(&t);
    std::fs::create_dir(t.path("flow")).unwrap();
    for (a, b) in [("00001", "00002"), ("00002", "00003")] {
        std::fs::write(t.path(&format!("flow/forward_{a}_{b}.flo")), flo(64, 48, (0.0, 0.0))).unwrap();
        std::fs::write(t.path(&format!("flow/backward_{b}_{a}.flo")), flo(64, 48, (0.0, 0.0))).unwrap();
    }
    video(&t, &["--flow-dir", "flow"]).assert_ok();
    assert_eq!(files_in(&t.path("out")).len(), 3);
}

#[test]
fn bad_clips_are_refused_naming_the_file_before_anything_is_written() {
    let t = TestDir::new();
    clip(&t);
    let frames_like = |dir: &str, odd: Option<(&str, &[u8])>| {
        std::fs::create_dir(t.path(dir)).unwrap();
        for name in FRAMES {
            std::fs::copy(t.path(&format!("frames/{name}")), t.path(&format!("{dir}/{name}"))).unwrap();
        }
        if let Some((name, bytes)) = odd {
            std::fs::write(t.path(&format!("{dir}/{name}")), bytes).unwrap();
        }
    };
    std::fs::create_dir(t.path("empty")).unwrap();
    let mut small = Vec::new();
    image::RgbImage::new(32, 24)
        .write_to(&mut std::io::Cursor::new(&mut small), image::ImageFormat::Png)
        .unwrap();
    frames_like("sizes", Some(("00004.png", &small)));
    let broken = &std::fs::read(t.path("frames/00002.png")).unwrap()[..200];
    frames_like("broken", Some(("00002.png", broken)));
    std::fs::create_dir(t.path("flow_missing")).unwrap();
    std::fs::create_dir(t.path("flow_sized")).unwrap();
    for (a, b) in [("00001", "00002"), ("00002", "00003")] {
        std::fs::write(t.path(&format!("flow_sized/forward_{a}_{b}.flo")), flo(10, 10, (0.0, 0.0))).unwrap();
        std::fs::write(t.path(&format!("flow_sized/backward_{b}_{a}.flo")), flo(10, 10, (0.0, 0.0))).unwrap();
    }
    std::fs::create_dir(t.path("flow_bad")).unwrap();
    std::fs::write(t.path("flow_bad/forward_00001_00002.flo"), b"PIEH not a flow").unwrap();

    let base = ["video", "-s", "night_cafe.jpg", "--out-dir", "out", "--preset", "smoke", "--device", "cpu"];
    let cases: [(&[&str], &str); 8] = [
        (&["--frames", "nowhere"], "nowhere: --frames: not a folder"),
        (&["--frames", "empty"], "empty: --frames: no frames found"),
        (&["--frames", "sizes"], "sizes/00004.png: frame is 32×24, but sizes/00001.png is 64×48"),
        (&["--frames", "broken"], "broken/00002.png"),
        (&["--frames", "frames", "--flow-dir", "flow_missing"], "flow_missing/forward_00001_00002.flo"),
        (
            &["--frames", "frames", "--flow-dir", "flow_sized"],
            "forward_00001_00002.flo: --flow-dir: flow is 10×10, the frames 64×48",
        ),
        (&["--frames", "frames", "--flow-dir", "flow_bad"], "flow_bad/forward_00001_00002.flo"),
        (&["--frames", "frames", "--temporal-weight=-1"], "--temporal-weight -1: must be a number ≥ 0"),
    ];
    for (extra, needle) in cases {
        t.nst(&[&base[..], extra].concat()).assert_fails(2, needle);
        assert!(!t.path("out").exists(), "{extra:?} left an output folder");
    }

    // Scoring a clip whose stylised frames are missing one.
    frames_like("stylised", None);
    std::fs::remove_file(t.path("stylised/00003.png")).unwrap();
    t.nst(&["score", "--frames", "frames", "--stylised", "stylised"]).assert_fails(2, "stylised/00003.png");
}

#[test]
fn ctrl_c_leaves_whole_frames_and_a_rerun_finishes_the_clip() {
    use std::process::{Command, Stdio};
    let t = TestDir::new();
    clip(&t);
    // Slow enough that the signal lands while frame 2 is being painted.
    let args =
        ["video", "--frames", "frames", "-s", "night_cafe.jpg", "--out-dir", "out", "--preset", "smoke"];
    let slow = ["--device", "cpu", "--frame-iterations", "100000"];
    let child = t.start_until(&[&args[..], &slow].concat(), "out/00001.png", Stdio::piped());
    assert!(Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap().success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Whole frames only, the first among them: no temporary file, nothing half-written.
    let left = files_in(&t.path("out"));
    assert!(left.contains("00001.png") && left.len() < 3, "{left:?}");
    for name in &left {
        assert!(FRAMES.contains(&name.as_str()), "{name} left behind");
        image::open(t.path(&format!("out/{name}"))).unwrap_or_else(|e| panic!("{name}: {e}"));
    }

    let rerun = video(&t, &["--json"]);
    rerun.assert_ok();
    let statuses: Vec<String> =
        json_lines(&rerun)[..3].iter().map(|l| l["status"].as_str().unwrap().to_string()).collect();
    let skipped = statuses.iter().filter(|s| *s == "skipped").count();
    assert_eq!(skipped, left.len(), "{statuses:?}");
    assert!(statuses[skipped..].iter().all(|s| s == "done"), "{statuses:?}");
}

/// A 64×48 mask, white above half its height if `top`, else below.
fn write_half_mask(path: &Path, top: bool) {
    image::GrayImage::from_fn(64, 48, |_, y| image::Luma([if (y < 24) == top { 255 } else { 0 }]))
        .save(path)
        .unwrap();
}

#[test]
fn masks_place_the_paintings_in_every_frame_and_a_missing_one_stops_the_clip() {
    let t = TestDir::new();
    clip(&t);
    t.example("starry_night.jpg");
    write_half_mask(&t.path("top.png"), true);
    std::fs::create_dir(t.path("bottoms")).unwrap();
    for name in FRAMES {
        write_half_mask(&t.path(&format!("bottoms/{name}")), false);
    }
    // One mask for every frame, and a folder of masks named as the frames.
    let masked = ["-s", "starry_night.jpg", "--style-mask", "top.png", "--style-mask", "bottoms"];
    video(&t, &masked).assert_ok();
    assert_eq!(files_in(&t.path("out")), FRAMES.iter().map(|s| s.to_string()).collect());
    // The first frame is a plain masked run of that frame.
    let placed = util::two_masked("top.png", "bottoms/00001.png");
    let single = t.nst(
        &[
            &["run", "-c", "frames/00001.png"][..],
            &placed,
            &["--preset", "smoke", "--device", "cpu", "-o", "single.png"],
        ]
        .concat(),
    );
    single.assert_ok();
    let pixels = |name: &str| t.pixels(name);
    assert_eq!(pixels("out/00001.png"), pixels("single.png"), "video's first frame and run differ");
    // Unmasked, the frames differ.
    let into = |out: &str, extra: &[&str]| {
        let base = ["video", "--frames", "frames", "-s", "night_cafe.jpg", "--out-dir", out];
        t.nst(&[&base[..], &["--preset", "smoke", "--device", "cpu"], extra].concat())
    };
    into("plain", &[]).assert_ok();
    assert_ne!(pixels("plain/00002.png"), pixels("out/00002.png"));
    std::fs::remove_file(t.path("bottoms/00003.png")).unwrap();
    into("again", &masked).assert_fails(2, "--style-mask: no image named 00003.* for frames/00003.png");
    assert!(!t.path("again").exists(), "the clip was started");
}
