//! nst: neural style transfer (Gatys, Ecker & Bethge) on VGG19 with burn.
//!
//! ```text
//!  cli ─▶ config (TOML recipe) ─▶ image_io ─▶ model (VGG19) ─▶ loss (objective) ─▶ optim (L-BFGS) ─▶ image_io
//!                                    ▲            ▲                                            │
//!                                 device ─────────┘                          transfer.rs runs it all
//! ```
//! Data flows one way; `optim` minimises a function of a tensor and knows nothing of images.

pub mod colour;
pub mod config;
pub mod device;
pub mod draw;
pub mod error;
pub mod features;
#[doc(hidden)]
pub mod fuzzing;
pub mod image_io;
mod inputs;
pub mod jobs;
pub mod layers;
pub mod loss;
pub mod memory;
pub mod model;
pub mod optim;
mod painter;
pub mod sheet;
pub mod transfer;

pub use config::Recipe;
pub use error::UsageError;
pub use transfer::{RunOptions, RunSummary, run};

#[cfg(test)]
mod mutation_tests;
