//! Prints the benchmark ratios of one interleaved run:
//! `cargo run --release -p upcast-demo --bin bench-report [-- ROUNDS]`.
//!
//! `cargo bench` measures each case on its own; on a noisy machine the ratios between
//! separately measured cases drift. Here every case runs once per round, in rotating
//! order, and the ratios are of medians over the rounds.

use std::process::ExitCode;
use std::time::Duration;

use upcast_demo::invoice::Size;
use upcast_demo::perf::{Case, Inputs, Timing, all_cases, all_ratios, measure};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, case, size, count] = args.as_slice()
        && flag == "--profile"
    {
        return profile(case, size, count);
    }
    let rounds = args.first().and_then(|n| n.parse().ok()).unwrap_or(31);
    if cfg!(debug_assertions) {
        eprintln!("warning: a debug build; run with --release for meaningful figures");
    }
    let cases: Vec<&Case> = all_cases().collect();
    println!("upcast bench report: medians of {rounds} interleaved rounds, ns per read\n");
    let mut all_met = true;
    for size in Size::ALL {
        let inputs = Inputs::new(size);
        if let Some(failing) = cases.iter().find(|case| !(case.run)(&inputs)) {
            eprintln!(
                "error: case `{}` fails to read the {} invoice",
                failing.name,
                size.name()
            );
            return ExitCode::from(2);
        }
        eprintln!(
            "measuring {} ({} bytes of payload)...",
            size.name(),
            inputs.payload_current.len()
        );
        let timings = measure(&inputs, &cases, rounds, Duration::from_millis(4));
        all_met &= print_size(size, &timings);
    }
    if !all_met {
        println!("\nsome targets were missed (targets are for the medium payload)");
    }
    ExitCode::SUCCESS
}

fn print_size(size: Size, timings: &[Timing]) -> bool {
    let median = |name: &str| {
        timings
            .iter()
            .find(|t| t.case == name)
            .map_or(f64::NAN, Timing::median)
    };
    println!("{} payload", size.name());
    for timing in timings {
        println!("  {:<36} {:>12.0}", timing.case, timing.median());
    }
    let mut met = true;
    for &(numerator, denominator, target) in all_ratios() {
        let ratio = median(numerator) / median(denominator);
        let (verdict, bound) = match target {
            t if t > 0.0 => (ratio <= t, format!("target <= {t:.2}")),
            t if t < 0.0 => (ratio >= -t, format!("target >= {:.2}", -t)),
            _ => (true, String::new()),
        };
        // The targets are set for the medium payload; other sizes show the ratio alone.
        let (bound, mark) = match (size == Size::Medium && !bound.is_empty(), verdict) {
            (false, _) => (String::new(), ""),
            (true, true) => (bound, "  met"),
            (true, false) => (bound, "  MISSED"),
        };
        if size == Size::Medium {
            met &= verdict;
        }
        println!(
            "  {:<52} {ratio:>6.3}  {bound}{mark}",
            format!("{numerator} / {denominator}")
        );
    }
    println!();
    met
}

/// `--profile CASE SIZE COUNT`: runs one case COUNT times and nothing else, for
/// `valgrind --tool=callgrind` (which counts instructions, not seconds).
fn profile(name: &str, size: &str, count: &str) -> ExitCode {
    let case = upcast_demo::perf::case(name);
    let size = Size::ALL.into_iter().find(|s| s.name() == size);
    let (Some(case), Some(size), Ok(count)) = (case, size, count.parse::<u32>()) else {
        eprintln!("usage: bench-report --profile CASE small|medium|large COUNT");
        return ExitCode::from(2);
    };
    let inputs = Inputs::new(size);
    let ok = (0..count)
        .filter(|_| std::hint::black_box((case.run)(&inputs)))
        .count();
    println!("{ok} of {count} reads succeeded");
    ExitCode::SUCCESS
}
