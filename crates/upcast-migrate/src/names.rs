//! The names of the engine's own objects beside a store's table, decided once for every
//! store: no server may truncate them, and none may be the user's.
//!
//! Beside a table `T` the engine keeps `T__upcast_originals`, `T__upcast_failures`,
//! `T__upcast_progress` and `T__upcast_chunks`. Where such a name would pass the server's
//! limit on identifiers (63 bytes in PostgreSQL, 64 in MySQL), which the server would
//! silently cut, perhaps to the user's own table's name, the table's name is shortened (at
//! a character's boundary) and a hash of the whole name keeps it apart from every other
//! table's: `T…__upcast_1a2b3c4d_originals`.

#![cfg_attr(
    not(any(feature = "sqlite", feature = "postgres", feature = "mysql")),
    allow(dead_code)
)]

use crate::Error;
use crate::fnv::{self, fnv};

/// What each of the engine's objects holds, and the columns it is made with: an object of
/// that name with other columns is not the engine's, and is never written.
pub(crate) const OBJECTS: [(Object, &[&str]); 5] = [
    (
        Object::Originals,
        &["key", "body", "version", "rewritten", "rewritten_version"],
    ),
    (Object::Failures, &["key", "error"]),
    (Object::Progress, &["id", "state"]),
    (
        Object::Chunks,
        &[
            "pass",
            "id",
            "lo",
            "hi",
            "done",
            "rewritten",
            "current",
            "failed",
            "conflicts",
        ],
    ),
    (
        Object::RolledBack,
        &[
            "rolled_back_at",
            "key",
            "body",
            "version",
            "rewritten",
            "rewritten_version",
        ],
    ),
];

/// One of the engine's own objects beside a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Object {
    /// Each rewritten record's original and what it was rewritten to.
    Originals,
    /// The records that could not be migrated, with why.
    Failures,
    /// Where the migration stands.
    Progress,
    /// The units of work that workers claim.
    Chunks,
    /// The originals of records changed since the migration that a rollback left as they
    /// were: kept for whoever sorts them out, never dropped by upcast.
    RolledBack,
}

impl Object {
    fn suffix(self) -> &'static str {
        match self {
            Object::Originals => "originals",
            Object::Failures => "failures",
            Object::Progress => "progress",
            Object::Chunks => "chunks",
            Object::RolledBack => "rolled_back",
        }
    }
}

/// The unquoted names of the engine's objects beside a table, each within the server's
/// limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Beside {
    names: [String; 5],
}

impl Beside {
    /// The name of `object`.
    pub(crate) fn of(&self, object: Object) -> &str {
        let at = OBJECTS
            .iter()
            .position(|(each, _)| *each == object)
            .unwrap_or_default();
        &self.names[at]
    }

    /// Every object's name, with the columns it is made with.
    pub(crate) fn each(&self) -> impl Iterator<Item = (&str, &'static [&'static str])> {
        self.names
            .iter()
            .zip(OBJECTS)
            .map(|(name, (_, columns))| (name.as_str(), columns))
    }
}

/// Refuses, before anything is written, a table whose engine objects would be someone
/// else's: the user's table itself, or a table of such a name made with other columns
/// than the engine makes. `columns_of` reads the columns of a table of the store (none
/// when there is no such table); `shown` is how the message names an object.
pub(crate) fn check_own(
    store: &str,
    table: &str,
    own: &Beside,
    mut columns_of: impl FnMut(&str) -> Result<Vec<String>, Error>,
    shown: impl Fn(&str) -> String,
) -> Result<(), Error> {
    for (name, made_with) in own.each() {
        let found = columns_of(name)?;
        let theirs = name == table
            || (!found.is_empty()
                && !found
                    .iter()
                    .map(String::as_str)
                    .eq(made_with.iter().copied()));
        if theirs {
            return Err(Error::state(
                "migrate",
                store,
                format!(
                    "the migration keeps its own table `{}` beside it, and a table of that \
                     name that is not upcast's is there already: rename that table",
                    shown(name)
                ),
            ));
        }
    }
    Ok(())
}

/// The names of the engine's objects beside `table`, under the server's identifier limit
/// in bytes (`None`: no limit).
pub(crate) fn beside(table: &str, limit: Option<usize>) -> Beside {
    Beside {
        names: OBJECTS.map(|(object, _)| name(table, object.suffix(), limit)),
    }
}

/// The name of an object of `suffix` beside `table`, under the identifier limit `limit`.
pub(crate) fn name(table: &str, suffix: &str, limit: Option<usize>) -> String {
    let plain = format!("{table}__upcast_{suffix}");
    match limit {
        Some(limit) if plain.len() > limit => {
            let hash = fnv(fnv::BASIS, table.as_bytes());
            let tail = format!(
                "__upcast_{:08x}_{suffix}",
                hash as u32 ^ (hash >> 32) as u32
            );
            let room = limit.saturating_sub(tail.len());
            format!("{}{tail}", prefix(table, room))
        }
        _ => plain,
    }
}

/// The longest start of `text` of at most `bytes` bytes that ends at a character's end.
fn prefix(text: &str, bytes: usize) -> &str {
    let mut end = bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn short_names_are_plain() {
        let names = beside("events", Some(63));
        assert_eq!(names.of(Object::Originals), "events__upcast_originals");
        assert_eq!(names.of(Object::Chunks), "events__upcast_chunks");
    }

    #[test]
    fn no_name_passes_the_limit_and_none_is_the_tables_or_another_tables() {
        for limit in [63_usize, 64] {
            let (mut seen, mut tables) = (HashSet::new(), HashSet::new());
            for length in 1..=limit {
                for unit in ["a", "é", "€"] {
                    let table: String = unit.repeat(length.div_ceil(unit.len()));
                    let table = prefix(&table, length).to_owned();
                    if !tables.insert(table.clone()) {
                        continue;
                    }
                    let names = beside(&table, Some(limit));
                    for (name, _) in names.each() {
                        assert!(name.len() <= limit, "{name}");
                        assert_ne!(name, table);
                        assert!(seen.insert(name.to_owned()), "{name} twice");
                    }
                }
            }
        }
    }

    #[test]
    fn long_names_differ_by_their_whole_table_name() {
        let a = beside(&format!("{}a", "t".repeat(62)), Some(63));
        let b = beside(&format!("{}b", "t".repeat(62)), Some(63));
        assert_ne!(a.of(Object::Failures), b.of(Object::Failures));
    }
}
