//! The CI check: every version reaches the newest, frozen schemas did not change, minor
//! versions stay backward compatible, and sample documents still upcast.
//!
//! ```
//! # let dir = tempfile::tempdir()?;
//! # let dir = dir.path();
//! // In a test of the crate that defines the records:
//! upcast::check::Check::new(dir).bless(true).run()?.assert_passed(); // first run: freeze
//! upcast::check(dir)?.assert_passed(); // later runs: compare
//! # Ok::<(), upcast::Error>(())
//! ```

mod equivalence;
mod finding;
mod folder;
mod formats;
mod ranges;
mod report;
mod roundtrip;
mod rules;
mod samples;
mod snapshots;

use std::path::{Path, PathBuf};

pub use finding::Finding;
pub use report::Report;
pub use rules::{
    DOWNCAST_ROUNDTRIP, FORMAT_MINOR_RANGE, FORMAT_ROUNDTRIP, Level, MINOR_INCOMPATIBLE,
    REGISTRY_INVALID, RULES, Rule, SAMPLE_INVALID, SAMPLE_RESULT_INVALID, SAMPLE_UPCAST_FAILED,
    SAMPLES_MISSING, SNAPSHOT_CHANGED, SNAPSHOT_MISSING, SNAPSHOT_ORPHANED, SNAPSHOT_UNREADABLE,
    rule,
};

use crate::compat::Policy;
use crate::{Error, Registry};

/// How many schema changes a finding names at most; it counts the rest.
const NAMED_CHANGES: usize = 20;

/// The first [`NAMED_CHANGES`] of `changes`, then how many more there are (`truncated`:
/// the comparison itself stopped listing, so there are more than it listed).
fn named_changes(changes: Vec<String>, truncated: bool) -> String {
    let more = changes.len().saturating_sub(NAMED_CHANGES);
    let mut named = changes
        .into_iter()
        .take(NAMED_CHANGES)
        .collect::<Vec<_>>()
        .join(", ");
    match (more, truncated) {
        (0, false) => {}
        (more, false) => named.push_str(&format!(" and {more} more")),
        (more, true) => named.push_str(&format!(" and more than {more} more")),
    }
    named
}

/// The environment variable that makes [`check`] write missing snapshots.
pub const BLESS_VAR: &str = "UPCAST_BLESS";

/// Runs the whole check on the snapshot folder `dir`, for every kind registered in this
/// binary. With `UPCAST_BLESS=1` in the environment, snapshots of new versions are written
/// first. The report says whether it [passed](Report::passed) and lists every problem with
/// its fix; in a test, [`Report::assert_passed`] fails with all of it. An `Err` means the
/// check itself could not run (an unreadable folder).
///
/// ```
/// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.check.fn", version = 1)]
/// # struct Note { text: String }
/// let dir = tempfile::tempdir()?;
/// let report = upcast::check(dir.path())?;
/// assert!(!report.passed(), "nothing is frozen yet");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check(dir: impl AsRef<Path>) -> Result<Report, Error> {
    Check::new(dir).run()
}

/// The check, configured. [`check`] is `Check::new(dir).run()`.
///
/// ```
/// use upcast::check::Check;
/// use upcast::compat::Policy;
///
/// # let dir = tempfile::tempdir()?;
/// # let dir = dir.path();
/// let strict = Check::new(&dir).policy(Policy::Strict).bless(false);
/// let files_only = Check::files(&dir); // no Rust types: compatibility and samples only
/// # let _ = (strict, files_only);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Check<'r> {
    dir: PathBuf,
    bless: bool,
    policy: Policy,
    registry: Against<'r>,
}

#[derive(Clone, Copy)]
enum Against<'r> {
    Global,
    Given(&'r Registry),
    FilesOnly,
}

impl<'r> Check<'r> {
    /// The check of `dir` against the global registry; blesses when `UPCAST_BLESS=1`.
    ///
    /// See the example on [`Check`].
    pub fn new(dir: impl AsRef<Path>) -> Self {
        let bless = std::env::var(BLESS_VAR).is_ok_and(|value| value == "1");
        Check {
            dir: dir.as_ref().to_owned(),
            bless,
            policy: Policy::Lenient,
            registry: Against::Global,
        }
    }

    /// The file-only check of `dir`: compatibility within ranges and samples against their
    /// schemas, with no registry (for `upcast schema check`).
    ///
    /// See the example on [`Check`].
    pub fn files(dir: impl AsRef<Path>) -> Self {
        Check {
            registry: Against::FilesOnly,
            bless: false,
            ..Check::new(dir)
        }
    }

    /// Whether to write snapshots of registered versions that have none.
    ///
    /// See the example on [`Check`].
    pub fn bless(self, bless: bool) -> Self {
        Check { bless, ..self }
    }

    /// The compatibility policy for minor versions; `Lenient` by default, because serde
    /// ignores unknown fields, which Confluent's strict policy does not assume.
    ///
    /// See the example on [`Check`].
    pub fn policy(self, policy: Policy) -> Self {
        Check { policy, ..self }
    }

    /// Checks against `registry` instead of the global one.
    ///
    /// ```
    /// # let dir = tempfile::tempdir()?;
    /// let empty = upcast::Registry::builder().build()?;
    /// let report = upcast::check::Check::new(dir.path()).registry(&empty).run()?;
    /// assert_eq!(report.kinds, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn registry(self, registry: &'r Registry) -> Check<'r> {
        Check {
            registry: Against::Given(registry),
            ..self
        }
    }

    /// Runs the check: the report, whether or not it [passed](Report::passed); an error
    /// only when the check itself cannot run (an unreadable folder).
    ///
    /// See the example on [`Check`].
    pub fn run(&self) -> Result<Report, Error> {
        let mut report = Report::default();
        let folder = folder::scan(&self.dir, &mut report.findings)?;
        let registry = self.registry_or_findings(&mut report.findings);
        let mut schemas = snapshots::frozen(&folder, &mut report.findings);
        if let Some(registry) = registry {
            report.blessed = snapshots::compare(
                registry,
                &self.dir,
                self.bless,
                &mut schemas,
                &mut report.findings,
            )?;
            snapshots::orphans(registry, &folder, &mut report.findings);
        }
        ranges::check(&schemas, self.policy, &mut report.findings);
        if let Some(registry) = registry {
            formats::minor_ranges(registry, &schemas, &mut report.findings);
        }
        report.samples = samples::check(&folder, &schemas, registry, &mut report.findings)?;
        if let Some(registry) = registry {
            for kind in registry.kinds() {
                let oldest = registry.writable_at(kind).last().cloned();
                if let Some((newest, _)) = registry.newest(kind) {
                    let oldest = oldest.unwrap_or_else(|| newest.clone());
                    report.writable.insert(kind.to_owned(), oldest);
                    report.newest.insert(kind.to_owned(), newest.clone());
                }
            }
        }
        report.kinds = schemas.len();
        report.versions = schemas.values().map(|versions| versions.len()).sum();
        Ok(report)
    }

    fn registry_or_findings(&self, findings: &mut Vec<Finding>) -> Option<&'r Registry> {
        match self.registry {
            Against::Given(registry) => Some(registry),
            Against::FilesOnly => None,
            Against::Global => match Registry::try_global() {
                Ok(registry) => Some(registry),
                Err(Error::InvalidRegistry(problems)) => {
                    findings.extend(problems.iter().map(|problem| {
                        Finding::new(&REGISTRY_INVALID, problem.kind(), None, problem.to_string())
                    }));
                    None
                }
                Err(_) => None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn findings_name_twenty_changes_and_count_the_rest() {
        let changes = |n: usize| (0..n).map(|i| format!("C{i}")).collect::<Vec<_>>();
        assert_eq!(super::named_changes(changes(2), false), "C0, C1");
        let many = super::named_changes(changes(25), false);
        assert!(
            many.starts_with("C0, C1") && many.ends_with("C19 and 5 more"),
            "{many}"
        );
        let cut = super::named_changes(changes(25), true);
        assert!(cut.ends_with("C19 and more than 5 more"), "{cut}");
    }
}
