//! End-to-end tests through the real `nst` binary on tiny images, on the CPU.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod util;

use util::{TestDir, losses};

#[test]
fn stylises_a_tiny_image_and_the_loss_falls() {
    let t = TestDir::new();
    let content = t.example("castle.jpg");
    let style = t.example("starry_night.jpg");
    let out = t.path("out.png");
    // Every style layer at its full weight: at 32 px the default weighs relu3_1 and relu4_1
    // down to a few percent (the painting's maps there have a handful of positions per
    // channel), and their Gram errors stay where the noise left them.
    std::fs::write(t.path("full.toml"), "gram_positions = 0\n").unwrap();
    let run = t.nst(&[
        "run",
        "--config",
        t.path("full.toml").to_str().unwrap(),
        "--content",
        content.to_str().unwrap(),
        "--style",
        style.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--size",
        "32",
        "--iterations",
        "60",
        "--init",
        "noise",
        "--device",
        "cpu",
    ]);
    run.assert_ok();
    let image = image::open(&out).expect("output decodes");
    // castle.jpg is 1024×683: the longer side becomes 32.
    assert_eq!((image.width(), image.height()), (32, 21));
    let (first, last) = losses(&run.stderr());
    // The relative recipe's loss has a floor (≈ 3.7 here, where photo and painting pull
    // apart), so it falls about eightfold; the readout says the painting was matched: from
    // noise its mean Gram error starts near 0.4.
    assert!(last < first / 5.0, "loss fell only from {first} to {last}");
    let stderr = run.stderr();
    let mean_style: f64 = stderr
        .rsplit_once("(mean ")
        .and_then(|(_, rest)| rest.split(')').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no readout in {stderr}"));
    assert!(mean_style < 0.1, "mean Gram error {mean_style} after 60 iterations");
    assert!(run.stderr().contains("device: CPU"), "{}", run.stderr());
}

#[test]
fn default_output_is_named_after_the_inputs() {
    let t = TestDir::new();
    t.run_cat(&["--size", "24", "-n", "2", "-q"]).assert_ok();
    let image = image::open(t.path("cat_night_cafe.png")).expect("default output written");
    assert_eq!(image.width(), 24);
}

#[test]
fn jpeg_output_by_extension() {
    let t = TestDir::new();
    t.run_cat(&["-o", "out.jpg", "--size", "24", "-n", "2"]).assert_ok();
    let bytes = std::fs::read(t.path("out.jpg")).unwrap();
    assert_eq!(&bytes[..2], &[0xFF, 0xD8], "JPEG magic");
    assert_eq!(image::open(t.path("out.jpg")).unwrap().width(), 24);
}

#[test]
fn output_formats_depth_quality_and_how_it_was_made() {
    let t = TestDir::new();
    let small = ["--size", "24", "-n", "2", "-q"];
    t.run_cat(&[&small[..], &["-o", "deep.png", "--depth", "16"]].concat()).assert_ok();
    let decoder =
        png::Decoder::new(std::io::BufReader::new(std::fs::File::open(t.path("deep.png")).unwrap()));
    let reader = decoder.read_info().unwrap();
    assert_eq!(reader.info().bit_depth, png::BitDepth::Sixteen);
    let text = |key: &str| {
        let chunk = reader.info().utf8_text.iter().find(|c| c.keyword == key);
        chunk.unwrap_or_else(|| panic!("no {key} text")).get_text().unwrap()
    };
    assert_eq!(text("Software"), format!("nst {}", env!("CARGO_PKG_VERSION")));
    assert_eq!(text("Source"), "cat.png in the style of night_cafe.jpg");
    // The recipe in the picture is one --config takes back.
    std::fs::write(t.path("again.toml"), text("nst-recipe")).unwrap();
    assert!(text("nst-recipe").contains("size = 24"), "{}", text("nst-recipe"));
    t.run_cat(&["--config", "again.toml", "-n", "1", "-q", "-o", "again.png"]).assert_ok();
    assert_eq!(image::open(t.path("again.png")).unwrap().width(), 24);

    t.run_cat(&[&small[..], &["-o", "out.webp"]].concat()).assert_ok();
    assert_eq!(image::open(t.path("out.webp")).unwrap().width(), 24);
    let jpeg_size = |quality: &str| {
        let name = format!("q{quality}.jpg");
        t.run_cat(&[&small[..], &["--init", "noise", "--quality", quality, "-o", &name]].concat())
            .assert_ok();
        std::fs::metadata(t.path(&name)).unwrap().len()
    };
    assert!(jpeg_size("20") < jpeg_size("100"));
    t.run_cat(&[&small[..], &["--quality", "0"]].concat()).assert_fails(2, "--quality");
    t.run_cat(&[&small[..], &["-o", "out.gif"]].concat()).assert_fails(2, ".webp");
}

#[test]
fn same_seed_same_result() {
    let t = TestDir::new();
    let run = |name: &str| {
        t.run_cat(&["-o", name, "--size", "32", "-n", "5", "--init", "noise", "--seed", "7", "-q"])
            .assert_ok();
        image::open(t.path(name)).unwrap().to_rgb8().into_raw()
    };
    assert_eq!(run("a.png"), run("b.png"));
}

#[test]
fn layers_lists_all_sixteen() {
    let t = TestDir::new();
    let run = t.nst(&["layers"]);
    run.assert_ok();
    let stdout = run.stdout();
    assert_eq!(stdout.lines().count(), 16, "{stdout}");
    assert!(stdout.contains("block4_conv2") && stdout.contains("relu4_2"));
}

#[test]
fn bad_inputs_exit_with_clear_errors() {
    let t = TestDir::new();
    let content = t.example("cat.png");
    let style = t.example("night_cafe.jpg");
    let (c, s) = (content.to_str().unwrap(), style.to_str().unwrap());
    std::fs::write(t.path("notes.jpg"), "not an image").unwrap();
    std::fs::write(t.path("bad.toml"), "[layers]\nrelu9_9 = { style = 1 }\n").unwrap();
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["-c", "missing.jpg", "-s", s], 2, "missing.jpg"),
        (vec!["-c", "notes.jpg", "-s", s], 2, "notes.jpg"),
        (vec!["-c", c, "-s", s, "--config", "bad.toml"], 2, "layers.relu9_9"),
        (vec!["-c", c, "-s", s, "--config", "nope.toml"], 2, "nope.toml"),
        (vec!["-c", c, "-s", s, "--preset", "nope"], 2, "--preset"),
        (vec!["-c", c, "-s", s, "-o", c], 2, "overwrite an input"),
        (vec!["-c", c, "-s", s, "-o", "out.gif"], 2, ".png, .jpg"),
        (vec!["-c", c, "-s", s, "-o", "no/such/dir/out.png"], 2, "does not exist"),
        (vec!["-c", c, "-s", s, "--size", "0"], 2, "--size"),
        (vec!["-c", c, "-s", s, "--size", "8"], 2, "--size"),
        (vec!["-c", c, "-s", s, "--iterations", "0"], 2, "--iterations"),
        (vec!["-c", c, "-s", s, "--style-weight", "nan"], 2, "--style-weight"),
        (vec!["-c", c, "-s", s, "--weights", "notes.jpg"], 2, "notes.jpg"),
    ];
    for (args, code, needle) in cases {
        let mut full = vec!["run", "--device", "cpu"];
        full.extend(args);
        t.nst(&full).assert_fails(code, needle);
    }
    // Nothing half-written was left behind by any of them.
    let leftovers: Vec<_> = std::fs::read_dir(t.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".partial") || n.ends_with(".png") && n != "cat.png")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn every_colour_mode_is_accepted() {
    use image::{DynamicImage, ImageBuffer};
    let t = TestDir::new();
    let style = t.example("night_cafe.jpg");
    let (w, h) = (40u32, 36u32);
    let shade = |x: u32, y: u32| ((x * 6 + y * 3) % 256) as u8;
    let images = [
        ("grey.png", DynamicImage::ImageLuma8(ImageBuffer::from_fn(w, h, |x, y| image::Luma([shade(x, y)])))),
        (
            "grey_alpha.png",
            DynamicImage::ImageLumaA8(ImageBuffer::from_fn(w, h, |x, y| image::LumaA([shade(x, y), 128]))),
        ),
        (
            "rgba.png",
            DynamicImage::ImageRgba8(ImageBuffer::from_fn(w, h, |x, y| {
                image::Rgba([shade(x, y), 40, 200, 90])
            })),
        ),
        (
            "rgb16.png",
            DynamicImage::ImageRgb16(ImageBuffer::from_fn(w, h, |x, y| {
                image::Rgb([shade(x, y) as u16 * 257, 1000, 60000])
            })),
        ),
        (
            "grey16.png",
            DynamicImage::ImageLuma16(ImageBuffer::from_fn(w, h, |x, y| {
                image::Luma([shade(x, y) as u16 * 257])
            })),
        ),
    ];
    // GIF stores indices into a palette: the palette-mode case.
    let palette =
        DynamicImage::ImageRgb8(ImageBuffer::from_fn(w, h, |x, y| image::Rgb([shade(x, y), 90, 30])));
    for (name, img) in images.into_iter().chain([("palette.gif", palette)]) {
        img.save(t.path(name)).unwrap();
        let out = format!("out_{name}.png");
        let style = style.to_str().unwrap();
        t.nst(&[
            "run", "-c", name, "-s", style, "-o", &out, "--size", "32", "-n", "1", "--device", "cpu", "-q",
        ])
        .assert_ok();
        let out = t.path(&out);
        let result = image::open(&out).unwrap();
        assert_eq!((result.width(), result.height()), (32, 29), "{name}");
    }
}

/// Start a long run, send `signal` once it has begun, and return its exit status.
fn interrupt_run(t: &TestDir, extra: &[&str], signal: &str) -> Option<i32> {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let content = t.example("cat.png");
    let style = t.example("night_cafe.jpg");
    let mut child = Command::new(env!("CARGO_BIN_EXE_nst"))
        .args(["run", "-c", content.to_str().unwrap(), "-s", style.to_str().unwrap()])
        .args(["-o", t.path("out.png").to_str().unwrap(), "--size", "48", "-n", "100000", "--device", "cpu"])
        .args(extra)
        .current_dir(t.dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap() > 0 && !line.contains("device:") {
        line.clear();
    }
    let status = Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let code = child.wait().unwrap().code();
    assert!(!rest.contains("panicked"), "{rest}");
    code
}

fn partial_files(t: &TestDir) -> Vec<String> {
    std::fs::read_dir(t.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".partial"))
        .collect()
}

#[test]
fn interrupt_writes_the_image_so_far_and_exits_130() {
    for signal in ["-INT", "-TERM"] {
        let t = TestDir::new();
        assert_eq!(interrupt_run(&t, &[], signal), Some(130), "{signal}");
        let image = image::open(t.path("out.png")).expect("image so far written");
        assert_eq!(image.width(), 48);
        assert!(partial_files(&t).is_empty());
    }
}

#[test]
fn interrupt_with_no_partial_leaves_nothing() {
    let t = TestDir::new();
    assert_eq!(interrupt_run(&t, &["--no-partial"], "-INT"), Some(130));
    assert!(!t.path("out.png").exists());
    assert!(partial_files(&t).is_empty());
}

/// A PNG whose header claims `width`×`height` pixels, with no image data behind it.
fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    let mut chunk = b"IHDR".to_vec();
    chunk.extend(width.to_be_bytes());
    chunk.extend(height.to_be_bytes());
    chunk.extend([8, 2, 0, 0, 0]); // 8-bit RGB
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(13u32.to_be_bytes());
    png.extend(&chunk);
    png.extend(crc32(&chunk).to_be_bytes());
    png
}

#[test]
fn broken_files_and_absurd_sizes_are_refused() {
    let t = TestDir::new();
    let content = t.example("cat.png");
    let style = t.example("night_cafe.jpg");
    let (c, s) = (content.to_str().unwrap(), style.to_str().unwrap());
    let castle = std::fs::read(t.example("castle.jpg")).unwrap();
    let cat = std::fs::read(&content).unwrap();
    let weights = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/weights/vgg19.safetensors")).unwrap();
    std::fs::write(t.path("empty.jpg"), b"").unwrap();
    std::fs::write(t.path("cut.jpg"), &castle[..castle.len() / 2]).unwrap();
    std::fs::write(t.path("cut.png"), &cat[..cat.len() / 2]).unwrap();
    std::fs::write(t.path("huge.png"), png_header_only(100_000, 100_000)).unwrap();
    std::fs::write(t.path("cut.safetensors"), &weights[..1 << 20]).unwrap();
    std::fs::create_dir(t.path("folder.jpg")).unwrap();
    image::RgbImage::new(1, 1).save(t.path("dot.png")).unwrap();
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["-c", "empty.jpg", "-s", s], 2, "empty.jpg"),
        (vec!["-c", "cut.jpg", "-s", s], 2, "truncated JPEG"),
        (vec!["-c", c, "-s", "cut.png"], 2, "cut.png"),
        (vec!["-c", "huge.png", "-s", s], 2, "huge.png"),
        (vec!["-c", "folder.jpg", "-s", s], 2, "directory"),
        (vec!["-c", "dot.png", "-s", s], 2, "dot.png: image is 1×1"),
        (vec!["-c", c, "-s", s, "--size", "100000"], 2, "--size 100000"),
        (vec!["-c", c, "-s", s, "--weights", "cut.safetensors"], 2, "truncated"),
        (vec!["-c", c, "-s", s, "--weights", "nothing.safetensors"], 2, "nothing.safetensors"),
        (vec!["-c", c, "-s", s, "-o", "/proc/out.png"], 1, "/proc/out.png"),
        (vec!["-c", c, "-s", s, "--init", "missing.png"], 2, "missing.png"),
        // f32 overflow: the loss is infinite from the start; nothing is written.
        (
            vec!["-c", c, "-s", s, "--style-weight", "1e39", "-o", "inf.png"],
            1,
            "loss of the starting image is inf",
        ),
    ];
    for (args, code, needle) in cases {
        let mut full = vec!["run", "--device", "cpu", "-n", "1"];
        if !args.contains(&"--size") {
            full.extend(["--size", "32"]);
        }
        full.extend(args);
        t.nst(&full).assert_fails(code, needle);
    }
    assert!(!t.path("inf.png").exists());
}

#[test]
fn gpu_requested_where_there_is_none() {
    let t = TestDir::new();
    t.example("cat.png");
    t.example("night_cafe.jpg");
    // Point the Vulkan loader at no driver: the machine then has no GPU adapter at all.
    let no_vulkan =
        [("VK_ICD_FILENAMES", "/nonexistent/icd.json"), ("VK_DRIVER_FILES", "/nonexistent/icd.json")];
    let args = ["run", "-c", "cat.png", "-s", "night_cafe.jpg", "--size", "32", "-n", "1"];
    let gpu = t.nst_with_env(&no_vulkan, &[&args[..], &["--device", "gpu"]].concat());
    gpu.assert_fails(2, "--device gpu: no GPU adapter found");
    assert!(!t.path("cat_night_cafe.png").exists());
    let auto = t.nst_with_env(&no_vulkan, &args);
    auto.assert_ok();
    assert!(auto.stderr().contains("running on the CPU"), "{}", auto.stderr());
}

/// With no desktop session (the tests clear the environment, so no XDG_RUNTIME_DIR), looking for
/// a GPU prints nothing but nst's own lines: Mesa's device-select Vulkan layer used to add
/// "error: XDG_RUNTIME_DIR is invalid or not set in the environment." twice.
#[test]
fn gpu_probe_without_a_desktop_session_prints_only_nst_lines() {
    let t = TestDir::new();
    t.example("cat.png");
    t.example("night_cafe.jpg");
    let run =
        t.nst_with_env(&[], &["run", "-c", "cat.png", "-s", "night_cafe.jpg", "--size", "24", "-n", "1"]);
    run.assert_ok();
    let stderr = run.stderr();
    assert!(stderr.lines().all(|line| line.starts_with("nst: ")), "foreign lines in:\n{stderr}");
}

/// A CMYK JPEG (made with Pillow from cat.png; see tests/fixtures/README.md) is read in its
/// real colours, not inverted, and painted.
#[test]
fn cmyk_jpeg_is_read_in_its_colours() {
    let t = TestDir::new();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cat_cmyk.jpg");
    let cmyk = image::open(&fixture).unwrap().to_rgb8();
    let cat = image::open(t.example("cat.png")).unwrap().to_rgb8();
    let cat =
        image::imageops::resize(&cat, cmyk.width(), cmyk.height(), image::imageops::FilterType::Triangle);
    let total: u64 =
        cmyk.pixels().zip(cat.pixels()).flat_map(|(a, b)| (0..3).map(|c| a[c].abs_diff(b[c]) as u64)).sum();
    let mean_diff = total as f64 / (3 * cmyk.width() * cmyk.height()) as f64;
    assert!(mean_diff < 20.0, "CMYK decoded {mean_diff:.1} levels away from the photo on average");
    t.example("night_cafe.jpg");
    let content = fixture.to_str().unwrap();
    t.nst(&[
        "run",
        "-c",
        content,
        "-s",
        "night_cafe.jpg",
        "-o",
        "out.png",
        "--size",
        "32",
        "-n",
        "1",
        "--device",
        "cpu",
    ])
    .assert_ok();
    assert_eq!(image::open(t.path("out.png")).unwrap().width(), 32);
}

/// A write that fails part-way — the file-size limit stands in for a full disk — is an error
/// naming the output, and leaves neither the output nor a temporary file behind.
#[test]
fn a_failed_write_leaves_no_file() {
    let t = TestDir::new();
    t.example("cat.png");
    t.example("night_cafe.jpg");
    let nst = env!("CARGO_BIN_EXE_nst");
    let script = format!(
        "trap '' XFSZ; ulimit -f 2; exec '{nst}' run -c cat.png -s night_cafe.jpg -o out.png \
         --size 64 -n 1 --init noise --device cpu"
    );
    let output =
        std::process::Command::new("bash").args(["-c", &script]).current_dir(t.dir.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("out.png: cannot write"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!t.path("out.png").exists());
    assert!(partial_files(&t).is_empty(), "{:?}", partial_files(&t));
}

#[test]
fn phone_photos_are_turned_upright_by_their_exif_orientation() {
    use image::ImageEncoder;
    let t = TestDir::new();
    // 64×32 as stored; EXIF orientation 6 (turn 90° clockwise): shown 32×64.
    let stored =
        image::RgbImage::from_fn(64, 32, |x, _| image::Rgb([if x < 32 { 250 } else { 10 }, 120, 60]));
    let exif = [
        b"MM\0*".as_slice(),
        &8u32.to_be_bytes(),
        &1u16.to_be_bytes(),
        &0x0112u16.to_be_bytes(),
        &3u16.to_be_bytes(),
        &1u32.to_be_bytes(),
        &[0, 6, 0, 0],
        &0u32.to_be_bytes(),
    ]
    .concat();
    let mut jpeg = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95);
    encoder.set_exif_metadata(exif).unwrap();
    encoder.write_image(stored.as_raw(), 64, 32, image::ExtendedColorType::Rgb8).unwrap();
    std::fs::write(t.path("phone.jpg"), &jpeg).unwrap();
    t.example("night_cafe.jpg");
    let args =
        ["run", "--device", "cpu", "-c", "phone.jpg", "-s", "night_cafe.jpg", "--size", "32", "-n", "1"];
    // From the photo in its own colours: recoloured to the painting's, red need not stay red.
    let args = [&args[..], &["--init", "content"]].concat();
    t.nst(&[&args[..], &["-o", "out.png"]].concat()).assert_ok();
    let out = image::open(t.path("out.png")).unwrap().to_rgb8();
    assert_eq!(out.dimensions(), (16, 32), "the photo was not turned upright");
    // Turned clockwise, the stored left half (red) is on top.
    let red = |y: u32| out.get_pixel(8, y)[0] as i32;
    assert!(red(4) > red(28) + 60, "top {} vs bottom {}", red(4), red(28));
}

#[test]
fn a_closed_stdout_ends_the_json_events_not_the_run() {
    use std::io::BufRead;
    let t = TestDir::new();
    t.example("cat.png");
    t.example("night_cafe.jpg");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_nst"))
        .current_dir(t.dir.path())
        .args(["run", "--json", "--device", "cpu", "-c", "cat.png", "-s", "night_cafe.jpg", "--size", "32"])
        .args(["-n", "30", "-o", "out.png"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Like `| head -1`: read one event, then close the pipe.
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.contains("\"iteration\""), "{first}");
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("stdout was closed"), "{stderr}");
    assert!(t.path("out.png").exists(), "the run did not finish");
}

#[test]
fn tiles_paint_what_the_whole_image_paints() {
    let t = TestDir::new();
    let small = ["--size", "64", "-n", "4", "--scales", "1", "--progress", "none"];
    t.run_cat(&[&small[..], &["-o", "whole.png"]].concat()).assert_ok();
    let tiled =
        t.run_cat(&[&small[..], &["-o", "tiled.png", "--tile-size", "16", "--log", "log.json"]].concat());
    tiled.assert_ok();
    assert!(tiled.stderr().contains("tiles of up to 16 px a side"), "{}", tiled.stderr());
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t.path("log.json")).unwrap()).unwrap();
    let tiles = log["summary"]["levels"][0]["tiles"].as_u64().unwrap_or(0);
    assert!(tiles >= 6, "the log says {tiles} tiles");
    let pixels = |name: &str| image::open(t.path(name)).unwrap().to_rgb8().into_raw();
    let (whole, tiled) = (pixels("whole.png"), pixels("tiled.png"));
    let largest = whole.iter().zip(&tiled).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
    assert!(largest <= 2, "tiled and whole results differ by {largest} grey levels");
}

#[test]
fn memory_and_tile_flags_are_checked() {
    let t = TestDir::new();
    t.run_cat(&["--size", "24", "-n", "1", "--max-memory", "lots"]).assert_fails(2, "--max-memory");
    t.run_cat(&["--size", "24", "-n", "1", "--tile-size", "8"]).assert_fails(2, "--tile-size 8");
    // 200 MB is less than the network's weights alone: refused, naming the budget.
    t.run_cat(&["--size", "24", "-n", "1", "--max-memory", "200M", "-o", "no.png"])
        .assert_fails(2, "allowed by --max-memory");
    assert!(!t.path("no.png").exists());
}

#[test]
fn a_size_that_cannot_fit_is_refused_before_the_weights_load() {
    let t = TestDir::new();
    // Weights that are not there: loading them fails. The memory plan comes first, so the
    // refusal names the budget and never reaches the weights file.
    let (small, missing) = (["--size", "24", "-n", "1"], ["--weights", "nothing.safetensors"]);
    let refused = t.run_cat(&[&small[..], &missing, &["--max-memory", "200M", "-o", "no.png"]].concat());
    refused.assert_fails(2, "allowed by --max-memory");
    assert!(!refused.stderr().contains("nothing.safetensors"), "{}", refused.stderr());
    assert!(!t.path("no.png").exists());
    // With room, the same command reaches the weights.
    t.run_cat(&[&small[..], &missing].concat()).assert_fails(2, "nothing.safetensors");
}

#[test]
fn a_container_memory_limit_refuses_what_the_host_would_allow() {
    let t = TestDir::new();
    // A fake cgroup v2 mount: 1.5 GB limit, 0.5 GB used. 512 px needs about 1.3 GB.
    let cgroup = t.path("cgroup");
    std::fs::create_dir(&cgroup).unwrap();
    std::fs::write(cgroup.join("memory.max"), "1500000000\n").unwrap();
    std::fs::write(cgroup.join("memory.current"), "500000000\n").unwrap();
    let env = [("NST_CGROUP_ROOT", cgroup.to_str().unwrap())];
    let (c, s) = (t.example("cat.png"), t.example("night_cafe.jpg"));
    // The layers down to relu5_1, whose 80 px halo makes even the smallest tile too large for
    // this limit at 1024 px (the default stops at relu4_2 and would paint it in small tiles).
    let deep =
        "[layers]\nrelu1_1 = { style = 1.0 }\nrelu4_2 = { content = 1.0 }\nrelu5_1 = { style = 1.0 }\n";
    std::fs::write(t.path("deep.toml"), deep).unwrap();
    let deep = t.path("deep.toml");
    let args = ["run", "--device", "cpu", "-n", "1", "-c", c.to_str().unwrap(), "-s", s.to_str().unwrap()];
    let args = [&args[..], &["--config", deep.to_str().unwrap()]].concat();
    let refused = t.nst_with_env(&env, &[&args[..], &["--size", "1024", "-o", "big.png"]].concat());
    refused.assert_fails(2, "container's memory limit");
    let stderr = refused.stderr();
    let fits: u32 = stderr
        .split("--size ")
        .nth(2)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no size that fits in {stderr}"));
    assert!((64..1024).contains(&fits), "{stderr}");
    assert!(!t.path("big.png").exists());
    // The size it names fits under the same limit.
    let fits = fits.to_string();
    t.nst_with_env(&env, &[&args[..], &["--size", &fits, "--scales", "1", "-o", "fits.png"]].concat())
        .assert_ok();
}

#[test]
fn dash_reads_the_photo_from_stdin_and_writes_the_result_to_stdout() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let t = TestDir::new();
    let style = t.example("night_cafe.jpg");
    let photo = std::fs::read(t.example("cat.png")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_nst"))
        .args(["run", "-c", "-", "-s", style.to_str().unwrap(), "-o", "-", "--size", "24", "-n", "2"])
        .args(["--device", "cpu", "--progress", "lines"])
        .current_dir(t.path("."))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&photo).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let image = image::load_from_memory(&out.stdout).expect("a PNG on stdout");
    assert_eq!(image.width(), 24);
    assert!(stderr.contains("iteration 1/"), "progress goes to stderr: {stderr}");
    let s = style.to_str().unwrap();
    t.nst(&["run", "-c", "-", "-s", "-", "-n", "1"]).assert_fails(2, "standard input can be only one");
    t.nst(&["run", "-c", s, "-s", s, "-o", "-", "--json"]).assert_fails(2, "--json needs a file");
}

#[test]
fn devices_are_listed_and_a_missing_gpu_number_is_refused_by_name() {
    let t = TestDir::new();
    let listed = t.nst(&["devices"]);
    listed.assert_ok();
    let stdout = listed.stdout();
    assert!(
        stdout.lines().last().is_some_and(|l| l.starts_with("cpu ") && l.contains("burn flex")),
        "{stdout}"
    );
    let gpus = stdout.lines().filter(|l| l.starts_with("gpu:")).count();
    let (c, s) = (t.example("cat.png"), t.example("night_cafe.jpg"));
    let missing = format!("gpu:{gpus}");
    let args = ["run", "-c", c.to_str().unwrap(), "-s", s.to_str().unwrap(), "--size", "24", "-n", "1"];
    t.nst(&[&args[..], &["--device", &missing]].concat()).assert_fails(2, &format!("--device {missing}"));
    t.nst(&[&args[..], &["--device", "tpu"]].concat()).assert_fails(2, "not a device");
}

/// Where no GPU can be found (the Vulkan loader pointed at no driver), `--check` has nothing to
/// vouch for: it says so and fails, so that a script relying on it stops.
#[test]
fn checking_gpus_where_there_is_none_fails_and_says_so() {
    let t = TestDir::new();
    let nowhere = t.path("no_driver.json");
    let nowhere = nowhere.to_str().unwrap();
    let env = [("VK_DRIVER_FILES", nowhere), ("VK_ICD_FILENAMES", nowhere)];
    let checked = t.nst_with_env(&env, &["devices", "--check"]);
    checked.assert_fails(1, "--check: there is no GPU to check");
    assert!(checked.stdout().lines().all(|l| !l.starts_with("gpu:")), "{}", checked.stdout());
}

#[test]
fn completions_man_page_and_help_for_people_at_a_shell() {
    let t = TestDir::new();
    let bash = t.nst(&["completions", "bash"]);
    bash.assert_ok();
    assert!(
        bash.stdout().contains("--preserve-colors") && bash.stdout().contains("_nst"),
        "{}",
        bash.stdout()
    );
    let man = t.nst(&["man"]);
    man.assert_ok();
    assert!(man.stdout().starts_with(".ie") || man.stdout().contains(".TH nst"), "{}", &man.stdout()[..200]);
    let long = t.nst(&["run", "--help"]);
    long.assert_ok();
    let short = t.nst(&["run", "-h"]);
    for heading in
        ["Recipe (each flag overrides the recipe's key):", "Output and display:", "Device and network:"]
    {
        assert!(long.stdout().contains(heading) && short.stdout().contains(heading), "no {heading}");
    }
    assert!(long.stdout().contains("Examples:") && !short.stdout().contains("Examples:"));
    assert!(long.stdout().len() > short.stdout().len());
}

#[test]
fn a_painting_enlarged_more_than_twice_is_said_to_be() {
    let t = TestDir::new();
    image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([(x * 6) as u8, (y * 8) as u8, 90]))
        .save(t.path("small.png"))
        .unwrap();
    t.example("cat.png");
    let args = ["run", "-c", "cat.png", "-o", "out.png", "--preset", "smoke", "-n", "1"];
    let enlarged = t.nst(&[&args[..], &["-s", "small.png", "--size", "96"]].concat());
    enlarged.assert_ok();
    let stderr = enlarged.stderr();
    assert!(stderr.contains("small.png: the 40×30 painting is enlarged 2.4× (--size 96)"), "{stderr}");
    assert!(stderr.contains("--style-size 40 keeps it at its own size"), "{stderr}");
    let twice = t.nst(&[&args[..], &["-s", "small.png", "--size", "80"]].concat());
    twice.assert_ok();
    assert!(!twice.stderr().contains("enlarged"), "2× is not said: {}", twice.stderr());
}
