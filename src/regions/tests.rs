use std::path::{Path, PathBuf};

use super::{Maps, RegionMap, guides};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/regions").join(name)
}

/// A map of `w`×`h` whose pixel (x, y) is `colour(x, y)`, saved in `dir` as `name`.
fn drawn(dir: &Path, name: &str, (w, h): (u32, u32), colour: impl Fn(u32, u32) -> [u8; 3]) -> PathBuf {
    let path = dir.join(name);
    image::RgbImage::from_fn(w, h, |x, y| image::Rgb(colour(x, y))).save(&path).unwrap();
    path
}

fn error(result: anyhow::Result<impl Sized>) -> String {
    match result {
        Ok(_) => panic!("accepted"),
        Err(e) => format!("{e:#}"),
    }
}

#[test]
fn a_flat_map_reads_as_its_colours_and_a_jpeg_one_is_snapped_to_them() {
    let png = RegionMap::read(&fixture("cat_regions.png"), "--content-regions").unwrap();
    assert_eq!(png.colours.len(), 2);
    assert!(png.notice.is_none(), "{:?}", png.notice);
    assert!((png.share(0) - 0.5).abs() < 0.01);
    let jpeg = RegionMap::read(&fixture("painting_regions.jpg"), "--style-regions").unwrap();
    assert_eq!(jpeg.colours.len(), 2, "{:?}", jpeg.colours);
    let notice = jpeg.notice.as_deref().unwrap_or_default();
    assert!(notice.contains("near-colours snapped to the map's 2 colours"), "{notice}");
    // Left half blue, right half red, whatever JPEG did to the edge.
    let blue = jpeg.colours.iter().position(|c| c[2] > 200).unwrap();
    let left = (0..jpeg.height as usize).all(|y| jpeg.labels[y * jpeg.width as usize + 10] as usize == blue);
    assert!(left && (jpeg.share(blue) - 0.5).abs() < 0.02, "{}", jpeg.share(blue));
}

#[test]
fn a_photo_or_too_many_colours_is_not_a_map() {
    let photo = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/cat.png");
    let message = error(RegionMap::read(&photo, "--content-regions"));
    assert!(
        message.contains("cat.png: --content-regions") && message.contains("is this a photo"),
        "{message}"
    );
    let dir = tempfile::tempdir().unwrap();
    // The eight corners of the RGB cube, grey and orange: ten colours far apart.
    let mut palette: Vec<[u8; 3]> =
        (0..8u8).map(|k| [k & 1, (k >> 1) & 1, (k >> 2) & 1].map(|b| b * 255)).collect();
    palette.extend([[128, 128, 128], [255, 128, 0]]);
    let stripes = drawn(dir.path(), "stripes.png", (100, 20), |x, _| palette[x as usize / 10]);
    let message = error(RegionMap::read(&stripes, "--style-regions"));
    assert!(
        message.contains("stripes.png: --style-regions: 10 colours") && message.contains("at most 8"),
        "{message}"
    );
}

#[test]
fn every_colour_needs_its_like_in_the_other_map() {
    let two = RegionMap::read(&fixture("cat_regions.png"), "--content-regions").unwrap();
    let three = RegionMap::read(&fixture("three_colours.png"), "--style-regions").unwrap();
    let painting = RegionMap::read(&fixture("painting_regions.jpg"), "--style-regions").unwrap();
    let size = |map: &RegionMap| (map.width as usize, map.height as usize);
    fn maps<'a>(photo: &'a RegionMap, paintings: Vec<&'a RegionMap>) -> Maps<'a> {
        let size = |map: &RegionMap| (map.width as usize, map.height as usize);
        Maps {
            photo,
            photo_size: size(photo),
            paintings: paintings.into_iter().map(|p| (p, size(p), 1.0)).collect(),
        }
    }
    let lacks = error(guides(&maps(&two, vec![&three])));
    assert!(lacks.contains("three_colours.png: --style-regions has a #00ff00 region that"), "{lacks}");
    let missing = error(guides(&maps(&three, vec![&painting])));
    assert!(missing.contains("painting_regions.jpg: --style-regions has no #00ff00 region"), "{missing}");
    let mut wrong_shape = maps(&two, vec![&painting]);
    wrong_shape.photo_size = (300, 300);
    let shape = error(guides(&wrong_shape));
    assert!(
        shape.contains("cat_regions.png: --content-regions is 451×300, the photo as painted 300×300"),
        "{shape}"
    );
    // Two paintings, two colours: four guides; each colour's photo region is the same for both
    // paintings, and the photo's regions add up to the whole picture.
    let blended = Maps {
        paintings: vec![(&painting, size(&painting), 0.25), (&painting, size(&painting), 0.75)],
        ..maps(&two, vec![])
    };
    let guides = guides(&blended).unwrap();
    assert_eq!(guides.len(), 4);
    assert_eq!(guides.iter().map(|g| g.style).collect::<Vec<_>>(), [0, 1, 0, 1]);
    assert_eq!(guides[0].photo.data, guides[1].photo.data);
    let covered: f64 = guides.iter().map(|g| g.share()).sum();
    assert!((covered - 1.0).abs() < 1e-6, "{covered}");
    // The photo's blue top takes the painting's blue left half.
    assert_eq!(super::hex(two.colours[0]), "#0000ff");
    let painting_region = guides[0].painting.as_ref().unwrap();
    assert_eq!((guides[0].photo.data[0], guides[0].photo.data[451 * 299]), (1.0, 0.0));
    assert_eq!((painting_region.data[10], painting_region.data[600]), (1.0, 0.0));
}
