//! The dataset in MySQL or MariaDB, for the tests: a scratch database of one's own, dropped
//! when done, and tables loaded with the demo's records.
//!
//! The server is the one `UPCAST_MYSQL_URL` names, by default
//! `mysql://root@127.0.0.1:3306/test`; its user may create databases.

use std::sync::atomic::{AtomicUsize, Ordering};

use mysql::prelude::Queryable;
use mysql::{Conn, Opts, Value};

/// The variable that names the server.
pub const URL_VARIABLE: &str = "UPCAST_MYSQL_URL";
/// The server when the variable is not set.
pub const DEFAULT_URL: &str = "mysql://root@127.0.0.1:3306/test";

/// Rows per `INSERT` when loading.
const ROWS_PER_INSERT: usize = 1000;

/// The server's connection URL.
///
/// ```
/// assert!(upcast_demo::mysql::url().starts_with("mysql://"));
/// ```
pub fn url() -> String {
    std::env::var(URL_VARIABLE).unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// A database of one's own, dropped with everything in it when this is dropped.
pub struct Scratch {
    /// A connection to the server, in the scratch database.
    pub conn: Conn,
    /// The database's name.
    pub database: String,
    /// The URL up to its database (`mysql://root@host:3306`), and its options.
    base: String,
    options: Option<String>,
}

impl Scratch {
    /// Connects and creates a database named after `purpose`, this process and a counter,
    /// so that tests can run in parallel.
    ///
    /// ```no_run
    /// let scratch = upcast_demo::mysql::Scratch::new("doc")?;
    /// assert!(scratch.store("events").contains("/upcast_doc_"));
    /// # Ok::<(), mysql::Error>(())
    /// ```
    pub fn new(purpose: &str) -> Result<Self, mysql::Error> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let url = url();
        let (head, options) = match url.split_once('?') {
            Some((head, options)) => (head, Some(options.to_owned())),
            None => (url.as_str(), None),
        };
        let base = head
            .rsplit_once('/')
            .map_or(head, |(base, _)| base)
            .to_owned();
        let mut conn = Conn::new(Opts::from_url(&url)?)?;
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let database = format!("upcast_{purpose}_{}_{n}", std::process::id());
        conn.query_drop(format!("DROP DATABASE IF EXISTS `{database}`"))?;
        conn.query_drop(format!(
            "CREATE DATABASE `{database}` CHARACTER SET utf8mb4"
        ))?;
        conn.query_drop(format!("USE `{database}`"))?;
        Ok(Scratch {
            conn,
            database,
            base,
            options,
        })
    }

    /// The store argument of `table` in this database.
    ///
    /// See the example on [`Scratch::new`].
    pub fn store(&self, table: &str) -> String {
        let options = self
            .options
            .as_deref()
            .map_or(String::new(), |o| format!("{o}&"));
        let table = encoded(table);
        format!("{}/{}?{options}table={table}", self.base, self.database)
    }

    /// Creates `table` (`id BIGINT AUTO_INCREMENT PRIMARY KEY, body BODY_TYPE NOT NULL`)
    /// holding `lines` (blank ones left out), in order. Returns how many rows it holds.
    ///
    /// ```no_run
    /// let mut scratch = upcast_demo::mysql::Scratch::new("doc")?;
    /// assert_eq!(scratch.load("events", "json", "{\"a\":1}\n{\"a\":2}\n")?, 2);
    /// # Ok::<(), mysql::Error>(())
    /// ```
    pub fn load(&mut self, table: &str, body_type: &str, lines: &str) -> Result<u64, mysql::Error> {
        let table = format!("`{}`", table.replace('`', "``"));
        self.conn.query_drop(format!(
            "CREATE TABLE {table} (id BIGINT AUTO_INCREMENT PRIMARY KEY, body {body_type} NOT NULL)"
        ))?;
        let lines: Vec<&str> = lines
            .lines()
            .filter(|line| !line.trim().is_empty())
            .collect();
        let mut loaded = 0;
        for part in lines.chunks(ROWS_PER_INSERT) {
            let rows = vec!["(?)"; part.len()].join(", ");
            let params: Vec<Value> = part
                .iter()
                .map(|line| Value::from(line.as_bytes()))
                .collect();
            self.conn
                .exec_drop(format!("INSERT INTO {table} (body) VALUES {rows}"), params)?;
            loaded += self.conn.affected_rows();
        }
        Ok(loaded)
    }
}

/// `text` percent-encoded for a URL's query, but for letters, digits and `_-.`.
fn encoded(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' => {
                char::from(byte).to_string()
            }
            byte => format!("%{byte:02X}"),
        })
        .collect()
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = self
            .conn
            .query_drop(format!("DROP DATABASE IF EXISTS `{}`", self.database));
    }
}
