//! One PostgreSQL table as a service writes and reads it: a record per key, put, got and
//! deleted one at a time.

use postgres::{Client, NoTls};

use crate::spec::redacted;
use crate::store::postgres::schema::{self, BodyType, Names};
use crate::{Error, Key, StoreSpec, TableSpec};

/// A table of a PostgreSQL database that a service writes records to, by key: the
/// `store` argument names it as it does for `upcast migrate`.
///
/// ```no_run
/// let mut table = upcast_migrate::dual::Table::connect("postgres://postgres@127.0.0.1/test?table=events")?;
/// table.put(&upcast_migrate::Key::Int(1), br#"{"kind":"note","version":1,"data":{}}"#)?;
/// assert!(table.get(&upcast_migrate::Key::Int(1))?.is_some());
/// # Ok::<(), upcast_migrate::Error>(())
/// ```
pub struct Table {
    pub(crate) client: Client,
    pub(crate) url: String,
    name: String,
    pub(crate) sql: Names,
}

impl Table {
    /// Connects to the table `store` names (`postgres://…?table=…`), checking it as a
    /// migration does. Its records carry their version inside (envelope or inline layout):
    /// a version column is refused.
    pub fn connect(store: &str) -> Result<Self, Error> {
        let StoreSpec::Postgres(spec) = StoreSpec::parse(store)? else {
            return Err(Error::Spec {
                spec: redacted(store),
                reason: "expected a PostgreSQL table: `postgres://USER@HOST/DB?table=NAME`".into(),
            });
        };
        Table::open(&spec)
    }

    fn open(spec: &TableSpec) -> Result<Self, Error> {
        let name = spec.postgres_name();
        if spec.version.is_some() {
            return Err(Error::state(
                "write to",
                &name,
                "records written twice carry their version inside them (envelope or inline \
                 layout); drop `version=`",
            ));
        }
        let mut client = Client::connect(&spec.database, NoTls).map_err(|error| {
            Error::state("connect to", &name, crate::error::postgres_message(&error))
        })?;
        let sql = schema::inspect(&mut client, &name, spec)?;
        Ok(Table {
            client,
            url: spec.database.clone(),
            name,
            sql,
        })
    }

    /// The table's name for reports (password hidden).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Writes `body` as the record of `key`, replacing the one there.
    ///
    /// See the example on [`Table`].
    pub fn put(&mut self, key: &Key, body: &[u8]) -> Result<(), Error> {
        let sql = self.put_sql();
        put(&mut self.client, &sql, self.sql.body_kind, key, body)
    }

    /// The record of `key`, if there is one.
    ///
    /// See the example on [`Table`].
    pub fn get(&mut self, key: &Key) -> Result<Option<Vec<u8>>, Error> {
        let Names {
            table,
            key: column,
            body,
            body_kind,
            ..
        } = &self.sql;
        let sql = format!(
            "SELECT {} FROM {table} AS t WHERE t.{column} = {}",
            body_kind.select(&format!("t.{body}")),
            self.sql.key_param("$1")
        );
        let row = self.client.query_opt(&sql, &[&key.to_string()])?;
        row.map(|row| body_of(&row, *body_kind)).transpose()
    }

    /// Deletes the record of `key`; whether there was one.
    pub fn delete(&mut self, key: &Key) -> Result<bool, Error> {
        let sql = self.delete_sql();
        Ok(self.client.execute(&sql, &[&key.to_string()])? > 0)
    }

    pub(crate) fn put_sql(&self) -> String {
        let Names {
            table, key, body, ..
        } = &self.sql;
        format!(
            "INSERT INTO {table} ({key}, {body}) VALUES ({}, {}) \
             ON CONFLICT ({key}) DO UPDATE SET {body} = EXCLUDED.{body}",
            self.sql.key_param("$1"),
            // Sent as text (or bytes): a parameter cast straight to `jsonb` is sent as one.
            match self.sql.body_kind {
                BodyType::Bytea | BodyType::Text => "$2".to_owned(),
                _ => self.sql.body_param("$2::text"),
            }
        )
    }

    pub(crate) fn delete_sql(&self) -> String {
        let Names { table, key, .. } = &self.sql;
        format!(
            "DELETE FROM {table} WHERE {key} = {}",
            self.sql.key_param("$1")
        )
    }

    pub(crate) fn body_kind(&self) -> BodyType {
        self.sql.body_kind
    }
}

/// Runs a put statement (`$1` the key as text, `$2` the body).
pub(crate) fn put(
    client: &mut impl postgres::GenericClient,
    sql: &str,
    kind: BodyType,
    key: &Key,
    body: &[u8],
) -> Result<(), Error> {
    let key = key.to_string();
    match kind {
        BodyType::Bytea => client.execute(sql, &[&key, &body])?,
        _ => {
            let text = std::str::from_utf8(body)
                .map_err(|_| Error::state("write", &key, "the record is not UTF-8 text"))?;
            client.execute(sql, &[&key, &text])?
        }
    };
    Ok(())
}

fn body_of(row: &postgres::Row, kind: BodyType) -> Result<Vec<u8>, Error> {
    Ok(match kind {
        BodyType::Bytea => row.try_get::<_, Vec<u8>>(0)?,
        _ => row.try_get::<_, String>(0)?.into_bytes(),
    })
}
