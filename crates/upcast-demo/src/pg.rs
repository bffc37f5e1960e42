//! The dataset in PostgreSQL, for the tests and the figures: a scratch schema of one's own,
//! dropped when done, and tables loaded with the demo's records.
//!
//! The server is the one `UPCAST_POSTGRES_URL` names, by default
//! `postgres://postgres@127.0.0.1:5432/test`.

use std::sync::atomic::{AtomicUsize, Ordering};

use postgres::{Client, NoTls};

/// The variable that names the server.
pub const URL_VARIABLE: &str = "UPCAST_POSTGRES_URL";
/// The server when the variable is not set.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The server's connection URL.
///
/// ```
/// assert!(upcast_demo::pg::url().starts_with("postgres"));
/// ```
pub fn url() -> String {
    std::env::var(URL_VARIABLE).unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// A schema of one's own, dropped with everything in it when this is dropped.
pub struct Scratch {
    /// A connection to the server.
    pub client: Client,
    /// The schema's name.
    pub schema: String,
    url: String,
}

impl Scratch {
    /// Connects and creates a schema named after `purpose`, this process and a counter, so
    /// that tests can run in parallel.
    ///
    /// ```no_run
    /// let scratch = upcast_demo::pg::Scratch::new("doc")?;
    /// assert!(scratch.store("events").contains("?table=upcast_doc_"));
    /// # Ok::<(), postgres::Error>(())
    /// ```
    pub fn new(purpose: &str) -> Result<Self, postgres::Error> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let url = url();
        let mut client = Client::connect(&url, NoTls)?;
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let schema = format!("upcast_{purpose}_{}_{n}", std::process::id());
        client.batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))?;
        Ok(Scratch {
            client,
            schema,
            url,
        })
    }

    /// The store argument of `table` in this schema, with more options after `&` if given.
    ///
    /// See the example on [`Scratch::new`].
    pub fn store(&self, table: &str) -> String {
        format!("{}?table={}.{table}", self.url, self.schema)
    }

    /// Creates `table` (`id bigserial PRIMARY KEY, body BODY_TYPE NOT NULL`) holding
    /// `lines` (blank ones left out), in order. Returns how many rows it holds.
    ///
    /// ```no_run
    /// let mut scratch = upcast_demo::pg::Scratch::new("doc")?;
    /// assert_eq!(scratch.load("events", "jsonb", "{\"a\":1}\n{\"a\":2}\n")?, 2);
    /// # Ok::<(), postgres::Error>(())
    /// ```
    pub fn load(
        &mut self,
        table: &str,
        body_type: &str,
        lines: &str,
    ) -> Result<u64, postgres::Error> {
        let table = format!("{}.{table}", self.schema);
        self.client.batch_execute(&format!(
            "CREATE TABLE {table} (id bigserial PRIMARY KEY, body {body_type} NOT NULL)"
        ))?;
        let cast = match body_type {
            "bytea" => "convert_to(b, 'UTF8')".to_owned(),
            other => format!("b::{other}"),
        };
        let insert = format!(
            "INSERT INTO {table} (body) SELECT {cast} FROM unnest($1::text[]) WITH ORDINALITY \
             AS l(b, n) ORDER BY n"
        );
        let lines: Vec<&str> = lines
            .lines()
            .filter(|line| !line.trim().is_empty())
            .collect();
        let mut loaded = 0;
        for part in lines.chunks(10_000) {
            loaded += self.client.execute(&insert, &[&part])?;
        }
        Ok(loaded)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = self
            .client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
    }
}
