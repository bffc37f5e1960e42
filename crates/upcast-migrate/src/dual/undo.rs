//! A change of one key in both tables, and its undo in the secondary: only where the
//! secondary still holds what the change put there.

use super::database::{Param, Transaction};
use super::table::Table;
use crate::{Error, Key};

/// What a dual write does to a key.
pub(crate) enum Change {
    /// Writes these records (the secondary's may have failed to encode).
    Put {
        primary: Vec<u8>,
        secondary: Result<Vec<u8>, Error>,
    },
    /// Deletes the key.
    Delete,
}

/// What a change did to the secondary, to undo it.
pub(crate) struct Applied {
    /// The record there before.
    before: Option<Vec<u8>>,
    /// The record put there (none: deleted).
    ours: Option<Vec<u8>>,
    /// Whether the change left a tombstone that was not there before.
    new_tombstone: bool,
}

impl Change {
    /// Changes the primary in `tx`.
    pub(crate) async fn primary(
        &self,
        table: &Table,
        tx: &mut dyn Transaction,
        key: &Key,
    ) -> Result<(), Error> {
        match self {
            Change::Put { primary, .. } => table.put_in(tx, key, primary).await,
            Change::Delete => table.delete_in(tx, key).await.map(drop),
        }
    }

    /// Changes the secondary in `tx` (a delete leaves a tombstone); what it did.
    pub(crate) async fn secondary(
        &self,
        table: &Table,
        tx: &mut dyn Transaction,
        key: &Key,
    ) -> Result<Applied, Error> {
        let before = table.get_in(tx, key).await?;
        match self {
            Change::Put { secondary, .. } => {
                let body = secondary.as_ref().map_err(copy)?;
                table.put_in(tx, key, body).await?;
                Ok(Applied {
                    before,
                    ours: Some(body.clone()),
                    new_tombstone: false,
                })
            }
            Change::Delete => {
                let text = key.to_string();
                let new_tombstone = tx
                    .execute(&table.sql.tombstone, &[Param::Text(&text)])
                    .await?
                    > 0;
                table.delete_in(tx, key).await?;
                Ok(Applied {
                    before,
                    ours: None,
                    new_tombstone,
                })
            }
        }
    }
}

/// The error of a secondary record that could not be encoded, again.
fn copy(error: &Error) -> Error {
    Error::state("write to", "the secondary", error.to_string())
}

/// Changes the secondary in a transaction of its own, under its key lock (which the
/// backfill takes too). On failure, what was applied if the statements ran and only the
/// commit failed.
pub(crate) async fn apply_apart(
    table: &Table,
    key: &Key,
    change: &Change,
) -> Result<Applied, (Error, Option<Applied>)> {
    let mut tx = table.db.begin().await.map_err(|error| (error, None))?;
    table
        .lock_in(&mut *tx, key)
        .await
        .map_err(|error| (error, None))?;
    let applied = change
        .secondary(table, &mut *tx, key)
        .await
        .map_err(|error| (error, None))?;
    match tx.commit().await {
        Ok(()) => Ok(applied),
        Err(error @ Error::Connection { .. }) => Err((error, Some(applied))),
        Err(error) => Err((error, None)),
    }
}

/// Puts back what `applied` replaced, where the secondary still holds what it put there.
pub(crate) async fn undo(table: &Table, key: &Key, applied: &Applied) -> Result<(), Error> {
    let mut tx = table.db.begin().await?;
    table.lock_in(&mut *tx, key).await?;
    let text = key.to_string();
    let key_param = Param::Text(&text);
    match (&applied.ours, &applied.before) {
        (Some(ours), Some(before)) => {
            let params = [key_param, Param::Bytes(ours), Param::Bytes(before)];
            tx.execute(&table.sql.replace_if, &params).await?;
        }
        (Some(ours), None) => {
            let params = [key_param, Param::Bytes(ours)];
            tx.execute(&table.sql.delete_if, &params).await?;
        }
        (None, before) => {
            if let Some(before) = before {
                let params = [key_param, Param::Bytes(before)];
                tx.execute(&table.sql.put_if_absent, &params).await?;
            }
            if applied.new_tombstone {
                tx.execute(&table.sql.forget_tombstone, &[key_param])
                    .await?;
            }
        }
    }
    tx.commit().await
}
