//! `upcast schema diff OLD NEW`: Confluent's compatibility rules on two schema files.

use std::io::Write;

use serde_json::json;
use upcast::compat::{self, Policy};

use super::{Outcome, read_json};
use crate::CliError;
use crate::args::{DiffArgs, DirectionArg, Format};

pub(crate) fn run(args: &DiffArgs, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let old = read_json(&args.old)?;
    let new = read_json(&args.new)?;
    let policy = Policy::from(args.policy);
    let options = compat::Options::new(args.direction.into(), policy).limit(args.limit);
    let result = compat::check_with(&old, &new, options).map_err(upcast::Error::from)?;
    let backward = result.backward().len();
    let changes: Vec<Line> = result
        .changes()
        .iter()
        .enumerate()
        .map(|(index, change)| {
            // With `full`, say which way a change applies.
            let way = match (args.direction, index < backward) {
                (DirectionArg::Full, true) => Some("backward"),
                (DirectionArg::Full, false) => Some("forward"),
                _ => None,
            };
            Line {
                kind: change.change_type.to_string(),
                path: change.path.clone(),
                compatible: change.is_compatible(policy),
                way,
            }
        })
        .collect();
    match args.format {
        Format::Json => {
            let changes: Vec<_> = changes.iter().map(Line::to_json).collect();
            let report = json!({"compatible": result.is_compatible(), "changes": changes,
                                "truncated": result.truncated()});
            writeln!(out, "{report}")?;
        }
        Format::Human => human(args, &changes, &result, out)?,
    }
    Ok(if result.is_compatible() {
        Outcome::Clean
    } else {
        Outcome::Problems
    })
}

/// One change as printed.
struct Line {
    kind: String,
    path: String,
    compatible: bool,
    /// For `--direction full`: which way the change was found.
    way: Option<&'static str>,
}

impl Line {
    fn to_json(&self) -> serde_json::Value {
        let mut line = json!({"type": self.kind, "path": self.path, "compatible": self.compatible});
        if let Some(way) = self.way {
            line["direction"] = json!(way);
        }
        line
    }

    fn human(&self) -> String {
        match self.way {
            Some(way) => format!("  {} {} ({way})", self.kind, self.path),
            None => format!("  {} {}", self.kind, self.path),
        }
    }
}

fn human(
    args: &DiffArgs,
    changes: &[Line],
    result: &compat::Compatibility,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let direction = format!("{:?}", args.direction).to_lowercase();
    let policy = format!("{:?}", args.policy).to_lowercase();
    let (fine, breaking): (Vec<&Line>, Vec<&Line>) =
        changes.iter().partition(|line| line.compatible);
    if !breaking.is_empty() {
        writeln!(
            out,
            "--- failure: changes that break {direction} compatibility ({policy} policy) ---\n"
        )?;
        writeln!(out, "Failed in:")?;
        for line in &breaking {
            writeln!(out, "{}", line.human())?;
        }
        writeln!(out)?;
    }
    if !fine.is_empty() {
        writeln!(out, "Compatible changes:")?;
        for line in &fine {
            writeln!(out, "{}", line.human())?;
        }
        writeln!(out)?;
    }
    if result.truncated() {
        writeln!(
            out,
            "Truncated: more than {} changes; the verdict counts them all (raise --limit to \
             list more)\n",
            args.limit
        )?;
    }
    let verdict = if result.is_compatible() {
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
