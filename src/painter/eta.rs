//! Time left in a whole run. An iteration at 512 px costs about 16 at 128 px, so the planned
//! work is counted in pixels × iterations and priced at the rate of the level under way. A
//! level that settles early gives back its unused work, so the estimate is an upper bound.

use std::time::{Duration, Instant};

pub(super) struct Eta {
    /// Per level: pixels per iteration, work planned (pixels × iterations), work done.
    levels: Vec<(f64, f64, f64)>,
    current: usize,
    level_started: Instant,
}

impl Eta {
    /// `levels`: (pixels, iterations) of each level, coarsest first.
    pub fn new(levels: impl IntoIterator<Item = (usize, usize)>) -> Self {
        let levels = levels.into_iter().map(|(p, n)| (p as f64, (p * n) as f64, 0.0)).collect();
        Eta { levels, current: 0, level_started: Instant::now() }
    }

    pub fn start_level(&mut self, level: usize) {
        self.current = level;
        self.level_started = Instant::now();
    }

    pub fn iteration_done(&mut self) {
        if let Some((pixels, _, done)) = self.levels.get_mut(self.current) {
            *done += *pixels;
        }
    }

    /// The level under way ended (its iterations ran out or it stopped early).
    pub fn end_level(&mut self) {
        if let Some((_, planned, done)) = self.levels.get_mut(self.current) {
            *planned = *done;
        }
    }

    /// Share of the planned work done, 0–1.
    pub fn fraction(&self) -> f64 {
        let (planned, done) = self.levels.iter().fold((0.0, 0.0), |(p, d), l| (p + l.1, d + l.2));
        if planned > 0.0 { (done / planned).min(1.0) } else { 1.0 }
    }

    /// At most this long to go, at the current level's pace; `None` before its first iteration.
    pub fn remaining(&self) -> Option<Duration> {
        let (_, _, done_here) = *self.levels.get(self.current)?;
        if done_here <= 0.0 {
            return None;
        }
        let rate = self.level_started.elapsed().as_secs_f64() / done_here;
        let left: f64 = self.levels.iter().map(|(_, planned, done)| (planned - done).max(0.0)).sum();
        Some(Duration::from_secs_f64(rate * left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_is_weighted_by_pixels_and_early_stops_give_it_back() {
        // 10 iterations of 1 pixel, then 10 of 3 pixels: 40 units.
        let mut eta = Eta::new([(1, 10), (3, 10)]);
        assert_eq!(eta.remaining(), None);
        for _ in 0..5 {
            eta.iteration_done();
        }
        assert!((eta.fraction() - 5.0 / 40.0).abs() < 1e-12);
        assert!(eta.remaining().is_some());
        eta.end_level(); // stopped after 5 of 10
        assert!((eta.fraction() - 5.0 / 35.0).abs() < 1e-12);
        eta.start_level(1);
        for _ in 0..10 {
            eta.iteration_done();
        }
        assert_eq!(eta.fraction(), 1.0);
        assert_eq!(eta.remaining(), Some(Duration::ZERO));
    }
}
