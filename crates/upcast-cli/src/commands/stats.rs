//! `upcast stats FILE`: stored records per kind and version, the steps they need, and how
//! many fail to convert.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::json;
use upcast::{Registry, Stored, Version};

use super::{Outcome, layout, records};
use crate::CliError;
use crate::args::{Format, RecordsArgs};

/// Records of one kind stored at one version.
struct Group {
    version: Option<Version>,
    records: usize,
    /// Records whose conversion to the current version fails.
    failing: usize,
}

pub(crate) fn run(args: &RecordsArgs, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let registry = Registry::try_global()?;
    let (groups, total, unreadable) = count(registry, args)?;
    let mut rows = Vec::new();
    let mut steps: BTreeMap<(String, Version, Version), usize> = BTreeMap::new();
    let failing: usize = groups.values().map(|group| group.failing).sum();
    for ((kind, tag), group) in &groups {
        let path = registry
            .path(kind, group.version.as_ref())
            .map_err(|e| e.to_string());
        if let Ok(path) = &path {
            for pair in path.windows(2) {
                *steps
                    .entry((kind.clone(), pair[0].clone(), pair[1].clone()))
                    .or_default() += group.records;
            }
        }
        rows.push((kind, tag, group, path));
    }
    match args.format {
        Format::Human => {
            writeln!(
                out,
                "{:<14} {:>9} {:>9} {:>7} {:>6}  path",
                "kind", "stored", "records", "failing", "steps"
            )?;
            for (kind, tag, group, path) in &rows {
                let (count, text) = match path {
                    Ok(path) => (path.len().saturating_sub(1).to_string(), joined(path)),
                    Err(error) => ("-".to_owned(), error.clone()),
                };
                let (records, failing) = (group.records, group.failing);
                writeln!(
                    out,
                    "{kind:<14} {tag:>9} {records:>9} {failing:>7} {count:>6}  {text}"
                )?;
            }
            writeln!(out, "\nSteps still needed:")?;
            for ((kind, from, to), records) in &steps {
                writeln!(out, "  `{kind}` {from} -> {to}: {records} records")?;
            }
            writeln!(
                out,
                "\nSummary: {total} records, {unreadable} unreadable, {failing} failing, {} steps \
                 still needed",
                steps.len()
            )?;
        }
        Format::Json => {
            let groups: Vec<_> = rows
                .iter()
                .map(|(kind, tag, group, path)| {
                    let (records, failing) = (group.records, group.failing);
                    match path {
                        Ok(path) => json!({"kind": kind, "version": tag, "records": records,
                                           "failing": failing,
                                           "steps": path.len().saturating_sub(1), "path": path}),
                        Err(error) => json!({"kind": kind, "version": tag, "records": records,
                                             "failing": failing, "error": error}),
                    }
                })
                .collect();
            let steps: Vec<_> = steps
                .iter()
                .map(|((kind, from, to), records)| json!({"kind": kind, "from": from, "to": to, "records": records}))
                .collect();
            let report = json!({"records": total, "unreadable": unreadable, "failing": failing,
                                "groups": groups, "steps": steps});
            writeln!(out, "{report}")?;
        }
    }
    let clean = unreadable == 0 && failing == 0 && rows.iter().all(|(.., path)| path.is_ok());
    Ok(if clean {
        Outcome::Clean
    } else {
        Outcome::Problems
    })
}

type Groups = BTreeMap<(String, String), Group>;

/// Groups every record by its header (kind and stored tag), and converts it to count the
/// ones that fail.
fn count(registry: &Registry, args: &RecordsArgs) -> Result<(Groups, usize, usize), CliError> {
    let layout = layout(args);
    let reader = registry.reader(&layout);
    let (mut groups, mut total, mut unreadable) = (Groups::new(), 0, 0);
    for record in records(&args.file)? {
        let (number, line) = record?;
        total += 1;
        let header = match reader.header(line.as_bytes()) {
            Ok(header) => header,
            Err(error) => {
                unreadable += 1;
                eprintln!("{}:{}: {error}", args.file.display(), number);
                continue;
            }
        };
        let kind = header
            .kind()
            .or(args.kind.as_deref())
            .unwrap_or("?")
            .to_owned();
        let tag = header.tag().unwrap_or("untagged").to_owned();
        let group = groups.entry((kind, tag)).or_insert(Group {
            version: header.version().cloned(),
            records: 0,
            failing: 0,
        });
        group.records += 1;
        if let Err(error) = reader.convert(Stored::new(line.as_bytes())) {
            group.failing += 1;
            eprintln!("{}:{}: {error}", args.file.display(), number);
        }
    }
    Ok((groups, total, unreadable))
}

fn joined(path: &[Version]) -> String {
    path.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" -> ")
}
