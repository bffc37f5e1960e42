//! One connection to the server, set up the way the store's statements assume, and its
//! failures turned into errors that carry the server's own words (its error code, state
//! and message).

use mysql::prelude::Queryable;
use mysql::{Conn, Opts, OptsBuilder, Value};

use crate::Error;

/// What every session of the store runs first: results and parameters in UTF-8 (text
/// bodies, keys and names read and sent as UTF-8 whatever their column's character set);
/// read committed, so that a unit's statements see what others committed and take no gap
/// locks; strict, so that a value too long for its column is an error, never cut.
const SESSION: [&str; 3] = [
    "SET NAMES utf8mb4",
    "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
    "SET SESSION sql_mode = IF(@@SESSION.sql_mode = '', 'STRICT_ALL_TABLES', \
     CONCAT(@@SESSION.sql_mode, ',STRICT_ALL_TABLES'))",
];

/// The server's error for an unknown variable (`idle_transaction_timeout` in MySQL).
pub(super) const UNKNOWN_VARIABLE: u16 = 1193;

/// The server's error for a duplicate key.
pub(super) const DUPLICATE_KEY: u16 = 1062;

/// A connection, and the store's name for its errors.
pub(super) struct Db {
    conn: Conn,
    store: String,
}

impl Db {
    /// Connects to the server `url` names (a `mysql://` URL with its password).
    pub(super) fn connect(url: &str, store: &str) -> Result<Self, Error> {
        let refused = |error: mysql::Error| Error::state("connect to", store, said(&error));
        let opts = Opts::from_url(url).map_err(|error| refused(error.into()))?;
        let opts = OptsBuilder::from_opts(opts).init(SESSION.to_vec());
        let conn = Conn::new(opts).map_err(refused)?;
        Ok(Db {
            conn,
            store: store.to_owned(),
        })
    }

    /// Runs `sql` with `params`, its rows' values in order.
    pub(super) fn rows(&mut self, sql: &str, params: Vec<Value>) -> Result<Vec<Vec<Value>>, Error> {
        let rows: Vec<mysql::Row> = self.conn.exec(sql, params).map_err(|e| self.failed(e))?;
        // `Row::unwrap` hands over the row's values (it is not `Option::unwrap`).
        Ok(rows.into_iter().map(mysql::Row::unwrap).collect())
    }

    /// The first row of `sql`, if any.
    pub(super) fn first(
        &mut self,
        sql: &str,
        params: Vec<Value>,
    ) -> Result<Option<Vec<Value>>, Error> {
        Ok(self.rows(sql, params)?.into_iter().next())
    }

    /// Runs `sql` with `params`: how many rows it changed.
    pub(super) fn run(&mut self, sql: &str, params: Vec<Value>) -> Result<u64, Error> {
        self.conn
            .exec_drop(sql, params)
            .map_err(|e| self.failed(e))?;
        Ok(self.conn.affected_rows())
    }

    /// Runs `sql` with `params`: `false` if the server refused it with the error `code`
    /// (the transaction goes on: the server undid that statement alone).
    pub(super) fn try_run(
        &mut self,
        sql: &str,
        params: Vec<Value>,
        code: u16,
    ) -> Result<bool, Error> {
        match self.conn.exec_drop(sql, params) {
            Ok(()) => Ok(true),
            Err(mysql::Error::MySqlError(error)) if error.code == code => Ok(false),
            Err(error) => Err(self.failed(error)),
        }
    }

    /// Runs `sql`, a statement without parameters (text protocol: transactions, DDL).
    pub(super) fn plain(&mut self, sql: &str) -> Result<(), Error> {
        self.conn.query_drop(sql).map_err(|e| self.failed(e))
    }

    /// The server's id of this session.
    pub(super) fn id(&self) -> u32 {
        self.conn.connection_id()
    }

    /// The store's name, for errors.
    pub(super) fn store(&self) -> &str {
        &self.store
    }

    fn failed(&self, error: mysql::Error) -> Error {
        Error::state("query", &self.store, said(&error))
    }
}

/// What the server or the driver said: `mysql error 1146 (42S02): Table 'test.x' doesn't
/// exist`. A URL's invalid value is named, not shown (it may be a secret).
pub(super) fn said(error: &mysql::Error) -> String {
    match error {
        mysql::Error::MySqlError(error) => format!(
            "mysql error {} ({}): {}",
            error.code, error.state, error.message
        ),
        mysql::Error::UrlError(mysql::UrlError::InvalidValue(name, _)) => {
            format!("mysql: invalid value of the option `{name}`")
        }
        other => format!("mysql: {other}"),
    }
}

/// A value read as text (`NULL`: none); numbers as they are written.
pub(super) fn text(value: Value) -> Result<Option<String>, Error> {
    Ok(match value {
        Value::NULL => None,
        Value::Int(n) => Some(n.to_string()),
        Value::UInt(n) => Some(n.to_string()),
        Value::Bytes(bytes) => Some(String::from_utf8(bytes).map_err(|_| not_utf8())?),
        other => Some(other.as_sql(true).trim_matches('\'').to_owned()),
    })
}

/// A value read as bytes (`NULL`: none).
pub(super) fn bytes(value: Value) -> Option<Vec<u8>> {
    match value {
        Value::NULL => None,
        Value::Bytes(bytes) => Some(bytes),
        Value::Int(n) => Some(n.to_string().into_bytes()),
        Value::UInt(n) => Some(n.to_string().into_bytes()),
        other => Some(other.as_sql(true).trim_matches('\'').as_bytes().to_vec()),
    }
}

/// A value read as a count (`NULL`: 0).
pub(super) fn count(value: Value) -> u64 {
    match value {
        Value::Int(n) => n.unsigned_abs(),
        Value::UInt(n) => n,
        Value::Bytes(bytes) => std::str::from_utf8(&bytes)
            .ok()
            .and_then(|text| text.parse().ok())
            .unwrap_or(0),
        _ => 0,
    }
}

fn not_utf8() -> Error {
    Error::state(
        "read",
        "a MySQL column",
        "a key, version or text value is not UTF-8; expected text the server can send as \
         `utf8mb4`",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_text_bytes_and_counts() {
        let read = |value| text(value).ok().flatten();
        assert_eq!(read(Value::Int(-7)), Some("-7".to_owned()));
        assert_eq!(read(Value::UInt(u64::MAX)), Some(u64::MAX.to_string()));
        assert_eq!(
            read(Value::Bytes(b"evt-1".to_vec())),
            Some("evt-1".to_owned())
        );
        assert_eq!(read(Value::NULL), None);
        assert!(text(Value::Bytes(vec![0xff])).is_err());
        assert_eq!(bytes(Value::Bytes(vec![0xff])), Some(vec![0xff]));
        assert_eq!(count(Value::Bytes(b"12".to_vec())), 12);
        assert_eq!(count(Value::NULL), 0);
    }

    #[test]
    fn errors_carry_the_servers_code_and_words() {
        let error = mysql::Error::MySqlError(mysql::MySqlError {
            state: "42S02".to_owned(),
            message: "Table 'test.x' doesn't exist".to_owned(),
            code: 1146,
        });
        assert_eq!(
            said(&error),
            "mysql error 1146 (42S02): Table 'test.x' doesn't exist"
        );
        let secret = mysql::UrlError::InvalidValue("password".to_owned(), "hunter2".to_owned());
        assert!(!said(&secret.into()).contains("hunter2"));
    }
}
