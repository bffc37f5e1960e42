//! `upcast migrate compare OLD NEW`: every key in both stores, and the records equal once
//! each is upcast (the seed's "validation of the new datastore").

use std::collections::VecDeque;
use std::fmt;

use serde::Serialize;

use crate::convert::failure;
use crate::report::Listed;
use crate::store::{Decision, Standing, Store};
use crate::{Converter, Error, Key, Row};

/// Records read per page of each store.
const PAGE: usize = 2000;
/// Records listed per kind of difference; the rest are counted.
const LISTED: usize = 100;

/// What `migrate compare` found.
#[derive(Clone, Debug, Default, Serialize)]
#[non_exhaustive]
pub struct Comparison {
    /// The old store (passwords hidden).
    pub old: String,
    /// The new store.
    pub new: String,
    /// Keys in both stores.
    pub both: u64,
    /// Keys in both whose records are equal once upcast.
    pub equal: u64,
    /// How many keys only the old store has; the first of them listed in `only_old`.
    pub only_old_count: u64,
    /// Keys only the old store has (the backfill has not copied them, or the new store
    /// lost them).
    pub only_old: Vec<Listed>,
    /// How many keys only the new store has.
    pub only_new_count: u64,
    /// Keys only the new store has (deleted from the old one since the copy).
    pub only_new: Vec<Listed>,
    /// How many keys hold different records.
    pub differ_count: u64,
    /// Keys whose records differ once upcast.
    pub differ: Vec<Listed>,
    /// Records either store holds that cannot be read.
    pub unreadable: Vec<Listed>,
}

impl Comparison {
    /// Whether the stores hold the same records.
    ///
    /// ```
    /// assert!(upcast_migrate::Comparison::default().same());
    /// ```
    pub fn same(&self) -> bool {
        self.only_old_count == 0
            && self.only_new_count == 0
            && self.differ_count == 0
            && self.unreadable.is_empty()
    }
}

/// Compares every record of `old` with the record of the same key in `new`, both upcast
/// by `converter` and compared as JSON. The stores must list keys in one order (integer
/// keys, or text keys in byte order).
///
/// ```
/// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.compare", version = 1)]
/// # struct Note { text: String }
/// use upcast_migrate::StoreSpec;
///
/// let dir = tempfile::tempdir()?;
/// let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
/// std::fs::write(&a, "{\"kind\":\"doc.compare\",\"version\":1,\"data\":{\"text\":\"hi\"}}\n")?;
/// std::fs::write(&b, "{\"data\":{\"text\":\"hi\"},\"version\":1,\"kind\":\"doc.compare\"}\n")?;
/// let layout = upcast::Layout::envelope();
/// let converter = upcast_migrate::Converter::new(upcast::Registry::global(), &layout);
/// let (mut old, mut new) = (StoreSpec::Jsonl(a).open()?, StoreSpec::Jsonl(b).open()?);
/// let found = upcast_migrate::compare(&mut *old, &mut *new, &converter)?;
/// assert!(found.same() && found.equal == 1, "{found}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn compare(
    old: &mut dyn Store,
    new: &mut dyn Store,
    converter: &Converter<'_>,
) -> Result<Comparison, Error> {
    let mut found = Comparison {
        old: old.name(),
        new: new.name(),
        ..Comparison::default()
    };
    let (mut left, mut right) = (Cursor::new(old), Cursor::new(new));
    loop {
        let order = match (left.peek()?, right.peek()?) {
            (None, None) => return Ok(found),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(a), Some(b)) => a.key.cmp(&b.key),
        };
        match order {
            std::cmp::Ordering::Less => {
                let row = left.next()?;
                found.only_old_count += 1;
                list(&mut found.only_old, &row.key, "only in the old store");
            }
            std::cmp::Ordering::Greater => {
                let row = right.next()?;
                found.only_new_count += 1;
                list(&mut found.only_new, &row.key, "only in the new store");
            }
            std::cmp::Ordering::Equal => {
                let (a, b) = (left.next()?, right.next()?);
                pair(&mut found, converter, &a, &b);
            }
        }
    }
}

fn pair(found: &mut Comparison, converter: &Converter<'_>, old: &Row, new: &Row) {
    found.both += 1;
    let (Some(a), Some(b)) = (
        current(found, converter, old, "old"),
        current(found, converter, new, "new"),
    ) else {
        return;
    };
    match (
        serde_json::from_slice::<serde_json::Value>(&a),
        serde_json::from_slice::<serde_json::Value>(&b),
    ) {
        (Ok(a), Ok(b)) if a == b => found.equal += 1,
        _ => {
            found.differ_count += 1;
            list(
                &mut found.differ,
                &old.key,
                "the records differ once upcast",
            );
        }
    }
}

/// The record at its current version, or `None` (listed) when it cannot be read.
fn current(
    found: &mut Comparison,
    converter: &Converter<'_>,
    row: &Row,
    side: &str,
) -> Option<Vec<u8>> {
    match converter.decide(row).decision {
        Decision::Keep => Some(row.body.clone()),
        Decision::Rewrite { body, .. } => Some(body),
        Decision::Fail(why) => {
            list(
                &mut found.unreadable,
                &row.key,
                &format!("in the {side} store: {why}"),
            );
            None
        }
    }
}

fn list(listed: &mut Vec<Listed>, key: &Key, why: &str) {
    if listed.len() < LISTED {
        listed.push(failure(key, why));
    }
}

/// The records of one store in key order, a page at a time.
struct Cursor<'s> {
    store: &'s mut dyn Store,
    page: VecDeque<Row>,
    after: Option<Key>,
    done: bool,
}

impl<'s> Cursor<'s> {
    fn new(store: &'s mut dyn Store) -> Self {
        Cursor {
            store,
            page: VecDeque::new(),
            after: None,
            done: false,
        }
    }

    fn peek(&mut self) -> Result<Option<&Row>, Error> {
        while self.page.is_empty() && !self.done {
            let page = self.store.standing(self.after.as_ref(), PAGE)?;
            self.done = page.len() < PAGE;
            let Some(last) = page.last().map(|standing| standing.key.clone()) else {
                self.done = true;
                break;
            };
            if self.after.as_ref().is_some_and(|after| *after >= last) {
                return Err(out_of_order(&self.store.name()));
            }
            self.after = Some(last);
            // Keys only in a migration's originals are records deleted since.
            let rows = page
                .into_iter()
                .filter_map(|Standing { current, .. }| current);
            let rows: VecDeque<Row> = rows.collect();
            if rows
                .iter()
                .zip(rows.iter().skip(1))
                .any(|(a, b)| a.key >= b.key)
            {
                return Err(out_of_order(&self.store.name()));
            }
            self.page = rows;
        }
        Ok(self.page.front())
    }

    fn next(&mut self) -> Result<Row, Error> {
        self.peek()?;
        self.page
            .pop_front()
            .ok_or_else(|| Error::state("compare", &self.store.name(), "no record left"))
    }
}

fn out_of_order(store: &str) -> Error {
    Error::state(
        "compare",
        store,
        "its keys do not come in byte order (a text key with a collation?); compare needs \
         integer keys or text keys in the `C` collation",
    )
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Compared {} with {}: {} keys in both, {} equal once upcast; {} only in the old \
             store, {} only in the new, {} differ",
            self.old,
            self.new,
            self.both,
            self.equal,
            self.only_old_count,
            self.only_new_count,
            self.differ_count
        )?;
        for (heading, listed) in [
            ("Only in the old store", &self.only_old),
            ("Only in the new store", &self.only_new),
            ("Different once upcast", &self.differ),
            ("Unreadable", &self.unreadable),
        ] {
            if !listed.is_empty() {
                write!(f, "\n\n{heading}:")?;
                for record in listed {
                    write!(f, "\n  key {}: {}", record.key, record.why)?;
                }
            }
        }
        write!(
            f,
            "\n\n{}",
            if self.same() { "Same." } else { "Different." }
        )
    }
}
