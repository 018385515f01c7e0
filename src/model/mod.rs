//! VGG19 as a burn module, and the weights it is built from.

pub mod max_pool;
pub mod same_conv;
pub mod tiles;
pub mod vgg19;
pub mod weights;
pub mod winograd;

pub use vgg19::Vgg19;
pub use weights::{Preprocessing, Vgg19Weights};
