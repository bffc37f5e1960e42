//! What the migration commands report, for people (`Display`) and programs (`Serialize`).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, UNIX_EPOCH};

use serde::Serialize;

use crate::Key;
use crate::store::Progress;

/// A record listed in a report: its key and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Listed {
    /// The record's key.
    pub key: Key,
    /// Why it is listed.
    pub why: String,
}

/// Records counted by kind and stored version tag.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Tally(BTreeMap<String, BTreeMap<String, u64>>);

impl Tally {
    pub(crate) fn add(&mut self, kind: &str, stored: &str, count: u64) {
        *self
            .0
            .entry(kind.to_owned())
            .or_default()
            .entry(stored.to_owned())
            .or_default() += count;
    }

    /// Adds `other`'s counts to these.
    pub(crate) fn merge(&mut self, other: &Tally) {
        for (kind, stored, count) in other.iter() {
            self.add(kind, stored, count);
        }
    }

    /// Whether nothing was counted.
    ///
    /// ```
    /// assert!(upcast_migrate::Tally::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `(kind, stored version, count)`, kinds and versions in order.
    ///
    /// ```
    /// assert_eq!(upcast_migrate::Tally::default().iter().count(), 0);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, u64)> {
        self.0.iter().flat_map(|(kind, versions)| {
            versions
                .iter()
                .map(move |(version, count)| (kind.as_str(), version.as_str(), *count))
        })
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (kind, version, count) in self.iter() {
            writeln!(f, "  {kind:<16} {version:>9} {count:>10}")?;
        }
        Ok(())
    }
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Ended {
    /// Every pass done; nothing old is arriving.
    Finished,
    /// Every pass done, but records keep arriving at an old version: an old writer is
    /// still running.
    OldWriter,
    /// Stopped by a signal after the batch in flight; the same command resumes.
    Interrupted,
    /// Stopped at `--limit`; the same command goes on.
    Limit,
}

/// What `migrate run` did.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct RunReport {
    /// The store (passwords hidden).
    pub store: String,
    /// How the run ended.
    pub ended: Ended,
    /// The counts of the whole migration, resumed runs included.
    pub progress: Progress,
    /// Records rewritten by this run, by kind and stored version.
    pub rewritten: Tally,
    /// Records that could not be migrated, left as they were.
    pub failures: Vec<Listed>,
    /// Old-version records the last pass still found: what an old writer keeps writing.
    pub still_arriving: Tally,
    /// Records this run read (a record read again by a later pass counts once).
    pub read: u64,
    /// Seconds this run took.
    pub seconds: f64,
}

impl RunReport {
    /// Whether nothing needs attention: every pass done, no failures, nothing arriving.
    ///
    /// See [`run`](crate::run) for an example.
    pub fn clean(&self) -> bool {
        self.ended == Ended::Finished && self.failures.is_empty()
    }
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rate = self.read as f64 / self.seconds.max(1e-9);
        writeln!(
            f,
            "Migrated {}: {} records there when it began in {:.2} s ({rate:.0} records/s), \
             {} passes (later passes take what arrived or changed meanwhile)",
            self.store, self.read, self.seconds, self.progress.pass
        )?;
        let p = &self.progress;
        let (rewrites, records) = (p.rewritten, p.records_rewritten);
        let rewritten = match rewrites.cmp(&records) {
            _ if records == 0 => rewrites.to_string(),
            Ordering::Equal => rewrites.to_string(),
            Ordering::Greater => format!(
                "{records} records ({rewrites} rewrites: {} rewritten again, their service \
                 wrote them at an old version since)",
                rewrites - records
            ),
            Ordering::Less => format!(
                "{rewrites} ({records} records with their originals saved, as verify counts \
                 them, earlier runs' included)"
            ),
        };
        writeln!(
            f,
            "  rewritten {rewritten}, current {}, failed {}, changed while migrating {}",
            p.current, p.failed, p.conflicts
        )?;
        if !self.rewritten.is_empty() {
            writeln!(
                f,
                "\nRewritten by this run, by stored version:\n{}",
                self.rewritten
            )?;
        }
        listed(f, "Failed, left as they were", &self.failures)?;
        if !self.still_arriving.is_empty() {
            writeln!(
                f,
                "\nAn old writer is still running: records keep arriving at old versions:\n{}",
                self.still_arriving
            )?;
        }
        writeln!(f)?;
        f.write_str(match self.ended {
            Ended::Finished if self.failures.is_empty() => "Finished.",
            Ended::Finished => "Finished; the failed records need attention.",
            Ended::OldWriter => "Ended; stop the old writer and run again.",
            Ended::Interrupted => "Interrupted; resume with the same command.",
            Ended::Limit => "Stopped at the limit; run the same command to go on.",
        })
    }
}

/// What `migrate verify` found.
#[derive(Clone, Debug, Default, Serialize)]
#[non_exhaustive]
pub struct Verification {
    /// The store (passwords hidden).
    pub store: String,
    /// Whether a run finished every pass.
    pub finished: bool,
    /// Records checked.
    pub records: u64,
    /// Rewritten records whose rewrite equals the upcast of their saved original.
    pub verified: u64,
    /// Rewritten records changed by someone else since (not failures).
    pub changed: u64,
    /// Records not at their kind's current version.
    pub not_current: Vec<Listed>,
    /// Rewritten records that differ from the upcast of their saved original.
    pub mismatched: Vec<Listed>,
    /// Rewritten records no longer in the store.
    pub missing: Vec<Listed>,
}

impl Verification {
    /// Whether the store is fully migrated and every rewrite checks out.
    ///
    /// ```
    /// assert!(!upcast_migrate::Verification::default().passed(), "no run finished");
    /// ```
    pub fn passed(&self) -> bool {
        self.finished
            && self.not_current.is_empty()
            && self.mismatched.is_empty()
            && self.missing.is_empty()
    }
}

impl fmt::Display for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Verified {}: {} records, {} rewrites equal the upcast of their original, {} changed \
             since by others",
            self.store, self.records, self.verified, self.changed
        )?;
        if !self.finished {
            writeln!(
                f,
                "\nThe migration has not finished: run it to the end first."
            )?;
        }
        listed(f, "Not at the current version", &self.not_current)?;
        listed(
            f,
            "Rewritten, but not as their original upcasts",
            &self.mismatched,
        )?;
        listed(f, "Rewritten, and gone since", &self.missing)?;
        f.write_str(if self.passed() {
            "\nPassed."
        } else {
            "\nFailed."
        })
    }
}

/// What `migrate plan` found: the records by kind and stored version, and what a run
/// would do.
#[derive(Clone, Debug, Default, Serialize)]
#[non_exhaustive]
pub struct Plan {
    /// The store (passwords hidden).
    pub store: String,
    /// Records by kind and stored version.
    pub records: Tally,
    /// The steps each kind and stored version needs.
    pub steps: BTreeMap<String, BTreeMap<String, usize>>,
    /// Records a run would rewrite.
    pub to_rewrite: u64,
    /// Records that cannot be migrated.
    pub failing: Vec<Listed>,
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Plan for {}:", self.store)?;
        writeln!(
            f,
            "  {:<16} {:>9} {:>10} {:>6}",
            "kind", "stored", "records", "steps"
        )?;
        for (kind, version, count) in self.records.iter() {
            let steps = self
                .steps
                .get(kind)
                .and_then(|v| v.get(version))
                .copied()
                .unwrap_or(0);
            writeln!(f, "  {kind:<16} {version:>9} {count:>10} {steps:>6}")?;
        }
        listed(f, "Cannot be migrated", &self.failing)?;
        write!(f, "\nA run would rewrite {} records.", self.to_rewrite)
    }
}

/// What `migrate status` found.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Status {
    /// The store (passwords hidden).
    pub store: String,
    /// The saved progress; `None` when no migration was started.
    pub progress: Option<Progress>,
    /// Records not yet at their kind's current version (failing ones included).
    pub left: u64,
    /// Records that could not be migrated.
    pub failures: Vec<Listed>,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(p) = &self.progress else {
            return write!(
                f,
                "{}: no migration started; {} records left",
                self.store, self.left
            );
        };
        let state = match (p.finished_at, &p.after) {
            (Some(at), _) => format!("finished at {}", utc(at)),
            (None, Some(key)) => format!("in progress, pass {}, after key `{key}`", p.pass),
            (None, None) => format!("in progress, pass {}", p.pass),
        };
        writeln!(
            f,
            "{}: started at {}, {state}",
            self.store,
            utc(p.started_at)
        )?;
        writeln!(
            f,
            "  done {}, current {}, left {}, failed {}, changed while migrating {}",
            p.rewritten, p.current, self.left, p.failed, p.conflicts
        )?;
        listed(f, "Failed, left as they were", &self.failures)
    }
}

/// Seconds since the Unix epoch as an RFC 3339 time in UTC.
pub(crate) fn utc(seconds: u64) -> humantime::Rfc3339Timestamp {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(seconds))
}

fn listed(f: &mut fmt::Formatter<'_>, heading: &str, records: &[Listed]) -> fmt::Result {
    if records.is_empty() {
        return Ok(());
    }
    writeln!(f, "\n{heading} ({}):", records.len())?;
    for record in records {
        writeln!(f, "  key {}: {}", record.key, record.why)?;
    }
    Ok(())
}
