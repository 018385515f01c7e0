//! Content loss: how far an activation is from the content photo's.

use burn::tensor::Tensor;

use crate::recipe::Reduction;

/// (F − P)², reduced by mean or sum. Returns a one-element tensor.
pub fn content_loss(features: Tensor<4>, target: Tensor<4>, reduction: Reduction) -> Tensor<1> {
    let squared = features.sub(target.clone()).square();
    match reduction {
        Reduction::Mean => squared.mean(),
        Reduction::Sum => squared.sum(),
        Reduction::Relative => squared.sum().div(target.square().sum()),
    }
}
