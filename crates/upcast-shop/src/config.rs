//! What the shop is started with: its two tables, which one is the primary, the mode and
//! the version the secondary's customers are written at.

use serde::{Deserialize, Serialize};
use upcast_migrate::dual::Mode;
use upcast_migrate::{StoreSpec, TableSpec};

use crate::ShopError;

/// One of the shop's two tables.
///
/// ```
/// assert_eq!(upcast_shop::Side::Old.other(), upcast_shop::Side::New);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The table the customers move from.
    Old,
    /// The table they move to.
    New,
}

impl Side {
    /// The other table.
    pub fn other(self) -> Side {
        match self {
            Side::Old => Side::New,
            Side::New => Side::Old,
        }
    }

    /// Its name, as flags and reports spell it.
    pub fn name(self) -> &'static str {
        match self {
            Side::Old => "old",
            Side::New => "new",
        }
    }
}

/// How the shop starts: the tables (`postgres://USER@HOST/DB?table=SCHEMA.NAME`, the
/// stores of `upcast migrate`), the primary (`old` unless set), the write mode (`off`
/// unless set), and the version the secondary's customers are written at (the current
/// one unless pinned).
///
/// ```
/// let config = upcast_shop::Config::new()
///     .old("postgres://postgres@127.0.0.1/test?table=shop.customers")?
///     .secondary_at("4")?;
/// assert_eq!(config.primary, upcast_shop::Side::Old);
/// assert!(upcast_shop::Config::new().old("customers.jsonl").is_err());
/// # Ok::<(), upcast_shop::ShopError>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// The old table, if there is one.
    pub old: Option<TableSpec>,
    /// The new table, if there is one.
    pub new: Option<TableSpec>,
    /// The table every write must reach.
    pub primary: Side,
    /// The write mode at start.
    pub mode: Mode,
    /// The `customer` version the secondary's records are written at, if pinned.
    pub secondary_at: Option<upcast::Version>,
    /// Connections per database.
    pub connections: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            old: None,
            new: None,
            primary: Side::Old,
            mode: Mode::Off,
            secondary_at: None,
            connections: 10,
        }
    }
}

impl Config {
    /// No tables yet, the old one the primary, mode `off`.
    pub fn new() -> Self {
        Config::default()
    }

    /// The old table, from its store URL.
    pub fn old(self, store: &str) -> Result<Self, ShopError> {
        Ok(Config {
            old: Some(table_spec(store)?),
            ..self
        })
    }

    /// The new table, from its store URL.
    pub fn new_store(self, store: &str) -> Result<Self, ShopError> {
        Ok(Config {
            new: Some(table_spec(store)?),
            ..self
        })
    }

    /// The table every write must reach.
    pub fn primary(self, primary: Side) -> Self {
        Config { primary, ..self }
    }

    /// The write mode at start.
    pub fn mode(self, mode: Mode) -> Self {
        Config { mode, ..self }
    }

    /// Writes the secondary's customers at `version` (a downcast from the current one).
    pub fn secondary_at(self, version: &str) -> Result<Self, ShopError> {
        let version = upcast::Version::parse(version)
            .map_err(|error| ShopError::Refused(format!("invalid `--secondary-at`: {error}")))?;
        Ok(Config {
            secondary_at: Some(version),
            ..self
        })
    }

    /// The spec of `side`'s table, if given.
    pub fn table(&self, side: Side) -> Option<&TableSpec> {
        match side {
            Side::Old => self.old.as_ref(),
            Side::New => self.new.as_ref(),
        }
    }
}

/// A PostgreSQL table's spec from its store URL.
pub(crate) fn table_spec(store: &str) -> Result<TableSpec, ShopError> {
    match StoreSpec::parse(store)? {
        StoreSpec::Postgres(spec) => Ok(spec),
        _ => Err(ShopError::Refused(format!(
            "`{}` is not a PostgreSQL table: expected `postgres://USER@HOST/DB?table=SCHEMA.NAME`",
            upcast_migrate::redacted(store)
        ))),
    }
}

/// Parses a write mode: `off`, `shadow` or `both`.
pub(crate) fn mode(name: &str) -> Result<Mode, ShopError> {
    match name {
        "off" => Ok(Mode::Off),
        "shadow" => Ok(Mode::Shadow),
        "both" => Ok(Mode::Both),
        other => Err(ShopError::Refused(format!(
            "unknown mode `{other}`, expected one of `off`, `shadow`, `both`"
        ))),
    }
}
