//! VGG19's layer (3×3 convolution, then ReLU) as a burn backend extension, so that burn's CPU
//! backend can run it by Winograd's algorithm (`winograd/`), forward and for the image's
//! gradient.
//!
//! burn's own CPU convolution is an im2col GEMM, and its gradient a transposed convolution
//! 1.1–1.5× slower still (`benches/convolution.rs`); together they were most of an evaluation.
//! The gradient of a stride-1 "same" convolution is itself one, with the kernels turned 180°
//! and their channels swapped, so both directions take the Winograd path. The ReLU rides along
//! in the transforms (on the result going out, on the gradient coming in), which saves burn's
//! two passes over every activation for it. The weights are constants: no gradient is computed
//! for them.
//!
//! Other backends (wgpu) keep burn's convolution and ReLU: the default methods below.

#[cfg(feature = "gpu")]
use burn::backend::Cube;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::ops::{ActivationOps, ConvOptions, ConvTransposeOptions, ModuleOps};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Backend, Dispatch, Flex, TensorMetadata, backend_extension};
use burn::tensor::{DType, Tensor, TensorData};

use super::winograd::{self, Fused, Kernels, POINTS, Pass, Planes};

/// Below this many input channels the Winograd products are too thin to win (conv1_1 reads
/// the three colours); burn's convolution runs instead.
const FEWEST_INPUT_CHANNELS: usize = 8;

fn same_padding() -> ConvOptions<2> {
    ConvOptions::new([1, 1], [1, 1], [1, 1], 1)
}

fn transposed_same_padding() -> ConvTransposeOptions<2> {
    ConvTransposeOptions::new([1, 1], [1, 1], [0, 0], [1, 1], 1)
}

#[backend_extension(Flex, Cube: cfg(feature = "gpu"), Autodiff)]
pub trait SameConv: Backend {
    /// `relu(conv2d(x, weight) + bias)` with a 3×3 kernel, stride 1 and one pixel of zero
    /// padding. `winograd` is `weight` already in the Winograd domain, `[outs, 36, ins]`, and
    /// `winograd_backward` the same laid out for the gradient, `[ins, 36, outs]`.
    fn same_conv3x3_relu(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        winograd: FloatTensor<Self>,
        winograd_backward: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let _ = (winograd, winograd_backward);
        Self::relu(Self::conv2d(x, weight, Some(bias), same_padding()))
    }

    /// The gradient of that layer with respect to `x`, given its `output` and the output's
    /// gradient: what burn-autodiff computes for `relu` then `conv2d`.
    fn same_conv3x3_relu_backward(
        output: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        winograd_backward: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let _ = winograd_backward;
        burns_backward::<Self>(output, output_grad, weight)
    }
}

/// burn-autodiff's gradient of `relu(conv2d)`: ReLU's, then the transposed convolution.
fn burns_backward<B: Backend>(
    output: FloatTensor<B>,
    output_grad: FloatTensor<B>,
    weight: FloatTensor<B>,
) -> FloatTensor<B> {
    let before_relu = B::relu_backward(output, output_grad);
    B::conv_transpose2d(before_relu, weight, None, transposed_same_padding())
}

#[cfg(feature = "gpu")]
impl SameConv for Cube {}

impl SameConv for Flex {
    fn same_conv3x3_relu(
        x: FlexTensor,
        weight: FlexTensor,
        bias: FlexTensor,
        winograd: FlexTensor,
        _winograd_backward: FlexTensor,
    ) -> FlexTensor {
        winograd_on_flex(&x, &winograd, Pass::Forward, Some(&bias), None)
            .unwrap_or_else(|| Self::relu(Self::conv2d(x, weight, Some(bias), same_padding())))
    }

    fn same_conv3x3_relu_backward(
        output: FlexTensor,
        output_grad: FlexTensor,
        weight: FlexTensor,
        winograd_backward: FlexTensor,
    ) -> FlexTensor {
        winograd_on_flex(&output_grad, &winograd_backward, Pass::Backward, None, Some(&output))
            .unwrap_or_else(|| burns_backward::<Self>(output, output_grad, weight))
    }
}

/// The layer by Winograd's algorithm with the kernels `winograd` (`[outs, 36, ins]`, for the
/// pass): forward with `bias` and the ReLU, backward through the ReLU whose output is `gate`.
/// `None` where it does not apply (not f32, shapes that do not fit, too few input channels).
fn winograd_on_flex(
    x: &FlexTensor,
    winograd: &FlexTensor,
    pass: Pass,
    bias: Option<&FlexTensor>,
    gate: Option<&FlexTensor>,
) -> Option<FlexTensor> {
    let [batch, channels, height, width] = x.shape().dims::<4>();
    let [outs, points, ins] = winograd.shape().dims::<3>();
    let dtypes = [Some(x.dtype()), Some(winograd.dtype()), bias.map(|b| b.dtype()), gate.map(|g| g.dtype())];
    if dtypes.iter().flatten().any(|&d| d != DType::F32)
        || points != POINTS
        || channels != ins
        || ins < FEWEST_INPUT_CHANNELS
        || gate.is_some_and(|g| g.shape() != x.shape())
    {
        return None;
    }
    let (x, winograd) = (x.to_contiguous(), winograd.to_contiguous());
    let (bias, gate) = (bias.map(FlexTensor::to_contiguous), gate.map(FlexTensor::to_contiguous));
    let bias = match &bias {
        Some(b) => Some(b.as_slice::<f32>().filter(|b| b.len() == outs)?),
        None => None,
    };
    let gate = match &gate {
        Some(g) => Some(g.as_slice::<f32>()?),
        None => None,
    };
    let kernels = Kernels { points: winograd.as_slice::<f32>()?, outs, ins };
    let planes = Planes { channels, height, width };
    let image = (channels * height * width).max(1);
    let relu = pass == Pass::Forward;
    let convolve = |(n, one)| {
        let gate = gate.map(|g| &g[n * image..][..image]);
        winograd::convolve(one, planes, kernels, pass, Fused { bias, relu, gate })
    };
    let mut images = x.as_slice::<f32>()?.chunks_exact(image).take(batch).enumerate();
    let y = match batch {
        1 => convolve(images.next()?),
        _ => images.map(convolve).collect::<Vec<_>>().concat(),
    };
    Some(FlexTensor::from_data(TensorData::new(y, [batch, outs, height, width])))
}

/// The backward step: the image's gradient through one layer.
#[derive(Debug)]
struct SameConvBackward;

impl<B: Backend + SameConv> Backward<B, 1> for SameConvBackward {
    /// The layer's output, its weight and its Winograd form for the gradient.
    type State = (FloatTensor<B>, FloatTensor<B>, FloatTensor<B>);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [x_node] = ops.parents;
        let output_grad = grads.consume::<B>(&ops.node);
        let (output, weight, winograd_backward) = ops.state;
        if let Some(node) = x_node {
            let x_grad = B::same_conv3x3_relu_backward(output, output_grad, weight, winograd_backward);
            grads.register::<B>(node.id, x_grad);
        }
    }
}

impl<B: Backend + SameConv, C: CheckpointStrategy> SameConv for Autodiff<B, C> {
    fn same_conv3x3_relu(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        winograd: FloatTensor<Self>,
        winograd_backward: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let (weight, bias) = (weight.into_primitive(), bias.into_primitive());
        let (winograd, backward) = (winograd.into_primitive(), winograd_backward.into_primitive());
        match SameConvBackward.prepare::<C>([x.node()]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let y = B::same_conv3x3_relu(
                    x.into_primitive(),
                    weight.clone(),
                    bias,
                    winograd,
                    backward.clone(),
                );
                prep.finish((y.clone(), weight, backward), y)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(B::same_conv3x3_relu(x.into_primitive(), weight, bias, winograd, backward))
            }
        }
    }

    fn same_conv3x3_relu_backward(
        output: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        winograd_backward: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        // nst takes gradients once, never through a gradient: the result is a constant here.
        let (output, grad) = (output.into_primitive(), output_grad.into_primitive());
        let (weight, backward) = (weight.into_primitive(), winograd_backward.into_primitive());
        Self::from_inner(B::same_conv3x3_relu_backward(output, grad, weight, backward))
    }
}

/// One VGG19 layer's constants for [`same_conv3x3_relu`].
#[derive(Debug, Clone)]
pub struct SameConvWeights {
    pub weight: Tensor<4>,
    pub bias: Tensor<1>,
    /// `[outs, 36, ins]`, from `winograd::transform_kernels`.
    pub winograd: Tensor<3>,
    /// `[ins, 36, outs]`, the same laid out for the gradient.
    pub winograd_backward: Tensor<3>,
}

impl SameConvWeights {
    /// The layer whose weights `[outs, ins, 3, 3]` are `values`, with their Winograd forms, on
    /// `bias`'s device.
    pub fn new(values: Vec<f32>, outs: usize, ins: usize, bias: Tensor<1>) -> SameConvWeights {
        let device = bias.device();
        let points = winograd::transform_kernels(&values, outs, ins, Pass::Forward);
        let transposed = winograd::transform_kernels(&values, outs, ins, Pass::Backward);
        let tensor =
            |values, shape: [usize; 3]| Tensor::<3>::from_data(TensorData::new(values, shape), &device);
        SameConvWeights {
            winograd: tensor(points, [outs, POINTS, ins]),
            winograd_backward: tensor(transposed, [ins, POINTS, outs]),
            weight: Tensor::<4>::from_data(TensorData::new(values, [outs, ins, 3, 3]), &device),
            bias,
        }
    }
}

/// The layer on high-level tensors; `x` may carry autodiff, the weights not.
pub fn same_conv3x3_relu(x: Tensor<4>, weights: &SameConvWeights) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as SameConv>::same_conv3x3_relu(
        x.into_dispatch(),
        weights.weight.clone().into_dispatch(),
        weights.bias.clone().into_dispatch(),
        weights.winograd.clone().into_dispatch(),
        weights.winograd_backward.clone().into_dispatch(),
    ))
}

#[cfg(test)]
mod tests {
    use burn::tensor::activation::relu;
    use burn::tensor::module::conv2d;
    use burn::tensor::{Device, Distribution};

    use super::*;

    fn layer(outs: usize, ins: usize, device: &Device) -> SameConvWeights {
        let weight = Tensor::<4>::random([outs, ins, 3, 3], Distribution::Default, device);
        let values = weight.to_data().try_to_vec::<f32>().unwrap_or_default();
        SameConvWeights::new(values, outs, ins, Tensor::<1>::random([outs], Distribution::Default, device))
    }

    /// Value and image gradient equal burn's own `relu(conv2d)` and its autodiff, on the
    /// Winograd path (16 channels) and on the fallback (3 channels, like conv1_1).
    #[test]
    fn matches_burns_convolution_and_its_gradient() {
        let device = Device::flex();
        for (ins, outs) in [(16, 12), (3, 16), (12, 3)] {
            let weights = layer(outs, ins, &device);
            let x = Tensor::<4>::random([1, ins, 11, 37], Distribution::Default, &device);
            // A loss that weighs every output differently, so the gradient is not uniform.
            let probe = Tensor::<4>::random([1, outs, 11, 37], Distribution::Default, &device);
            let run = |ours: bool| {
                let x = x.clone().autodiff().require_grad();
                let y = if ours {
                    same_conv3x3_relu(x.clone(), &weights)
                } else {
                    let (weight, bias) = (weights.weight.clone(), weights.bias.clone());
                    relu(conv2d(x.clone(), weight, Some(bias), same_padding()))
                };
                let grads = y.clone().mul(probe.clone()).sum().backward();
                (y.without_autodiff(), x.grad(&grads))
            };
            let ((y_ours, g_ours), (y_burn, g_burn)) = (run(true), run(false));
            let (Some(g_ours), Some(g_burn)) = (g_ours, g_burn) else { panic!("no gradient for x") };
            let largest = |t: Tensor<4>| -> f32 { t.abs().max().into_scalar() };
            let value_error = largest(y_ours.sub(y_burn.clone())) / largest(y_burn);
            let gradient_error = largest(g_ours.sub(g_burn.clone())) / largest(g_burn);
            assert!(value_error < 1e-5, "{ins}→{outs}: values off by {value_error} (relative)");
            assert!(gradient_error < 1e-5, "{ins}→{outs}: gradient off by {gradient_error} (relative)");
        }
    }
}
