//! VGG19's convolutional part, built from the layer table in `layers.rs`.

use burn::module::{Module, Param, ParamId};
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::tensor::activation::relu;
use burn::tensor::module::{avg_pool2d, max_pool2d};
use burn::tensor::ops::{AvgPoolOptions, MaxPoolOptions};
use burn::tensor::{Device, Tensor, TensorData};

use super::max_pool::max_pool2x2;
use super::same_conv::{SameConvWeights, same_conv3x3_relu};
use super::weights::{Preprocessing, Vgg19Weights};
use crate::layers::VGG19;
use crate::recipe::Pooling;

/// VGG19 up to the deepest layer a recipe needs. The weights live on a device without
/// autodiff: they are constants, so no gradient is computed or kept for them.
#[derive(Module, Debug)]
pub struct Vgg19 {
    convs: Vec<Conv2d>,
    /// On the CPU, the same layers for the Winograd convolution (`same_conv.rs`); empty on
    /// other devices, which use `convs`.
    #[module(skip)]
    cpu_convs: Vec<SameConvWeights>,
    #[module(skip)]
    pooling: Pooling,
    #[module(skip)]
    preprocessing: Preprocessing,
}

impl Vgg19 {
    pub fn new(weights: Vgg19Weights, pooling: Pooling, device: &Device) -> Self {
        let on_cpu = *device == Device::flex();
        let mut cpu_convs = Vec::new();
        let convs = VGG19
            .iter()
            .zip(weights.convs)
            .map(|(layer, w)| {
                let (outs, ins) = (layer.out_channels, layer.in_channels);
                let bias = Tensor::<1>::from_data(TensorData::new(w.bias, [outs]), device);
                let weight = if on_cpu {
                    let layer = SameConvWeights::new(w.weight, outs, ins, bias.clone());
                    let weight = layer.weight.clone();
                    cpu_convs.push(layer);
                    weight
                } else {
                    Tensor::<4>::from_data(TensorData::new(w.weight, [outs, ins, 3, 3]), device)
                };
                Conv2d {
                    weight: Param::initialized(ParamId::new(), weight),
                    bias: Some(Param::initialized(ParamId::new(), bias)),
                    stride: [1, 1],
                    kernel_size: [3, 3],
                    dilation: [1, 1],
                    groups: 1,
                    padding: PaddingConfig2d::Explicit(1, 1, 1, 1),
                }
            })
            .collect();
        Vgg19 { convs, cpu_convs, pooling, preprocessing: weights.preprocessing }
    }

    /// Activations (after the ReLU) of the layers `wanted` (indices into [`VGG19`], ascending),
    /// for an RGB image `[1, 3, H, W]` with values 0–255. Stops at the deepest one.
    pub fn forward(&self, rgb: Tensor<4>, wanted: &[usize]) -> Vec<Tensor<4>> {
        let Some(&deepest) = wanted.iter().max() else { return Vec::new() };
        let mut x = self.preprocess(rgb);
        let mut out = Vec::with_capacity(wanted.len());
        for (i, conv) in self.convs.iter().enumerate().take(deepest + 1) {
            x = match self.cpu_convs.get(i) {
                Some(weights) => same_conv3x3_relu(x, weights),
                None => relu(conv.forward(x)),
            };
            if wanted.contains(&i) {
                out.push(x.clone());
            }
            if VGG19[i].pool_after && i < deepest {
                x = self.pool(x);
            }
        }
        out
    }

    fn preprocess(&self, rgb: Tensor<4>) -> Tensor<4> {
        let (scale, shift, bgr) = self.preprocessing.affine();
        let device = rgb.device();
        let x = if bgr { rgb.flip([1]) } else { rgb };
        let scale = Tensor::<1>::from_floats(scale, &device).reshape([1, 3, 1, 1]);
        let shift = Tensor::<1>::from_floats(shift, &device).reshape([1, 3, 1, 1]);
        x.mul(scale).add(shift)
    }

    fn pool(&self, x: Tensor<4>) -> Tensor<4> {
        match self.pooling {
            // On the CPU, nst's own pooling (`max_pool.rs`); the same result.
            Pooling::Max if !self.cpu_convs.is_empty() => max_pool2x2(x),
            Pooling::Max => max_pool2d(x, MaxPoolOptions::new([2, 2])),
            Pooling::Avg => avg_pool2d(x, AvgPoolOptions::new([2, 2])),
        }
    }
}
