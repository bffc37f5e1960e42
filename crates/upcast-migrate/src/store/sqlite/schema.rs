//! What an SQLite table is made of: its table and columns, checked against the catalogue
//! before anything runs, and the quoted names of the table and of the migration's own
//! tables beside it.

use rusqlite::Connection;

use crate::Error;
use crate::names::Beside;
use crate::spec::TableSpec;

/// The quoted identifiers of the table, its columns and the migration's own tables.
pub(super) struct Names {
    pub(super) table: String,
    pub(super) key: String,
    pub(super) body: String,
    pub(super) version: Option<String>,
    pub(super) originals: String,
    pub(super) failures: String,
    pub(super) progress: String,
    pub(super) chunks: String,
    pub(super) rolled_back: String,
}

/// Refuses a table whose engine objects would be someone else's ([`names::check_own`]).
pub(super) fn check_own(
    conn: &Connection,
    store: &str,
    table: &str,
    own: &Beside,
) -> Result<(), Error> {
    let columns_of = |name: &str| names(conn, "SELECT name FROM pragma_table_info(?1)", [name]);
    crate::names::check_own(store, table, own, columns_of, str::to_owned)
}

/// Checks that the table and its columns exist, before anything runs.
pub(super) fn check_names(conn: &Connection, store: &str, spec: &TableSpec) -> Result<(), Error> {
    let tables = names(
        conn,
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
        [],
    )?;
    if !tables.contains(&spec.table) {
        return Err(Error::NoSuchName {
            what: "table",
            name: spec.table.clone(),
            store: store.to_owned(),
            known: tables,
        });
    }
    let columns = names(
        conn,
        "SELECT name FROM pragma_table_info(?1)",
        [&spec.table],
    )?;
    let wanted = [Some(&spec.key), Some(&spec.body), spec.version.as_ref()];
    for column in wanted.into_iter().flatten() {
        if !columns.contains(column) {
            return Err(Error::NoSuchName {
                what: "column",
                name: column.clone(),
                store: store.to_owned(),
                known: columns,
            });
        }
    }
    if !key_is_unique(conn, &spec.table, &spec.key)? {
        return Err(Error::state(
            "migrate",
            store,
            format!(
                "its key column `{}` is not unique, so one compare-and-swap could rewrite two \
                 rows and save one original; name a PRIMARY KEY or UNIQUE column with `key=`",
                spec.key
            ),
        ));
    }
    Ok(())
}

/// Whether `key` alone identifies a row: the table's only primary-key column, or the one
/// column of a unique index over every row.
fn key_is_unique(conn: &Connection, table: &str, key: &str) -> Result<bool, Error> {
    let primary = names(
        conn,
        "SELECT name FROM pragma_table_info(?1) WHERE pk > 0",
        [table],
    )?;
    if primary == [key] {
        return Ok(true);
    }
    let indexes = names(
        conn,
        "SELECT name FROM pragma_index_list(?1) WHERE \"unique\" = 1 AND partial = 0",
        [table],
    )?;
    for index in indexes {
        let columns = names(
            conn,
            "SELECT coalesce(name, '') FROM pragma_index_info(?1)",
            [&index],
        )?;
        if columns == [key] {
            return Ok(true);
        }
    }
    Ok(false)
}

fn names<P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
) -> Result<Vec<String>, Error> {
    let mut statement = conn.prepare(sql)?;
    let names = statement.query_map(params, |row| row.get::<_, String>(0))?;
    Ok(names.collect::<Result<_, _>>()?)
}

/// An identifier as SQL reads it, whatever it holds: it reaches SQL only this way, and only
/// after [`check_names`] found it in the catalogue.
pub(super) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
