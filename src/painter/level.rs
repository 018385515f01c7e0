//! One level of a run: the objective at one size, the pixel optimiser stepping until the
//! level's iterations run out or a [`Stop`] comes, with reports, checkpoints and interruption.

use std::time::Instant;

use anyhow::{Result, anyhow};
use burn::tensor::{Tensor, TensorData};

use super::eta::Eta;
use super::plan::LevelPlan;
use super::resize::{checkpoint_path, from_tensor};
use super::settle::{Settle, rms_change};
use super::{Painter, Target};
use crate::colour::{self, PreserveColors};
use crate::encode;
use crate::error::Interrupted;
use crate::image_io::{Planar, to_tensor};
use crate::loss::{LossTerms, Objective, StyleGrams};
use crate::optim::{Adam, AdamConfig, Bounds, Lbfgs, LbfgsConfig, Minimiser, StallDetector, StepOutcome};
use crate::recipe::Optimiser;
use crate::report::{IterationReport, LevelSummary, Progress, Stop};

/// Where a run stands across its levels, for reports and checkpoints.
pub(super) struct Tally {
    pub iterations_before: usize,
    pub evaluations: usize,
    pub started: Instant,
    pub eta: Eta,
}

/// What a run writes besides its result.
pub(super) struct Outputs<'a> {
    pub target: &'a Target<'a>,
    /// The photo in its colours at full size, for putting its chroma back.
    pub photo: &'a Planar,
}

pub(super) struct LevelResult {
    pub summary: LevelSummary,
    pub image: Planar,
    /// The painting's Grams this level matched, for the readout.
    pub grams: StyleGrams,
    pub initial_loss: f64,
    pub final_loss: f64,
    pub final_terms: LossTerms,
    pub stop: Stop,
}

impl Painter {
    /// Optimise at `photo`'s size, from `start`, for up to `iterations`; `level` is
    /// (number from 1, count); `plan` says whether to evaluate in tiles and how much L-BFGS
    /// history memory allows.
    pub(super) fn level(
        &self,
        photo: &Planar,
        start: Planar,
        (iterations, level, plan): (usize, (usize, usize), &LevelPlan),
        tally: &mut Tally,
        outputs: &Outputs,
        progress: &mut dyn Progress,
    ) -> Result<LevelResult> {
        let (w, h) = (photo.width, photo.height);
        let started = Instant::now();
        let grams = self.grams_for(photo, plan.tile);
        let (mut objective, mut minimiser) = self.level_optimiser(photo, start, &grams, plan)?;
        let initial_loss = minimiser.value();
        if !initial_loss.is_finite() {
            return Err(anyhow!(
                "the loss of the starting image is {initial_loss}; check the weights and recipe"
            ));
        }
        let evaluations_before = tally.evaluations;
        tally.eta.start_level(level.0 - 1);
        let mut stall = StallDetector::new(10, 1e-5);
        let mut settle = Settle::new(self.plan.schedule.settle, minimiser.x());
        let mut stop = Stop::IterationLimit;
        while minimiser.iterations() < iterations {
            if progress.cancelled() {
                return Err(self.interrupted(minimiser.as_ref(), (w, h), outputs, progress));
            }
            let before = minimiser.x().clone();
            let outcome = minimiser.step(&mut objective)?;
            let pixel_change = rms_change(&before, minimiser.x())?;
            tally.eta.iteration_done();
            tally.evaluations = evaluations_before + minimiser.evaluations();
            let iteration = tally.iterations_before + minimiser.iterations();
            progress.iteration(&IterationReport {
                iteration,
                iterations: self.plan.schedule.total_iterations(),
                evaluations: tally.evaluations,
                terms: objective.terms_of(minimiser.accepted_evaluation()).unwrap_or_default(),
                elapsed: tally.started.elapsed(),
                width: w,
                height: h,
                level: level.0,
                levels: level.1,
                pixel_change,
                done: tally.eta.fraction(),
                remaining: tally.eta.remaining(),
            });
            let every = self.plan.schedule.save_every;
            if every > 0 && iteration.is_multiple_of(every) && outcome == StepOutcome::Improved {
                let image = self.finish(from_tensor(minimiser.x(), w, h)?, outputs.photo);
                let path = checkpoint_path(outputs.target.path, iteration);
                encode::save_atomic(&image, &path, outputs.target.encoding)?;
            }
            if let Some(reason) = stop_reason(&outcome, &mut stall, minimiser.value()) {
                stop = reason;
                break;
            }
            if settle.settled(minimiser.iterations(), minimiser.x())? {
                stop = Stop::Settled;
                break;
            }
        }
        tally.eta.end_level();
        tally.iterations_before += minimiser.iterations();
        let evaluations = minimiser.evaluations();
        let seconds = started.elapsed().as_secs_f64();
        let summary = LevelSummary {
            width: w,
            height: h,
            iterations: minimiser.iterations(),
            evaluations,
            seconds,
            stop,
            tiles: objective.tile_count(),
        };
        Ok(LevelResult {
            summary,
            grams,
            image: from_tensor(minimiser.x(), w, h)?,
            initial_loss,
            final_loss: minimiser.value(),
            final_terms: objective.terms_of(minimiser.accepted_evaluation()).unwrap_or_default(),
            stop,
        })
    }

    /// The level's objective against `photo`, and the optimiser started at `start`.
    fn level_optimiser(
        &self,
        photo: &Planar,
        start: Planar,
        grams: &StyleGrams,
        plan: &LevelPlan,
    ) -> Result<(Objective, Box<dyn Minimiser>)> {
        let dev = &self.device.device;
        let (loss_photo, start) = match self.plan.colours {
            PreserveColors::Luminance => (colour::grey(photo, None), colour::grey(&start, None)),
            _ => (photo.clone(), start),
        };
        let model = self.model.clone();
        let mut objective = Objective::new(model, &self.plan.loss, to_tensor(&loss_photo, dev), grams);
        if let Some(core) = plan.tile {
            objective = objective.tiled(core);
        }
        let pixels = start.data.len();
        let x0 = Tensor::<1>::from_data(TensorData::new(start.data, [pixels]), dev);
        // The picture is saved clamped to 0–255: optimise the picture that will be saved.
        let bounds = Some(PIXEL_RANGE);
        let minimiser: Box<dyn Minimiser> = match self.plan.optimiser {
            Optimiser::Lbfgs { history } => {
                let history = plan.history.unwrap_or(history);
                let config = LbfgsConfig { history_size: history, bounds, ..LbfgsConfig::default() };
                Box::new(Lbfgs::new(config, &mut objective, x0)?)
            }
            Optimiser::Adam { learning_rate } => {
                let config = AdamConfig { learning_rate, bounds, ..AdamConfig::default() };
                Box::new(Adam::new(config, &mut objective, x0)?)
            }
        };
        Ok((objective, minimiser))
    }

    /// End the run at a user's request, writing the image so far if asked to.
    fn interrupted(
        &self,
        minimiser: &dyn Minimiser,
        (w, h): (usize, usize),
        outputs: &Outputs,
        progress: &mut dyn Progress,
    ) -> anyhow::Error {
        progress.finish();
        if !outputs.target.save_partial {
            return Interrupted { saved: None }.into();
        }
        let saved = from_tensor(minimiser.x(), w, h)
            .map(|image| self.finish(image, outputs.photo))
            .and_then(|image| encode::save_atomic(&image, outputs.target.path, outputs.target.encoding));
        match saved {
            Ok(()) => Interrupted { saved: Some(outputs.target.path.to_path_buf()) }.into(),
            Err(e) => e,
        }
    }
}

/// Where a pixel's value may go: what an 8-bit picture keeps.
const PIXEL_RANGE: Bounds = Bounds { low: 0.0, high: 255.0 };

/// Why to stop after a step, if it is time to.
fn stop_reason(outcome: &StepOutcome, stall: &mut StallDetector, loss: f64) -> Option<Stop> {
    match outcome {
        StepOutcome::Improved if stall.stalled(loss) => Some(Stop::Stalled),
        StepOutcome::Improved => None,
        StepOutcome::Converged => Some(Stop::Converged),
        StepOutcome::LineSearchFailed => Some(Stop::LineSearchFailed),
    }
}
