//! `migrate plan`, `verify` and `status`: reading a store through, changing nothing.

use std::collections::BTreeMap;

use crate::convert::{Converter, failure};
use crate::report::{Listed, Plan, Status, Verification};
use crate::store::{Decision, Standing, Store};
use crate::{Error, Key};

/// Records per page while reading a store through.
const PAGE: usize = 2000;

/// What a run would do: every record by kind and stored version, the steps each needs,
/// how many would be rewritten, which cannot be migrated.
///
/// See [`verify`] for an example.
pub fn plan(store: &mut dyn Store, converter: &Converter<'_>) -> Result<Plan, Error> {
    let mut plan = Plan {
        store: store.name(),
        ..Plan::default()
    };
    let mut steps: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    each_record(store, |standing| {
        let Some(row) = &standing.current else { return };
        let decided = converter.decide(row);
        if let Decision::Fail(why) = &decided.decision {
            plan.failing.push(failure(&row.key, why));
        }
        if let Decision::Rewrite { .. } = decided.decision {
            plan.to_rewrite += 1;
        }
        // Failing records too, where their header names them: the table counts every one.
        if let Some((kind, stored)) = &decided.seen {
            plan.records.add(kind, stored, 1);
            let count = converter.steps(kind, stored);
            steps
                .entry(kind.clone())
                .or_default()
                .insert(stored.clone(), count);
        }
    })?;
    plan.steps = steps;
    Ok(plan)
}

/// Checks a migrated store: every record at its kind's current version, every rewritten
/// record equal (as JSON) to the upcast of its saved original unless changed since by
/// someone else, no rewritten record gone.
///
/// ```
/// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.verify", version = 1)]
/// # struct NoteV1 { text: String }
/// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.verify", version = 2)]
/// # struct Note { text: String, pinned: bool }
/// # #[upcast::register]
/// # impl From<NoteV1> for Note { fn from(v1: NoteV1) -> Self { Note { text: v1.text, pinned: false } } }
/// use std::sync::atomic::AtomicBool;
/// use upcast_migrate::{Converter, Quiet, RunOptions, StoreSpec};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("notes.jsonl");
/// std::fs::write(&path, "{\"kind\":\"doc.verify\",\"version\":1,\"data\":{\"text\":\"hi\"}}\n")?;
/// let mut store = StoreSpec::Jsonl(path.clone()).open()?;
/// let layout = upcast::Layout::envelope();
/// let converter = Converter::new(upcast::Registry::global(), &layout);
/// assert_eq!(upcast_migrate::plan(&mut *store, &converter)?.to_rewrite, 1);
/// upcast_migrate::run(&mut *store, &converter, &RunOptions::default(), &AtomicBool::new(false), &mut Quiet)?;
/// let verified = upcast_migrate::verify(&mut *store, &converter)?;
/// assert!(verified.passed(), "{verified}");
/// assert_eq!(verified.verified, 1);
/// upcast_migrate::finalize(&mut *store, &converter, true)?;
/// assert!(std::fs::read_to_string(&path)?.contains("\"pinned\":false"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify(store: &mut dyn Store, converter: &Converter<'_>) -> Result<Verification, Error> {
    let mut found = Verification {
        store: store.name(),
        finished: store.progress()?.is_some_and(|p| p.finished_at.is_some()),
        ..Verification::default()
    };
    each_record(store, |standing| check(&mut found, converter, standing))?;
    Ok(found)
}

fn check(found: &mut Verification, converter: &Converter<'_>, standing: Standing) {
    let Standing {
        key,
        current,
        saved,
    } = standing;
    let Some(current) = current else {
        if saved.is_some() {
            found.missing.push(listed(
                &key,
                "rewritten by the migration, not in the store now",
            ));
        }
        return;
    };
    found.records += 1;
    match converter.decide(&current).decision {
        Decision::Keep => {}
        Decision::Rewrite { .. } => found.not_current.push(listed(&key, "an old version")),
        Decision::Fail(why) => found.not_current.push(failure(&key, &why)),
    }
    let Some(saved) = saved else { return };
    if current.body != saved.rewritten {
        found.changed += 1;
    } else if converter.reproduces(&saved.original, &saved.rewritten) {
        found.verified += 1;
    } else {
        found.mismatched.push(listed(
            &key,
            "differs from the upcast of its saved original",
        ));
    }
}

/// Where a migration stands: its saved progress, what is left, what failed.
///
/// ```
/// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.status", version = 1)]
/// # struct Note { text: String }
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("notes.jsonl");
/// std::fs::write(&path, "{\"kind\":\"doc.status\",\"version\":1,\"data\":{\"text\":\"hi\"}}\n")?;
/// let mut store = upcast_migrate::StoreSpec::Jsonl(path).open()?;
/// let layout = upcast::Layout::envelope();
/// let converter = upcast_migrate::Converter::new(upcast::Registry::global(), &layout);
/// let status = upcast_migrate::status(&mut *store, &converter)?;
/// assert!(status.progress.is_none());
/// assert_eq!(status.left, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn status(store: &mut dyn Store, converter: &Converter<'_>) -> Result<Status, Error> {
    let progress = store.progress()?;
    let (mut left, mut failures) = (0, Vec::new());
    // Read as the records stand now: after a finalize, what failed is still there.
    each_record(store, |standing| {
        let Some(row) = standing.current else { return };
        match converter.decide(&row).decision {
            // What a run would rewrite, as `plan` counts it.
            Decision::Rewrite { .. } => left += 1,
            Decision::Fail(why) => failures.push(failure(&row.key, &why)),
            Decision::Keep => {}
        }
    })?;
    Ok(Status {
        store: store.name(),
        progress,
        left,
        failures,
    })
}

/// Calls `visit` with every record as it stands, page by page.
fn each_record(store: &mut dyn Store, mut visit: impl FnMut(Standing)) -> Result<(), Error> {
    let mut after: Option<Key> = None;
    loop {
        let page = store.standing(after.as_ref(), PAGE)?;
        let Some(last) = page.last().map(|standing| standing.key.clone()) else {
            return Ok(());
        };
        let full = page.len() == PAGE;
        page.into_iter().for_each(&mut visit);
        if !full {
            return Ok(());
        }
        after = Some(last);
    }
}

fn listed(key: &Key, why: &str) -> Listed {
    failure(key, why)
}
