//! The service's state: its two tables, the writer and the reader, switched at run time.

use std::sync::{Arc, RwLock};

use serde::Serialize;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use upcast::{Layout, Writer};
use upcast_demo::customer::Customer;
use upcast_migrate::dual::{DualWriter, Mode, ReadCounts, SharedReader, Table, WriteCounts};
use upcast_migrate::{Key, TableSpec};

use crate::{Config, ShopError, Side};

/// The shop's customers, written through a [`DualWriter`] and read through a
/// [`SharedReader`] on one `sqlx` pool per database.
///
/// A table that does not open is left out, with a warning, unless it is the primary:
/// writes in mode `off` never need the other table, `shadow` writes count its failures,
/// and reads go to the table there is; once the new table is the primary, written alone
/// (`off`) and read for every key, a key it lacks is not looked for in the old one. Switching the mode or the primary opens a table
/// left out again; the writer (and its counts) starts anew when the primary changes or a
/// table comes back.
///
/// ```no_run
/// # async fn doc() -> Result<(), upcast_shop::ShopError> {
/// use upcast_migrate::dual::Mode;
/// use upcast_shop::{Config, Shop};
///
/// let config = Config::new()
///     .old("postgres://postgres@127.0.0.1/test?table=shop.customers")?
///     .new_store("postgres://postgres@127.0.0.1/test?table=shop.customers_v2")?;
/// let shop = Shop::open(config).await?;
/// shop.set_mode(Mode::Shadow, None).await?;
/// shop.write(7, &upcast_demo::customer::Customer::sample(7)).await?;
/// assert_eq!(shop.status().writes.written, 1);
/// # Ok(())
/// # }
/// ```
pub struct Shop {
    old: Source,
    new: Source,
    secondary_at: Option<Writer<'static>>,
    writes: RwLock<Writes>,
    reads: RwLock<Reads>,
    settings: RwLock<ReadSettings>,
    /// Admin changes, one at a time.
    admin: tokio::sync::Mutex<()>,
}

/// What the shop is doing, and what it has done: `GET /admin/counts`.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Status {
    /// The table every write must reach.
    pub primary: Side,
    /// The write mode.
    pub mode: Mode,
    /// Whether the other table is open (written in `shadow` and `both`).
    pub secondary_open: bool,
    /// The share of keys read from the new table.
    pub share: f64,
    /// Whether every read is checked against the other table.
    pub shadow_reads: bool,
    /// What the writer did (since it was last built).
    pub writes: WriteCounts,
    /// What the reader did (since it was last built).
    pub reads: ReadCounts,
}

/// One table: where it is, and the table once opened.
struct Source {
    side: Side,
    spec: Option<TableSpec>,
    pool: Option<PgPool>,
    table: RwLock<Option<Table>>,
}

struct Writes {
    primary: Side,
    secondary_open: bool,
    writer: Arc<DualWriter>,
}

enum Reads {
    Shared(Arc<SharedReader>),
    Alone(Table),
}

#[derive(Clone, Copy)]
struct ReadSettings {
    share: f64,
    shadow: bool,
}

impl Shop {
    /// Connects to the tables' databases (one pool for both when they share one), opens
    /// the tables, and writes in `config`'s mode to its primary.
    ///
    /// See the example on [`Shop`].
    pub async fn open(config: Config) -> Result<Shop, ShopError> {
        let old_pool = match &config.old {
            Some(spec) => Some(pool(&spec.database, config.connections)?),
            None => None,
        };
        let new_pool = match (&config.new, &config.old, &old_pool) {
            (Some(new), Some(old), Some(pool)) if new.database == old.database => {
                Some(pool.clone())
            }
            (Some(spec), _, _) => Some(pool(&spec.database, config.connections)?),
            (None, _, _) => None,
        };
        let secondary_at = match &config.secondary_at {
            Some(version) => Some(
                Writer::new(Layout::envelope())
                    .pin(<Customer as upcast::Versioned>::KIND, version)
                    .map_err(|error| ShopError::Refused(error.to_string()))?,
            ),
            None => None,
        };
        let (old, new) = (
            Source::new(Side::Old, config.old.clone(), old_pool),
            Source::new(Side::New, config.new.clone(), new_pool),
        );
        let (first, second) = match config.primary {
            Side::Old => (&old, &new),
            Side::New => (&new, &old),
        };
        first.open().await?;
        if let Err(error) = second.open().await {
            eprintln!(
                "warning: the {} table is left out: {error}",
                config.primary.other().name()
            );
        }
        let settings = ReadSettings {
            share: 0.0,
            shadow: false,
        };
        let (writes, reads) = build(
            config.primary,
            config.mode,
            [&old, &new],
            secondary_at.as_ref(),
            settings,
        )?;
        Ok(Shop {
            old,
            new,
            secondary_at,
            writes: RwLock::new(writes),
            reads: RwLock::new(reads),
            settings: RwLock::new(settings),
            admin: tokio::sync::Mutex::new(()),
        })
    }

    /// Writes `customer` as the record of `id`, as the mode says.
    pub async fn write(&self, id: i64, customer: &Customer) -> Result<(), ShopError> {
        let writer = self.writer();
        Ok(writer.write(&Key::Int(id), customer).await?)
    }

    /// Deletes the customer `id`, as the mode says.
    pub async fn delete(&self, id: i64) -> Result<(), ShopError> {
        let writer = self.writer();
        Ok(writer.delete::<Customer>(&Key::Int(id)).await?)
    }

    /// The customer `id`, from the table the read share says.
    pub async fn read(&self, id: i64) -> Result<Option<Customer>, ShopError> {
        let key = Key::Int(id);
        let reads = match (&*read_lock(&self.reads), self.new_alone()) {
            (_, Some(new)) => Err(new),
            (Reads::Shared(reader), None) => Ok(Arc::clone(reader)),
            (Reads::Alone(table), None) => Err(table.clone()),
        };
        match reads {
            Ok(reader) => Ok(reader.read::<Customer>(&key).await?),
            Err(table) => match table.get(&key).await? {
                Some(body) => Layout::envelope()
                    .from_slice(&body)
                    .map(Some)
                    .map_err(|error| ShopError::Store(error.into())),
                None => Ok(None),
            },
        }
    }

    /// Switches the write mode, and the primary if given. Opens the tables it needs that
    /// are not open; refuses `both` without the secondary, and any mode without the
    /// primary.
    pub async fn set_mode(&self, mode: Mode, primary: Option<Side>) -> Result<Status, ShopError> {
        let _admin = self.admin.lock().await;
        let (current, had_secondary) = {
            let writes = read_lock(&self.writes);
            (writes.primary, writes.secondary_open)
        };
        let primary = primary.unwrap_or(current);
        let primary_opened = self.source(primary).open().await?;
        let secondary = self.source(primary.other()).open().await;
        let secondary_opened = match (&secondary, mode) {
            (Ok(opened), _) => *opened,
            (Err(error), Mode::Both) => {
                return Err(ShopError::Refused(format!(
                    "cannot write `both`: the {} table does not open: {error}",
                    primary.other().name()
                )));
            }
            (Err(_), _) => false,
        };
        let rebuild = primary != current
            || primary_opened
            || secondary_opened
            || (secondary.is_ok() && !had_secondary);
        match rebuild {
            true => self.rebuild(primary, mode)?,
            false => self.writer().switch().set(mode),
        }
        Ok(self.status())
    }

    /// Sets the share of keys read from the new table and whether reads are checked
    /// against the other one; `None` leaves a setting as it is.
    pub fn set_reads(&self, share: Option<f64>, shadow: Option<bool>) -> Result<Status, ShopError> {
        if let Some(share) = share.filter(|share| !(0.0..=1.0).contains(share)) {
            return Err(ShopError::Refused(format!(
                "`share` must be between 0.0 and 1.0, got {share}"
            )));
        }
        let settings = {
            let mut settings = write_lock(&self.settings);
            settings.share = share.unwrap_or(settings.share);
            settings.shadow = shadow.unwrap_or(settings.shadow);
            *settings
        };
        if let Reads::Shared(reader) = &*read_lock(&self.reads) {
            reader.set_share(settings.share);
            reader.set_shadow_reads(settings.shadow);
        }
        Ok(self.status())
    }

    /// What the shop is doing and has done.
    pub fn status(&self) -> Status {
        let (primary, secondary_open, writer) = {
            let writes = read_lock(&self.writes);
            (
                writes.primary,
                writes.secondary_open,
                Arc::clone(&writes.writer),
            )
        };
        let settings = *read_lock(&self.settings);
        let reads = match &*read_lock(&self.reads) {
            Reads::Shared(reader) => reader.counts(),
            Reads::Alone(_) => ReadCounts::default(),
        };
        Status {
            primary,
            mode: writer.switch().get(),
            secondary_open,
            share: settings.share,
            shadow_reads: settings.shadow,
            writes: writer.counts(),
            reads,
        }
    }

    /// The new table, when it alone is written and read (primary, mode `off`, share 1.0,
    /// no shadow reads): then a key it lacks is not there, and the old table, which may be
    /// gone, is not asked.
    fn new_alone(&self) -> Option<Table> {
        let settings = *read_lock(&self.settings);
        let writes = read_lock(&self.writes);
        let alone = writes.primary == Side::New
            && writes.writer.switch().get() == Mode::Off
            && settings.share >= 1.0
            && !settings.shadow;
        alone.then(|| self.new.table()).flatten()
    }

    fn writer(&self) -> Arc<DualWriter> {
        Arc::clone(&read_lock(&self.writes).writer)
    }

    fn source(&self, side: Side) -> &Source {
        match side {
            Side::Old => &self.old,
            Side::New => &self.new,
        }
    }

    /// Builds the writer and the reader anew over the tables open now.
    fn rebuild(&self, primary: Side, mode: Mode) -> Result<(), ShopError> {
        let settings = *read_lock(&self.settings);
        let (writes, reads) = build(
            primary,
            mode,
            [&self.old, &self.new],
            self.secondary_at.as_ref(),
            settings,
        )?;
        *write_lock(&self.writes) = writes;
        *write_lock(&self.reads) = reads;
        Ok(())
    }
}

/// The writer and the reader over the tables of `[old, new]` open now.
fn build(
    primary: Side,
    mode: Mode,
    [old, new]: [&Source; 2],
    secondary_at: Option<&Writer<'static>>,
    settings: ReadSettings,
) -> Result<(Writes, Reads), ShopError> {
    let (old, new) = (old.table(), new.table());
    let (first, second) = match primary {
        Side::Old => (old.clone(), new.clone()),
        Side::New => (new.clone(), old.clone()),
    };
    let Some(first) = first else {
        return Err(ShopError::Refused(format!(
            "the {} table is not open",
            primary.name()
        )));
    };
    let mut writer = DualWriter::new(first.clone());
    if let Some(second) = second.clone() {
        writer = writer.secondary(second);
    }
    if let Some(pinned) = secondary_at {
        writer = writer.secondary_writer(pinned.clone());
    }
    writer.switch().set(mode);
    let writes = Writes {
        primary,
        secondary_open: second.is_some(),
        writer: Arc::new(writer),
    };
    let reads = match (old, new) {
        (Some(old), Some(new)) => {
            let reader = SharedReader::new(old, new);
            reader.set_share(settings.share);
            reader.set_shadow_reads(settings.shadow);
            Reads::Shared(Arc::new(reader))
        }
        _ => Reads::Alone(first),
    };
    Ok((writes, reads))
}

impl Source {
    fn new(side: Side, spec: Option<TableSpec>, pool: Option<PgPool>) -> Self {
        Source {
            side,
            spec,
            pool,
            table: RwLock::new(None),
        }
    }

    fn table(&self) -> Option<Table> {
        read_lock(&self.table).clone()
    }

    /// Opens the table if it is not open yet; whether it was opened now.
    async fn open(&self) -> Result<bool, ShopError> {
        if self.table().is_some() {
            return Ok(false);
        }
        let (Some(spec), Some(pool)) = (&self.spec, &self.pool) else {
            return Err(ShopError::Refused(format!(
                "no {0} table was given (`--{0}`)",
                self.side.name()
            )));
        };
        let table = Table::open(pool.clone(), &spec.table, &spec.key, &spec.body).await?;
        *write_lock(&self.table) = Some(table);
        Ok(true)
    }
}

/// A pool that connects when first used.
fn pool(database: &str, connections: u32) -> Result<PgPool, ShopError> {
    Ok(PgPoolOptions::new()
        .max_connections(connections)
        .connect_lazy(database)?)
}

fn read_lock<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write_lock<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
