//! Building the lookup tables from registered entries, and every validation rule.

use std::any::TypeId;
use std::collections::BTreeMap;

use super::entry::{StepEntry, VersionEntry};
use super::table::{KindTable, Node};
use crate::{Problem, Version};

/// Builds one table per kind, or returns every problem found.
pub(crate) fn tables(
    versions: &[VersionEntry],
    steps: &[StepEntry],
) -> Result<BTreeMap<&'static str, KindTable>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut tables = group_by_kind(versions, &mut problems);
    for table in tables.values() {
        check_ranges(table, &mut problems);
        check_untagged(table, &mut problems);
        check_kind_id(table, &mut problems);
    }
    check_id_clashes(&tables, &mut problems);
    // Steps first: a downcast is checked against the step it undoes.
    for step in steps.iter().filter(|step| !step.back) {
        link_step(&mut tables, step, &mut problems);
    }
    for downcast in steps.iter().filter(|step| step.back) {
        link_step(&mut tables, downcast, &mut problems);
    }
    for table in tables.values() {
        check_paths(table, &mut problems);
    }
    if problems.is_empty() {
        Ok(tables)
    } else {
        Err(problems)
    }
}

fn group_by_kind(
    versions: &[VersionEntry],
    problems: &mut Vec<Problem>,
) -> BTreeMap<&'static str, KindTable> {
    let mut tables: BTreeMap<&'static str, KindTable> = BTreeMap::new();
    for entry in versions {
        let version = match entry.tag.version() {
            Ok(version) => version,
            Err(error) => {
                problems.push(invalid_version(entry, &error));
                continue;
            }
        };
        let table = tables
            .entry(entry.kind)
            .or_insert_with(|| KindTable::new(entry.kind));
        let type_id = (entry.type_id)();
        if table.nodes.iter().any(|node| node.type_id == type_id) {
            continue;
        }
        if let Some(twin) = table.nodes.iter().find(|node| node.version == version) {
            problems.push(Problem::DuplicateVersion {
                kind: entry.kind.to_owned(),
                version,
                types: [(twin.entry.type_name)(), (entry.type_name)()],
            });
            continue;
        }
        table.nodes.push(Node {
            version,
            type_id,
            entry: *entry,
            step: None,
            down: None,
        });
    }
    for table in tables.values_mut() {
        table.nodes.sort_by(|a, b| a.version.cmp(&b.version));
        table.untagged = table.nodes.iter().position(|node| node.entry.untagged);
    }
    tables
}

fn invalid_version(entry: &VersionEntry, error: &crate::Error) -> Problem {
    let reason = match error {
        crate::Error::InvalidVersion { reason, .. } => reason.clone(),
        other => other.to_string(),
    };
    Problem::InvalidVersion {
        kind: entry.kind.to_owned(),
        tag: entry.tag.to_string(),
        type_name: (entry.type_name)(),
        reason,
    }
}

fn check_ranges(table: &KindTable, problems: &mut Vec<Problem>) {
    for pair in table.nodes.windows(2) {
        let [older, newer] = pair else { continue };
        let releases = !older.version.is_prerelease() && !newer.version.is_prerelease();
        if releases && older.version.same_range(&newer.version) {
            problems.push(Problem::SharedRange {
                kind: table.kind.to_owned(),
                range: newer.version.range_name(),
                older: (older.version.clone(), (older.entry.type_name)()),
                newer: (newer.version.clone(), (newer.entry.type_name)()),
            });
        }
    }
}

fn check_untagged(table: &KindTable, problems: &mut Vec<Problem>) {
    let untagged: Vec<Version> = table
        .nodes
        .iter()
        .filter(|node| node.entry.untagged)
        .map(|node| node.version.clone())
        .collect();
    if untagged.len() > 1 {
        problems.push(Problem::SeveralUntagged {
            kind: table.kind.to_owned(),
            versions: untagged,
        });
    }
}

fn check_kind_id(table: &KindTable, problems: &mut Vec<Problem>) {
    let mut ids: Vec<(u32, &'static str)> = Vec::new();
    for node in &table.nodes {
        if !ids.iter().any(|(id, _)| *id == node.entry.kind_id) {
            ids.push((node.entry.kind_id, (node.entry.type_name)()));
        }
    }
    if ids.len() > 1 {
        problems.push(Problem::KindIdMismatch {
            kind: table.kind.to_owned(),
            ids,
        });
    }
}

fn check_id_clashes(tables: &BTreeMap<&'static str, KindTable>, problems: &mut Vec<Problem>) {
    let mut seen: BTreeMap<u32, &'static str> = BTreeMap::new();
    for table in tables.values() {
        let Some(node) = table.nodes.first() else {
            continue;
        };
        if let Some(other) = seen.insert(node.entry.kind_id, table.kind) {
            problems.push(Problem::KindIdClash {
                id: node.entry.kind_id,
                kinds: [other.to_owned(), table.kind.to_owned()],
            });
        }
    }
}

fn link_step(
    tables: &mut BTreeMap<&'static str, KindTable>,
    step: &StepEntry,
    problems: &mut Vec<Problem>,
) {
    let Some((from_kind, from)) = find(tables, &step.from, false, step.back, problems) else {
        return;
    };
    let Some((to_kind, to)) = find(tables, &step.to, true, step.back, problems) else {
        return;
    };
    let from_version = tables[from_kind].nodes[from].version.clone();
    let to_version = tables[to_kind].nodes[to].version.clone();
    if from_kind != to_kind {
        problems.push(Problem::KindChange {
            from: (from_kind.to_owned(), from_version),
            to: (to_kind.to_owned(), to_version),
            downcast: step.back,
        });
        return;
    }
    let problem = if step.back {
        downcast_problem(&tables[from_kind], from, to)
    } else {
        step_problem(from_kind, &from_version, &to_version)
    };
    if let Some(problem) = problem {
        problems.push(problem);
        return;
    }
    // One `Upcast` and one `Downcast` impl per type: a second step (or downcast) from a
    // version is a compile error (conflicting impls), so each is linked at most once.
    if let Some(node) = tables
        .get_mut(from_kind)
        .and_then(|t| t.nodes.get_mut(from))
    {
        let link = Some((to, *step));
        if step.back {
            node.down = link;
        } else {
            node.step = link;
        }
    }
}

/// A step must go forward, to a later compatible range.
fn step_problem(kind: &str, from: &Version, to: &Version) -> Option<Problem> {
    let forward = to > from && (from.is_prerelease() || to.is_prerelease() || !from.same_range(to));
    (!forward).then(|| Problem::StepNotForward {
        kind: kind.to_owned(),
        from: from.clone(),
        to: to.clone(),
    })
}

/// A downcast must undo one step: go back to the version whose step leads to it.
fn downcast_problem(table: &KindTable, from: usize, to: usize) -> Option<Problem> {
    let undone = table
        .nodes
        .get(to)
        .and_then(|node| node.step)
        .map(|(next, _)| next);
    (undone != Some(from)).then(|| Problem::DowncastNotBack {
        kind: table.kind.to_owned(),
        from: table.version_at(from),
        to: table.version_at(to),
        step_to: undone.map(|next| table.version_at(next)),
    })
}

/// The kind and node index of a step's end, by type.
fn find(
    tables: &BTreeMap<&'static str, KindTable>,
    end: &VersionEntry,
    is_target: bool,
    downcast: bool,
    problems: &mut Vec<Problem>,
) -> Option<(&'static str, usize)> {
    let type_id: TypeId = (end.type_id)();
    let found = tables
        .get(end.kind)
        .and_then(|table| table.position_of(type_id));
    if found.is_none() && end.tag.version().is_ok() {
        problems.push(Problem::UnregisteredStepEnd {
            kind: end.kind.to_owned(),
            tag: end.tag.to_string(),
            type_name: (end.type_name)(),
            is_target,
            downcast,
        });
    }
    found.map(|index| (end.kind, index))
}

fn check_paths(table: &KindTable, problems: &mut Vec<Problem>) {
    let Some(newest) = table.nodes.last() else {
        return;
    };
    for node in table.nodes.iter().filter(|node| node.step.is_none()) {
        if node.version != newest.version {
            problems.push(Problem::MissingStep {
                kind: table.kind.to_owned(),
                version: node.version.clone(),
                type_name: (node.entry.type_name)(),
                newest: newest.version.clone(),
            });
        }
    }
}
