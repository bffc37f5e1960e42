//! Within a compatible range, every schema is backward compatible with all earlier ones.

use serde_json::Value;

use super::finding::Finding;
use super::rules::MINOR_INCOMPATIBLE;
use super::snapshots::Schemas;
use crate::Version;
use crate::compat::{self, Direction, Policy};

/// Checks every pair of versions in one range, older against newer: transitive, as each
/// type reads the data of every earlier version of its range directly.
pub(crate) fn check(schemas: &Schemas, policy: Policy, findings: &mut Vec<Finding>) {
    for (kind, versions) in schemas {
        let releases: Vec<(&Version, &Value)> = versions
            .iter()
            .filter(|(version, _)| !version.is_prerelease())
            .collect();
        for (index, (newer, newer_schema)) in releases.iter().enumerate() {
            for (older, older_schema) in releases.iter().take(index) {
                if older.same_range(newer) {
                    compare(
                        kind,
                        older,
                        older_schema,
                        newer,
                        newer_schema,
                        policy,
                        findings,
                    );
                }
            }
        }
    }
}

fn compare(
    kind: &str,
    older: &Version,
    older_schema: &Value,
    newer: &Version,
    newer_schema: &Value,
    policy: Policy,
    findings: &mut Vec<Finding>,
) {
    let message = match compat::check(older_schema, newer_schema, Direction::Backward, policy) {
        Ok(result) if result.is_compatible() => return,
        Ok(result) => {
            let changes: Vec<String> = result
                .incompatible_changes()
                .map(|c| c.to_string())
                .collect();
            format!(
                "{newer} cannot read {older} data ({policy} policy): {}",
                super::named_changes(changes, result.truncated())
            )
        }
        Err(error) => format!("cannot compare {older} with {newer}: {error}"),
    };
    findings.push(Finding::new(
        &MINOR_INCOMPATIBLE,
        kind,
        Some(&newer.to_string()),
        message,
    ));
}
