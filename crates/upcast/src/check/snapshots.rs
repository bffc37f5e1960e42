//! Frozen schemas: every registered version has one, and it has not changed.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::equivalence::equivalent;
use super::finding::Finding;
use super::folder::{self, Folder};
use super::rules::{SNAPSHOT_CHANGED, SNAPSHOT_MISSING, SNAPSHOT_ORPHANED, SNAPSHOT_UNREADABLE};
use crate::compat::{self, Direction, Policy};
use crate::{Registry, Version};

/// The schema of every version, per kind: frozen ones from the folder, and for registered
/// versions with no snapshot, the type's own.
pub(crate) type Schemas = BTreeMap<String, BTreeMap<Version, Value>>;

/// The frozen schemas the folder holds.
pub(crate) fn frozen(folder: &Folder, findings: &mut Vec<Finding>) -> Schemas {
    let mut schemas = Schemas::new();
    for (kind, versions) in &folder.kinds {
        for (version, files) in versions {
            let Some(path) = &files.schema else { continue };
            match folder::read_json(path) {
                Ok(schema) => {
                    schemas
                        .entry(kind.clone())
                        .or_default()
                        .insert(version.clone(), schema);
                }
                Err(reason) => findings.push(unreadable(kind, version, path, reason)),
            }
        }
    }
    schemas
}

fn unreadable(kind: &str, version: &Version, path: &Path, reason: String) -> Finding {
    Finding::new(
        &SNAPSHOT_UNREADABLE,
        kind,
        Some(&version.to_string()),
        reason,
    )
    .at(path)
}

/// Compares every registered version's schema with its snapshot; writes missing ones when
/// `bless` is set. Returns the paths written.
pub(crate) fn compare(
    registry: &Registry,
    dir: &Path,
    bless: bool,
    schemas: &mut Schemas,
    findings: &mut Vec<Finding>,
) -> io::Result<Vec<PathBuf>> {
    let mut blessed = Vec::new();
    for (kind, version, entry) in registry.entries() {
        let current = serde_json::to_value(entry.schema()).unwrap_or(Value::Null);
        let path = folder::schema_path(dir, kind, version);
        let frozen = schemas.entry(kind.to_owned()).or_default();
        match frozen.get(version) {
            Some(snapshot) => {
                if !equivalent(snapshot, &current) {
                    findings.push(changed(kind, version, &path, snapshot, &current));
                }
            }
            None if path.exists() => {} // unreadable, reported already
            None if bless => {
                folder::write_schema(&path, &current)?;
                frozen.insert(version.clone(), current);
                blessed.push(path);
            }
            None => {
                let message = format!(
                    "no snapshot of `{kind}` {version} (`{}`)",
                    (entry.type_name)()
                );
                findings.push(
                    Finding::new(&SNAPSHOT_MISSING, kind, Some(&version.to_string()), message)
                        .at(path),
                );
                frozen.insert(version.clone(), current);
            }
        }
    }
    Ok(blessed)
}

/// What changed between a snapshot and the type's schema, as the compatibility checker
/// sees it both ways.
fn changed(
    kind: &str,
    version: &Version,
    path: &Path,
    snapshot: &Value,
    current: &Value,
) -> Finding {
    let (mut changes, truncated) =
        match compat::check(snapshot, current, Direction::Full, Policy::Strict) {
            Ok(result) => (
                result.changes().iter().map(ToString::to_string).collect(),
                result.truncated(),
            ),
            Err(error) => (vec![format!("(cannot compare: {error})")], false),
        };
    changes.sort();
    changes.dedup();
    let what = if changes.is_empty() {
        "its constraints differ".to_owned()
    } else {
        super::named_changes(changes, truncated)
    };
    let message = format!("the type's schema differs from the frozen one: {what}");
    Finding::new(&SNAPSHOT_CHANGED, kind, Some(&version.to_string()), message).at(path)
}

/// Snapshots of versions no registered type reads.
pub(crate) fn orphans(registry: &Registry, folder: &Folder, findings: &mut Vec<Finding>) {
    for (kind, versions) in &folder.kinds {
        for (version, files) in versions {
            let Some(path) = files.schema.as_ref().or(files.samples.as_ref()) else {
                continue;
            };
            if !registry.reads(kind, version) {
                let message = format!("no registered type of `{kind}` reads version {version}");
                findings.push(
                    Finding::new(
                        &SNAPSHOT_ORPHANED,
                        kind,
                        Some(&version.to_string()),
                        message,
                    )
                    .at(path),
                );
            }
        }
    }
}
