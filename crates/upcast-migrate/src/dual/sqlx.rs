//! The dual-write plan on `sqlx` pools: `PgPool` (feature `sqlx-postgres`) and
//! `MySqlPool` (feature `sqlx-mysql`). TLS, timeouts and pool sizes are the pool's own
//! configuration (`PgConnectOptions::ssl_mode`, `MySqlConnectOptions::ssl_mode`).

use super::database::{Database, Dialect, Param, Pending, Transaction, Values};
use crate::Error;

/// A `sqlx` transaction of the pool's database: dropped without commit, `sqlx` rolls it
/// back before the connection is used again.
struct Tx<DB: sqlx::Database>(sqlx::Transaction<'static, DB>);

/// What `sqlx` said: the server's own words where it answered, else a lost connection,
/// whose statement may or may not have taken effect.
fn words(error: sqlx::Error) -> Error {
    match error {
        sqlx::Error::Database(error) => Error::database(server_words(&*error)),
        sqlx::Error::RowNotFound
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::TypeNotFound { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::Encode(_)
        | sqlx::Error::Configuration(_) => Error::database(error.to_string()),
        error => Error::connection(error.to_string()),
    }
}

fn server_words(error: &dyn sqlx::error::DatabaseError) -> String {
    #[cfg(feature = "sqlx-postgres")]
    if let Some(pg) = error.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        let mut words = pg.message().to_owned();
        if let Some(detail) = pg.detail() {
            words.push_str(&format!(" ({detail})"));
        }
        if let Some(hint) = pg.hint() {
            words.push_str(&format!("; hint: {hint}"));
        }
        return words;
    }
    error.message().to_owned()
}

/// Implements the seam for one `sqlx` database: the statements are the same; only the
/// types differ.
macro_rules! sqlx_database {
    ($feature:literal, $db:ty, $dialect:expr, $scheme:literal) => {
        #[cfg(feature = $feature)]
        impl Database for sqlx::Pool<$db> {
            fn dialect(&self) -> Dialect {
                $dialect
            }

            fn identity(&self) -> String {
                let options = self.connect_options();
                format!(
                    "{}://{}:{}/{}",
                    $scheme,
                    options.get_host(),
                    options.get_port(),
                    options.get_database().unwrap_or_default()
                )
            }

            fn begin(&self) -> Pending<'_, Box<dyn Transaction>> {
                Box::pin(async move {
                    let tx = sqlx::Pool::begin(self).await.map_err(words)?;
                    Ok(Box::new(Tx(tx)) as Box<dyn Transaction>)
                })
            }
        }

        #[cfg(feature = $feature)]
        impl Transaction for Tx<$db> {
            fn execute<'a>(
                &'a mut self,
                sql: &'a str,
                params: &'a [Param<'a>],
            ) -> Pending<'a, u64> {
                Box::pin(async move {
                    let conn: &mut <$db as sqlx::Database>::Connection = &mut self.0;
                    let done = match params.is_empty() {
                        // Statements without parameters (DDL, savepoints) as plain text.
                        true => sqlx::Executor::execute(conn, sqlx::raw_sql(sql)).await,
                        false => bind(sqlx::query::<$db>(sql), params).execute(conn).await,
                    };
                    Ok(done.map_err(words)?.rows_affected())
                })
            }

            fn fetch<'a>(
                &'a mut self,
                sql: &'a str,
                params: &'a [Param<'a>],
            ) -> Pending<'a, Vec<Values>> {
                Box::pin(async move {
                    use sqlx::Row as _;
                    let conn: &mut <$db as sqlx::Database>::Connection = &mut self.0;
                    let rows = bind(sqlx::query::<$db>(sql), params)
                        .fetch_all(conn)
                        .await
                        .map_err(words)?;
                    rows.iter()
                        .map(|row| {
                            (0..row.len())
                                .map(|column| row.try_get::<Option<Vec<u8>>, _>(column))
                                .collect::<Result<Values, _>>()
                                .map_err(words)
                        })
                        .collect()
                })
            }

            fn commit(self: Box<Self>) -> Pending<'static, ()> {
                Box::pin(async move { self.0.commit().await.map_err(words) })
            }
        }
    };
}

sqlx_database!(
    "sqlx-postgres",
    sqlx::Postgres,
    Dialect::Postgres,
    "postgres"
);
sqlx_database!("sqlx-mysql", sqlx::MySql, Dialect::Mysql, "mysql");

/// Binds each parameter: text as text, bytes as bytes.
fn bind<'q, DB>(
    mut query: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>,
    params: &'q [Param<'q>],
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
where
    DB: sqlx::Database,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'q [u8]: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    for param in params {
        query = match *param {
            Param::Text(text) => query.bind(text),
            Param::Bytes(bytes) => query.bind(bytes),
        };
    }
    query
}
