//! The indicatif progress bar: the binary's implementation of the library's `Progress`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use nst::transfer::{IterationReport, Progress};

pub struct Bar {
    bar: Option<ProgressBar>,
    quiet: bool,
    interrupted: Arc<AtomicBool>,
}

impl Bar {
    /// `quiet` hides everything; off a terminal indicatif hides the bar itself.
    /// `interrupted` is set by the signal handler.
    pub fn new(quiet: bool, interrupted: Arc<AtomicBool>) -> Self {
        Bar { bar: None, quiet, interrupted }
    }
}

impl Progress for Bar {
    fn notice(&mut self, message: &str) {
        if self.quiet {
            return;
        }
        match &self.bar {
            Some(bar) => bar.println(format!("nst: {message}")),
            None => eprintln!("nst: {message}"),
        }
    }

    fn start(&mut self, iterations: usize) {
        if self.quiet {
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(iterations as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} [{elapsed_precise} < {eta_precise}]")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        self.bar = Some(bar);
    }

    fn iteration(&mut self, r: &IterationReport) {
        if let Some(bar) = &self.bar {
            bar.set_position(r.iteration as u64);
            bar.set_message(format!(
                "loss {:.4e} (content {:.3e}, style {:.3e}, tv {:.3e})",
                r.terms.total(),
                r.terms.content,
                r.terms.style,
                r.terms.variation
            ));
        }
    }

    fn cancelled(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
