//! `upcast check`, `upcast schema check`, `upcast schemas bless`.

use std::io::Write;
use std::path::Path;

use upcast::check::{Check, RULES, Report, rule};

use super::Outcome;
use crate::CliError;
use crate::args::{CheckArgs, FolderArgs, Format};

/// The whole check, against the types linked into this binary.
pub(crate) fn check(args: &CheckArgs, out: &mut dyn Write) -> Result<Outcome, CliError> {
    if args.list {
        return list(out);
    }
    if let Some(id) = &args.explain {
        return explain(id, out);
    }
    eprintln!(
        "checking {} against the registered versions...",
        args.dir.display()
    );
    let check = Check::new(&args.dir)
        .bless(args.bless || blessing())
        .policy(args.policy.into());
    report(check.run(), args.format, out)
}

/// The file-only check.
pub(crate) fn folder(args: &FolderArgs, out: &mut dyn Write) -> Result<Outcome, CliError> {
    eprintln!("checking the schema files in {}...", args.dir.display());
    report(
        Check::files(&args.dir).policy(args.policy.into()).run(),
        args.format,
        out,
    )
}

/// Writes missing snapshots, then checks.
pub(crate) fn bless(dir: &Path, out: &mut dyn Write) -> Result<Outcome, CliError> {
    eprintln!("blessing {}...", dir.display());
    report(Check::new(dir).bless(true).run(), Format::Human, out)
}

fn blessing() -> bool {
    std::env::var(upcast::check::BLESS_VAR).is_ok_and(|value| value == "1")
}

fn report(
    result: Result<Report, upcast::Error>,
    format: Format,
    out: &mut dyn Write,
) -> Result<Outcome, CliError> {
    let report = result?;
    let outcome = if report.passed() {
        Outcome::Clean
    } else {
        Outcome::Problems
    };
    match format {
        Format::Human => writeln!(out, "{report}")?,
        Format::Json => writeln!(out, "{}", report.to_json())?,
    }
    Ok(outcome)
}

fn list(out: &mut dyn Write) -> Result<Outcome, CliError> {
    for rule in RULES {
        writeln!(out, "{:<22} {:<5} {}", rule.id, rule.level, rule.name)?;
    }
    Ok(Outcome::Clean)
}

fn explain(id: &str, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let rule = rule(id).ok_or_else(|| CliError::UnknownRule(id.to_owned()))?;
    writeln!(
        out,
        "{}: {} ({})\n\n{}\n\nfix: {}",
        rule.id, rule.name, rule.level, rule.description, rule.fix
    )?;
    Ok(Outcome::Clean)
}
