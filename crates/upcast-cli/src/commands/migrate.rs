//! `upcast migrate plan|run|verify|rollback|finalize|status STORE`: a thin layer over
//! upcast-migrate's calls.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use serde::Serialize;
use upcast::{Layout, Registry};
use upcast_migrate::{Converter, RunOptions, StoreSpec, TableSpec, store::Store};

use super::Outcome;
use super::progress::Shown;
use crate::CliError;
use crate::args::{CompareArgs, Format, MigrateCommand, RunArgs, StoreArgs};

pub(crate) fn run(command: &MigrateCommand, out: &mut dyn Write) -> Result<Outcome, CliError> {
    match command {
        MigrateCommand::Plan(args) => with_store(args, |store, converter| {
            let plan = upcast_migrate::plan(store, converter)?;
            print(out, args.format, &plan, plan.failing.is_empty())
        }),
        MigrateCommand::Run(run) => match &run.into {
            Some(into) => backfill(run, into, out),
            None => run_workers(run, out),
        },
        MigrateCommand::Compare(args) => compare(args, out),
        MigrateCommand::Verify(args) => with_store(args, |store, converter| {
            let verified = upcast_migrate::verify(store, converter)?;
            print(out, args.format, &verified, verified.passed())
        }),
        MigrateCommand::Rollback(args) => with_store(args, |store, _| {
            let restored = upcast_migrate::rollback(store)?;
            let clean = restored.changed.is_empty();
            print(out, args.format, &Rolled(&store.name(), &restored), clean)
        }),
        MigrateCommand::Finalize(finalize) => with_store(&finalize.store, |store, converter| {
            let verified = upcast_migrate::finalize(store, converter, finalize.delete_original)?;
            let left = verified.not_current.len() + verified.missing.len();
            let done = Finalized {
                store: store.name(),
                original_deleted: finalize.delete_original,
                verified,
            };
            print(out, finalize.store.format, &done, left == 0)
        }),
        MigrateCommand::Status(args) => with_store(args, |store, converter| {
            let status = upcast_migrate::status(store, converter)?;
            let clean = status.left == 0 && status.failures.is_empty();
            print(out, args.format, &status, clean)
        }),
    }
}

/// `migrate run`: one worker, or `--workers N` on a store they can share.
fn run_workers(run: &RunArgs, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let spec = StoreSpec::parse(&run.store.store)?;
    let layout = layout(&run.store, &spec)?;
    let registry = Registry::try_global()?;
    let mut stores = vec![spec.open()?];
    if run.workers > 1 && !stores.iter().all(|store| store.shares_work()) {
        return Err(CliError::Usage(format!(
            "--workers {} needs a store workers can share (PostgreSQL); `{spec}` takes one",
            run.workers
        )));
    }
    for _ in 1..run.workers {
        stores.push(spec.open()?);
    }
    let converter = Converter::new(registry, &layout);
    let stop = stop_on_signals()?;
    let mut shown = Shown::new();
    let report =
        upcast_migrate::run_workers(&mut stores, &converter, &options(run), &stop, &mut shown);
    shown.done();
    let report = report?;
    print(out, run.store.format, &report, report.clean())
}

/// `migrate run OLD --into NEW`: the backfill.
fn backfill(run: &RunArgs, into: &str, out: &mut dyn Write) -> Result<Outcome, CliError> {
    // The new store first: a wrong URL is told in the server's words before anything else.
    drop(StoreSpec::parse(into)?.open()?);
    with_store(&run.store, |store, converter| {
        let stop = stop_on_signals()?;
        let mut shown = Shown::new();
        let options = options(run);
        let done =
            upcast_migrate::dual::backfill(store, into, converter, &options, &stop, &mut shown);
        shown.done();
        let done = done?;
        let clean = done.finished && done.failed == 0;
        print(out, run.store.format, &done, clean)
    })
}

/// `migrate compare OLD NEW`.
fn compare(args: &CompareArgs, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let mut new = StoreSpec::parse(&args.new)?.open()?;
    with_store(&args.old, |old, converter| {
        let found = upcast_migrate::compare(old, &mut *new, converter)?;
        print(out, args.old.format, &found, found.same())
    })
}

/// The run's options from its flags.
fn options(run: &RunArgs) -> RunOptions {
    let options = RunOptions::default()
        .pause(Duration::from_millis(run.pause))
        .worker_timeout(run.worker_timeout);
    let options = match run.batch {
        Some(batch) => options.batch(batch),
        None => options,
    };
    match (run.limit, run.max_rate) {
        (Some(limit), rate) => with_rate(options.limit(limit), rate),
        (None, rate) => with_rate(options, rate),
    }
}

fn with_rate(options: RunOptions, rate: Option<f64>) -> RunOptions {
    match rate {
        Some(rate) => options.max_rate(rate),
        None => options,
    }
}

/// Opens the store, checking every name it gives, and runs `act` on it.
fn with_store(
    args: &StoreArgs,
    act: impl FnOnce(&mut dyn Store, &Converter<'_>) -> Result<Outcome, CliError>,
) -> Result<Outcome, CliError> {
    let spec = StoreSpec::parse(&args.store)?;
    let layout = layout(args, &spec)?;
    let registry = Registry::try_global()?;
    let mut store = spec.open()?;
    act(&mut *store, &Converter::new(registry, &layout))
}

/// The layout `--inline FIELD --kind K`, a `version=` column and `--kind K` select.
fn layout(args: &StoreArgs, spec: &StoreSpec) -> Result<Layout, CliError> {
    let column = matches!(
        spec,
        StoreSpec::Sqlite(TableSpec {
            version: Some(_),
            ..
        }) | StoreSpec::Postgres(TableSpec {
            version: Some(_),
            ..
        }) | StoreSpec::Mysql(TableSpec {
            version: Some(_),
            ..
        })
    );
    match (&args.inline, &args.kind, column) {
        (Some(_), _, true) => Err(CliError::Usage(
            "a version column and --inline do not go together: the version is in one place".into(),
        )),
        (Some(field), Some(kind), false) => {
            Ok(Layout::inline(field.clone()).with_kind(kind.clone()))
        }
        (None, Some(kind), true) => Ok(Layout::external().with_kind(kind.clone())),
        (None, None, true) => Err(CliError::Usage(
            "records with their version in a column need --kind, the kind they are".into(),
        )),
        _ => Ok(Layout::envelope()),
    }
}

/// A flag SIGINT and SIGTERM set: the run stops after the batch in flight.
fn stop_on_signals() -> Result<Arc<AtomicBool>, CliError> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop)).map_err(CliError::Output)?;
    }
    Ok(stop)
}

fn print<R: Serialize + std::fmt::Display>(
    out: &mut dyn Write,
    format: Format,
    report: &R,
    clean: bool,
) -> Result<Outcome, CliError> {
    match format {
        Format::Human => writeln!(out, "{report}")?,
        Format::Json => writeln!(out, "{}", serde_json::to_string(report).unwrap_or_default())?,
    }
    Ok(if clean {
        Outcome::Clean
    } else {
        Outcome::Problems
    })
}

/// What a rollback did, as printed.
#[derive(Serialize)]
struct Rolled<'a>(&'a str, &'a upcast_migrate::Restored);

impl std::fmt::Display for Rolled<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Rolled(store, restored) = self;
        write!(
            f,
            "Rolled back {store}: {} records put back",
            restored.restored
        )?;
        if !restored.changed.is_empty() {
            write!(
                f,
                "\n\nChanged since the migration rewrote them, left as they are ({}):",
                restored.changed.len()
            )?;
            for key in &restored.changed {
                write!(f, "\n  key {key}")?;
            }
        }
        Ok(())
    }
}

/// What a finalize did, as printed.
#[derive(Serialize)]
struct Finalized {
    store: String,
    original_deleted: bool,
    /// What `verify` found before the finalize.
    verified: upcast_migrate::Verification,
}

impl std::fmt::Display for Finalized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Finalized {}", self.store)?;
        if self.original_deleted {
            write!(f, "; the original is deleted")?;
        }
        let verified = &self.verified;
        if !verified.not_current.is_empty() {
            writeln!(
                f,
                "\n{} records could not be migrated and stay at their old version:",
                verified.not_current.len()
            )?;
            for listed in verified.not_current.iter().take(20) {
                writeln!(f, "  key `{}`: {}", listed.key, listed.why)?;
            }
        }
        if !verified.missing.is_empty() {
            write!(
                f,
                "\n{} records the migration rewrote are gone from the store since",
                verified.missing.len()
            )?;
        }
        Ok(())
    }
}
