//! VGG19's convolution as a burn backend extension, so that burn's CPU backend can run it by
//! Winograd's algorithm (`winograd.rs`), forward and for the image's gradient.
//!
//! burn's own CPU convolution is an im2col GEMM, and its gradient a transposed convolution
//! 1.1–1.5× slower still (`benches/convolution.rs`); together they were most of an evaluation.
//! The gradient of a stride-1 "same" convolution is itself one, with the kernels turned 180°
//! and their channels swapped, so both directions take the Winograd path. The weights are
//! constants: no gradient is computed for them.
//!
//! Other backends (wgpu) keep burn's convolution: the default method below.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::ops::{ConvOptions, ConvTransposeOptions, ModuleOps};
use burn::backend::tensor::FloatTensor;
use burn::backend::{
    Autodiff, AutodiffBackend, Backend, Cube, Dispatch, Flex, TensorMetadata, backend_extension,
};
use burn::tensor::{DType, Tensor, TensorData};

use super::winograd::{self, Kernels, POINTS, Pass, Planes};

/// Below this many input channels the Winograd products are too thin to win (conv1_1 reads
/// the three colours); burn's convolution runs instead.
const FEWEST_INPUT_CHANNELS: usize = 8;

fn same_padding() -> ConvOptions<2> {
    ConvOptions::new([1, 1], [1, 1], [1, 1], 1)
}

#[backend_extension(Flex, Cube, Autodiff)]
pub trait SameConv: Backend {
    /// `conv2d(x, weight) + bias` with a 3×3 kernel, stride 1 and one pixel of zero padding.
    /// `winograd` is `weight` already in the Winograd domain, `[outs, 36, ins]`, and
    /// `winograd_backward` the same transposed for the gradient, `[ins, 36, outs]`.
    fn same_conv3x3(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        winograd: FloatTensor<Self>,
        winograd_backward: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let _ = (winograd, winograd_backward);
        Self::conv2d(x, weight, Some(bias), same_padding())
    }

    /// The gradient of that convolution with respect to `x`, given the output's gradient: what
    /// burn-autodiff computes for `conv2d`.
    fn same_conv3x3_backward(
        output_grad: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        winograd_backward: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let _ = winograd_backward;
        let options = ConvTransposeOptions::new([1, 1], [1, 1], [0, 0], [1, 1], 1);
        Self::conv_transpose2d(output_grad, weight, None, options)
    }
}

impl SameConv for Cube {}

impl SameConv for Flex {
    fn same_conv3x3(
        x: FlexTensor,
        weight: FlexTensor,
        bias: FlexTensor,
        winograd: FlexTensor,
        _winograd_backward: FlexTensor,
    ) -> FlexTensor {
        winograd_on_flex(&x, &winograd, Pass::Forward, Some(&bias))
            .unwrap_or_else(|| Self::conv2d(x, weight, Some(bias), same_padding()))
    }

    fn same_conv3x3_backward(
        output_grad: FlexTensor,
        weight: FlexTensor,
        winograd: FlexTensor,
    ) -> FlexTensor {
        winograd_on_flex(&output_grad, &winograd, Pass::Backward, None).unwrap_or_else(|| {
            let options = ConvTransposeOptions::new([1, 1], [1, 1], [0, 0], [1, 1], 1);
            Self::conv_transpose2d(output_grad, weight, None, options)
        })
    }
}

/// The convolution by Winograd's algorithm with the kernels `winograd` (`[outs, 36, ins]`, for
/// the pass), or `None` where it does not apply (not f32, shapes that do not fit, too few input
/// channels).
fn winograd_on_flex(
    x: &FlexTensor,
    winograd: &FlexTensor,
    pass: Pass,
    bias: Option<&FlexTensor>,
) -> Option<FlexTensor> {
    let [batch, channels, height, width] = x.shape().dims::<4>();
    let [outs, points, ins] = winograd.shape().dims::<3>();
    let (channels_in, channels_out) = (ins, outs);
    let dtypes = [Some(x.dtype()), Some(winograd.dtype()), bias.map(|b| b.dtype())];
    if dtypes.iter().flatten().any(|&d| d != DType::F32)
        || points != POINTS
        || channels != channels_in
        || channels_in < FEWEST_INPUT_CHANNELS
    {
        return None;
    }
    let (x, winograd) = (x.to_contiguous(), winograd.to_contiguous());
    let bias = bias.map(FlexTensor::to_contiguous);
    let bias = match &bias {
        Some(b) => Some(b.as_slice::<f32>().filter(|b| b.len() == channels_out)?),
        None => None,
    };
    let kernels = Kernels { points: winograd.as_slice::<f32>()?, outs, ins };
    let planes = Planes { channels, height, width };
    let mut images = x.as_slice::<f32>()?.chunks_exact((channels * height * width).max(1)).take(batch);
    let convolve = |one| winograd::convolve(one, planes, kernels, pass, bias);
    let y = match batch {
        1 => convolve(images.next()?),
        _ => images.map(convolve).collect::<Vec<_>>().concat(),
    };
    Some(FlexTensor::from_data(TensorData::new(y, [batch, channels_out, height, width])))
}

/// The backward step: the image's gradient through one layer.
#[derive(Debug)]
struct SameConvBackward;

impl<B: Backend + SameConv> Backward<B, 1> for SameConvBackward {
    /// The layer's weight and its Winograd form for the gradient.
    type State = (FloatTensor<B>, FloatTensor<B>);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [x_node] = ops.parents;
        let output_grad = grads.consume::<B>(&ops.node);
        let (weight, winograd_backward) = ops.state;
        if let Some(node) = x_node {
            let x_grad = B::same_conv3x3_backward(output_grad, weight, winograd_backward);
            grads.register::<B>(node.id, x_grad);
        }
    }
}

impl<B: Backend + SameConv, C: CheckpointStrategy> SameConv for Autodiff<B, C> {
    fn same_conv3x3(
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
                let y = B::same_conv3x3(x.into_primitive(), weight.clone(), bias, winograd, backward.clone());
                prep.finish((weight, backward), y)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(B::same_conv3x3(x.into_primitive(), weight, bias, winograd, backward))
            }
        }
    }

    fn same_conv3x3_backward(
        output_grad: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        winograd_backward: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        // nst takes gradients once, never through a gradient: the result is a constant here.
        let (weight, backward) = (weight.into_primitive(), winograd_backward.into_primitive());
        Self::from_inner(B::same_conv3x3_backward(output_grad.into_primitive(), weight, backward))
    }
}

/// One VGG19 layer's constants for [`same_conv3x3`].
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
    /// The layer `weight` (`[outs, ins, 3, 3]`, also given as `values`) with its Winograd forms.
    pub fn new(weight: Tensor<4>, values: &[f32], bias: Tensor<1>) -> SameConvWeights {
        let [outs, ins, _, _] = weight.dims();
        let device = weight.device();
        let points = winograd::transform_kernels(values, outs, ins, Pass::Forward);
        let transposed = winograd::transform_kernels(values, outs, ins, Pass::Backward);
        let tensor =
            |values, shape: [usize; 3]| Tensor::<3>::from_data(TensorData::new(values, shape), &device);
        SameConvWeights {
            winograd: tensor(points, [outs, POINTS, ins]),
            winograd_backward: tensor(transposed, [ins, POINTS, outs]),
            weight,
            bias,
        }
    }
}

/// The convolution on high-level tensors; `x` may carry autodiff, the weights not.
pub fn same_conv3x3(x: Tensor<4>, weights: &SameConvWeights) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as SameConv>::same_conv3x3(
        x.into_dispatch(),
        weights.weight.clone().into_dispatch(),
        weights.bias.clone().into_dispatch(),
        weights.winograd.clone().into_dispatch(),
        weights.winograd_backward.clone().into_dispatch(),
    ))
}

#[cfg(test)]
mod tests {
    use burn::tensor::module::conv2d;
    use burn::tensor::{Device, Distribution};

    use super::*;

    fn layer(outs: usize, ins: usize, device: &Device) -> SameConvWeights {
        let weight = Tensor::<4>::random([outs, ins, 3, 3], Distribution::Default, device);
        let values = weight.to_data().try_to_vec::<f32>().unwrap_or_default();
        SameConvWeights::new(weight, &values, Tensor::<1>::random([outs], Distribution::Default, device))
    }

    /// Value and image gradient equal burn's own `conv2d` and its autodiff, on the Winograd
    /// path (16 channels) and on the fallback (3 channels, like conv1_1).
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
                    same_conv3x3(x.clone(), &weights)
                } else {
                    let (weight, bias) = (weights.weight.clone(), weights.bias.clone());
                    conv2d(x.clone(), weight, Some(bias), same_padding())
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
