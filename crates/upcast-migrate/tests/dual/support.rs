//! Scratch databases of one's own on the real servers, dropped when done, and the record
//! the tests write.

use std::sync::atomic::{AtomicUsize, Ordering};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::{MySqlPool, PgPool};

/// The record every test writes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "test.dual", version = 1)]
pub struct Note {
    pub text: String,
    pub n: u64,
}

impl Note {
    pub fn new(text: &str, n: u64) -> Note {
        Note {
            text: text.to_owned(),
            n,
        }
    }
}

pub fn pg_url() -> String {
    std::env::var("UPCAST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

pub fn mysql_url() -> String {
    std::env::var("UPCAST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".to_owned())
}

fn unique(purpose: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("upcast_{purpose}_{}_{n}", std::process::id())
}

/// Whether a missing server skips the test (saying so) or fails it.
fn skip_or_fail(variable: &str, what: &str, error: &dyn std::fmt::Display) -> Option<()> {
    if std::env::var(variable).as_deref() == Ok("1") {
        panic!("{what} is required ({variable}=1): {error}");
    }
    eprintln!("skipped: no {what} ({error})");
    None
}

/// The database part of a URL replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let mut url = url::Url::parse(url).expect("a URL");
    url.set_path(&format!("/{database}"));
    url.to_string()
}

/// A database of one's own on the server: PostgreSQL (`CREATE DATABASE`) or MySQL (a
/// schema, which MySQL calls a database), dropped on drop.
pub struct Scratch {
    pub name: String,
    /// A URL to it.
    pub url: String,
    admin: String,
    mysql: bool,
}

impl Scratch {
    /// A new PostgreSQL database, or `None` (said) without a server.
    pub async fn postgres(purpose: &str) -> Option<Scratch> {
        let admin = pg_url();
        let pool = match PgPool::connect(&admin).await {
            Ok(pool) => pool,
            Err(error) => {
                return skip_or_fail("UPCAST_REQUIRE_POSTGRES", "PostgreSQL", &error)
                    .map(|()| unreachable!());
            }
        };
        let name = unique(purpose);
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&pool)
            .await
            .expect("create database");
        pool.close().await;
        Some(Scratch {
            url: with_database(&admin, &name),
            name,
            admin,
            mysql: false,
        })
    }

    /// A new MySQL database, or `None` (said) without a server.
    pub async fn mysql(purpose: &str) -> Option<Scratch> {
        let admin = mysql_url();
        let pool = match MySqlPool::connect(&admin).await {
            Ok(pool) => pool,
            Err(error) => {
                return skip_or_fail("UPCAST_REQUIRE_MYSQL", "MySQL", &error)
                    .map(|()| unreachable!());
            }
        };
        let name = unique(purpose);
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&pool)
            .await
            .expect("create database");
        pool.close().await;
        Some(Scratch {
            url: with_database(&admin, &name),
            name,
            admin,
            mysql: true,
        })
    }

    pub async fn pg_pool(&self) -> PgPool {
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(24)
            .connect(&self.url)
            .await
            .expect("connect")
    }

    pub async fn mysql_pool(&self) -> MySqlPool {
        sqlx::mysql::MySqlPoolOptions::new()
            .max_connections(24)
            .connect(&self.url)
            .await
            .expect("connect")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Dropped inside a runtime: drop the database from a thread of its own.
        let (admin, name, mysql) = (self.admin.clone(), self.name.clone(), self.mysql);
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let sql = match mysql {
                    true => format!("DROP DATABASE IF EXISTS {name}"),
                    false => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                };
                match mysql {
                    true => {
                        let pool = MySqlPool::connect(&admin)
                            .await
                            .map_err(std::io::Error::other)?;
                        sqlx::raw_sql(&sql)
                            .execute(&pool)
                            .await
                            .map_err(std::io::Error::other)?;
                    }
                    false => {
                        let pool = PgPool::connect(&admin)
                            .await
                            .map_err(std::io::Error::other)?;
                        sqlx::raw_sql(&sql)
                            .execute(&pool)
                            .await
                            .map_err(std::io::Error::other)?;
                    }
                }
                Ok::<(), std::io::Error>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the scratch database {}", self.name);
        }
    }
}

/// Waits until `query` (on `pool`) returns a row: a session reached the point a test needs
/// (a statement waiting on a lock, a trigger asleep). Events, not timings: the bound only
/// turns a hang into a failure.
pub async fn wait_until(pool: &PgPool, query: &str, what: &str) {
    for _ in 0..6_000 {
        let found = sqlx::query(query).fetch_optional(pool).await.expect("poll");
        if found.is_some() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("never saw {what}");
}

/// Creates `notes (id bigint PRIMARY KEY, body jsonb NOT NULL)` in `pool`'s database.
pub async fn pg_notes(pool: &PgPool) {
    sqlx::raw_sql("CREATE TABLE notes (id bigint PRIMARY KEY, body jsonb NOT NULL)")
        .execute(pool)
        .await
        .expect("create notes");
}

/// The `text` of the record `table` holds for `key`, if any.
pub async fn text_of(table: &upcast_migrate::dual::Table, key: i64) -> Option<String> {
    let body = table
        .get(&upcast_migrate::Key::Int(key))
        .await
        .expect("get")?;
    let note: Note = upcast::from_slice(&body).expect("a note");
    Some(note.text)
}

/// Two PostgreSQL databases, each with `notes`, opened as the primary and the secondary
/// table of a move: the setting of most tests here.
pub struct Pair {
    pub primary: upcast_migrate::dual::Table,
    pub secondary: upcast_migrate::dual::Table,
    /// The primary's database.
    pub pa: PgPool,
    /// The secondary's database.
    pub pb: PgPool,
    pub a: Scratch,
    pub b: Scratch,
}

impl Pair {
    /// The pair, after `setup` ran in the primary's database; `None` (said) without a server.
    pub async fn postgres(purpose: &str, setup: &str) -> Option<Pair> {
        let a = Scratch::postgres(&format!("{purpose}_a")).await?;
        let b = Scratch::postgres(&format!("{purpose}_b")).await?;
        let (pa, pb) = (a.pg_pool().await, b.pg_pool().await);
        pg_notes(&pa).await;
        pg_notes(&pb).await;
        if !setup.is_empty() {
            sqlx::raw_sql(setup).execute(&pa).await.expect("setup");
        }
        let open =
            |pool: &PgPool| upcast_migrate::dual::Table::open(pool.clone(), "notes", "id", "body");
        let primary = open(&pa).await.expect("open the primary");
        let secondary = open(&pb).await.expect("open the secondary");
        Some(Pair {
            primary,
            secondary,
            pa,
            pb,
            a,
            b,
        })
    }

    /// A dual writer over the pair, in `both` mode.
    pub fn dual(&self) -> std::sync::Arc<upcast_migrate::dual::DualWriter> {
        let dual = upcast_migrate::dual::DualWriter::new(self.primary.clone())
            .secondary(self.secondary.clone());
        dual.switch().set(upcast_migrate::dual::Mode::Both);
        std::sync::Arc::new(dual)
    }

    /// Closes the pools (the databases go when the pair is dropped).
    pub async fn close(self) {
        self.pa.close().await;
        self.pb.close().await;
    }
}
