//! What the user sees while painting: the binary's implementations of the library's `Progress`
//! (an indicatif bar or plain lines, or JSON lines for scripts).

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use nst::report::{IterationReport, Progress};

use super::args::ProgressMode;
use super::events::{self, Event, SCHEMA};

/// How a run shows its progress (`--progress`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// A redrawn bar on a terminal.
    Bar,
    /// A plain line every few seconds, for logs (CI, clusters) where a bar draws nothing.
    Lines,
    /// Nothing but notices.
    Nothing,
}

impl Shown {
    /// `auto`: a bar on a terminal, lines elsewhere.
    pub fn choose(asked: ProgressMode) -> Shown {
        match asked {
            ProgressMode::Auto if std::io::stderr().is_terminal() => Shown::Bar,
            ProgressMode::Auto | ProgressMode::Lines => Shown::Lines,
            ProgressMode::Bar => Shown::Bar,
            ProgressMode::None => Shown::Nothing,
        }
    }
}

/// Seconds between progress lines.
const LINE_EVERY: Duration = Duration::from_secs(5);

/// The iteration bar, or progress lines. Off a terminal indicatif draws nothing; notices still
/// go to stderr.
pub struct Bar {
    bar: Option<ProgressBar>,
    /// Set when the bar sits under `nst batch`'s overall bar.
    multi: Option<MultiProgress>,
    shown: Shown,
    quiet: bool,
    /// When the last progress line was printed (`Shown::Lines`).
    last_line: Option<Instant>,
    interrupted: Arc<AtomicBool>,
}

impl Bar {
    /// `quiet` hides everything; `interrupted` is set by the signal handler.
    pub fn new(
        shown: Shown,
        quiet: bool,
        interrupted: Arc<AtomicBool>,
        multi: Option<MultiProgress>,
    ) -> Self {
        let shown = if quiet { Shown::Nothing } else { shown };
        Bar { bar: None, multi, shown, quiet, last_line: None, interrupted }
    }
}

/// A bar template; a bad template falls back to indicatif's plain bar rather than failing.
pub fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// Where a run stands, in one line: iteration, level, loss, time taken and left.
pub fn status_line(r: &IterationReport) -> String {
    let level = if r.levels > 1 {
        format!(", level {}/{} at {}×{}", r.level, r.levels, r.width, r.height)
    } else {
        String::new()
    };
    let left = r.remaining.map(|d| format!(", at most {} left", clock(d))).unwrap_or_default();
    // The default has no variation term; a column of zeros would only be noise.
    let tv = match r.terms.variation {
        0.0 => String::new(),
        variation => format!(", tv {variation:.3e}"),
    };
    let palette = match r.terms.palette {
        0.0 => String::new(),
        palette => format!(", palette {palette:.3e}"),
    };
    let temporal = match r.terms.temporal {
        0.0 => String::new(),
        temporal => format!(", temporal {temporal:.3e}"),
    };
    format!(
        "iteration {}/{}{level}, loss {:.4e} (content {:.3e}, style {:.3e}{tv}{palette}{temporal}), {}{left}",
        r.iteration,
        r.iterations,
        r.terms.total(),
        r.terms.content,
        r.terms.style,
        clock(r.elapsed)
    )
}

/// 75 s → "1:15".
fn clock(d: Duration) -> String {
    let s = d.as_secs_f64().round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

impl Progress for Bar {
    fn notice(&mut self, message: &str) {
        if self.quiet {
            return;
        }
        // indicatif drops printed lines when it draws nothing (off a terminal).
        match (&self.bar, &self.multi) {
            (Some(bar), _) if !bar.is_hidden() => bar.println(format!("nst: {message}")),
            (None, Some(multi)) if !multi.is_hidden() => {
                let _ = multi.println(format!("nst: {message}"));
            }
            _ => eprintln!("nst: {message}"),
        }
    }

    fn start(&mut self, _iterations: usize) {
        self.last_line = None;
        if self.shown != Shown::Bar {
            return;
        }
        // Positions are thousandths of the run's work (levels weighted by their pixels), so
        // the bar and its pace are right across levels of different sizes.
        let bar = ProgressBar::with_draw_target(Some(1000), ProgressDrawTarget::stderr());
        let bar = match &self.multi {
            Some(multi) => multi.add(bar),
            None => bar,
        };
        bar.set_style(style("{bar:30} {msg}"));
        self.bar = Some(bar);
    }

    fn iteration(&mut self, r: &IterationReport) {
        match self.shown {
            Shown::Bar => {
                if let Some(bar) = &self.bar {
                    bar.set_position((r.done * 1000.0).round() as u64);
                    bar.set_message(status_line(r));
                }
            }
            Shown::Lines => {
                if self.last_line.is_none_or(|t| t.elapsed() >= LINE_EVERY) {
                    self.last_line = Some(Instant::now());
                    eprintln!("nst: {}", status_line(r));
                }
            }
            Shown::Nothing => {}
        }
    }

    fn cancelled(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
            if let Some(multi) = &self.multi {
                multi.remove(&bar);
            }
        }
    }
}

/// Print `line` on stdout; false when the reader has gone (a closed pipe, as with
/// `nst run --json | head -1`), where `println!` would panic.
pub fn emit(line: &str) -> bool {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").and_then(|()| out.flush()).is_ok()
}

/// `nst run --json`: one JSON object per iteration on stdout; notices stay on stderr.
pub struct JsonLines {
    quiet: bool,
    interrupted: Arc<AtomicBool>,
    /// Set when stdout's reader has gone: the run goes on, without events.
    closed: bool,
}

impl JsonLines {
    pub fn new(quiet: bool, interrupted: Arc<AtomicBool>) -> Self {
        JsonLines { quiet, interrupted, closed: false }
    }
}

impl Progress for JsonLines {
    fn notice(&mut self, message: &str) {
        if !self.quiet {
            eprintln!("nst: {message}");
        }
    }

    fn start(&mut self, _: usize) {}

    fn iteration(&mut self, r: &IterationReport) {
        let event = Event::Iteration { schema: SCHEMA, iteration: r.into() };
        if !self.closed && !emit(&events::line(&event)) {
            self.closed = true;
            self.notice("stdout was closed; the run goes on without --json events");
        }
    }

    fn cancelled(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }

    fn finish(&mut self) {}
}

/// Passes everything on to another `Progress` and keeps the iterations and notices, for
/// `nst run --log`.
pub struct Recorder {
    inner: Box<dyn Progress>,
    pub iterations: Vec<IterationReport>,
    pub notices: Vec<String>,
}

impl Recorder {
    pub fn new(inner: Box<dyn Progress>) -> Self {
        Recorder { inner, iterations: Vec::new(), notices: Vec::new() }
    }
}

impl Progress for Recorder {
    fn notice(&mut self, message: &str) {
        self.notices.push(message.to_string());
        self.inner.notice(message);
    }

    fn start(&mut self, iterations: usize) {
        self.inner.start(iterations);
    }

    fn iteration(&mut self, report: &IterationReport) {
        self.iterations.push(*report);
        self.inner.iteration(report);
    }

    fn cancelled(&self) -> bool {
        self.inner.cancelled()
    }

    fn finish(&mut self) {
        self.inner.finish();
    }
}
