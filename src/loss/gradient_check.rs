//! Each loss term's autodiff gradient against central finite differences on tiny tensors.

use burn::tensor::{Device, Tensor, TensorData};

use super::palette::{ColourMoments, palette_loss};
use super::temporal::{TemporalTarget, temporal_loss};
use super::{content_loss, gram, style_loss, variation_loss};
use crate::recipe::{Reduction, StyleNormalization};

fn values(n: usize, seed: f32) -> Vec<f32> {
    (0..n).map(|i| ((i as f32 + seed) * 12.9898).sin() * 1.5 + 0.5).collect()
}

fn tensor(data: &[f32], shape: [usize; 4], device: &Device) -> Tensor<4> {
    Tensor::from_data(TensorData::new(data.to_vec(), shape), device)
}

fn scalar(t: Tensor<1>) -> f64 {
    t.into_scalar::<f32>() as f64
}

/// Compare ∂loss/∂x from autodiff with (f(x+h) − f(x−h)) / 2h for every element.
fn check(loss: impl Fn(Tensor<4>) -> Tensor<1>, shape: [usize; 4], seed: f32) {
    let device = Device::flex();
    let x0 = values(shape.iter().product(), seed);
    let x = tensor(&x0, shape, &device).autodiff().require_grad();
    let grads = loss(x.clone()).backward();
    let analytic: Vec<f32> = x.grad(&grads).expect("gradient").into_data().try_to_vec::<f32>().unwrap();
    let scale = analytic.iter().fold(1e-3f32, |m, g| m.max(g.abs()));
    let h = 1e-2;
    for i in 0..x0.len() {
        let at = |delta: f32| {
            let mut x = x0.clone();
            x[i] += delta;
            scalar(loss(tensor(&x, shape, &device)))
        };
        let numeric = ((at(h) - at(-h)) / (2.0 * h as f64)) as f32;
        assert!(
            (numeric - analytic[i]).abs() <= 2e-2 * scale,
            "element {i}: autodiff {} vs finite difference {numeric} (scale {scale})",
            analytic[i]
        );
    }
}

#[test]
fn content_gradient() {
    let device = Device::flex();
    let target = tensor(&values(18, 7.0), [1, 2, 3, 3], &device);
    for reduction in [Reduction::Mean, Reduction::Sum, Reduction::Relative] {
        check(|x| content_loss(x, target.clone(), reduction), [1, 2, 3, 3], 1.0);
    }
}

#[test]
fn style_gradient() {
    let device = Device::flex();
    let target = gram(tensor(&values(48, 3.0), [1, 3, 4, 4], &device));
    for norm in [StyleNormalization::Channels, StyleNormalization::Gatys, StyleNormalization::Relative] {
        check(|x| style_loss(x, target.clone(), norm).mul_scalar(100.0), [1, 3, 4, 4], 2.0);
    }
}

#[test]
fn variation_gradient() {
    for (exponent, reduction) in [(1.25, Reduction::Sum), (1.0, Reduction::Mean), (2.0, Reduction::Mean)] {
        check(|x| variation_loss(x, exponent, reduction), [1, 3, 4, 5], 5.0);
    }
}

#[test]
fn palette_gradient() {
    let device = Device::flex();
    let target = ColourMoments::of(tensor(&values(60, 4.0), [1, 3, 4, 5], &device));
    check(|x| palette_loss(x, &target), [1, 3, 4, 5], 6.0);
}

#[test]
fn palette_loss_is_zero_at_the_paintings_moments_and_grows_with_a_colour_cast() {
    let device = Device::flex();
    let painting = values(60, 4.0);
    let target = ColourMoments::of(tensor(&painting, [1, 3, 4, 5], &device));
    let at = |shift: f32| {
        // The painting's pixels in another order (same moments), red shifted by `shift`.
        let mut pixels: Vec<f32> = painting.chunks(20).flat_map(|c| c.iter().rev().copied()).collect();
        pixels[..20].iter_mut().for_each(|v| *v += shift);
        scalar(palette_loss(tensor(&pixels, [1, 3, 4, 5], &device), &target))
    };
    assert!(at(0.0).abs() < 1e-6, "{}", at(0.0));
    assert!(at(0.5) > 1e-3 && at(1.0) > 3.0 * at(0.5), "{} {}", at(0.5), at(1.0));
    // A blend of the painting with itself has the painting's moments.
    let twice = ColourMoments::mixture(&[(target.clone(), 0.3), (target.clone(), 0.7)]).unwrap();
    let x = tensor(&values(60, 8.0), [1, 3, 4, 5], &device);
    let (once, blended) = (scalar(palette_loss(x.clone(), &target)), scalar(palette_loss(x, &twice)));
    assert!((once - blended).abs() < 1e-4 * once, "{once} vs {blended}");
}

#[test]
fn style_loss_is_zero_on_its_own_target() {
    let device = Device::flex();
    let x = tensor(&values(48, 3.0), [1, 3, 4, 4], &device);
    let loss = scalar(style_loss(x.clone(), gram(x), StyleNormalization::Channels));
    assert!(loss.abs() < 1e-9, "{loss}");
}

#[test]
fn relative_terms_are_the_readouts_errors() {
    let device = Device::flex();
    let (x, p) =
        (tensor(&values(48, 3.0), [1, 3, 4, 4], &device), tensor(&values(48, 9.0), [1, 3, 4, 4], &device));
    let squared = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(a, b)| ((a - b) as f64).powi(2)).sum::<f64>();
    let (xs, ps) = (values(48, 3.0), values(48, 9.0));
    let expected = squared(&xs, &ps) / squared(&ps, &[0.0; 48]);
    let content = scalar(content_loss(x.clone(), p.clone(), Reduction::Relative));
    assert!((content - expected).abs() < 1e-5 * expected, "{content} vs {expected}");
    let (g, a) = (gram(x.clone()), gram(p));
    let data = |t: Tensor<2>| t.into_data().try_to_vec::<f32>().unwrap();
    let (gs, as_) = (data(g), data(a.clone()));
    let expected = squared(&gs, &as_) / squared(&as_, &vec![0.0; as_.len()]);
    let style = scalar(style_loss(x, a, StyleNormalization::Relative));
    assert!((style - expected).abs() < 1e-5 * expected, "{style} vs {expected}");
}

#[test]
fn temporal_gradient() {
    let device = Device::flex();
    // γ large enough that the gradient stands above the check's floor of 1e-3.
    let target = TemporalTarget { weight: 1e5, ..temporal_target(&device) };
    check(|x| temporal_loss(x, &target), [1, 3, 4, 5], 7.0);
}

/// A previous frame and a certainty that trusts the left half of a 4×5 image.
fn temporal_target(device: &Device) -> TemporalTarget {
    let certainty: Vec<f32> = (0..20).map(|i| if i % 5 < 2 { 1.0 } else { 0.0 }).collect();
    TemporalTarget {
        previous: tensor(&values(60, 9.0), [1, 3, 4, 5], device),
        certainty: Tensor::from_data(TensorData::new(certainty, [1, 1, 4, 5]), device),
        weight: 3.0,
    }
}

#[test]
fn temporal_loss_counts_only_the_pixels_the_flow_is_sure_of() {
    let device = Device::flex();
    let target = temporal_target(&device);
    let previous = values(60, 9.0);
    assert!(scalar(temporal_loss(tensor(&previous, [1, 3, 4, 5], &device), &target)).abs() < 1e-9);
    // Changing the untrusted pixels (columns 2–4) costs nothing; a trusted one costs
    // γ · (Δ/255)² / elements.
    let mut changed = previous.clone();
    (0..60).filter(|i| i % 5 >= 2).for_each(|i| changed[i] += 40.0);
    assert!(scalar(temporal_loss(tensor(&changed, [1, 3, 4, 5], &device), &target)).abs() < 1e-9);
    changed[0] += 51.0;
    let expected = 3.0 * (51.0f64 / 255.0).powi(2) / 60.0;
    let got = scalar(temporal_loss(tensor(&changed, [1, 3, 4, 5], &device), &target));
    assert!((got - expected).abs() < 1e-6 * expected, "{got} vs {expected}");
}
