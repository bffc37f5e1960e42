//! `upcast schema diff OLD NEW`: Confluent's compatibility rules on two schema files.

use std::io::Write;

use serde_json::json;
use upcast::compat::{self, Policy};

use super::{Outcome, read_json};
use crate::CliError;
use crate::args::{DiffArgs, Format};

pub(crate) fn run(args: &DiffArgs, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let old = read_json(&args.old)?;
    let new = read_json(&args.new)?;
    let policy = Policy::from(args.policy);
    let result = compat::check(&old, &new, args.direction.into(), policy)?;
    let changes: Vec<(String, String, bool)> = result
        .changes()
        .iter()
        .map(|change| {
            (
                change.change_type.to_string(),
                change.path.clone(),
                change.is_compatible(policy),
            )
        })
        .collect();
    match args.format {
        Format::Json => {
            let changes: Vec<_> = changes
                .iter()
                .map(|(kind, path, compatible)| json!({"type": kind, "path": path, "compatible": compatible}))
                .collect();
            let report = json!({"compatible": result.is_compatible(), "changes": changes});
            writeln!(out, "{report}")?;
        }
        Format::Human => human(args, &changes, result.is_compatible(), out)?,
    }
    Ok(if result.is_compatible() {
        Outcome::Clean
    } else {
        Outcome::Problems
    })
}

fn human(
    args: &DiffArgs,
    changes: &[(String, String, bool)],
    compatible: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let direction = format!("{:?}", args.direction).to_lowercase();
    let policy = format!("{:?}", args.policy).to_lowercase();
    let breaking: Vec<_> = changes.iter().filter(|(_, _, ok)| !ok).collect();
    if !breaking.is_empty() {
        writeln!(
            out,
            "--- failure: changes that break {direction} compatibility ({policy} policy) ---\n"
        )?;
        writeln!(out, "Failed in:")?;
        for (kind, path, _) in &breaking {
            writeln!(out, "  {kind} {path}")?;
        }
        writeln!(out)?;
    }
    let fine: Vec<_> = changes.iter().filter(|(_, _, ok)| *ok).collect();
    if !fine.is_empty() {
        writeln!(out, "Compatible changes:")?;
        for (kind, path, _) in &fine {
            writeln!(out, "  {kind} {path}")?;
        }
        writeln!(out)?;
    }
    let verdict = if compatible {
        "compatible"
    } else {
        "NOT compatible"
    };
    writeln!(
        out,
        "Summary: {} changes: {} compatible, {} incompatible; {} is {verdict} ({direction}, {policy})",
        changes.len(),
        fine.len(),
        breaking.len(),
        args.new.display()
    )
}
