//! Where the paintings go in each photo of `nst batch` or frame of `nst video`: masks or region
//! maps given once for all, or as folders of files named as the photos.

use std::path::{Path, PathBuf};

use anyhow::Result;
use nst::inputs::{Content, MaskFiles};
use nst::jobs;
use nst::painter::Painter;
use nst::recipe::Recipe;
use nst::regions::RegionPaths;
use nst::report::Progress;

use super::args;
use super::paint;

/// Where the paintings go, before the photo is known.
pub enum Placing {
    Everywhere,
    /// Per painting, a mask or a folder of masks named as the photos.
    Masks(MaskFiles),
    /// The photo's map (or a folder of maps named as the photos) and a map per painting.
    Regions {
        photo: PathBuf,
        paintings: Vec<PathBuf>,
    },
}

impl Placing {
    /// What the flags (or the recipe's `style_masks`) ask for, checked against the `styles`
    /// count and the `blend`.
    pub fn asked(flags: &args::Placing, recipe: &Recipe, styles: usize, blend: &[f64]) -> Result<Placing> {
        let (masks, regions) = paint::placing(flags, recipe, styles, blend)?;
        Ok(match regions {
            Some(RegionPaths { photo, paintings }) => Placing::Regions { photo, paintings },
            None if !masks.paths.is_empty() => Placing::Masks(masks),
            None => Placing::Everywhere,
        })
    }

    pub fn is_everywhere(&self) -> bool {
        matches!(self, Placing::Everywhere)
    }

    /// Find `photo`'s files now, so that a missing one stops the work before any painting.
    pub fn check(&self, photo: &Path) -> Result<()> {
        self.for_photo(photo).map(|_| ())
    }

    /// `content`, the photo at `photo`, with the paintings placed by its masks or region maps;
    /// what reading the maps did goes to `progress`.
    pub fn place(
        &self,
        content: Content,
        photo: &Path,
        painter: &Painter,
        progress: &mut dyn Progress,
    ) -> Result<Content> {
        match self.for_photo(photo)? {
            None => Ok(content),
            Some(Placed::Masks(masks)) => content.with_mask_files(&masks.paths, &masks.given_as),
            Some(Placed::Regions(paths)) => {
                let (content, notices) = content.with_regions(&paths, painter.styles())?;
                notices.iter().for_each(|notice| progress.notice(notice));
                Ok(content)
            }
        }
    }

    /// The files that place the paintings in `photo`, checked to exist.
    fn for_photo(&self, photo: &Path) -> Result<Option<Placed>> {
        Ok(match self {
            Placing::Everywhere => None,
            Placing::Masks(given) => Some(Placed::Masks(MaskFiles {
                paths: given
                    .paths
                    .iter()
                    .map(|g| jobs::per_photo(g, photo, &given.given_as))
                    .collect::<Result<_>>()?,
                given_as: given.given_as.clone(),
            })),
            Placing::Regions { photo: given, paintings } => Some(Placed::Regions(RegionPaths {
                photo: jobs::per_photo(given, photo, "--content-regions")?,
                paintings: paintings.clone(),
            })),
        })
    }
}

/// One photo's masks or region maps.
enum Placed {
    Masks(MaskFiles),
    Regions(RegionPaths),
}
