//! VGG19 as a burn module, and the weights it is built from.

pub mod vgg19;
pub mod weights;

pub use vgg19::Vgg19;
pub use weights::{Preprocessing, Vgg19Weights};
