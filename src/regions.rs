//! Colour-coded region maps (`--content-regions`, `--style-regions`; Gatys et al., "Controlling
//! Perceptual Factors in Neural Style Transfer", 2017, §4): each colour of the photo's map takes
//! its style from the same colour of each painting's map, the sky from the painting's sky.
//!
//! Maps are drawn by hand or saved as JPEG, so a map's colours are read as a few main colours:
//! a colour covering at least [`MIN_SHARE`] of the map that is not within [`NEAR`] of a larger
//! one; every other pixel (antialiased or JPEG-blurred edges) is snapped to the nearest.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::image_io::{self, Mask};
use crate::usage;

/// More regions than this is more likely a photo given as a map than a map.
pub const MAX_REGIONS: usize = 8;
/// Colours this near (Euclidean, in 0–255 RGB) are one region's.
const NEAR: f64 = 60.0;
/// A colour covering less of the map than this is an edge's, not a region's.
const MIN_SHARE: f64 = 0.005;
/// A map with more of its pixels farther than [`FLAT`] from every main colour is not a map: a
/// drawn map is flat colour but for its edges, a photo is not.
const MAX_STRAY_SHARE: f64 = 0.1;
const FLAT: f64 = 24.0;

/// One painting held to one region of the photo: by its mask (`--style-mask`), or by a colour
/// of the region maps, which also marks the part of the painting it takes its statistics from.
#[derive(Clone)]
pub struct Guide {
    /// Which style image, by its place in [`Styles`].
    pub style: usize,
    /// Where in the photo, 0–1 at the photo's size as painted.
    pub photo: Mask,
    /// Where in the painting, at the painting's size as prepared; None: all of it.
    pub painting: Option<Mask>,
    /// Its blend weight within the region (1 for a mask: the masks are the blend).
    pub weight: f64,
}

impl Guide {
    /// How much of the picture's style it accounts for: its weight times what it covers.
    pub fn share(&self) -> f64 {
        self.weight * self.photo.share()
    }
}

/// The files of `--content-regions` and `--style-regions` (one per style, in order).
#[derive(Debug, Clone)]
pub struct RegionPaths {
    pub photo: PathBuf,
    pub paintings: Vec<PathBuf>,
}

/// A region map read into its main colours, each pixel labelled with one.
pub struct RegionMap {
    path: PathBuf,
    width: u32,
    height: u32,
    /// The main colours, the largest region first.
    colours: Vec<[u8; 3]>,
    /// Per pixel, row by row: its colour's place in `colours`.
    labels: Vec<u8>,
    /// What snapping did, for the caller to say.
    pub notice: Option<String>,
}

/// `#rrggbb`.
pub fn hex([r, g, b]: [u8; 3]) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn distance(a: [u8; 3], b: [u8; 3]) -> f64 {
    a.iter().zip(b).map(|(&x, y)| (x as f64 - y as f64).powi(2)).sum::<f64>().sqrt()
}

fn nearest(colours: &[[u8; 3]], colour: [u8; 3]) -> (usize, f64) {
    colours
        .iter()
        .enumerate()
        .map(|(k, &main)| (k, distance(main, colour)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((0, f64::INFINITY))
}

impl RegionMap {
    /// Read the map at `path`, which `flag` names in messages.
    pub fn read(path: &Path, flag: &str) -> Result<RegionMap> {
        let image = image_io::load(path, flag)?.to_rgb8();
        let (width, height) = image.dimensions();
        let pixels: Vec<[u8; 3]> = image.pixels().map(|p| p.0).collect();
        let mut counts: HashMap<[u8; 3], usize> = HashMap::new();
        pixels.iter().for_each(|&p| *counts.entry(p).or_default() += 1);
        let mut by_count: Vec<([u8; 3], usize)> = counts.into_iter().collect();
        by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let total = pixels.len().max(1);
        let mut colours: Vec<[u8; 3]> = Vec::new();
        for &(colour, count) in &by_count {
            let near_main = nearest(&colours, colour).1 <= NEAR;
            if !near_main && (colours.is_empty() || count as f64 >= MIN_SHARE * total as f64) {
                colours.push(colour);
            }
        }
        let stray: usize =
            by_count.iter().filter(|&&(colour, _)| nearest(&colours, colour).1 > FLAT).map(|(_, n)| n).sum();
        let listed = || colours.iter().map(|&c| hex(c)).collect::<Vec<_>>().join(", ");
        if stray as f64 > MAX_STRAY_SHARE * total as f64 {
            return Err(usage!(
                "{}: {flag}: {:.0}% of the pixels are not near any of its main colours ({}); a region \
                 map is a few flat colours (is this a photo?)",
                path.display(),
                100.0 * stray as f64 / total as f64,
                listed()
            ));
        }
        if colours.len() > MAX_REGIONS {
            return Err(usage!(
                "{}: {flag}: {} colours ({}); a map has at most {MAX_REGIONS} regions (colours within {NEAR} \
                 of a larger one, or under {}% of the map, count as their nearest)",
                path.display(),
                colours.len(),
                listed(),
                MIN_SHARE * 100.0
            ));
        }
        let mut snapped = (0usize, 0usize);
        let lookup: HashMap<[u8; 3], u8> = by_count
            .iter()
            .map(|&(colour, count)| {
                if !colours.contains(&colour) {
                    snapped = (snapped.0 + count, snapped.1 + 1);
                }
                (colour, nearest(&colours, colour).0 as u8)
            })
            .collect();
        let labels = pixels.iter().map(|p| lookup[p]).collect();
        let notice = (snapped.0 > 0).then(|| {
            format!(
                "{}: {} pixels in {} near-colours snapped to the map's {} colours ({})",
                path.display(),
                snapped.0,
                snapped.1,
                colours.len(),
                listed()
            )
        });
        Ok(RegionMap { path: path.to_path_buf(), width, height, colours, labels, notice })
    }

    /// The region of colour number `k` as a mask, at `width`×`height`.
    fn mask(&self, k: usize, width: usize, height: usize) -> Mask {
        let data = self.labels.iter().map(|&l| if l as usize == k { 1.0 } else { 0.0 }).collect();
        Mask { width: self.width as usize, height: self.height as usize, data }.resized(width, height)
    }

    fn share(&self, k: usize) -> f64 {
        self.labels.iter().filter(|&&l| l as usize == k).count() as f64 / self.labels.len().max(1) as f64
    }

    /// The map must have the shape of the image it marks, `size` as painted.
    fn check_shape(&self, flag: &str, what: &str, (w, h): (usize, usize)) -> Result<()> {
        if !image_io::same_shape((self.width, self.height), (w as u32, h as u32)) {
            return Err(usage!(
                "{}: {flag} is {}×{}, the {what} {w}×{h}: a map needs the shape of the image it marks",
                self.path.display(),
                self.width,
                self.height
            ));
        }
        Ok(())
    }
}

/// The photo's map, and per painting its map, its size as prepared and its blend weight.
pub struct Maps<'a> {
    pub photo: &'a RegionMap,
    pub photo_size: (usize, usize),
    pub paintings: Vec<(&'a RegionMap, (usize, usize), f64)>,
}

/// One guide per colour of the photo's map and painting: that colour's region of the photo held
/// to the same colour's region of the painting, at the painting's blend weight. Every colour of
/// each map must be in the other.
pub fn guides(maps: &Maps) -> Result<Vec<Guide>> {
    let photo = maps.photo;
    photo.check_shape("--content-regions", "photo as painted", maps.photo_size)?;
    let mut paired: Vec<Vec<usize>> = Vec::with_capacity(maps.paintings.len());
    for &(painting, size, _) in &maps.paintings {
        painting.check_shape("--style-regions", "painting as sized", size)?;
        let mut regions = Vec::with_capacity(photo.colours.len());
        for (k, &colour) in photo.colours.iter().enumerate() {
            let (region, gap) = nearest(&painting.colours, colour);
            if gap > NEAR {
                return Err(usage!(
                    "{}: --style-regions has no {} region, the colour of {:.0}% of {}; each colour of the \
                     photo's map needs its like in every painting's",
                    painting.path.display(),
                    hex(colour),
                    100.0 * photo.share(k),
                    photo.path.display()
                ));
            }
            regions.push(region);
        }
        if let Some(unused) = (0..painting.colours.len()).find(|r| !regions.contains(r)) {
            return Err(usage!(
                "{}: --style-regions has a {} region that {} lacks; each region of a painting's map \
                 needs its like in the photo's",
                painting.path.display(),
                hex(painting.colours[unused]),
                photo.path.display()
            ));
        }
        paired.push(regions);
    }
    let (w, h) = maps.photo_size;
    let mut guides = Vec::new();
    for k in 0..photo.colours.len() {
        let photo_region = photo.mask(k, w, h);
        for (style, (&(painting, (pw, ph), weight), regions)) in
            maps.paintings.iter().zip(&paired).enumerate()
        {
            let painting_region = painting.mask(regions[k], pw, ph);
            guides.push(Guide {
                style,
                photo: photo_region.clone(),
                painting: Some(painting_region),
                weight,
            });
        }
    }
    Ok(guides)
}

#[cfg(test)]
mod tests;
