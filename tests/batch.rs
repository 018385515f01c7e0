//! `nst batch` through the real binary on folders of tiny images, on the CPU.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod util;

use std::collections::BTreeSet;
use std::path::Path;

use util::TestDir;

/// A `side`² image of one colour with a diagonal stripe, so each file differs.
fn write_photo(path: &Path, side: u32, shade: u8) {
    let image = image::RgbImage::from_fn(side, side, |x, y| {
        if x.abs_diff(y) < 4 {
            image::Rgb([255 - shade, shade, 90])
        } else {
            image::Rgb([shade, 120, 255 - shade])
        }
    });
    image.save(path).unwrap();
}

/// `photos/` with `n` good images (p0.png …), plus `extra` files written as given.
fn photo_folder(t: &TestDir, n: u8, extra: &[(&str, &[u8])]) {
    std::fs::create_dir(t.path("photos")).unwrap();
    for i in 0..n {
        write_photo(&t.path(&format!("photos/p{i}.png")), 40, 30 * i);
    }
    for (name, bytes) in extra {
        std::fs::write(t.path(&format!("photos/{name}")), bytes).unwrap();
    }
}

/// `nst batch` over `photos/` into `out/` in the night-café style, with the smoke preset.
fn batch(t: &TestDir, args: &[&str]) -> util::Run {
    if !t.path("night_cafe.jpg").exists() {
        t.example("night_cafe.jpg");
    }
    let mut full = vec!["batch", "--content-dir", "photos", "-s", "night_cafe.jpg", "--out-dir", "out"];
    full.extend(["--preset", "smoke", "--size", "32", "-n", "2"]);
    full.extend(args);
    t.nst(&full)
}

fn manifest(t: &TestDir, name: &str) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(t.path(name)).unwrap();
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

fn files_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

fn statuses(lines: &[serde_json::Value]) -> Vec<(String, String)> {
    let mut out: Vec<_> = lines
        .iter()
        .map(|l| (l["input"].as_str().unwrap().to_string(), l["status"].as_str().unwrap().to_string()))
        .collect();
    out.sort();
    out
}

#[test]
fn paints_the_good_names_the_bad_and_a_rerun_skips_the_done() {
    let t = TestDir::new();
    let truncated = &std::fs::read(t.example("castle.jpg")).unwrap()[..3000];
    photo_folder(&t, 2, &[("broken.jpg", truncated), ("notes.txt", b"not an image")]);

    let first = batch(&t, &["--manifest", "m.jsonl"]);
    first.assert_fails(1, "photos/broken.jpg: content image is a truncated JPEG");
    assert!(first.stderr().contains("2 done, 0 skipped, 1 failed"), "{}", first.stderr());
    assert_eq!(
        files_in(&t.path("out")),
        BTreeSet::from(["p0_night_cafe.png".into(), "p1_night_cafe.png".into()])
    );
    assert_eq!(image::open(t.path("out/p1_night_cafe.png")).unwrap().width(), 32);
    let lines = manifest(&t, "m.jsonl");
    let expected = [("photos/broken.jpg", "failed"), ("photos/p0.png", "done"), ("photos/p1.png", "done")];
    assert_eq!(statuses(&lines), expected.map(|(a, b)| (a.to_string(), b.to_string())));
    let done = lines.iter().find(|l| l["status"] == "done").unwrap();
    assert!(done["final_loss"].as_f64().unwrap() > 0.0 && done["seconds"].as_f64().unwrap() > 0.0);
    assert_eq!(done["style"][0], "night_cafe.jpg");

    let written = std::fs::metadata(t.path("out/p0_night_cafe.png")).unwrap().modified().unwrap();
    let second = batch(&t, &["--manifest", "m.jsonl"]);
    second.assert_fails(1, "photos/broken.jpg");
    assert!(second.stderr().contains("0 done, 2 skipped, 1 failed"), "{}", second.stderr());
    assert_eq!(std::fs::metadata(t.path("out/p0_night_cafe.png")).unwrap().modified().unwrap(), written);
    assert_eq!(manifest(&t, "m.jsonl").len(), 6, "the manifest is appended to");

    std::fs::remove_file(t.path("photos/broken.jpg")).unwrap();
    let forced = batch(&t, &["--force", "--json"]);
    forced.assert_ok();
    let events: Vec<serde_json::Value> =
        forced.stdout().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.iter().filter(|e| e["status"] == "done").count(), 2, "{}", forced.stdout());
}

#[test]
fn shards_together_cover_the_folder_exactly_once() {
    let t = TestDir::new();
    photo_folder(&t, 7, &[]);
    let mut outputs = Vec::new();
    for shard in ["1/3", "2/3", "3/3"] {
        batch(&t, &["--shard", shard, "--manifest", &format!("m{}.jsonl", &shard[..1])]).assert_ok();
        outputs.extend(manifest(&t, &format!("m{}.jsonl", &shard[..1])).into_iter().map(|l| {
            assert_eq!(l["status"], "done");
            l["output"].as_str().unwrap().to_string()
        }));
    }
    outputs.sort();
    let expected: Vec<String> = (0..7).map(|i| format!("out/p{i}_night_cafe.png")).collect();
    assert_eq!(outputs, expected);
}

#[test]
fn a_batch_killed_part_way_finishes_on_restart_with_no_partial_files() {
    use std::process::Stdio;
    let t = TestDir::new();
    photo_folder(&t, 4, &[]);
    t.example("night_cafe.jpg");
    let args = ["batch", "--content-dir", "photos", "-s", "night_cafe.jpg", "--out-dir", "out"];
    let slow = ["--preset", "smoke", "--size", "40", "-n", "100"];
    let mut child = t.start_until(&[&args[..], &slow].concat(), "out/p0_night_cafe.png", Stdio::null());
    child.kill().unwrap(); // SIGKILL: no handler runs, no cleanup
    child.wait().unwrap();
    let done_before = files_in(&t.path("out")).iter().filter(|n| n.ends_with(".png")).count();
    assert!(done_before < 4, "the batch finished before it was killed");
    // What a kill during the write of the next image leaves, made certain rather than hoped for:
    let next = format!("p{done_before}_night_cafe.png");
    std::fs::write(t.path(&format!("out/.{next}.a1b2c3.nst-partial")), b"half an image").unwrap();

    let rerun = t.nst(&[&args[..], &["--preset", "smoke", "--size", "40", "-n", "3"]].concat());
    rerun.assert_ok();
    assert!(rerun.stderr().contains(&format!("{} skipped", done_before)), "{}", rerun.stderr());
    let expected: BTreeSet<String> = (0..4).map(|i| format!("p{i}_night_cafe.png")).collect();
    assert_eq!(files_in(&t.path("out")), expected);
    for name in &expected {
        image::open(t.path(&format!("out/{name}"))).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn bad_batch_requests_are_refused_before_any_work() {
    let t = TestDir::new();
    photo_folder(&t, 1, &[]);
    t.example("night_cafe.jpg");
    std::fs::write(t.path("list.txt"), "# photos\nphotos/p0.png\n\nphotos/missing.png\n").unwrap();
    let base = ["batch", "-s", "night_cafe.jpg", "--out-dir", "out", "--preset", "smoke", "--size", "32"];
    let cases: [(&[&str], i32, &str); 6] = [
        (&["--content-dir", "nowhere"], 2, "nowhere: --content-dir: cannot list"),
        (&["--content-dir", "photos", "--shard", "4/3"], 2, "--shard"),
        (&["--content-dir", "photos", "-s", "missing_style.jpg"], 2, "missing_style.jpg"),
        (&["--content-dir", "photos", "--style-blend", "1,2"], 2, "--style-blend: 2 weights for 1"),
        (&["--content-list", "absent.txt"], 2, "absent.txt: --content-list"),
        (&["--content-list", "list.txt"], 1, "photos/missing.png: cannot read content image"),
    ];
    for (extra, code, needle) in cases {
        t.nst(&[&base[..], extra].concat()).assert_fails(code, needle);
    }
    assert!(t.path("out/p0_night_cafe.png").exists(), "the list's good photo is still painted");
}

#[test]
fn smoke_preset_gives_the_same_bytes_every_run() {
    let t = TestDir::new();
    t.example("cat.png");
    t.example("night_cafe.jpg");
    let run = |out: &str| {
        let run = t.nst(&["run", "-c", "cat.png", "-s", "night_cafe.jpg", "--preset", "smoke", "-o", out]);
        run.assert_ok();
        assert!(run.stderr().contains("device: CPU"), "{}", run.stderr());
        std::fs::read(t.path(out)).unwrap()
    };
    let first = run("a.png");
    assert_eq!(image::load_from_memory(&first).unwrap().width(), 64);
    assert!(first == run("b.png"), "two smoke runs differ");
}

/// The example scripts, run as a user would, with `nst` on PATH.
#[test]
fn example_shard_scripts_cover_the_folder() {
    let t = TestDir::new();
    photo_folder(&t, 5, &[]);
    t.example("night_cafe.jpg");
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/batch");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_nst")).parent().unwrap().to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let script = |name: &str, out: &str, env: &[(&str, &str)]| {
        let status = std::process::Command::new("bash")
            .arg(scripts.join(name))
            .args(["--preset", "smoke", "--size", "32", "-n", "1"])
            .current_dir(t.dir.path())
            .env("PATH", &path)
            .envs([("IN", "photos"), ("STYLE", "night_cafe.jpg"), ("OUT", out)])
            .envs(env.iter().copied())
            .status()
            .unwrap();
        assert!(status.success(), "{name} {env:?}");
    };
    script("shell_loop.sh", "loop", &[("N", "3")]);
    for task in ["1", "2", "3"] {
        script(
            "slurm_array.sbatch",
            "slurm",
            &[("SLURM_ARRAY_TASK_ID", task), ("SLURM_ARRAY_TASK_COUNT", "3")],
        );
    }
    let expected: BTreeSet<String> = (0..5).map(|i| format!("p{i}_night_cafe.png")).collect();
    for out in ["loop", "slurm"] {
        let images: BTreeSet<String> =
            files_in(&t.path(out)).into_iter().filter(|n| n.ends_with(".png")).collect();
        assert_eq!(images, expected, "{out}");
        let jobs: usize = (1..=3).map(|i| manifest(&t, &format!("{out}/manifest-{i}.jsonl")).len()).sum();
        assert_eq!(jobs, 5, "{out}: every photo is in exactly one shard's manifest");
    }
}

/// A `side`² mask, white above half its height if `top`, else below.
fn write_half_mask(path: &Path, side: u32, top: bool) {
    image::GrayImage::from_fn(side, side, |_, y| image::Luma([if (y < side / 2) == top { 255 } else { 0 }]))
        .save(path)
        .unwrap();
}

#[test]
fn masks_per_photo_by_name_paint_what_nst_run_paints_and_a_missing_one_stops_the_batch() {
    let t = TestDir::new();
    photo_folder(&t, 2, &[]);
    t.example("starry_night.jpg");
    for (folder, top) in [("sky", true), ("ground", false)] {
        std::fs::create_dir(t.path(folder)).unwrap();
        for i in 0..2 {
            // p1's masks are the other way round, so the two photos are placed differently.
            write_half_mask(&t.path(&format!("{folder}/p{i}.png")), 40, top == (i == 0));
        }
    }
    let masked = ["-s", "starry_night.jpg", "--style-mask", "sky", "--style-mask", "ground"];
    let run = batch(&t, &masked);
    run.assert_ok();
    assert_eq!(
        files_in(&t.path("out")),
        BTreeSet::from(["p0_night_cafe+starry_night.png".into(), "p1_night_cafe+starry_night.png".into()])
    );
    let placed = util::two_masked("sky/p1.png", "ground/p1.png");
    let small = ["--preset", "smoke", "--size", "32", "-n", "2", "-o", "single.png"];
    let single = t.nst(&[&["run", "-c", "photos/p1.png"][..], &placed, &small].concat());
    single.assert_ok();
    let pixels = |name: &str| t.pixels(name);
    assert_eq!(pixels("out/p1_night_cafe+starry_night.png"), pixels("single.png"), "batch and run differ");
    assert_ne!(pixels("out/p0_night_cafe+starry_night.png"), pixels("out/p1_night_cafe+starry_night.png"));
    // One mask missing: refused before anything is painted.
    std::fs::remove_dir_all(t.path("out")).unwrap();
    std::fs::remove_file(t.path("ground/p1.png")).unwrap();
    batch(&t, &masked).assert_fails(2, "--style-mask: no image named p1.* for photos/p1.png");
    assert!(files_in(&t.path("out")).is_empty(), "{:?}", files_in(&t.path("out")));
}

#[test]
fn one_region_map_serves_every_photo() {
    let t = TestDir::new();
    photo_folder(&t, 2, &[]);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/regions");
    std::fs::copy(fixtures.join("painting_regions.jpg"), t.path("painting_regions.jpg")).unwrap();
    image::RgbImage::from_fn(40, 40, |_, y| image::Rgb(if y < 20 { [0, 0, 255] } else { [255, 0, 0] }))
        .save(t.path("photo_regions.png"))
        .unwrap();
    let run =
        batch(&t, &["--content-regions", "photo_regions.png", "--style-regions", "painting_regions.jpg"]);
    run.assert_ok();
    assert!(run.stderr().contains("near-colours snapped"), "{}", run.stderr());
    assert_eq!(
        files_in(&t.path("out")),
        BTreeSet::from(["p0_night_cafe.png".into(), "p1_night_cafe.png".into()])
    );
    let refused = batch(
        &t,
        &[
            "--force",
            "--content-regions",
            "photo_regions.png",
            "--style-regions",
            "painting_regions.jpg",
            "--style-mask",
            "photo_regions.png",
        ],
    );
    refused.assert_fails(2, "--style-mask: give masks or region maps");
}
