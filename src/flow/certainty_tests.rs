//! The certainty mask on a synthetic occlusion: a textured square slides 8 px right over a still
//! background, so the background just right of it in frame A is hidden in frame B.

use super::*;
use crate::image_io;

const SIDE: usize = 256;
const SQUARE: std::ops::Range<usize> = 96..160;
const SHIFT: usize = 8;

/// The castle at 256 px as the background, with a 64 px square cut from elsewhere in the photo
/// pasted at `SQUARE` shifted `dx` right.
fn frame(dx: usize) -> Grey {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/castle.jpg");
    let photo = image_io::load(&path, "example").expect("examples/ ships castle.jpg");
    let (width, height) = image_io::fit(photo.width(), photo.height(), SIDE as u32);
    let mut grey = Grey::from_planar(&image_io::to_planar(&photo, width, height));
    let width = width as usize;
    let source = grey.clone();
    for y in SQUARE {
        for x in SQUARE {
            // The square's texture: the photo 60 px up and 70 px left of where it is pasted.
            grey.data[y * width + x + dx] = source.data[(y - 60) * width + x - 70];
        }
    }
    grey
}

/// Mean of `values` over the pixels (x, y) of a `width`-wide image that `keep` admits.
fn mean_where(values: &[f32], width: usize, keep: impl Fn(usize, usize) -> bool) -> f32 {
    let kept: Vec<f32> =
        values.iter().enumerate().filter(|(i, _)| keep(i % width, i / width)).map(|(_, v)| *v).collect();
    assert!(!kept.is_empty(), "no pixel is admitted");
    kept.iter().sum::<f32>() / kept.len() as f32
}

#[test]
fn exact_flows_mark_the_hidden_strip_and_the_squares_edges() {
    let (w, h) = (64, 48);
    let (square_x, square_y) = (20..36, 16..32);
    let moving = |x: usize, y: usize| square_x.contains(&x) && square_y.contains(&y);
    let mut forward = Flow::zero(w, h);
    let mut backward = Flow::zero(w, h);
    for y in 0..h {
        for x in 0..w {
            if moving(x, y) {
                forward.u[y * w + x] = SHIFT as f32;
            }
            if x >= SHIFT && moving(x - SHIFT, y) {
                backward.u[y * w + x] = -(SHIFT as f32);
            }
        }
    }
    let sure = certainty(&forward, &backward);
    let boundaries = motion_boundaries(&forward);
    // The background just right of the square goes under it.
    assert!(sure[24 * w + 36 + SHIFT / 2] < 0.05, "{}", sure[24 * w + 40]);
    assert!(boundaries[24 * w + 20] && boundaries[24 * w + 35], "the square's edges are boundaries");
    assert!(!boundaries[24 * w + 28] && sure[24 * w + 28] > 0.999, "its middle is sure");
    assert!(sure[5 * w + 5] > 0.999 && sure[40 * w + 55] > 0.999, "the still background is sure");
    // The blur: a sure pixel next to an unsure one is trusted less than fully, but more than not.
    let next_to_edge = sure[24 * w + 17];
    assert!(next_to_edge > 0.3 && next_to_edge < 0.999, "{next_to_edge}");
}

#[test]
fn computed_flows_mark_the_hidden_strip() {
    let (a, b) = (frame(0), frame(SHIFT));
    let (forward, backward) = dis_both(&a, &b, &DisParams::medium());
    let sure = certainty(&forward, &backward);
    let w = a.width;
    let rows = |y: usize| (SQUARE.start + 4..SQUARE.end - 4).contains(&y);
    let hidden =
        mean_where(&sure, w, |x, y| rows(y) && (SQUARE.end + 1..SQUARE.end + SHIFT - 1).contains(&x));
    let inside = mean_where(&sure, w, |x, y| rows(y) && (SQUARE.start + 8..SQUARE.end - 8).contains(&x));
    let far = |x: usize, y: usize| {
        let away = |v: usize| v + 24 < SQUARE.start || v > SQUARE.end + SHIFT + 24;
        (away(x) || away(y)) && (12..w - 12).contains(&x) && (12..a.height - 12).contains(&y)
    };
    let background = mean_where(&sure, w, far);
    eprintln!("certainty: hidden strip {hidden:.3}, square {inside:.3}, far background {background:.3}");
    assert!(hidden < 0.25, "the strip the square covers is trusted at {hidden}");
    assert!(inside > 0.85, "the moving square is trusted at only {inside}");
    assert!(background > 0.95, "the still background is trusted at only {background}");
}

#[test]
fn a_flow_resized_keeps_its_motion() {
    let (w, h) = (64, 48);
    let pan = Flow { width: w, height: h, u: vec![4.0; w * h], v: vec![-2.0; w * h] };
    let half = pan.resized(32, 24);
    assert_eq!((half.width, half.height), (32, 24));
    assert!(half.u.iter().all(|u| (u - 2.0).abs() < 1e-6) && half.v.iter().all(|v| (v + 1.0).abs() < 1e-6));
    assert_eq!(pan.resized(w, h), pan);
}
