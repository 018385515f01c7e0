//! burn-flex's two convolutions at VGG19's shapes (512 px photo): `conv2d`, the forward pass,
//! and `conv_transpose2d`, which burn-autodiff uses for the gradient with respect to the input.
//! For a stride-1, pad-1 3×3 layer that gradient is also a plain `conv2d` with the kernel
//! flipped and its channels swapped; the timings show what computing it that way would save.
//!
//! ```text
//! cargo bench --bench convolution
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that fails should stop loudly

use std::time::Instant;

use burn::tensor::module::{conv_transpose2d, conv2d};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Device, Distribution, Tensor};

/// Median seconds of five runs of `op`, each read back so the work is finished.
fn median_seconds(op: impl Fn() -> Tensor<4>) -> f64 {
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            let started = Instant::now();
            let _: f32 = op().slice([0..1, 0..1, 0..1, 0..1]).into_scalar();
            started.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[2]
}

fn main() {
    let device = Device::flex();
    let conv_options = || ConvOptions::new([1, 1], [1, 1], [1, 1], 1);
    let transpose_options = || ConvTransposeOptions::new([1, 1], [1, 1], [0, 0], [1, 1], 1);
    println!(
        "{:>22} {:>11} {:>20} {:>9}",
        "layer (in→out, H×W)", "conv2d ms", "conv_transpose2d ms", "ratio"
    );
    for (channels_in, channels_out, height, width) in
        [(64, 64, 342, 512), (128, 128, 171, 256), (256, 256, 85, 128), (512, 512, 42, 64)]
    {
        let x = Tensor::<4>::random([1, channels_in, height, width], Distribution::Default, &device);
        let weight = Tensor::<4>::random([channels_out, channels_in, 3, 3], Distribution::Default, &device);
        // The same convolution as a transposed one: channels swapped, kernel turned 180°.
        let turned = weight.clone().swap_dims(0, 1).flip([2, 3]);
        let direct = || conv2d(x.clone(), weight.clone(), None, conv_options());
        let transposed = || conv_transpose2d(x.clone(), turned.clone(), None, transpose_options());
        let difference: f32 = direct().sub(transposed()).abs().max().into_scalar();
        let scale: f32 = direct().abs().max().into_scalar();
        assert!(difference <= 1e-5 * scale, "the two forms differ by {difference} (scale {scale})");
        let (a, b) = (median_seconds(direct), median_seconds(transposed));
        println!(
            "{:>22} {:>11.1} {:>20.1} {:>9.2}",
            format!("{channels_in}→{channels_out}, {height}×{width}"),
            a * 1e3,
            b * 1e3,
            b / a
        );
    }
}
