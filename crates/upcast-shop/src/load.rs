//! `upcast-shop load`: the old table, made and filled with the demo dataset's customers.

use sqlx::Connection;
use upcast_demo::dataset::{self, EVENTS_FILE};

use crate::ShopError;
use crate::config::table_spec;

/// Creates the table `store` names (`id bigint PRIMARY KEY, body jsonb NOT NULL`) and,
/// unless `empty`, fills it with the customers of the demo dataset (keys 1, 2, … in the
/// dataset's order, each at the version it was written at, two of them from countries the
/// shop never shipped to, which do not upcast). Returns how many it holds.
///
/// ```no_run
/// # async fn doc() -> Result<(), upcast_shop::ShopError> {
/// let loaded = upcast_shop::load("postgres://postgres@127.0.0.1/test?table=shop.customers", false).await?;
/// assert_eq!(loaded, 3801);
/// # Ok(())
/// # }
/// ```
pub async fn load(store: &str, empty: bool) -> Result<u64, ShopError> {
    let spec = table_spec(store)?;
    let table = quoted(&spec.table);
    let mut conn = sqlx::PgConnection::connect(&spec.database).await?;
    let create = format!("CREATE TABLE {table} (id bigint PRIMARY KEY, body jsonb NOT NULL)");
    sqlx::raw_sql(&create).execute(&mut conn).await?;
    if empty {
        return Ok(0);
    }
    let path = dataset::data_dir().join(EVENTS_FILE);
    let events = std::fs::read_to_string(&path).map_err(|error| {
        ShopError::Refused(format!("cannot read `{}`: {error}", path.display()))
    })?;
    let customers: Vec<&str> = events.lines().filter(|line| is_customer(line)).collect();
    let insert = format!(
        "INSERT INTO {table} (id, body) SELECT n, b::jsonb FROM unnest($1::text[]) \
         WITH ORDINALITY AS l(b, n)"
    );
    let done = sqlx::query(&insert)
        .bind(&customers)
        .execute(&mut conn)
        .await?;
    Ok(done.rows_affected())
}

/// Whether a line of the dataset is a customer's envelope.
fn is_customer(line: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(line).is_ok_and(|value| value["kind"] == "customer")
}

/// `schema.name` as quoted identifiers.
fn quoted(table: &str) -> String {
    table
        .split('.')
        .map(|part| format!("\"{}\"", part.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(".")
}
