use super::*;
use crate::colour;
use crate::image_io::{self, Planar};

fn example(name: &str, side: u32) -> Planar {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name);
    let image = image_io::load(&path, "example").expect("examples/ ships this image");
    let (w, h) = image_io::fit(image.width(), image.height(), side);
    image_io::to_planar(&image, w, h)
}

/// `a` and `b` (same size) mixed pixel by pixel: `t` of `b`.
fn mixed(a: &Planar, b: &Planar, t: f32) -> Planar {
    let data = a.data.iter().zip(&b.data).map(|(x, y)| x + t * (y - x)).collect();
    Planar { width: a.width, height: a.height, data }
}

#[test]
fn colour_distance_falls_as_the_photo_is_recoloured_toward_the_painting() {
    let (photo, painting) = (example("castle.jpg", 128), example("starry_night.jpg", 128));
    let recoloured = colour::match_colours(&photo, &painting);
    let distances: Vec<f64> = [0.0, 0.5, 1.0]
        .iter()
        .map(|&t| colour_distance(&mixed(&photo, &recoloured, t), &[(&painting, 1.0)]))
        .collect();
    assert!(distances[0] > 10.0, "the castle's pale sky is far from the night's blues: {distances:?}");
    assert!(distances[1] < distances[0] && distances[2] < 0.5 * distances[0], "{distances:?}");
    assert!(colour_distance(&painting, &[(&painting, 1.0)]) < 0.1);
}

#[test]
fn a_blend_counts_its_paintings_by_weight() {
    let (photo, night, cafe) =
        (example("castle.jpg", 96), example("starry_night.jpg", 96), example("night_cafe.jpg", 96));
    let alone = colour_distance(&photo, &[(&night, 1.0)]);
    let with_nothing_of_the_cafe = colour_distance(&photo, &[(&night, 2.0), (&cafe, 0.0)]);
    assert!((alone - with_nothing_of_the_cafe).abs() < 1e-9, "{alone} vs {with_nothing_of_the_cafe}");
    let half = colour_distance(&photo, &[(&night, 1.0), (&cafe, 1.0)]);
    assert!((half - alone).abs() > 0.1, "the café's reds and yellows move the mixture: {half} vs {alone}");
}

#[test]
fn structure_is_one_for_the_photo_and_blind_to_colour() {
    let (photo, painting) = (example("castle.jpg", 160), example("starry_night.jpg", 160));
    assert!((structure(&photo, &photo) - 1.0).abs() < 1e-9);
    let recoloured = colour::with_chroma_of(&photo, &painting.resized(photo.width, photo.height));
    assert!(structure(&recoloured, &photo) > 0.97, "{}", structure(&recoloured, &photo));
}

#[test]
fn structure_falls_when_the_paintings_layout_is_pasted_in() {
    // The painting's top-right quarter over the photo's sky: what a ghost does.
    let (photo, painting) = (example("castle.jpg", 160), example("starry_night.jpg", 160));
    let painting = painting.resized(photo.width, photo.height);
    let (w, h) = (photo.width, photo.height);
    let mut ghosted = photo.clone();
    for c in 0..3 {
        for y in 0..h / 2 {
            for x in w / 2..w {
                let i = (c * h + y) * w + x;
                ghosted.data[i] = painting.data[i];
            }
        }
    }
    let (kept, ghost) = (structure(&photo, &photo), structure(&ghosted, &photo));
    assert!(ghost < kept - 0.1, "1 − SSIM rises with the pasted quarter: {kept} → {ghost}");
    let measures = Measures::of(&ghosted, &photo, &[(painting, 1.0)]);
    assert_eq!(measures.structure, ghost);
}
