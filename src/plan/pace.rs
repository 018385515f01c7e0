//! This machine's pace, for `--dry-run`'s time estimate: one evaluation timed.

use std::time::Instant;

use anyhow::Result;
use burn::tensor::{Device, Tensor, TensorData};

use crate::loss::{GuidedStyle, Objective, StyleGrams};
use crate::model::Vgg19;
use crate::recipe::LossSpec;

/// This machine's pace: seconds per pixel of one evaluation, timed on a 512 px square (after a
/// first evaluation that also computes the content targets); with `guides` masked paintings (a
/// run's masks or region-map colours) each held to a band of the square, as such a run is.
pub fn seconds_per_pixel(model: &Vgg19, loss: &LossSpec, device: &Device, guides: usize) -> Result<f64> {
    const SIDE: usize = 512;
    let pixels = 3 * SIDE * SIDE;
    let image = |seed: f32| {
        let data: Vec<f32> = (0..pixels).map(|i| 128.0 + 90.0 * ((i as f32 + seed) * 0.37).sin()).collect();
        Tensor::<1>::from_data(TensorData::new(data, [pixels]), device)
    };
    let shape = [1, 3, SIDE, SIDE];
    let grams = StyleGrams::new(model, loss, &[(image(3.0).reshape(shape), 1.0)], None);
    let mut objective = match guides {
        0 => Objective::new(model.clone(), loss, image(0.0).reshape(shape), &grams),
        n => {
            let band = |k: usize| {
                let rows = k * SIDE / n..(k + 1) * SIDE / n;
                let values: Vec<f32> =
                    (0..SIDE * SIDE).map(|i| if rows.contains(&(i / SIDE)) { 1.0 } else { 0.0 }).collect();
                Tensor::<4>::from_data(TensorData::new(values, [1, 1, SIDE, SIDE]), device)
            };
            let styles = (0..n)
                .map(|k| GuidedStyle { grams: grams.clone(), mask: band(k), share: 1.0 / n as f64 })
                .collect();
            Objective::guided(model.clone(), loss, image(0.0).reshape(shape), styles)?
        }
    };
    objective.evaluate(&image(0.0))?;
    let started = Instant::now();
    objective.evaluate(&image(7.0))?;
    Ok(started.elapsed().as_secs_f64() / (SIDE * SIDE) as f64)
}
