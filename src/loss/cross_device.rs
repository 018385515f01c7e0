//! The objective on one device against the CPU's, on the same small inputs. burn 0.22.1's wgpu
//! computed wrong gradients with kernel fusion on, and a driver or a burn update could again:
//! `nst devices --check` runs this on each GPU, and the wgpu tests run that.

use anyhow::Result;
use burn::tensor::{Device, Tensor, TensorData};

use super::{GuidedStyle, Objective, StyleGrams, TemporalTarget};
use crate::image_io;
use crate::model::{Vgg19, weights};
use crate::recipe::{LossSpec, Pooling};

/// How far one evaluation is from the reference's: |f − f_ref| / |f_ref| and
/// ‖∇ − ∇_ref‖ / ‖∇_ref‖.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Agreement {
    pub loss: f64,
    pub gradient: f64,
}

impl Agreement {
    /// f32 sums taken in another order differ by about 1e-6; a wrong kernel by far more (the
    /// fused wgpu gradients of burn 0.22.1 by tens of percent).
    pub const LOSS_TOLERANCE: f64 = 1e-3;
    pub const GRADIENT_TOLERANCE: f64 = 1e-2;

    pub fn between(reference: &Evaluation, other: &Evaluation) -> Self {
        let difference = norm(reference.gradient.iter().zip(&other.gradient).map(|(a, b)| a - b));
        Agreement {
            loss: (other.loss - reference.loss).abs() / reference.loss.abs(),
            gradient: difference / norm(reference.gradient.iter().copied()),
        }
    }

    pub fn holds(&self) -> bool {
        self.loss < Self::LOSS_TOLERANCE && self.gradient < Self::GRADIENT_TOLERANCE
    }
}

/// Euclidean norm, summed in f64.
fn norm(values: impl Iterator<Item = f32>) -> f64 {
    values.map(|v| (v as f64).powi(2)).sum::<f64>().sqrt()
}

/// The objective's value and its gradient with respect to the image, read back.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub loss: f64,
    pub gradient: Vec<f32>,
}

/// Evaluate `loss` on `device` for a noise photo, painting and image of `side` px (fixed seeds),
/// with a temporal term towards a fourth noise image; with `tile`, in tiles of that core side;
/// `masked`: two paintings, each held to one half by `--style-mask`'s guided Grams.
pub fn evaluate(
    device: &Device,
    loss: &LossSpec,
    pooling: Pooling,
    side: usize,
    tile: Option<usize>,
    masked: bool,
) -> Result<Evaluation> {
    let image = |seed: u64| image_io::to_tensor(&image_io::noise(side, side, seed), device);
    let model = Vgg19::new(weights::load(None, loss.deepest())?, pooling, device);
    let grams = StyleGrams::new(&model, loss, &[(image(2), 1.0)], None);
    // Upper and lower halves: where `nst video` trusts the carried frame, and two masks.
    let half = |upper: bool| {
        let values: Vec<f32> =
            (0..side * side).map(|i| if (i < side * side / 2) == upper { 1.0 } else { 0.0 }).collect();
        Tensor::<4>::from_data(TensorData::new(values, [1, 1, side, side]), device)
    };
    let temporal = TemporalTarget { previous: image(4), certainty: half(true), weight: 100.0 };
    let mut objective = match masked {
        false => Objective::new(model, loss, image(1), &grams),
        true => {
            let other = StyleGrams::new(&model, loss, &[(image(5), 1.0)], None);
            let styles = vec![
                GuidedStyle { grams, mask: half(true), share: 0.5 },
                GuidedStyle { grams: other, mask: half(false), share: 0.5 },
            ];
            Objective::guided(model, loss, image(1), styles)?
        }
    }
    .with_temporal(temporal);
    if let Some(core) = tile {
        objective = objective.tiled(core);
    }
    let (terms, gradient) = objective.evaluate(&image(3).reshape([3 * side * side]))?;
    let gradient = crate::readback::values(gradient, "the gradient")?;
    Ok(Evaluation { loss: terms.total(), gradient })
}

/// `device`'s evaluation (in tiles of `tile` if given) against the CPU's whole one.
pub fn against_cpu(
    device: &Device,
    loss: &LossSpec,
    pooling: Pooling,
    side: usize,
    tile: Option<usize>,
    masked: bool,
) -> Result<Agreement> {
    let reference = evaluate(&Device::flex(), loss, pooling, side, None, masked)?;
    Ok(Agreement::between(&reference, &evaluate(device, loss, pooling, side, tile, masked)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Recipe;

    #[test]
    fn the_cpu_agrees_with_itself_and_a_different_network_does_not() {
        let recipe = Recipe::preset("default").unwrap();
        let same = against_cpu(&Device::flex(), &recipe.loss, recipe.pooling, 32, None, false).unwrap();
        assert!(same.holds() && same.loss < 1e-6 && same.gradient < 1e-5, "{same:?}");
        // Average pooling in place of max: what a wrong pooling kernel would compute.
        let max = evaluate(&Device::flex(), &recipe.loss, Pooling::Max, 32, None, false).unwrap();
        let avg = evaluate(&Device::flex(), &recipe.loss, Pooling::Avg, 32, None, false).unwrap();
        let wrong = Agreement::between(&max, &avg);
        assert!(!wrong.holds(), "{wrong:?}");
    }
}
