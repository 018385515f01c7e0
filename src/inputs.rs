//! Everything about a run that can be checked before heavy work: the output path, every input
//! image (decoded and sized), the sizes VGG19 can see, and the memory the run will need.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::image_io::{self, Mask, Planar};
use crate::memory;
use crate::model::tiles;
use crate::recipe::{Recipe, Start};
use crate::regions::{self, Guide, Maps, RegionMap, RegionPaths};
use crate::usage;

/// The style images, decoded and scaled, each with its blend weight (the weights sum to 1).
pub struct Styles {
    pub(crate) images: Vec<(Planar, f64)>,
    pub(crate) paths: Vec<PathBuf>,
    /// What the user should know about the paintings as sized (an enlarged painting's soft
    /// strokes), for the caller to show.
    pub notices: Vec<String>,
}

/// A content photo, decoded and scaled to the output size, with its starting image if that is
/// a file.
pub struct Content {
    pub(crate) image: Planar,
    pub(crate) init: Option<Planar>,
    /// Where each painting applies (`--style-mask`, region maps); empty: every painting
    /// everywhere, blended.
    pub(crate) guides: Vec<Guide>,
}

impl Content {
    /// Width and height of the photo as it will be painted.
    pub fn size(&self) -> (usize, usize) {
        (self.image.width, self.image.height)
    }

    /// The photo as it will be painted (a video computes its flow on it).
    pub fn image(&self) -> &Planar {
        &self.image
    }
}

/// Decode and scale every style image; `blend` weights are checked and normalised.
pub fn prepare_styles(recipe: &Recipe, styles: &[(PathBuf, f64)]) -> Result<Styles> {
    if styles.is_empty() {
        return Err(usage!("--style: at least one style image is needed"));
    }
    let total: f64 = styles.iter().map(|(_, w)| w).sum();
    if styles.iter().any(|(_, w)| !(w.is_finite() && *w >= 0.0)) || total == 0.0 || !total.is_finite() {
        let given: Vec<_> = styles.iter().map(|(_, w)| w.to_string()).collect();
        return Err(usage!("--style-blend {}: weights must be ≥ 0 with a positive sum", given.join(",")));
    }
    let mut images = Vec::with_capacity(styles.len());
    let mut notices = Vec::new();
    for (path, weight) in styles {
        let style = image_io::load(path, "style image")?;
        check_source(path, &style, recipe)?;
        let (w, h) = image_io::fit(style.width(), style.height(), recipe.style_side);
        // No `--scales` check: coarse levels never shrink the painting below 128 px.
        let sized = check_size(w, h, recipe).and_then(|()| check_host_memory(w, h, recipe));
        sized.map_err(|e| usage!("{}: {}: {e}", path.display(), recipe.style_side_source()))?;
        images.push((image_io::to_planar(&style, w, h), weight / total));
        notices.extend(enlarged(path, (style.width(), style.height()), (w, h), recipe));
    }
    Ok(Styles { images, paths: styles.iter().map(|(p, _)| p.clone()).collect(), notices })
}

/// Paintings enlarged more than this are said to be: at 4–8× a 2048 px print's flat sky showed
/// a regular grid of dots, gone with the painting at its own size (docs/measurements.md, The
/// palette term).
const ENLARGED_NOTICE: f64 = 2.0;

/// A notice when a painting of `source` pixels is enlarged to `sized` by more than
/// [`ENLARGED_NOTICE`].
fn enlarged(path: &Path, source: (u32, u32), sized: (u32, u32), recipe: &Recipe) -> Option<String> {
    let (longest, sized_longest) = (source.0.max(source.1), sized.0.max(sized.1));
    let factor = sized_longest as f64 / longest.max(1) as f64;
    (factor > ENLARGED_NOTICE).then(|| {
        format!(
            "{}: the {}×{} painting is enlarged {factor:.1}× ({}): its strokes come out soft, and flat \
             areas can show a regular pattern of dots; --style-size {longest} keeps it at its own size",
            path.display(),
            source.0,
            source.1,
            recipe.style_side_source()
        )
    })
}

/// The styles that apply somewhere, with their masks (`--style-mask`, one per style in order).
pub struct StyleMasks {
    pub styles: Vec<(PathBuf, f64)>,
    masks: Vec<(PathBuf, image::DynamicImage)>,
    /// Paintings left out, for the caller to say.
    pub notices: Vec<String>,
    given_as: String,
}

/// Masks, one per style in order, and how the user gave them, for messages: `--style-mask`, or
/// a recipe's `style_masks`.
#[derive(Debug, Clone, Default)]
pub struct MaskFiles {
    pub paths: Vec<PathBuf>,
    pub given_as: String,
}

impl MaskFiles {
    /// The recipe's `style_masks` unless `flags` (`--style-mask`) gives some.
    pub fn chosen(flags: &[PathBuf], recipe: &Recipe) -> MaskFiles {
        match flags {
            [] => MaskFiles {
                paths: recipe.asked.values.style_masks.clone(),
                given_as: format!("{}: style_masks", recipe.asked.origin_name()),
            },
            _ => MaskFiles { paths: flags.to_vec(), given_as: "--style-mask".into() },
        }
    }

    /// Exactly one per style.
    pub fn check_count(&self, styles: usize) -> Result<()> {
        if self.paths.len() != styles {
            return Err(usage!(
                "{}: {} masks for {styles} --style images; give one per style, in the same order",
                self.given_as,
                self.paths.len()
            ));
        }
        Ok(())
    }
}

/// Pair each style with its mask: a mask black everywhere leaves its painting out (exactly as
/// if it were not given), and a lone painting whose mask is white everywhere has no mask. The
/// masks are the blend: each painting counts by what its mask covers.
pub fn read_masks(styles: &[(PathBuf, f64)], masks: &MaskFiles) -> Result<StyleMasks> {
    let given_as = masks.given_as.clone();
    if masks.paths.is_empty() {
        return Ok(StyleMasks { styles: styles.to_vec(), masks: Vec::new(), notices: Vec::new(), given_as });
    }
    masks.check_count(styles.len())?;
    let mut kept = StyleMasks { styles: Vec::new(), masks: Vec::new(), notices: Vec::new(), given_as };
    let mut white_everywhere = Vec::new();
    for ((style, _), path) in styles.iter().zip(&masks.paths) {
        let image = image_io::load(path, "style mask")?;
        let mask = Mask::from_image(&image, image.width(), image.height());
        if mask.data.iter().all(|&v| v == 0.0) {
            let (path, style) = (path.display(), style.display());
            kept.notices.push(format!("{path}: the mask is black everywhere: {style} is left out"));
            continue;
        }
        white_everywhere.push(mask.data.iter().all(|&v| v == 1.0));
        kept.styles.push((style.clone(), 1.0));
        kept.masks.push((path.clone(), image));
    }
    if kept.styles.is_empty() {
        return Err(usage!("{}: every mask is black everywhere; no painting applies", kept.given_as));
    }
    if white_everywhere == [true] {
        kept.masks.clear();
    }
    Ok(kept)
}

impl Content {
    /// The masks of `masks` at this photo's size; a mask of another shape is refused.
    pub fn with_masks(self, masks: &StyleMasks) -> Result<Content> {
        self.with_loaded_masks(&masks.masks, &masks.given_as)
    }

    /// The masks at `paths`, one per painting in order, for one photo of a batch: a black one
    /// leaves its painting out of this photo (it is not left out of the batch).
    pub fn with_mask_files(self, paths: &[PathBuf], given_as: &str) -> Result<Content> {
        let masks = paths
            .iter()
            .map(|path| Ok((path.clone(), image_io::load(path, "style mask")?)))
            .collect::<Result<Vec<_>>>()?;
        self.with_loaded_masks(&masks, given_as)
    }

    fn with_loaded_masks(
        mut self,
        masks: &[(PathBuf, image::DynamicImage)],
        given_as: &str,
    ) -> Result<Content> {
        let (w, h) = (self.image.width, self.image.height);
        let mut guides = Vec::with_capacity(masks.len());
        for (style, (path, image)) in masks.iter().enumerate() {
            let (mw, mh) = (image.width(), image.height());
            if !image_io::same_shape((mw, mh), (w as u32, h as u32)) {
                return Err(usage!(
                    "{}: {given_as} is {mw}×{mh}, the photo {w}×{h} as painted: a mask needs the photo's shape",
                    path.display()
                ));
            }
            let photo = Mask::from_image(image, w as u32, h as u32);
            if photo.data.iter().any(|&m| m > 0.0) {
                guides.push(Guide { style, photo, painting: None, weight: 1.0 });
            }
        }
        if guides.is_empty() && !masks.is_empty() {
            return Err(usage!("{given_as}: every mask is black everywhere; no painting applies"));
        }
        self.guides = guides;
        Ok(self)
    }

    /// The guides of the region maps at `paths` for this photo and the `styles` as prepared;
    /// with what the reading of the maps did, for the caller to say.
    pub fn with_regions(mut self, paths: &RegionPaths, styles: &Styles) -> Result<(Content, Vec<String>)> {
        let photo = RegionMap::read(&paths.photo, "--content-regions")?;
        let paintings: Vec<RegionMap> =
            paths.paintings.iter().map(|p| RegionMap::read(p, "--style-regions")).collect::<Result<_>>()?;
        let maps = Maps {
            photo: &photo,
            photo_size: self.size(),
            paintings: paintings
                .iter()
                .zip(&styles.images)
                .map(|(map, (painting, weight))| (map, (painting.width, painting.height), *weight))
                .collect(),
        };
        self.guides = regions::guides(&maps)?;
        let notices = std::iter::once(&photo).chain(&paintings).filter_map(|m| m.notice.clone()).collect();
        Ok((self, notices))
    }
}

/// Check the output path, then decode and scale the content photo (and an `init` image file).
pub fn prepare_content(recipe: &Recipe, content: &Path, output: &Path, styles: &Styles) -> Result<Content> {
    crate::encode::output_format(output)?;
    let init_path = match &recipe.start {
        Start::File(p) => Some(p.as_path()),
        _ => None,
    };
    let inputs = std::iter::once(content).chain(init_path).chain(styles.paths.iter().map(PathBuf::as_path));
    if !image_io::is_stdio(output) {
        check_output(output, inputs)?;
    }

    let photo = image_io::load(content, "content image")?;
    check_source(content, &photo, recipe)?;
    let schedule = &recipe.schedule;
    let size = recipe.describe("size", schedule.size);
    let (w, h) = image_io::fit(photo.width(), photo.height(), schedule.size);
    check_size(w, h, recipe).map_err(|e| usage!("{size}: {e}"))?;
    let (cw, ch) = image_io::fit(w, h, schedule.coarsest_side());
    check_size(cw, ch, recipe).map_err(|e| {
        let scales = recipe.describe("scales", schedule.levels.len());
        usage!("{scales}: at the coarsest level {e}; use fewer scales")
    })?;
    check_host_memory(w, h, recipe).map_err(|e| usage!("{size}: {e}"))?;
    let init = match init_path {
        Some(path) => Some(image_io::to_planar(&image_io::load(path, "--init image")?, w, h)),
        None => None,
    };
    Ok(Content { image: image_io::to_planar(&photo, w, h), init, guides: Vec::new() })
}

/// The output must not be an input, and its directory must exist.
fn check_output<'a>(output: &Path, inputs: impl Iterator<Item = &'a Path>) -> Result<()> {
    let dir = image_io::output_dir(output);
    if !dir.is_dir() {
        return Err(usage!("{}: output directory {} does not exist", output.display(), dir.display()));
    }
    if output.is_dir() {
        return Err(usage!("{}: the output is a directory", output.display()));
    }
    // Fail now, not after an hour of optimisation, if the directory is not writable.
    image_io::partial_file_for(output)?;
    let canonical_output = std::fs::canonicalize(dir).ok().zip(output.file_name()).map(|(d, f)| d.join(f));
    for input in inputs {
        if std::fs::canonicalize(input).ok().is_some_and(|i| Some(i) == canonical_output) {
            return Err(usage!("{}: the output would overwrite an input image", output.display()));
        }
    }
    Ok(())
}

/// An input smaller than the network can see holds no usable content or style.
pub fn check_source(path: &Path, image: &image::DynamicImage, recipe: &Recipe) -> Result<()> {
    let (w, h, min) = (image.width(), image.height(), recipe.loss.min_side());
    if w.min(h) < min {
        return Err(usage!("{}: image is {w}×{h}; VGG19 needs at least {min} pixels a side", path.display()));
    }
    Ok(())
}

/// The deepest layer must still have a pixel after the pools.
fn check_size(width: u32, height: u32, recipe: &Recipe) -> Result<()> {
    let min_side = recipe.loss.min_side();
    if width.min(height) < min_side {
        return Err(usage!(
            "the image would be {width}×{height}, but layer {} needs at least {min_side} pixels a side",
            recipe.loss.deepest_name()
        ));
    }
    Ok(())
}

/// Refuse to even scale an image to `width`×`height` when the host cannot hold it.
fn check_host_memory(width: u32, height: u32, recipe: &Recipe) -> Result<()> {
    let needed = memory::host_image_bytes(width as u64 * height as u64);
    match memory::available_bytes().filter(|available| needed > *available) {
        Some(available) => {
            let (pairs, halo) = (recipe.optimiser.stored_pairs(), tiles::halo(&recipe.loss.indices()));
            let fits = memory::largest_side(width, height, pairs, halo, available);
            Err(usage!("a {width}×{height} image does not fit in memory; {fits} pixels a side or less would"))
        }
        None => Ok(()),
    }
}
