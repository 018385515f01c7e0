//! Flow against exact answers: frame pairs cut from the example photos with a known motion,
//! so the true flow is known at every pixel. The photo, loaded at twice the frames' scale and
//! bicubic between its pixels, is the scene; a frame's pixel is the scene's mean over the
//! pixel's square (4 × 4 samples), as a camera sees it, rounded to 8 bits like a decoded frame.
//! Sampling the photo at the frame's own scale instead would make the "true" motion of fine
//! detail differ from the nominal one by up to a tenth of a pixel, as the cubic's phase error
//! at fractional offsets.

use std::path::Path;

use super::*;
use crate::image_io::{self, Planar};

/// Frames are 512 px wide, cut from a canvas a little larger so that every motion sees the
/// scene, not its edge.
const FRAME_WIDTH: usize = 512;
const CANVAS_WIDTH: usize = 608;
/// Photo pixels per frame pixel.
const SCALE: usize = 2;
/// Samples per side of a frame pixel's square.
const SUBSAMPLES: usize = 4;
/// Pixels this close to the frame's edge are left out of the error: content enters and leaves
/// there, and a patch cannot centre on them.
const BORDER: usize = 16;

fn photo(name: &str, side: u32) -> Planar {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name);
    let image = image_io::load(&path, "example").expect("examples/ ships this image");
    let (w, h) = image_io::fit(image.width(), image.height(), side);
    image_io::to_planar(&image, w, h)
}

/// Keys' cubic convolution weights (a = −0.5) for the samples at −1, 0, 1, 2 around t ∈ [0, 1).
fn cubic(t: f32) -> [f32; 4] {
    let (t2, t3) = (t * t, t * t * t);
    [-0.5 * t3 + t2 - 0.5 * t, 1.5 * t3 - 2.5 * t2 + 1.0, -1.5 * t3 + 2.0 * t2 + 0.5 * t, 0.5 * t3 - 0.5 * t2]
}

/// The scene (`source`, [`SCALE`] pixels per frame pixel) at (x, y) in frame pixels.
fn scene_at(source: &Planar, x: f32, y: f32, channel: usize) -> f32 {
    let (sw, sh) = (source.width, source.height);
    let (sx, sy) = ((x + 0.5) * SCALE as f32 - 0.5, (y + 0.5) * SCALE as f32 - 0.5);
    let (fx, fy) = (sx.floor(), sy.floor());
    let (wx, wy) = (cubic(sx - fx), cubic(sy - fy));
    let mut value = 0.0;
    for (j, wy) in wy.iter().enumerate() {
        let row = (fy as isize + j as isize - 1).clamp(0, sh as isize - 1) as usize;
        for (i, wx) in wx.iter().enumerate() {
            let col = (fx as isize + i as isize - 1).clamp(0, sw as isize - 1) as usize;
            value += wy * wx * source.data[(channel * sh + row) * sw + col];
        }
    }
    value
}

/// A `w`×`h` frame whose pixel (x, y) is the mean of the scene over the pixel's square mapped
/// by `at` (frame point → scene point, in frame pixels), rounded to 8 bits.
fn render(source: &Planar, w: usize, h: usize, at: impl Fn(f32, f32) -> (f32, f32)) -> Planar {
    let mut data = vec![0.0; 3 * w * h];
    let step = |i: usize| (i as f32 + 0.5) / SUBSAMPLES as f32 - 0.5;
    for y in 0..h {
        for x in 0..w {
            let mut sums = [0.0f32; 3];
            for j in 0..SUBSAMPLES {
                for i in 0..SUBSAMPLES {
                    let (sx, sy) = at(x as f32 + step(i), y as f32 + step(j));
                    for (c, sum) in sums.iter_mut().enumerate() {
                        *sum += scene_at(source, sx, sy, c);
                    }
                }
            }
            for (c, sum) in sums.iter().enumerate() {
                data[(c * h + y) * w + x] =
                    (sum / (SUBSAMPLES * SUBSAMPLES) as f32).round().clamp(0.0, 255.0);
            }
        }
    }
    Planar { width: w, height: h, data }
}

/// How content moves between the frames, in frame coordinates about the frame's centre.
#[derive(Clone, Copy, Debug)]
enum Motion {
    Pan(f32, f32),
    /// Scale factor: 1.03 is a 3% zoom in.
    Zoom(f32),
    /// Degrees, counter-clockwise on screen.
    Rotate(f32),
}

impl Motion {
    /// Where the content at `p` in A is in B.
    fn apply(self, p: (f32, f32), c: (f32, f32)) -> (f32, f32) {
        let (dx, dy) = (p.0 - c.0, p.1 - c.1);
        match self {
            Motion::Pan(u, v) => (p.0 + u, p.1 + v),
            Motion::Zoom(s) => (c.0 + s * dx, c.1 + s * dy),
            Motion::Rotate(deg) => {
                let (sin, cos) = (-deg.to_radians()).sin_cos();
                (c.0 + cos * dx - sin * dy, c.1 + sin * dx + cos * dy)
            }
        }
    }

    /// Where the content at `p` in B was in A.
    fn invert(self, p: (f32, f32), c: (f32, f32)) -> (f32, f32) {
        match self {
            Motion::Pan(u, v) => Motion::Pan(-u, -v).apply(p, c),
            Motion::Zoom(s) => Motion::Zoom(1.0 / s).apply(p, c),
            Motion::Rotate(deg) => Motion::Rotate(-deg).apply(p, c),
        }
    }
}

/// Frames A and B of `name` with `motion` between them, and the exact flow A → B.
fn scene(name: &str, motion: Motion) -> (Planar, Planar, Flow) {
    let source = photo(name, (CANVAS_WIDTH * SCALE) as u32);
    let canvas_height = source.height / SCALE;
    let (w, h) = (FRAME_WIDTH, FRAME_WIDTH * source.height / source.width);
    let offset = (((CANVAS_WIDTH - w) / 2) as f32, ((canvas_height - h) / 2) as f32);
    let centre = ((w as f32 - 1.0) / 2.0, (h as f32 - 1.0) / 2.0);
    let a = render(&source, w, h, |x, y| (x + offset.0, y + offset.1));
    let b = render(&source, w, h, |x, y| {
        let (x, y) = motion.invert((x, y), centre);
        (x + offset.0, y + offset.1)
    });
    let mut truth = Flow::zero(w, h);
    for y in 0..h {
        for x in 0..w {
            let (mx, my) = motion.apply((x as f32, y as f32), centre);
            truth.u[y * w + x] = mx - x as f32;
            truth.v[y * w + x] = my - y as f32;
        }
    }
    (a, b, truth)
}

/// Mean endpoint error (pixels) over the pixels at least [`BORDER`] from the frame's edge in
/// both frames (where x + w(x) lands too): content entering or leaving the frame cannot be
/// matched.
fn endpoint_error(flow: &Flow, truth: &Flow) -> f32 {
    let (w, h) = (flow.width, flow.height);
    let interior = |x: f32, y: f32| {
        let b = BORDER as f32;
        (b..(w - BORDER) as f32).contains(&x) && (b..(h - BORDER) as f32).contains(&y)
    };
    let (mut sum, mut count) = (0.0f64, 0usize);
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let (fx, fy) = (x as f32, y as f32);
            if interior(fx, fy) && interior(fx + truth.u[i], fy + truth.v[i]) {
                sum += ((flow.u[i] - truth.u[i]).hypot(flow.v[i] - truth.v[i])) as f64;
                count += 1;
            }
        }
    }
    (sum / count as f64) as f32
}

/// The flow `medium()` finds between the frames of `name` under `motion`, and its error.
fn measured(name: &str, motion: Motion) -> f32 {
    let (a, b, truth) = scene(name, motion);
    let flow = dis(&Grey::from_planar(&a), &Grey::from_planar(&b), &DisParams::medium());
    let error = endpoint_error(&flow, &truth);
    eprintln!("{name}, {motion:?}: mean endpoint error {error:.3} px");
    error
}

// Thresholds: about twice what `medium()` measures (so that a regression shows), inside the
// issue's targets (0.12 px on sub-pixel pans, 0.2 px on 3% zooms).

#[test]
fn a_sub_pixel_pan_is_found() {
    for name in ["castle.jpg", "machu_picchu.jpg"] {
        let error = measured(name, Motion::Pan(7.5, 3.0));
        assert!(error <= 0.06, "{name}: mean endpoint error {error} px on a 7.5 × 3 px pan (issue: ≤ 0.12)");
    }
}

#[test]
fn a_three_percent_zoom_is_found() {
    for name in ["castle.jpg", "machu_picchu.jpg"] {
        let error = measured(name, Motion::Zoom(1.03));
        assert!(error <= 0.12, "{name}: mean endpoint error {error} px on a 3% zoom (issue: ≤ 0.2)");
    }
}

#[test]
fn a_small_rotation_is_found() {
    let error = measured("castle.jpg", Motion::Rotate(2.0));
    assert!(error <= 0.12, "mean endpoint error {error} px on a 2° rotation");
}

#[test]
fn a_pan_of_five_patches_is_found() {
    let error = measured("castle.jpg", Motion::Pan(-40.3, 20.6));
    assert!(error <= 0.12, "mean endpoint error {error} px on a 40.3 × 20.6 px pan");
}

#[test]
fn the_pyramid_halves_down_to_the_coarsest_side() {
    let params = DisParams::medium();
    // 512 → 256 → 128 → 64 → 32; 16 would be under the 32 px asked for.
    assert_eq!(pyramid::level_count(512, 341, &params), 5);
    assert_eq!(pyramid::level_count(40, 6, &params), 1, "a level must still hold a patch");
    let image = Grey { width: 5, height: 3, data: (0..15).map(|i| i as f32).collect() };
    let levels = pyramid::build(&image, 2);
    assert_eq!(levels[0], image);
    // 2×2 means; the odd last column and row are dropped.
    assert_eq!(levels[1], Grey { width: 2, height: 1, data: vec![3.0, 5.0] });
}

#[test]
fn upsampling_carries_a_linear_flow_exactly() {
    // u = 0.1 X + 1 on the coarse grid is u = 0.1 x + 1.95 on the grid twice as fine, whose
    // pixel x has its centre at X = (x + 0.5) / 2 − 0.5, and twice as long.
    let coarse = Flow {
        width: 8,
        height: 2,
        u: (0..16).map(|i| 0.1 * (i % 8) as f32 + 1.0).collect(),
        v: vec![-1.0; 16],
    };
    let fine = pyramid::upsample(&coarse, 16, 4, 2.0);
    for x in 1..15 {
        assert!((fine.u[x] - (0.1 * x as f32 + 1.95)).abs() < 1e-5, "u at {x}: {}", fine.u[x]);
    }
    assert!(fine.v.iter().all(|&v| v == -2.0));
}

#[test]
fn the_refinement_pulls_a_biased_flow_back() {
    // The true flow of a zoom, off by (0.3, −0.2) px everywhere: the data terms must undo most
    // of it (smoothness alone would keep it: it does not see a constant offset).
    let (a, b, truth) = scene("castle.jpg", Motion::Zoom(1.03));
    let (a, b) = (Grey::from_planar(&a), Grey::from_planar(&b));
    let mut flow = truth.clone();
    flow.u.iter_mut().for_each(|u| *u += 0.3);
    flow.v.iter_mut().for_each(|v| *v -= 0.2);
    let before = endpoint_error(&flow, &truth);
    refine::refine(&a, &b, &mut flow, &DisParams::medium());
    let after = endpoint_error(&flow, &truth);
    eprintln!("refinement of a biased zoom: {before:.3} px → {after:.3} px");
    assert!(after <= 0.2, "one level of refinement left {after} px of a {before} px bias");
}

#[test]
fn a_change_of_brightness_is_not_motion() {
    let (a, b, truth) = scene("castle.jpg", Motion::Pan(7.5, 3.0));
    let mut brighter = Grey::from_planar(&b);
    brighter.data.iter_mut().for_each(|x| *x = (*x + 10.0).min(255.0));
    let flow = dis(&Grey::from_planar(&a), &brighter, &DisParams::medium());
    let error = endpoint_error(&flow, &truth);
    eprintln!("pan with B 10 levels brighter: mean endpoint error {error:.3} px");
    assert!(error <= 0.06, "mean endpoint error {error} px on a pan whose second frame is brighter");
}

#[test]
fn forward_and_backward_flows_of_a_pan_agree() {
    let (a, b, truth) = scene("castle.jpg", Motion::Pan(7.5, 3.0));
    let (a, b) = (Grey::from_planar(&a), Grey::from_planar(&b));
    let (forward, backward) = dis_both(&a, &b, &DisParams::medium());
    assert_eq!(forward, dis(&a, &b, &DisParams::medium()), "the threaded pair computes the same flow");
    let mut reverse = truth.clone();
    reverse.u.iter_mut().for_each(|u| *u = -*u);
    reverse.v.iter_mut().for_each(|v| *v = -*v);
    let backward_error = endpoint_error(&backward, &reverse);
    let (w, h) = (a.width, a.height);
    let round_trip = round_trip_error(&forward, &backward);
    let reliable = reliable(&forward, &backward);
    let interior: Vec<usize> =
        (BORDER..h - BORDER).flat_map(|y| (BORDER..w - BORDER).map(move |x| y * w + x)).collect();
    let mean_trip = interior.iter().map(|&i| round_trip[i]).sum::<f32>() / interior.len() as f32;
    let unreliable = interior.iter().filter(|&&i| !reliable[i]).count() as f32 / interior.len() as f32;
    eprintln!(
        "backward error {backward_error:.3} px, round trip {mean_trip:.3} px, {unreliable:.4} unreliable"
    );
    assert!(backward_error <= 0.06, "backward flow's mean endpoint error {backward_error} px");
    assert!(mean_trip <= 0.06, "forward then backward lands {mean_trip} px from the start on average");
    assert!(unreliable <= 0.01, "{unreliable} of the interior fails the consistency check on a plain pan");
    // The pan brings in 7.5 px of new content at the left: B's pixels there are not in A.
    let reliable_back = super::reliable(&backward, &forward);
    assert!((0..h).all(|y| !reliable_back[y * w]), "B's left column is not in A, so it cannot be reliable");
}

#[test]
fn warping_b_by_the_flow_gives_back_a() {
    let (a, b, truth) = scene("castle.jpg", Motion::Zoom(1.03));
    let flow = dis(&Grey::from_planar(&a), &Grey::from_planar(&b), &DisParams::medium());
    let warped = warp(&b, &flow);
    let (w, h) = (a.width, a.height);
    let (mut sum, mut count) = (0.0f64, 0usize);
    for c in 0..3 {
        for y in BORDER..h - BORDER {
            for x in BORDER..w - BORDER {
                let i = (c * h + y) * w + x;
                sum += (warped.image.data[i] - a.data[i]).abs() as f64;
                count += 1;
            }
        }
    }
    let difference = sum / count as f64;
    let exact = warp(&b, &truth);
    let floor = (0..exact.image.data.len())
        .filter(|i| {
            let (x, y) = (i % w, i / w % h);
            (BORDER..w - BORDER).contains(&x) && (BORDER..h - BORDER).contains(&y)
        })
        .map(|i| (exact.image.data[i] - a.data[i]).abs() as f64)
        .sum::<f64>()
        / count as f64;
    eprintln!("warped B differs from A by {difference:.2} levels (the exact flow: {floor:.2})");
    assert!(difference <= floor + 0.25, "warped B is {difference} levels from A, the true flow {floor}");
    // A 3% zoom in pushes the frame's edge 7.7 px out: those pixels come from outside B.
    let outside = |x: usize, y: usize| !warped.inside[y * w + x];
    assert!(outside(0, 0) && outside(w - 1, h - 1) && outside(w / 2, 0) && !outside(w / 2, h / 2));
    assert!(!outside(BORDER, BORDER), "16 px in, the zoom's source is inside B");
}

#[test]
fn warping_by_a_known_shift_moves_the_image() {
    let image = Grey { width: 4, height: 1, data: vec![0.0, 10.0, 20.0, 30.0] };
    let flow = Flow { width: 4, height: 1, u: vec![0.5, 1.0, 1.5, -0.25], v: vec![0.0; 4] };
    let warped = warp_grey(&image, &flow);
    assert_eq!(warped.image.data, [5.0, 20.0, 30.0, 27.5]);
    assert_eq!(warped.inside, [true, true, false, true]);
    let holes = Flow { width: 4, height: 1, u: vec![f32::NAN; 4], v: vec![0.0; 4] };
    let warped = warp_grey(&image, &holes);
    assert_eq!(warped.image.data, image.data, "a missing vector keeps the pixel");
    assert_eq!(warped.inside, [false; 4]);
}

#[test]
fn images_smaller_than_a_patch_get_a_flow_without_panicking() {
    for (w, h) in [(0, 0), (0, 4), (1, 1), (5, 3), (40, 6)] {
        let a = Grey { width: w, height: h, data: (0..w * h).map(|i| (i * 37 % 256) as f32).collect() };
        let flow = dis(&a, &a, &DisParams::medium());
        assert_eq!((flow.width, flow.height, flow.u.len()), (w, h, w * h));
        assert!(flow.u.iter().chain(&flow.v).all(|x| x.abs() < 0.5), "{w}×{h}: {flow:?}");
    }
}

#[test]
fn grey_is_rec_601_luma() {
    let planar = Planar { width: 2, height: 1, data: vec![255.0, 0.0, 255.0, 0.0, 255.0, 255.0] };
    let grey = Grey::from_planar(&planar);
    assert_eq!(grey.data.len(), 2);
    assert!((grey.data[0] - 255.0).abs() < 1e-3, "white: {}", grey.data[0]);
    assert!((grey.data[1] - 0.114 * 255.0).abs() < 1e-3, "blue: {}", grey.data[1]);
}

/// The speed figure the issue asks for (≤ 0.2 s per 512 px pair, both directions, 2 cores):
/// `cargo test --release --lib flow_speed -- --ignored --nocapture`. Prints the fastest and the
/// median of several runs: other work on the machine only ever slows a run down.
#[test]
#[ignore]
fn flow_speed_at_512() {
    let source = photo("castle_4x3.jpg", (512 * SCALE) as u32);
    let (w, h) = (source.width / SCALE, source.height / SCALE);
    let a = Grey::from_planar(&render(&source, w, h, |x, y| (x, y)));
    let b = Grey::from_planar(&render(&source, w, h, |x, y| (x - 7.5, y - 3.0)));
    let params = DisParams::medium();
    let _ = dis_both(&a, &b, &params);
    let times = |f: &dyn Fn()| {
        let mut runs: Vec<f64> = (0..15)
            .map(|_| {
                let start = std::time::Instant::now();
                f();
                1e3 * start.elapsed().as_secs_f64()
            })
            .collect();
        runs.sort_by(f64::total_cmp);
        (runs[0], runs[runs.len() / 2])
    };
    let both = times(&|| drop(dis_both(&a, &b, &params)));
    let one = times(&|| drop(dis(&a, &b, &params)));
    let threads = rayon::current_num_threads();
    eprintln!("{w}×{h}, {threads} threads, fastest and median of 15 runs:");
    eprintln!(
        "  both directions {:.1} ms, {:.1} ms; one direction {:.1} ms, {:.1} ms",
        both.0, both.1, one.0, one.1
    );
}

fn flo_path(dir: &tempfile::TempDir, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join("pair.flo");
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The error for `bytes` as a `.flo` file, through the file and through memory alike.
fn flo_error(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = flo_path(&dir, bytes);
    let from_file = middlebury::read(&path).unwrap_err();
    assert!(crate::error::is_usage(&from_file), "a bad .flo file is the user's input: {from_file}");
    let from_file = from_file.to_string();
    assert!(from_file.starts_with(&format!("{}: ", path.display())), "names the file: {from_file}");
    let in_memory = middlebury::parse(bytes, &path.display().to_string()).unwrap_err().to_string();
    assert_eq!(from_file, in_memory);
    from_file
}

fn header(magic: f32, width: i32, height: i32) -> Vec<u8> {
    [magic.to_le_bytes(), width.to_le_bytes(), height.to_le_bytes()].concat()
}

#[test]
fn flo_files_round_trip() {
    let flow = Flow {
        width: 3,
        height: 2,
        u: vec![0.5, -1.25, 3.0, 1e10, 0.0, -0.0],
        v: vec![7.0, 8.5, -9.0, 0.25, 1.0, 2.0],
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.flo");
    middlebury::write(&path, &flow).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..4], b"PIEH", "the magic reads PIEH");
    assert_eq!(bytes.len(), 12 + 8 * 6);
    // u and v interleaved, row-major: the second pixel's u is at 12 + 8.
    assert_eq!(f32::from_le_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]), -1.25);
    assert_eq!(middlebury::read(&path).unwrap(), flow);
}

#[test]
fn bad_flo_files_are_refused_naming_the_file() {
    let mut good = header(middlebury::MAGIC, 2, 1);
    good.extend([0u8; 16]);
    assert!(middlebury::parse(&good, "x.flo").is_ok());

    let mut wrong_magic = good.clone();
    wrong_magic[..4].copy_from_slice(b"\x89PNG");
    assert!(flo_error(&wrong_magic).contains("not a Middlebury .flo file"), "{}", flo_error(&wrong_magic));
    assert!(flo_error(b"PIEH").contains("less than its 12-byte header"));
    assert!(flo_error(b"").contains("less than its 12-byte header"));
    let error = flo_error(&good[..good.len() - 3]);
    assert!(error.contains("truncated") && error.contains("needs 28 bytes, the file has 25"), "{error}");
    let error = flo_error(&[good.as_slice(), &[0; 8]].concat());
    assert!(error.contains("8 bytes after its 2×1 flow"), "{error}");
    for (w, h) in [(0, 1), (1, 0), (-2, 1), (1, -1), (100_000, 1), (i32::MAX, i32::MAX)] {
        let error = flo_error(&[header(middlebury::MAGIC, w, h), vec![0; 16]].concat());
        assert!(error.contains(&format!("says its flow is {w}×{h}")), "{error}");
    }
}

#[test]
fn a_missing_flo_file_or_a_folder_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.flo");
    let error = middlebury::read(&missing).unwrap_err().to_string();
    assert!(error.starts_with(&format!("{}: cannot read flow", missing.display())), "{error}");
    let error = middlebury::read(dir.path()).unwrap_err().to_string();
    assert!(error.contains("is a directory"), "{error}");
}

#[test]
fn corrupted_flo_files_give_a_flow_or_an_error() {
    // src/mutation_tests.rs's treatment, for the .flo reader: bytes changed, cut and added.
    let flow = Flow { width: 4, height: 3, u: (0..12).map(|i| i as f32).collect(), v: vec![0.5; 12] };
    let good = middlebury::encode(&flow);
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D) as usize
    };
    for _ in 0..3000 {
        let mut bytes = good.clone();
        for _ in 0..1 + next() % 4 {
            match next() % 3 {
                0 => {
                    let at = next() % bytes.len().max(1);
                    if let Some(b) = bytes.get_mut(at) {
                        *b = next() as u8;
                    }
                }
                1 => bytes.truncate(next() % (bytes.len() + 1)),
                _ => bytes.extend((0..next() % 16).map(|_| next() as u8)),
            }
        }
        if let Ok(parsed) = middlebury::parse(&bytes, "x.flo") {
            assert_eq!(bytes.len(), 12 + 8 * parsed.width * parsed.height);
            assert_eq!(
                (parsed.u.len(), parsed.v.len()),
                (parsed.width * parsed.height, parsed.width * parsed.height)
            );
        }
    }
}
