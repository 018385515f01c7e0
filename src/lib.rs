//! nst: neural style transfer (Gatys, Ecker & Bethge) on VGG19 with burn.
//!
//! ```text
//!  recipe (raw → resolved) ─▶ inputs ─▶ model (VGG19) ─▶ loss (objective) ─▶ optim (L-BFGS) ─▶ report / image_io
//!                                           ▲                                      painter runs the levels;
//!                                        device                                   transfer runs one photo,
//!                                                                                 (video: a clip and its flow)
//! ```
//! Data flows one way. Each module imports only modules after it in this list (callers first),
//! which a test (`layering.rs`) reads and holds the code to:
//!
//! layers:
//! fuzzing → transfer → video → painter → plan → sheet → features → inputs → regions → encode →
//! loss → optim → model → recipe → report → measures → colour → device → flow → image_io →
//! readback → draw → jobs → memory → layers → error
//!
//! `optim` minimises a function of a tensor and knows nothing of images; `loss` takes a
//! [`recipe::LossSpec`], the painter a schedule and a start; `report` is what a run tells its
//! caller (the binary's progress bar, JSON and log are built on it, in `src/cli/`).

pub mod colour;
pub mod device;
pub mod draw;
pub mod encode;
pub mod error;
pub mod features;
pub mod flow;
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
pub mod plan;
pub mod readback;
pub mod recipe;
pub mod regions;
pub mod report;
pub mod sheet;
pub mod transfer;
pub mod video;

pub use error::UsageError;
pub use recipe::Recipe;
pub use transfer::{RunOptions, run};

#[cfg(test)]
mod layering;
#[cfg(test)]
mod mutation_tests;
