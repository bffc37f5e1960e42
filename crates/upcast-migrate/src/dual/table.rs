//! One table as a service writes and reads it, by key, through the service's own pool.

use std::sync::Arc;

use super::database::{Database, Dialect, Param, Transaction, Values};
use super::sql::{self, Body, Columns, Statements};
use crate::{Error, Key};

/// A table a service writes records to and reads them from, by key, over the pool it
/// already has (any [`Database`]). Its records carry their version inside them (envelope
/// or inline layout).
///
/// Opening it checks the table against the catalogue (the key names one row, the body is
/// a JSON, text or bytes column) and creates, if missing, the tables the dual-write plan
/// keeps beside it: `T__upcast_deleted` (keys deleted during a move, so that a backfill
/// cannot bring them back) and, on MySQL, `T__upcast_key_locks`.
///
/// ```no_run
/// # async fn doc() -> Result<(), upcast_migrate::Error> {
/// use upcast_migrate::Key;
/// use upcast_migrate::dual::Table;
///
/// let pool = sqlx::PgPool::connect_lazy("postgres://postgres@127.0.0.1/test").expect("url");
/// let table = Table::open(pool, "shop.events", "id", "body").await?;
/// table.put(&Key::Int(1), br#"{"kind":"note","version":1,"data":{}}"#).await?;
/// assert!(table.get(&Key::Int(1)).await?.is_some());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Table {
    pub(crate) db: Arc<dyn Database>,
    pub(crate) sql: Arc<Statements>,
    name: Arc<str>,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table").field("name", &self.name).finish()
    }
}

impl Table {
    /// Opens `table` (`schema.table` or `table`) of `db`, with its records keyed by the
    /// column `key` and held in the column `body`.
    ///
    /// See the example on [`Table`].
    pub async fn open(
        db: impl Database,
        table: &str,
        key: &str,
        body: &str,
    ) -> Result<Table, Error> {
        let db: Arc<dyn Database> = Arc::new(db);
        let (schema, name) = match table.split_once('.') {
            Some((schema, name)) => (Some(schema), name),
            None => (None, table),
        };
        let shown = format!("{}/{table}", db.identity());
        let dialect = db.dialect();
        let mut tx = db.begin().await?;
        let found = columns(&mut *tx, dialect, schema, name).await?;
        let type_of = |column: &str, what: &'static str| {
            found
                .iter()
                .find(|(name, _, _)| name == column)
                .map(|(_, type_name, unique)| (type_name.clone(), *unique))
                .ok_or_else(|| Error::NoSuchName {
                    what,
                    name: column.to_owned(),
                    store: shown.clone(),
                    known: found.iter().map(|(name, _, _)| name.clone()).collect(),
                })
        };
        if found.is_empty() {
            return Err(Error::NoSuchName {
                what: "table",
                name: table.to_owned(),
                store: db.identity(),
                known: Vec::new(),
            });
        }
        let (key_type, unique) = type_of(key, "column")?;
        let (body_type, _) = type_of(body, "column")?;
        let body_kind = Body::of(&body_type).ok_or_else(|| {
            Error::state(
                "write to",
                &shown,
                format!(
                    "its body column `{body}` is `{body_type}`; expected a JSON, text or bytes type"
                ),
            )
        })?;
        if !unique {
            return Err(Error::state(
                "write to",
                &shown,
                format!(
                    "its key column `{key}` is not unique; name a PRIMARY KEY or UNIQUE column"
                ),
            ));
        }
        let columns = Columns {
            schema,
            table: name,
            key,
            key_type: &key_type,
            body,
            body_type: &body_type,
            body_kind,
        };
        let sql = Statements::new(dialect, &columns);
        drop(tx);
        create_own(&*db, &sql, &shown, schema, name).await?;
        Ok(Table {
            db,
            sql: Arc::new(sql),
            name: shown.into(),
        })
    }

    /// The table, for reports: its database's identity and its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The record of `key`, if there is one.
    ///
    /// See the example on [`Table`].
    pub async fn get(&self, key: &Key) -> Result<Option<Vec<u8>>, Error> {
        let mut tx = self.db.begin().await?;
        let found = self.get_in(&mut *tx, key).await?;
        tx.commit().await?;
        Ok(found)
    }

    /// Writes `body` as the record of `key`, replacing the one there.
    ///
    /// See the example on [`Table`].
    pub async fn put(&self, key: &Key, body: &[u8]) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        self.put_in(&mut *tx, key, body).await?;
        tx.commit().await
    }

    /// Deletes the record of `key`; whether there was one.
    pub async fn delete(&self, key: &Key) -> Result<bool, Error> {
        let mut tx = self.db.begin().await?;
        let deleted = self.delete_in(&mut *tx, key).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    pub(crate) async fn get_in(
        &self,
        tx: &mut dyn Transaction,
        key: &Key,
    ) -> Result<Option<Vec<u8>>, Error> {
        let key = key.to_string();
        let rows = tx.fetch(&self.sql.get, &[Param::Text(&key)]).await?;
        Ok(rows.into_iter().next().and_then(first))
    }

    pub(crate) async fn put_in(
        &self,
        tx: &mut dyn Transaction,
        key: &Key,
        body: &[u8],
    ) -> Result<(), Error> {
        let key = key.to_string();
        tx.execute(&self.sql.put, &[Param::Text(&key), Param::Bytes(body)])
            .await?;
        Ok(())
    }

    pub(crate) async fn delete_in(
        &self,
        tx: &mut dyn Transaction,
        key: &Key,
    ) -> Result<bool, Error> {
        let key = key.to_string();
        Ok(tx.execute(&self.sql.delete, &[Param::Text(&key)]).await? > 0)
    }

    /// Takes the lock on `key` until `tx` ends.
    pub(crate) async fn lock_in(&self, tx: &mut dyn Transaction, key: &Key) -> Result<(), Error> {
        let mut number = sql::lock_number(&self.sql.scope, &key.to_string());
        if self.sql.dialect == Dialect::Mysql {
            // A row each in a lock table: a bounded number of rows.
            number = number.rem_euclid(1 << 16);
        }
        let number = number.to_string();
        tx.execute(&self.sql.lock, &[Param::Text(&number)]).await?;
        Ok(())
    }
}

fn first(row: Values) -> Option<Vec<u8>> {
    row.into_iter().next().flatten()
}

fn text(bytes: Option<Vec<u8>>) -> String {
    String::from_utf8_lossy(&bytes.unwrap_or_default()).into_owned()
}

/// The columns of a table: name, type (lowercase) and whether it alone is a unique key.
async fn columns(
    tx: &mut dyn Transaction,
    dialect: Dialect,
    schema: Option<&str>,
    table: &str,
) -> Result<Vec<(String, String, bool)>, Error> {
    let rows = match dialect {
        Dialect::Postgres => {
            let name = format!(
                "{}.{}",
                sql::quoted(dialect, schema.unwrap_or("public")),
                sql::quoted(dialect, table)
            );
            let query = "SELECT convert_to(a.attname::text, 'UTF8'), \
                 convert_to(format_type(a.atttypid, a.atttypmod), 'UTF8'), \
                 convert_to(EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid \
                 AND i.indisunique AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum \
                 AND i.indpred IS NULL)::text, 'UTF8') \
                 FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 \
                 AND NOT a.attisdropped ORDER BY a.attnum";
            tx.fetch(query, &[Param::Text(&name)]).await?
        }
        Dialect::Mysql => {
            let schema = schema.unwrap_or_default();
            let query = "SELECT CAST(c.COLUMN_NAME AS BINARY), CAST(LOWER(c.COLUMN_TYPE) AS BINARY), \
                 CAST(IF(EXISTS (SELECT 1 FROM information_schema.STATISTICS s \
                 WHERE s.TABLE_SCHEMA = c.TABLE_SCHEMA AND s.TABLE_NAME = c.TABLE_NAME \
                 AND s.COLUMN_NAME = c.COLUMN_NAME AND s.NON_UNIQUE = 0 AND (SELECT COUNT(*) \
                 FROM information_schema.STATISTICS o WHERE o.TABLE_SCHEMA = s.TABLE_SCHEMA \
                 AND o.TABLE_NAME = s.TABLE_NAME AND o.INDEX_NAME = s.INDEX_NAME) = 1), \
                 'true', 'false') AS BINARY) \
                 FROM information_schema.COLUMNS c \
                 WHERE c.TABLE_SCHEMA = IF(CHAR_LENGTH(?) = 0, DATABASE(), ?) \
                 AND c.TABLE_NAME = ? ORDER BY c.ORDINAL_POSITION";
            let params = [Param::Text(schema), Param::Text(schema), Param::Text(table)];
            tx.fetch(query, &params).await?
        }
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut row = row.into_iter();
            let name = text(row.next().flatten());
            let type_name = text(row.next().flatten());
            let unique = text(row.next().flatten()) == "true";
            (name, type_name, unique)
        })
        .collect())
}

/// Creates the plan's tables beside `table` if missing, and refuses tables of their names
/// that are not the plan's.
async fn create_own(
    db: &dyn Database,
    sql: &Statements,
    shown: &str,
    schema: Option<&str>,
    table: &str,
) -> Result<(), Error> {
    let mut tx = db.begin().await?;
    for statement in &sql.create_own {
        tx.execute(statement, &[]).await?;
    }
    tx.commit().await?;
    let dialect = sql.dialect;
    let mut own = vec![(sql::tombstones(table, dialect), "key")];
    if dialect == Dialect::Mysql {
        own.push((
            crate::names::name(table, "key_locks", Some(sql::limit(dialect))),
            "id",
        ));
    }
    let mut tx = db.begin().await?;
    for (name, column) in own {
        let found = columns(&mut *tx, dialect, schema, &name).await?;
        if found.len() != 1 || found[0].0 != column {
            return Err(Error::state(
                "write to",
                shown,
                format!(
                    "the dual-write plan keeps its own table `{name}` beside it, and a table \
                     of that name that is not upcast's is there already: rename that table"
                ),
            ));
        }
    }
    Ok(())
}
