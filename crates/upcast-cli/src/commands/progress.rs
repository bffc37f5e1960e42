//! Progress of a migration on standard error: a bar with rate and ETA on a terminal,
//! plain lines every few seconds otherwise.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use upcast_migrate::Observer;

/// Shows a run's progress.
pub(crate) enum Shown {
    Bar(ProgressBar),
    Lines { last: Instant, started: Instant },
}

const EVERY: Duration = Duration::from_secs(2);

impl Shown {
    pub(crate) fn new() -> Self {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new_spinner();
            let style = ProgressStyle::with_template(
                "{spinner} pass {msg}: {pos} records [{elapsed_precise}] {per_sec}",
            );
            if let Ok(style) = style {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            Shown::Bar(bar)
        } else {
            Shown::Lines {
                last: Instant::now(),
                started: Instant::now(),
            }
        }
    }

    pub(crate) fn done(&self) {
        if let Shown::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Shown {
    fn pass(&mut self, pass: u32, total: Option<u64>) {
        match self {
            Shown::Bar(bar) => {
                bar.set_message(pass.to_string());
                bar.set_position(0);
                if let Some(total) = total {
                    bar.set_length(total);
                    bar.reset_eta();
                    let style = ProgressStyle::with_template(
                        "pass {msg}: [{bar:30}] {pos}/{len} records [{elapsed_precise}] \
                         {per_sec}, about {eta} left",
                    );
                    if let Ok(style) = style {
                        bar.set_style(style.progress_chars("=> "));
                    }
                }
            }
            Shown::Lines { started, .. } => {
                *started = Instant::now();
                match total {
                    Some(total) => eprintln!("pass {pass}: about {total} records to read..."),
                    None => eprintln!("pass {pass}..."),
                }
            }
        }
    }

    fn batch(&mut self, read: u64, rewritten: u64) {
        match self {
            Shown::Bar(bar) => bar.set_position(read),
            Shown::Lines { last, started } => {
                if last.elapsed() >= EVERY {
                    *last = Instant::now();
                    let rate = read as f64 / started.elapsed().as_secs_f64().max(1e-9);
                    eprintln!("{read} records read, {rewritten} rewritten, {rate:.0} records/s");
                }
            }
        }
    }
}
