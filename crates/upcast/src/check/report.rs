//! The check's report: every finding grouped by rule, a summary, and a JSON form.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde_json::{Value, json};

use super::finding::Finding;
use super::rules::{Level, RULES, Rule};
use crate::Version;

/// What the check found. Its `Display` lists every problem, rule by rule, like a linter,
/// then a summary line.
///
/// ```
/// let report = upcast::check::Report::default();
/// assert!(report.passed());
/// assert!(report.to_string().contains("checks: "));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// Every finding, in the order found.
    pub findings: Vec<Finding>,
    /// Snapshots written because `UPCAST_BLESS=1` (or `bless`) was set.
    pub blessed: Vec<PathBuf>,
    /// Kinds checked.
    pub kinds: usize,
    /// Versions checked (registered or frozen).
    pub versions: usize,
    /// Sample documents checked.
    pub samples: usize,
    /// Per kind, the oldest version its newest type can be written at through downcasts
    /// (the newest itself when it has no downcast).
    pub writable: BTreeMap<String, Version>,
    /// Per kind, the newest registered version.
    pub newest: BTreeMap<String, Version>,
}

impl Report {
    /// Whether no finding fails the check (warnings may remain).
    ///
    /// See the example on [`Report`].
    pub fn passed(&self) -> bool {
        self.failures().next().is_none()
    }

    /// Panics with the whole report when something failed: the form for tests, where
    /// `upcast::check("schemas")?.assert_passed()` prints every problem with its fix. The
    /// panic points at the caller.
    ///
    /// ```should_panic
    /// # let dir = tempfile::tempdir()?;
    /// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.assert_passed", version = 1)]
    /// # struct Note { text: String }
    /// // Nothing is frozen in a new folder: `snapshot-missing` fails.
    /// upcast::check::Check::new(dir.path()).bless(false).run()?.assert_passed();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn assert_passed(&self) {
        if !self.passed() {
            panic!("the upcast check failed:\n{self}");
        }
    }

    /// The findings that fail the check.
    ///
    /// ```
    /// assert_eq!(upcast::check::Report::default().failures().count(), 0);
    /// ```
    pub fn failures(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.rule.level == Level::Deny)
    }

    /// The findings of one rule.
    ///
    /// ```
    /// let report = upcast::check::Report::default();
    /// assert_eq!(report.of(&upcast::check::SNAPSHOT_CHANGED).count(), 0);
    /// ```
    pub fn of<'a>(&'a self, rule: &'a Rule) -> impl Iterator<Item = &'a Finding> {
        self.findings
            .iter()
            .filter(move |f| std::ptr::eq(f.rule, rule))
    }

    /// `(pass, fail, warn)` counts over all rules.
    fn tally(&self) -> (usize, usize, usize) {
        RULES.iter().fold((0, 0, 0), |(pass, fail, warn), rule| {
            match self.of(rule).next() {
                None => (pass + 1, fail, warn),
                Some(_) if rule.level == Level::Deny => (pass, fail + 1, warn),
                Some(_) => (pass, fail, warn + 1),
            }
        })
    }

    /// The summary line: `N checks: x pass, y fail, z warn; ...`.
    ///
    /// ```
    /// let summary = upcast::check::Report::default().summary();
    /// assert!(summary.contains(" pass, 0 fail, 0 warn"));
    /// ```
    pub fn summary(&self) -> String {
        let (pass, fail, warn) = self.tally();
        format!(
            "{} checks: {pass} pass, {fail} fail, {warn} warn; {} kinds, {} versions, {} samples",
            RULES.len(),
            self.kinds,
            self.versions,
            self.samples
        )
    }

    /// The report as JSON, for `--format json`.
    ///
    /// ```
    /// let json = upcast::check::Report::default().to_json();
    /// assert_eq!(json["passed"], true);
    /// ```
    pub fn to_json(&self) -> Value {
        let (pass, fail, warn) = self.tally();
        let findings: Vec<Value> = self
            .findings
            .iter()
            .map(|f| {
                json!({
                    "rule": f.rule.id, "level": f.rule.level.to_string(), "kind": f.kind,
                    "version": f.version, "path": f.path, "message": f.message, "fix": f.rule.fix,
                })
            })
            .collect();
        json!({
            "passed": self.passed(),
            "checks": RULES.len(), "pass": pass, "fail": fail, "warn": warn,
            "kinds": self.kinds, "versions": self.versions, "samples": self.samples,
            "blessed": self.blessed,
            "writable": self.writable,
            "findings": findings,
        })
    }
}

/// The same as `Display`: `upcast::check(dir).unwrap()` in a test then prints the whole
/// report, not a struct dump.
impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f)?;
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for rule in RULES {
            let mut findings = self.of(rule).peekable();
            if findings.peek().is_none() {
                continue;
            }
            let heading = if rule.level == Level::Deny {
                "failure"
            } else {
                "warning"
            };
            writeln!(f, "--- {heading} {}: {} ---\n", rule.id, rule.name)?;
            writeln!(
                f,
                "Description:\n{}\n        fix: {}\n",
                rule.description, rule.fix
            )?;
            writeln!(
                f,
                "{}:",
                if rule.level == Level::Deny {
                    "Failed in"
                } else {
                    "Found in"
                }
            )?;
            for finding in findings {
                writeln!(f, "  {finding}")?;
            }
            writeln!(f)?;
        }
        for path in &self.blessed {
            writeln!(f, "blessed {}", path.display())?;
        }
        let pinnable: Vec<String> = self
            .writable
            .iter()
            .filter(|(kind, version)| self.newest.get(*kind) != Some(version))
            .map(|(kind, version)| format!("`{kind}` down to {version}"))
            .collect();
        if !pinnable.is_empty() {
            writeln!(f, "Writable at older versions: {}\n", pinnable.join(", "))?;
        }
        write!(f, "Summary: {}", self.summary())
    }
}
