//! VGG19's 2×2 max pooling as a burn backend extension, so that burn's CPU backend runs it in
//! plain, vectorisable loops.
//!
//! burn-flex pools element by element and routes the gradient back through an index tensor
//! with a scalar scatter-add: 8% of an evaluation at 256 px (`perf`). Here the forward pass
//! keeps no indices; the backward pass finds each window's maximum again by comparing the input
//! with the pooled output, the first in row-major order winning ties, as in burn.
//!
//! Other backends (wgpu) keep burn's pooling: the default methods below.

#[cfg(feature = "gpu")]
use burn::backend::Cube;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::ops::ModuleOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Backend, Dispatch, Flex, TensorMetadata, backend_extension};
use burn::tensor::{DType, IntDType, Tensor, TensorData};
use rayon::prelude::*;

const WINDOW: [usize; 2] = [2, 2];

#[backend_extension(Flex, Cube: cfg(feature = "gpu"), Autodiff)]
pub trait MaxPool: Backend {
    /// Max pooling over 2×2 windows with stride 2 (an odd last row or column is dropped).
    fn max_pool2x2(x: FloatTensor<Self>) -> FloatTensor<Self> {
        Self::max_pool2d(x, WINDOW, WINDOW, [0, 0], [1, 1], false)
    }

    /// The gradient with respect to `x`, given the pooled `output` and its gradient.
    fn max_pool2x2_backward(
        x: FloatTensor<Self>,
        output: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let _ = output;
        burns_backward::<Self>(x, output_grad)
    }
}

/// burn's own gradient of the pooling: the indices of the maxima again, then a scatter.
fn burns_backward<B: Backend>(x: FloatTensor<B>, output_grad: FloatTensor<B>) -> FloatTensor<B> {
    let pooled = B::max_pool2d_with_indices(x.clone(), WINDOW, WINDOW, [0, 0], [1, 1], false, IntDType::I64);
    let (padding, dilation) = ([0, 0], [1, 1]);
    B::max_pool2d_with_indices_backward(
        x,
        WINDOW,
        WINDOW,
        padding,
        dilation,
        false,
        output_grad,
        pooled.indices,
    )
    .x_grad
}

#[cfg(feature = "gpu")]
impl MaxPool for Cube {}

impl MaxPool for Flex {
    fn max_pool2x2(x: FlexTensor) -> FlexTensor {
        pool_on_flex(&x).unwrap_or_else(|| Self::max_pool2d(x, WINDOW, WINDOW, [0, 0], [1, 1], false))
    }

    fn max_pool2x2_backward(x: FlexTensor, output: FlexTensor, output_grad: FlexTensor) -> FlexTensor {
        unpool_on_flex(&x, &output, &output_grad).unwrap_or_else(|| burns_backward::<Self>(x, output_grad))
    }
}

/// `x` as contiguous f32 values with its shape, or `None` if it is not f32 of rank 4.
fn planes_of(x: &FlexTensor) -> Option<(FlexTensor, [usize; 4])> {
    if x.dtype() != DType::F32 || x.shape().num_dims() != 4 {
        return None;
    }
    Some((x.to_contiguous(), x.shape().dims::<4>()))
}

fn pool_on_flex(x: &FlexTensor) -> Option<FlexTensor> {
    let (x, [batch, channels, height, width]) = planes_of(x)?;
    let values = x.as_slice::<f32>()?;
    let (rows, columns) = (height / 2, width / 2);
    if rows == 0 || columns == 0 {
        return None;
    }
    let mut y = vec![0.0f32; batch * channels * rows * columns];
    y.par_chunks_mut(rows * columns).zip(values.par_chunks(height * width)).for_each(|(out, plane)| {
        for (r, out_row) in out.chunks_exact_mut(columns).enumerate() {
            let (top, bottom) =
                (&plane[2 * r * width..][..2 * columns], &plane[(2 * r + 1) * width..][..2 * columns]);
            for ((o, t), b) in out_row.iter_mut().zip(top.chunks_exact(2)).zip(bottom.chunks_exact(2)) {
                *o = t[0].max(t[1]).max(b[0].max(b[1]));
            }
        }
    });
    Some(FlexTensor::from_data(TensorData::new(y, [batch, channels, rows, columns])))
}

fn unpool_on_flex(x: &FlexTensor, output: &FlexTensor, output_grad: &FlexTensor) -> Option<FlexTensor> {
    let (x, [batch, channels, height, width]) = planes_of(x)?;
    let (output, output_shape) = planes_of(output)?;
    let (grad, grad_shape) = planes_of(output_grad)?;
    let (rows, columns) = (height / 2, width / 2);
    if output_shape != [batch, channels, rows, columns]
        || grad_shape != output_shape
        || rows == 0
        || columns == 0
    {
        return None;
    }
    let (values, pooled, grad) = (x.as_slice::<f32>()?, output.as_slice::<f32>()?, grad.as_slice::<f32>()?);
    let mut x_grad = vec![0.0f32; values.len()];
    let pooled_planes = pooled.par_chunks(rows * columns).zip(grad.par_chunks(rows * columns));
    x_grad.par_chunks_mut(height * width).zip(values.par_chunks(height * width)).zip(pooled_planes).for_each(
        |((out, plane), (pooled, grad))| {
            for r in 0..rows {
                let (maxima, grads) = (&pooled[r * columns..][..columns], &grad[r * columns..][..columns]);
                let (top, rest) = out[2 * r * width..].split_at_mut(width);
                let bottom = &mut rest[..width];
                let (x_top, x_bottom) =
                    (&plane[2 * r * width..][..width], &plane[(2 * r + 1) * width..][..width]);
                for c in 0..columns {
                    let (m, g, left) = (maxima[c], grads[c], 2 * c);
                    // The first of the window's four, row by row, that holds the maximum.
                    if x_top[left] == m {
                        top[left] = g;
                    } else if x_top[left + 1] == m {
                        top[left + 1] = g;
                    } else if x_bottom[left] == m {
                        bottom[left] = g;
                    } else {
                        bottom[left + 1] = g;
                    }
                }
            }
        },
    );
    Some(FlexTensor::from_data(TensorData::new(x_grad, [batch, channels, height, width])))
}

/// The backward step: the gradient through one pooling.
#[derive(Debug)]
struct MaxPoolBackward;

impl<B: Backend + MaxPool> Backward<B, 1> for MaxPoolBackward {
    /// The pooling's input and output.
    type State = (FloatTensor<B>, FloatTensor<B>);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [x_node] = ops.parents;
        let output_grad = grads.consume::<B>(&ops.node);
        let (x, output) = ops.state;
        if let Some(node) = x_node {
            grads.register::<B>(node.id, B::max_pool2x2_backward(x, output, output_grad));
        }
    }
}

impl<B: Backend + MaxPool, C: CheckpointStrategy> MaxPool for Autodiff<B, C> {
    fn max_pool2x2(x: FloatTensor<Self>) -> FloatTensor<Self> {
        match MaxPoolBackward.prepare::<C>([x.node()]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let x = x.into_primitive();
                let y = B::max_pool2x2(x.clone());
                prep.finish((x, y.clone()), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::max_pool2x2(x.into_primitive())),
        }
    }

    fn max_pool2x2_backward(
        x: FloatTensor<Self>,
        output: FloatTensor<Self>,
        output_grad: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        // nst takes gradients once, never through a gradient: the result is a constant here.
        let (x, output, grad) = (x.into_primitive(), output.into_primitive(), output_grad.into_primitive());
        Self::from_inner(B::max_pool2x2_backward(x, output, grad))
    }
}

/// 2×2 max pooling on high-level tensors; `x` may carry autodiff.
pub fn max_pool2x2(x: Tensor<4>) -> Tensor<4> {
    Tensor::from_dispatch(<Dispatch as MaxPool>::max_pool2x2(x.into_dispatch()))
}

#[cfg(test)]
mod tests {
    use burn::tensor::module::max_pool2d;
    use burn::tensor::ops::MaxPoolOptions;
    use burn::tensor::{Device, Distribution};

    use super::*;

    /// Value and gradient equal burn's `max_pool2d` and its autodiff, odd sizes included.
    #[test]
    fn matches_burns_pooling_and_its_gradient() {
        let device = Device::flex();
        for [height, width] in [[8, 10], [7, 9], [2, 3]] {
            let x = Tensor::<4>::random([2, 3, height, width], Distribution::Default, &device);
            let probe = Tensor::<4>::random([2, 3, height / 2, width / 2], Distribution::Default, &device);
            let run = |ours: bool| {
                let x = x.clone().autodiff().require_grad();
                let y = if ours {
                    max_pool2x2(x.clone())
                } else {
                    max_pool2d(x.clone(), MaxPoolOptions::new(WINDOW))
                };
                let grads = y.clone().mul(probe.clone()).sum().backward();
                (y.without_autodiff(), x.grad(&grads))
            };
            let ((y_ours, g_ours), (y_burn, g_burn)) = (run(true), run(false));
            let (Some(g_ours), Some(g_burn)) = (g_ours, g_burn) else { panic!("no gradient for x") };
            let largest = |t: Tensor<4>| -> f32 { t.abs().max().into_scalar() };
            assert_eq!(largest(y_ours.sub(y_burn)), 0.0, "{height}×{width}: values differ");
            assert_eq!(largest(g_ours.sub(g_burn)), 0.0, "{height}×{width}: gradients differ");
        }
    }
}
