//! The wgpu path on whatever adapter exists (in CI: Mesa's software Vulkan driver, lavapipe).
//! burn 0.22.1 with kernel fusion computed wrong gradients on wgpu; these tests compare the full
//! objective's value and gradient with the CPU's (`nst devices --check`), and run a short
//! transfer there.
//!
//! Without a Vulkan driver (`mesa-vulkan-drivers libvulkan1`) they say so on stderr and pass,
//! so that `cargo test` works on any machine; `.ci/run` sets `NST_REQUIRE_GPU=1`, under which a
//! missing adapter fails them.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use nst::Recipe;
use nst::device::{self, ComputeDevice};
use nst::report::Silent;
use nst::transfer::RunOptions;

/// The first wgpu adapter, or `None` (with a line saying the test was skipped) where there is
/// none and `NST_REQUIRE_GPU` is not set.
fn wgpu_device(test: &str) -> Option<ComputeDevice> {
    let adapter = first_adapter(test)?;
    Some(device::init_adapter(&adapter).expect("wgpu adapter starts"))
}

fn first_adapter(test: &str) -> Option<device::Adapter> {
    let adapter = device::probe_adapters().into_iter().next();
    if adapter.is_none() {
        let required = std::env::var_os("NST_REQUIRE_GPU").is_some_and(|v| v == "1");
        assert!(
            !required,
            "no Vulkan/Metal/DX12 adapter: install mesa-vulkan-drivers and libvulkan1 (see .ci/run)"
        );
        // Straight to stderr: the test harness captures eprintln! of tests that pass.
        let line = format!(
            "{test}: SKIPPED: no Vulkan/Metal/DX12 adapter (install mesa-vulkan-drivers libvulkan1)\n"
        );
        let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    }
    adapter
}

/// `nst devices --check`: the full objective's value and gradient on each adapter against the
/// CPU's (the default and seed recipes, and the default through the tiled evaluation).
#[test]
fn objective_value_and_gradient_match_the_cpu() {
    let Some(adapter) = first_adapter("objective_value_and_gradient_match_the_cpu") else { return };
    eprintln!("wgpu adapter: {}", adapter.listing());
    let checked =
        std::process::Command::new(env!("CARGO_BIN_EXE_nst")).args(["devices", "--check"]).output().unwrap();
    let (out, err) = (String::from_utf8_lossy(&checked.stdout), String::from_utf8_lossy(&checked.stderr));
    assert!(checked.status.success(), "nst devices --check failed:\n{out}{err}");
    let checks = [
        "default:",
        "seed:",
        "default in tiles of 16 px:",
        "default with masks:",
        "default in tiles of 16 px with masks:",
    ];
    for check in checks {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(check))
            .unwrap_or_else(|| panic!("no {check} line:\n{out}"));
        assert!(line.ends_with("from the CPU's: agrees"), "{line}");
    }
}

#[test]
fn short_run_completes_on_wgpu() {
    let Some(gpu) = wgpu_device("short_run_completes_on_wgpu") else { return };
    let dir = tempfile::tempdir().unwrap();
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let recipe = Recipe::with(|r| (r.iterations, r.size, r.init) = (3, 24, "content".into())).unwrap();
    let options = RunOptions {
        content: examples.join("cat.png"),
        styles: vec![(examples.join("night_cafe.jpg"), 1.0)],
        masks: Default::default(),
        regions: None,
        output: dir.path().join("out.png"),
        recipe,
        weights: None,
        save_partial: true,
        encoding: Default::default(),
    };
    let summary = nst::run(&options, &gpu, &mut Silent).expect("run on wgpu");
    assert!(summary.final_loss < summary.initial_loss);
    let out = image::open(dir.path().join("out.png")).unwrap();
    assert_eq!(out.width(), 24);
}

/// `nst video` on the GPU (the flow stays on the CPU): the fixture clip's three frames, the
/// later two carried on with the temporal term.
#[test]
fn a_short_clip_is_painted_on_wgpu() {
    if first_adapter("a_short_clip_is_painted_on_wgpu").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let (frames, out) = (root.join("tests/fixtures/clip"), dir.path().join("out"));
    let style = root.join("examples/night_cafe.jpg");
    let args = [
        "video",
        "--device",
        "gpu",
        "--preset",
        "smoke",
        "--size",
        "32",
        "-n",
        "3",
        "--frame-iterations",
        "2",
    ];
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_nst"))
        .args(args)
        .arg("--frames")
        .arg(&frames)
        .arg("-s")
        .arg(&style)
        .arg("--out-dir")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "nst video on wgpu failed:\n{stderr}");
    assert!(stderr.contains("flicker: warping error"), "{stderr}");
    for name in ["00001.png", "00002.png", "00003.png"] {
        assert_eq!(image::open(out.join(name)).unwrap().width(), 32, "{name}");
    }
}

/// The first GPU run autotunes its kernels; the results land in `NST_CACHE_DIR` so the next
/// run skips that. Timings are printed, not asserted (they belong to benchmarks). The second
/// run names its adapter as `nst devices` lists it, `--device gpu:0`.
#[test]
fn gpu_runs_keep_autotune_results_on_disk() {
    let Some(adapter) = first_adapter("gpu_runs_keep_autotune_results_on_disk") else { return };
    let devices = std::process::Command::new(env!("CARGO_BIN_EXE_nst")).arg("devices").output().unwrap();
    let listed = String::from_utf8_lossy(&devices.stdout);
    let first_line = listed.lines().next().unwrap_or_default();
    assert!(first_line.starts_with("gpu:0") && first_line.ends_with(&adapter.listing()), "{listed}");
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let run = |output: &str, device: &str| {
        let started = std::time::Instant::now();
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_nst"))
            .args(["run", "--device", device, "--size", "24", "--iterations", "2", "--quiet"])
            .arg("--content")
            .arg(examples.join("cat.png"))
            .arg("--style")
            .arg(examples.join("night_cafe.jpg"))
            .arg("--output")
            .arg(dir.path().join(output))
            .env("NST_CACHE_DIR", &cache)
            .status()
            .unwrap();
        assert!(status.success(), "nst run --device {device} failed");
        started.elapsed().as_secs_f64()
    };
    let first = run("first.png", "gpu");
    let stored: u64 = std::fs::read_dir(&cache)
        .unwrap_or_else(|e| panic!("no cache folder {}: {e}", cache.display()))
        .map(|entry| entry.unwrap().metadata().unwrap().len())
        .sum();
    assert!(stored > 0, "the cache folder {} is empty after a GPU run", cache.display());
    let second = run("second.png", "gpu:0");
    eprintln!("GPU run with an empty cache: {first:.1} s; again with it: {second:.1} s ({stored} bytes)");
}
