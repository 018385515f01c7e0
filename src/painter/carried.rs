//! A video frame painted after another: its start and temporal term come from the previous
//! frame's painting carried along the optical flow (Ruder, Dosovitskiy & Brox 2016).

use burn::tensor::{Device, Tensor, TensorData};

use super::colours::ColourMode;
use crate::image_io::{Planar, to_tensor};
use crate::loss::TemporalTarget;

/// The previous frame's painting as this frame sees it.
pub struct Carried {
    /// The previous frame's finished picture (in floating point, as painted) warped onto this
    /// frame, at the photo's size.
    pub previous: Planar,
    /// Per pixel, 0–1: how far the flow that carried it is trusted ([`crate::flow::certainty`]).
    pub certainty: Vec<f32>,
    /// γ, the temporal term's multiplier; 0 carries the start only.
    pub weight: f64,
}

impl Carried {
    /// The frame's start: the carried painting where the flow is sure, `fresh` (the start a
    /// single photo would have) where it is not, blended by the certainty.
    pub(super) fn start(&self, fresh: &Planar) -> Planar {
        let fresh = fresh.resized(self.previous.width, self.previous.height);
        let n = self.certainty.len();
        let data = self
            .previous
            .data
            .iter()
            .zip(&fresh.data)
            .enumerate()
            .map(|(i, (carried, fresh))| {
                let c = self.certainty[i % n];
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
                certainty: certainty_tensor(&self.certainty, &self.previous, (width, height), device),
                weight: self.weight,
            }
        })
    }
}

/// `certainty` (at `frame`'s size) as a `[1, 1, H, W]` tensor at `width`×`height`.
fn certainty_tensor(
    certainty: &[f32],
    frame: &Planar,
    (width, height): (usize, usize),
    device: &Device,
) -> Tensor<4> {
    let values = if (frame.width, frame.height) == (width, height) {
        certainty.to_vec()
    } else {
        // Planar resizes three planes; the certainty rides in each, as 0–255 grey.
        let grey: Vec<f32> = certainty.iter().map(|c| c * 255.0).collect();
        let planes = Planar { width: frame.width, height: frame.height, data: [&grey[..]; 3].concat() };
        planes.resized(width, height).data[..width * height].iter().map(|v| v / 255.0).collect()
    };
    Tensor::from_data(TensorData::new(values, [1, 1, height, width]), device)
}
