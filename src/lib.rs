//! nst: neural style transfer (Gatys, Ecker & Bethge) on VGG19 with burn.
//!
//! ```text
//!  recipe (raw → resolved) ─▶ inputs ─▶ model (VGG19) ─▶ loss (objective) ─▶ optim (L-BFGS) ─▶ report / image_io
//!                                           ▲                                      painter runs the levels;
//!                                        device                                   transfer runs one photo
//! ```
//! Data flows one way. Modules import only downwards in this list (callers first):
//! transfer → painter → inputs, report → loss → optim, model → recipe → device, colour,
//! measures, image_io, memory → layers, error. `optim` minimises a function of a tensor and
//! knows nothing of images; `loss` takes a [`recipe::LossSpec`], the painter a schedule and a start.

pub mod colour;
pub mod device;
pub mod draw;
pub mod encode;
pub mod error;
pub mod features;
#[doc(hidden)]
pub mod fuzzing;
pub mod image_io;
pub mod inputs;
pub mod jobs;
pub mod layers;
pub mod loss;
pub mod measures;
pub mod memory;
pub mod model;
pub mod optim;
pub mod painter;
pub mod recipe;
pub mod report;
pub mod score;
pub mod sheet;
pub mod transfer;

pub use error::UsageError;
pub use recipe::Recipe;
pub use transfer::{RunOptions, run};

#[cfg(test)]
mod mutation_tests;
