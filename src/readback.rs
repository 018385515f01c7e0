//! Reading a tensor's values back from its device, with an error naming what was read rather
//! than a panic: a GPU can fail there (device lost, out of memory) long after the kernel ran.

use anyhow::{Result, anyhow};
use burn::tensor::Tensor;

/// Every value of `tensor`, in row-major order; `what` names it in the error.
pub fn values<const D: usize>(tensor: Tensor<D>, what: &str) -> Result<Vec<f32>> {
    tensor
        .try_into_data()
        .map_err(|e| anyhow!("reading {what} back: {e:?}"))?
        .try_to_vec::<f32>()
        .map_err(|e| anyhow!("reading {what} back: {e:?}"))
}

/// The one value of a one-element tensor (a sum, a loss); `what` names it in the error.
pub fn scalar(tensor: Tensor<1>, what: &str) -> Result<f64> {
    let value: f32 = tensor.try_into_scalar().map_err(|e| anyhow!("reading {what} back: {e:?}"))?;
    Ok(value as f64)
}
