//! The engine's locks, as the server's named locks (`GET_LOCK`), held by the store's own
//! session and so let go by the server when that session ends, however the process ends.
//!
//! Named locks are exclusive only, and the engine's lock is shared by runs: a run takes one
//! of [`SLOTS`] run locks (any free one) and a rollback or a finalize takes the table's
//! lock for acting alone. Each takes its own first, then looks at the other's, and lets
//! its own go if the other is held: of a run and a rollback that start together, at most
//! one goes on (the server orders the lock calls: the later taker always sees the earlier
//! one's lock), at worst both are refused and asked to try again. Unlike a row locked in a
//! table, a named lock needs no table of the engine's to exist, and holds no table's
//! metadata lock, which would stop a rollback from dropping the engine's tables.
//!
//! The pass lock (`start(alone)`) is one more named lock, taken without waiting and let go
//! when the transaction ends.

use mysql::Value;

use super::conn::{Db, count};
use crate::Error;
use crate::fnv::{self, fnv};
use crate::store::Action;

/// How many runs (each worker of each process is one) may share the engine's lock.
pub(super) const SLOTS: usize = 256;

/// The names of one table's locks: server-wide, so made of a hash of the database's and
/// the table's names (a lock's name may not pass 64 characters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Locks {
    base: String,
}

impl Locks {
    /// The locks of `table` in `database`.
    pub(super) fn new(database: &str, table: &str) -> Self {
        let hash = fnv(
            fnv(fnv::BASIS, database.as_bytes()),
            format!("\0{table}").as_bytes(),
        );
        Locks {
            base: format!("upcast:{hash:016x}"),
        }
    }

    fn run(&self, slot: usize) -> String {
        format!("{}:run:{slot}", self.base)
    }

    fn alone(&self) -> String {
        format!("{}:alone", self.base)
    }

    /// The lock for deciding passes.
    pub(super) fn pass(&self) -> String {
        format!("{}:pass", self.base)
    }
}

/// Takes the engine's lock for `action` in `db`'s session, or refuses saying what holds it.
pub(super) fn take(db: &mut Db, locks: &Locks, action: Action) -> Result<(), Error> {
    match action {
        Action::Run => take_shared(db, locks),
        _ => take_alone(db, locks, action),
    }
}

/// A run: a free run lock, kept unless a rollback or a finalize holds the table.
fn take_shared(db: &mut Db, locks: &Locks) -> Result<(), Error> {
    let Some(slot) = free_slot(db, locks)? else {
        let all = format!("all {SLOTS} run locks are held");
        return Err(refused(Action::Run, db, "a run", &all));
    };
    let holder = holders(db, &[locks.alone()])?;
    if holder.is_empty() {
        return Ok(());
    }
    release(db, &locks.run(slot))?;
    let holder = connections(&holder);
    Err(refused(
        Action::Run,
        db,
        "a rollback or a finalize",
        &holder,
    ))
}

/// A rollback or a finalize: the table's lock, kept unless runs hold theirs.
fn take_alone(db: &mut Db, locks: &Locks, action: Action) -> Result<(), Error> {
    if !try_lock(db, &locks.alone())? {
        let holder = holders(db, &[locks.alone()])?;
        let holder = connections(&holder);
        return Err(refused(action, db, "a rollback or a finalize", &holder));
    }
    let slots: Vec<String> = (0..SLOTS).map(|slot| locks.run(slot)).collect();
    let runs = holders(db, &slots)?;
    if runs.is_empty() {
        return Ok(());
    }
    release(db, &locks.alone())?;
    Err(refused(action, db, "a run", &connections(&runs)))
}

/// Takes the first run lock free, if one is.
fn free_slot(db: &mut Db, locks: &Locks) -> Result<Option<usize>, Error> {
    let slots: Vec<String> = (0..SLOTS).map(|slot| locks.run(slot)).collect();
    let free = each_lock(db, "IS_FREE_LOCK", &slots)?;
    for (slot, free) in free.into_iter().enumerate() {
        if count(free) == 1 && try_lock(db, &locks.run(slot))? {
            return Ok(Some(slot));
        }
    }
    Ok(None)
}

/// Takes the named lock `name` if it is free, without waiting.
pub(super) fn try_lock(db: &mut Db, name: &str) -> Result<bool, Error> {
    let got = db.first("SELECT GET_LOCK(?, 0)", vec![Value::from(name)])?;
    Ok(got
        .into_iter()
        .flatten()
        .next()
        .is_some_and(|got| count(got) == 1))
}

/// Lets go of the named lock `name`.
pub(super) fn release(db: &mut Db, name: &str) -> Result<(), Error> {
    db.run("DO RELEASE_LOCK(?)", vec![Value::from(name)])?;
    Ok(())
}

/// The server's ids of the other sessions holding any of `names`.
fn holders(db: &mut Db, names: &[String]) -> Result<Vec<String>, Error> {
    let own = u64::from(db.id());
    let ids = each_lock(db, "IS_USED_LOCK", names)?;
    let mut ids: Vec<u64> = ids
        .into_iter()
        .filter(|id| *id != Value::NULL)
        .map(count)
        .collect();
    ids.retain(|id| *id != own);
    ids.sort_unstable();
    ids.dedup();
    Ok(ids.iter().map(ToString::to_string).collect())
}

/// `function(name)` of each name, in one statement.
fn each_lock(db: &mut Db, function: &str, names: &[String]) -> Result<Vec<Value>, Error> {
    let calls = vec![format!("{function}(?)"); names.len()].join(", ");
    let params = names
        .iter()
        .map(|name| Value::from(name.as_str()))
        .collect();
    let row = db.first(&format!("SELECT {calls}"), params)?;
    Ok(row.unwrap_or_default())
}

/// The sessions `ids`, as the refusal says them.
fn connections(ids: &[String]) -> String {
    match ids {
        [] => "gone now".to_owned(),
        [one] => format!("server connection {one}"),
        many => format!("server connections {}", many.join(", ")),
    }
}

/// The engine's lock cannot be had: `held_by` holds it (`who`: which sessions).
fn refused(action: Action, db: &Db, held_by: &str, who: &str) -> Error {
    Error::state(
        action.verb(),
        db.store(),
        format!(
            "{held_by} is in progress ({who}); wait for it to end, or stop it (SIGINT or \
             SIGTERM ends a run after its batch in flight)"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_names_fit_the_servers_limit_and_differ_by_database_and_table() {
        let locks = Locks::new("test", &"t".repeat(64));
        for name in [locks.run(SLOTS - 1), locks.alone(), locks.pass()] {
            assert!(name.len() <= 64, "{name}");
        }
        assert_ne!(Locks::new("a", "bc"), Locks::new("ab", "c"));
        assert_ne!(Locks::new("test", "events"), Locks::new("test", "Events"));
        assert_eq!(Locks::new("test", "events"), Locks::new("test", "events"));
    }
}
