//! The seam between the dual-write plan and a service's database driver: a [`Database`]
//! opens [`Transaction`]s, and a transaction runs the SQL the plan writes. Every rule (the
//! order of the two writes, the per-key lock, the undo, the tombstones) lives in the plan;
//! a driver only runs statements, so another driver plugs in with a few lines.

use std::future::Future;
use std::pin::Pin;

use crate::Error;

/// A boxed future a driver returns: `Send`, so a service may hold it across `.await` in a
/// spawned task.
pub type Pending<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// The SQL a database speaks: how the plan quotes names, numbers parameters and locks a
/// key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Dialect {
    /// PostgreSQL: `"name"`, `$1`, `pg_advisory_xact_lock`.
    Postgres,
    /// MySQL and MariaDB: `` `name` ``, `?`, a row of a lock table.
    Mysql,
}

/// A parameter of a statement: a key or a name as text, a record as bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Param<'a> {
    /// Bound as text (`text`, `VARCHAR`).
    Text(&'a str),
    /// Bound as bytes (`bytea`, `VARBINARY`).
    Bytes(&'a [u8]),
}

/// A database a service writes records to: the pool it already has.
///
/// The plan ships it for `sqlx::PgPool` (feature `sqlx-postgres`) and `sqlx::MySqlPool`
/// (feature `sqlx-mysql`). For another driver, implement it and [`Transaction`]: a
/// transaction runs statements and commits. With `tokio-postgres` behind `deadpool`:
///
/// ```ignore
/// use upcast_migrate::Error;
/// use upcast_migrate::dual::{Database, Dialect, Param, Pending, Values, Transaction};
///
/// struct Deadpool(deadpool_postgres::Pool);
/// struct Tx(deadpool_postgres::Object); // BEGIN was sent; a drop without COMMIT rolls back
///
/// impl Database for Deadpool {
///     fn dialect(&self) -> Dialect { Dialect::Postgres }
///     fn identity(&self) -> String { "postgres://db.internal:5432/shop".into() }
///     fn begin(&self) -> Pending<'_, Box<dyn Transaction>> {
///         Box::pin(async move {
///             let client = self.0.get().await.map_err(|e| Error::connection(e.to_string()))?;
///             client.batch_execute("BEGIN").await.map_err(words)?;
///             Ok(Box::new(Tx(client)) as Box<dyn Transaction>)
///         })
///     }
/// }
///
/// impl Transaction for Tx {
///     fn execute<'a>(&'a mut self, sql: &'a str, params: &'a [Param<'a>]) -> Pending<'a, u64> {
///         Box::pin(async move { self.0.execute(sql, &bind(params)).await.map_err(words) })
///     }
///     fn fetch<'a>(&'a mut self, sql: &'a str, params: &'a [Param<'a>]) -> Pending<'a, Vec<Values>> {
///         Box::pin(async move {
///             let rows = self.0.query(sql, &bind(params)).await.map_err(words)?;
///             Ok(rows.iter().map(|row| (0..row.len()).map(|i| row.get(i)).collect()).collect())
///         })
///     }
///     fn commit(self: Box<Self>) -> Pending<'static, ()> {
///         Box::pin(async move { self.0.batch_execute("COMMIT").await.map_err(words) })
///     }
/// }
/// // `words` maps a server's error to `Error::database` and a broken connection to
/// // `Error::connection`; `bind` turns each `Param` into a `&(dyn ToSql + Sync)`.
/// ```
pub trait Database: Send + Sync + 'static {
    /// The SQL it speaks.
    fn dialect(&self) -> Dialect;

    /// Which database it reaches (`postgres://host:port/db`, no user, no password): two
    /// tables whose databases have the same identity are written in one transaction.
    fn identity(&self) -> String;

    /// Starts a transaction. Dropping it without [`Transaction::commit`] rolls it back,
    /// and must never return a connection to the pool inside an open transaction.
    fn begin(&self) -> Pending<'_, Box<dyn Transaction>>;
}

/// A row of a [`Transaction::fetch`]: each column as bytes (the plan's SQL selects every
/// column as bytes: a `bytea`, a `VARBINARY`), `None` for SQL `NULL`.
pub type Values = Vec<Option<Vec<u8>>>;

/// An open transaction of a [`Database`].
///
/// Errors are [`Error::database`] when the server answered with one (the statement did not
/// take effect) and [`Error::connection`] when the connection failed (whether it did is
/// unknown): the plan reports a commit whose outcome is unknown as such.
pub trait Transaction: Send {
    /// Runs a statement; how many rows it changed.
    fn execute<'a>(&'a mut self, sql: &'a str, params: &'a [Param<'a>]) -> Pending<'a, u64>;

    /// Runs a query; its rows.
    fn fetch<'a>(&'a mut self, sql: &'a str, params: &'a [Param<'a>]) -> Pending<'a, Vec<Values>>;

    /// Commits.
    fn commit(self: Box<Self>) -> Pending<'static, ()>;
}
