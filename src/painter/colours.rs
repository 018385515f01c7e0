//! Colour preservation as the painter applies it: what each [`PreserveColors`] mode changes, at
//! each point of a run, in one place, so that a new mode or a change to one is not five edits.

use crate::colour::{self, PreserveColors};
use crate::image_io::Planar;

/// The recipe's colour mode with the operations the painter needs from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ColourMode(PreserveColors);

impl From<PreserveColors> for ColourMode {
    fn from(mode: PreserveColors) -> Self {
        ColourMode(mode)
    }
}

impl ColourMode {
    /// `image` as the loss sees it: grey for `luminance`, which optimises brightness alone (the
    /// photo's chroma comes back in [`ColourMode::finish`]).
    pub fn seen(self, image: Planar) -> Planar {
        match self.0 {
            PreserveColors::Luminance => colour::grey(&image, None),
            PreserveColors::None | PreserveColors::Match => image,
        }
    }

    /// A painting as its Grams should see it next to `photo`: grey at the photo's brightness for
    /// `luminance`, recoloured to the photo's colours for `match`, so that the style carries
    /// strokes and texture but not the painting's colours.
    pub fn adapt_painting(self, style: Planar, photo: &Planar) -> Planar {
        match self.0 {
            PreserveColors::None => style,
            PreserveColors::Luminance => colour::grey(&style, Some(photo)),
            PreserveColors::Match => colour::match_colours(&style, photo),
        }
    }

    /// The optimised `image` (at `photo`'s size) as the user sees it: for `luminance`, which
    /// optimised grey, with the photo's chroma put back.
    pub fn finish(self, image: Planar, photo: &Planar) -> Planar {
        match self.0 {
            PreserveColors::Luminance => colour::with_chroma_of(&image, photo),
            PreserveColors::None | PreserveColors::Match => image,
        }
    }

    /// Whether a `recoloured` start recolours the photo in the paintings' colours: only when
    /// the result takes the paintings' colours, else it would start away from the colours kept.
    pub fn recolours_start(self) -> bool {
        self.0 == PreserveColors::None
    }

    /// Whether the style Grams are adapted to each photo ([`ColourMode::adapt_painting`]), so
    /// that they cannot be computed once for every photo.
    pub fn grams_depend_on_photo(self) -> bool {
        self.0 != PreserveColors::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two pixels, one red and one blue.
    fn red_and_blue() -> Planar {
        Planar { width: 2, height: 1, data: vec![255.0, 0.0, 0.0, 0.0, 0.0, 255.0] }
    }

    fn is_grey(image: &Planar) -> bool {
        let n = image.width * image.height;
        (0..n).all(|i| {
            let (r, g, b) = (image.data[i], image.data[n + i], image.data[2 * n + i]);
            (r - g).abs() < 1e-3 && (g - b).abs() < 1e-3
        })
    }

    #[test]
    fn only_luminance_shows_the_loss_grey_and_puts_the_chroma_back() {
        let image = red_and_blue();
        for mode in [PreserveColors::None, PreserveColors::Match] {
            let mode = ColourMode::from(mode);
            assert_eq!(mode.seen(image.clone()).data, image.data);
            assert_eq!(mode.finish(image.clone(), &image).data, image.data);
        }
        let luminance = ColourMode::from(PreserveColors::Luminance);
        assert!(is_grey(&luminance.seen(image.clone())));
        assert!(!is_grey(&luminance.finish(luminance.seen(image.clone()), &image)));
    }

    #[test]
    fn only_the_paintings_colours_keep_the_paintings_unadapted() {
        let (style, photo) = (red_and_blue(), Planar { width: 1, height: 1, data: vec![0.0, 200.0, 0.0] });
        let none = ColourMode::from(PreserveColors::None);
        assert_eq!(none.adapt_painting(style.clone(), &photo).data, style.data);
        assert!(none.recolours_start() && !none.grams_depend_on_photo());
        for mode in [PreserveColors::Luminance, PreserveColors::Match] {
            let mode = ColourMode::from(mode);
            assert_ne!(mode.adapt_painting(style.clone(), &photo).data, style.data);
            assert!(!mode.recolours_start() && mode.grams_depend_on_photo());
        }
    }
}
