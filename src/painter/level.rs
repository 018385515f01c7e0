//! One level of a run: the objective at one size, the pixel optimiser stepping until its
//! [`StopRule`] ends the level, with reports, checkpoints and interruption.

use std::time::Instant;

use anyhow::{Result, anyhow};
use burn::tensor::{Tensor, TensorData};

use super::eta::Eta;
use super::resize::{checkpoint_path, from_tensor};
use super::settle::rms_change;
use super::stop_rule::StopRule;
use super::{Carried, Painter, Target};
use crate::encode;
use crate::error::Interrupted;
use crate::image_io::{Planar, to_tensor};
use crate::loss::{GuidedStyle, LossTerms, Objective, StyleGrams};
use crate::optim::{Adam, AdamConfig, Bounds, Lbfgs, LbfgsConfig, Minimiser, StepOutcome};
use crate::plan::LevelPlan;
use crate::recipe::Optimiser;
use crate::regions::Guide;
use crate::report::{IterationReport, LevelSummary, Progress, Stop};

/// Where a run stands across its levels, for reports and checkpoints.
pub(super) struct Tally {
    pub iterations_before: usize,
    /// Iterations the run's plan allows in all (levels that settle end sooner).
    pub planned: usize,
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

/// Which level of the run this is, and how it may run.
pub(super) struct LevelAt<'a> {
    /// The level's number, counting from 1, for reports.
    pub number: usize,
    /// How many levels the run has.
    pub of: usize,
    /// Its size and iterations (the most it runs), whether to evaluate in tiles, and how much
    /// L-BFGS history memory allows.
    pub plan: &'a LevelPlan,
    /// A video's previous frame, carried along the flow: the temporal term's target.
    pub carried: Option<&'a Carried>,
    /// Where each painting applies; empty: everywhere, blended.
    pub guides: &'a [Guide],
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

/// A level's objective and the optimiser stepping on it, kept together because every step,
/// report and checkpoint needs both.
struct Descent {
    objective: Objective,
    minimiser: Box<dyn Minimiser>,
    /// The level's image size, (width, height).
    size: (usize, usize),
    /// The run's evaluations before this level, to count the run's from the level's.
    evaluations_before: usize,
}

impl Painter {
    /// Optimise at `photo`'s size, from `start`, until the level's [`StopRule`] says it is done.
    pub(super) fn level(
        &self,
        photo: &Planar,
        start: Planar,
        at: LevelAt,
        tally: &mut Tally,
        outputs: &Outputs,
        progress: &mut dyn Progress,
    ) -> Result<LevelResult> {
        let started = Instant::now();
        let (grams, guided) = match at.guides {
            [] => (self.grams_for(photo, at.plan.tile), Vec::new()),
            guides => {
                let guided = self.guided_for(photo, guides, at.plan.tile)?;
                // The readout's: the paintings by how much of the picture each covers.
                let total: f64 = guided.iter().map(|g| g.share).sum();
                let parts: Vec<_> = guided.iter().map(|g| (&g.grams, g.share / total)).collect();
                (StyleGrams::blended(&parts), guided)
            }
        };
        let mut descent = self.descent(photo, start, (&grams, guided), &at, tally.evaluations)?;
        let initial_loss = descent.minimiser.value();
        if !initial_loss.is_finite() {
            return Err(anyhow!(
                "the loss of the starting image is {initial_loss}; check the weights and recipe"
            ));
        }
        tally.eta.start_level(at.number - 1);
        let mut rule = StopRule::new(at.plan.iterations, self.plan.schedule.settle, descent.minimiser.x());
        let mut last = None;
        let stop = loop {
            if let Some(stop) = rule.check(last.as_ref(), descent.minimiser.as_ref())? {
                break stop;
            }
            if progress.cancelled() {
                return Err(self.interrupted(&descent, outputs, progress));
            }
            last = Some(self.iterate(&mut descent, &at, tally, outputs, progress)?);
        };
        tally.eta.end_level();
        tally.iterations_before += descent.minimiser.iterations();
        descent.result(stop, started.elapsed().as_secs_f64(), grams, initial_loss)
    }

    /// The level's objective against `photo`, and the optimiser started at `start`.
    fn descent(
        &self,
        photo: &Planar,
        start: Planar,
        (grams, guided): (&StyleGrams, Vec<GuidedStyle>),
        at: &LevelAt,
        evaluations_before: usize,
    ) -> Result<Descent> {
        let (dev, plan) = (&self.device.device, at.plan);
        let colours = self.plan.colours;
        let (loss_photo, start) = (colours.seen(photo.clone()), colours.seen(start));
        let (model, spec, content) = (self.model.clone(), &self.plan.loss, to_tensor(&loss_photo, dev));
        let mut objective = match guided.is_empty() {
            true => Objective::new(model, spec, content, grams),
            false => Objective::guided(model, spec, content, guided)?,
        };
        if let Some(core) = plan.tile {
            objective = objective.tiled(core);
        }
        let size = (photo.width, photo.height);
        if let Some(temporal) = at.carried.and_then(|carried| carried.target(size, colours, dev)) {
            objective = objective.with_temporal(temporal);
        }
        let pixels = start.data.len();
        let x0 = Tensor::<1>::from_data(TensorData::new(start.data, [pixels]), dev);
        let minimiser = self.minimiser(&mut objective, x0, plan)?;
        Ok(Descent { objective, minimiser, size: (photo.width, photo.height), evaluations_before })
    }

    /// The recipe's optimiser on `objective` from `x0`, with the history memory allows.
    fn minimiser(
        &self,
        objective: &mut Objective,
        x0: Tensor<1>,
        plan: &LevelPlan,
    ) -> Result<Box<dyn Minimiser>> {
        // The picture is saved clamped to 0–255: optimise the picture that will be saved.
        let bounds = Some(PIXEL_RANGE);
        Ok(match self.plan.optimiser {
            Optimiser::Lbfgs { history } => {
                let history = plan.history.unwrap_or(history);
                let config = LbfgsConfig { history_size: history, bounds, ..LbfgsConfig::default() };
                Box::new(Lbfgs::new(config, objective, x0)?)
            }
            Optimiser::Adam { learning_rate } => {
                let config = AdamConfig { learning_rate, bounds, ..AdamConfig::default() };
                Box::new(Adam::new(config, objective, x0)?)
            }
        })
    }

    /// One step of the optimiser, reported, and checkpointed when one is due.
    fn iterate(
        &self,
        descent: &mut Descent,
        at: &LevelAt,
        tally: &mut Tally,
        outputs: &Outputs,
        progress: &mut dyn Progress,
    ) -> Result<StepOutcome> {
        let before = descent.minimiser.x().clone();
        let outcome = descent.minimiser.step(&mut descent.objective)?;
        let pixel_change = rms_change(&before, descent.minimiser.x())?;
        tally.eta.iteration_done();
        tally.evaluations = descent.evaluations_before + descent.minimiser.evaluations();
        let report = self.report(descent, at, tally, pixel_change);
        progress.iteration(&report);
        self.checkpoint(descent, report.iteration, &outcome, outputs)?;
        Ok(outcome)
    }

    /// The report of the step just taken, which moved the pixels by `pixel_change`.
    fn report(&self, descent: &Descent, at: &LevelAt, tally: &Tally, pixel_change: f64) -> IterationReport {
        let (width, height) = descent.size;
        IterationReport {
            iteration: tally.iterations_before + descent.minimiser.iterations(),
            iterations: tally.planned,
            evaluations: tally.evaluations,
            terms: descent.objective.terms_of(descent.minimiser.accepted_evaluation()).unwrap_or_default(),
            elapsed: tally.started.elapsed(),
            width,
            height,
            level: at.number,
            levels: at.of,
            pixel_change,
            done: tally.eta.fraction(),
            remaining: tally.eta.remaining(),
        }
    }

    /// Write the picture so far every `save_every` iterations of the run, when the step that
    /// reached it improved it (a failed step leaves nothing new to save).
    fn checkpoint(
        &self,
        descent: &Descent,
        iteration: usize,
        outcome: &StepOutcome,
        outputs: &Outputs,
    ) -> Result<()> {
        let every = self.plan.schedule.save_every;
        if every == 0 || !iteration.is_multiple_of(every) || *outcome != StepOutcome::Improved {
            return Ok(());
        }
        let (w, h) = descent.size;
        let image = self.finish(from_tensor(descent.minimiser.x(), w, h)?, outputs.photo);
        let path = checkpoint_path(outputs.target.path, iteration);
        encode::save_atomic(&image, &path, outputs.target.encoding)
    }

    /// End the run at a user's request, writing the image so far if asked to.
    fn interrupted(
        &self,
        descent: &Descent,
        outputs: &Outputs,
        progress: &mut dyn Progress,
    ) -> anyhow::Error {
        progress.finish();
        if !outputs.target.save_partial {
            return Interrupted { saved: None }.into();
        }
        let (w, h) = descent.size;
        let saved = from_tensor(descent.minimiser.x(), w, h)
            .map(|image| self.finish(image, outputs.photo))
            .and_then(|image| encode::save_atomic(&image, outputs.target.path, outputs.target.encoding));
        match saved {
            Ok(()) => Interrupted { saved: Some(outputs.target.path.to_path_buf()) }.into(),
            Err(e) => e,
        }
    }
}

impl Descent {
    /// What the level came to, once `stop` ended it after `seconds`.
    fn result(self, stop: Stop, seconds: f64, grams: StyleGrams, initial_loss: f64) -> Result<LevelResult> {
        let (width, height) = self.size;
        let (minimiser, objective) = (&self.minimiser, &self.objective);
        let summary = LevelSummary {
            width,
            height,
            iterations: minimiser.iterations(),
            evaluations: minimiser.evaluations(),
            seconds,
            stop,
            tiles: objective.tile_count(),
        };
        Ok(LevelResult {
            summary,
            grams,
            image: from_tensor(minimiser.x(), width, height)?,
            initial_loss,
            final_loss: minimiser.value(),
            final_terms: objective.terms_of(minimiser.accepted_evaluation()).unwrap_or_default(),
            stop,
        })
    }
}

/// Where a pixel's value may go: what an 8-bit picture keeps.
const PIXEL_RANGE: Bounds = Bounds { low: 0.0, high: 255.0 };
