//! Interleaved timing: every case runs once per round, so a noisy machine slows all of
//! them alike and the ratios of medians stay meaningful.

use std::time::{Duration, Instant};

use super::{Case, Inputs};

/// The timings of one case.
#[derive(Clone, Debug)]
pub struct Timing {
    /// The case's name.
    pub case: &'static str,
    /// Nanoseconds per read, one sample per round.
    pub samples: Vec<f64>,
}

impl Timing {
    /// The median nanoseconds per read.
    ///
    /// ```
    /// let timing = upcast_demo::perf::Timing { case: "x", samples: vec![3.0, 1.0, 2.0] };
    /// assert_eq!(timing.median(), 2.0);
    /// ```
    pub fn median(&self) -> f64 {
        let mut sorted = self.samples.clone();
        sorted.sort_by(f64::total_cmp);
        sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
    }
}

/// Times `cases` on `inputs` over `rounds` rounds, each batch lasting about `batch`.
pub fn measure(inputs: &Inputs, cases: &[&Case], rounds: usize, batch: Duration) -> Vec<Timing> {
    let iterations: Vec<u32> = cases
        .iter()
        .map(|case| calibrate(inputs, case, batch))
        .collect();
    let mut timings: Vec<Timing> = cases
        .iter()
        .map(|case| Timing {
            case: case.name,
            samples: Vec::with_capacity(rounds),
        })
        .collect();
    for round in 0..rounds {
        // Rotate the order so no case always runs right after another.
        for offset in 0..cases.len() {
            let index = (round + offset) % cases.len();
            let (case, count) = (cases[index], iterations[index]);
            let elapsed = time(inputs, case, count);
            timings[index]
                .samples
                .push(elapsed.as_nanos() as f64 / f64::from(count));
        }
    }
    timings
}

/// How many iterations of `case` take about `batch`.
fn calibrate(inputs: &Inputs, case: &Case, batch: Duration) -> u32 {
    let mut count = 1u32;
    loop {
        let elapsed = time(inputs, case, count);
        if elapsed >= batch / 4 || count >= 1 << 24 {
            let per_iteration = elapsed.as_secs_f64() / f64::from(count);
            return ((batch.as_secs_f64() / per_iteration.max(1e-9)) as u32).clamp(1, 1 << 24);
        }
        count *= 4;
    }
}

fn time(inputs: &Inputs, case: &Case, count: u32) -> Duration {
    let started = Instant::now();
    for _ in 0..count {
        std::hint::black_box((case.run)(std::hint::black_box(inputs)));
    }
    started.elapsed()
}
