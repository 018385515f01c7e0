//! A video frame painted after another: its start and temporal term come from the previous
//! frame's painting carried along the optical flow (Ruder, Dosovitskiy & Brox 2016).

use burn::tensor::Device;

use super::colours::ColourMode;
use crate::image_io::{Mask, Planar, to_tensor};
use crate::loss::TemporalTarget;

/// The previous frame's painting as this frame sees it.
pub struct Carried {
    /// The previous frame's finished picture (in floating point, as painted) warped onto this
    /// frame, at the photo's size.
    pub previous: Planar,
    /// Per pixel, 0–1: how far the flow that carried it is trusted ([`crate::flow::certainty`]).
    pub certainty: Mask,
    /// γ, the temporal term's multiplier; 0 carries the start only.
    pub weight: f64,
}

impl Carried {
    /// The frame's start: the carried painting where the flow is sure, `fresh` (the start a
    /// single photo would have) where it is not, blended by the certainty.
    pub(super) fn start(&self, fresh: &Planar) -> Planar {
        let fresh = fresh.resized(self.previous.width, self.previous.height);
        let n = self.certainty.data.len();
        let data = self
            .previous
            .data
            .iter()
            .zip(&fresh.data)
            .enumerate()
            .map(|(i, (carried, fresh))| {
                let c = self.certainty.data[i % n];
                c * carried + (1.0 - c) * fresh
            })
            .collect();
        Planar { data, ..self.previous.clone() }
    }

    /// The temporal term's target at a level of `width`×`height`, as `colours` shows images to
    /// the loss; `None` when it has no weight.
    pub(super) fn target(
        &self,
        (width, height): (usize, usize),
        colours: ColourMode,
        device: &Device,
    ) -> Option<TemporalTarget> {
        (self.weight > 0.0).then(|| {
            let previous = colours.seen(self.previous.resized(width, height));
            TemporalTarget {
                previous: to_tensor(&previous, device),
                certainty: self.certainty.resized(width, height).to_tensor(device),
                weight: self.weight,
            }
        })
    }
}
