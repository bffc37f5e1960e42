//! The shop's customer service, as far as a move to a new store needs one: it loads the
//! dataset into a PostgreSQL table, writes customers through the dual writer in a mode,
//! and reads them by share. The playbook's walk-through drives it:
//!
//! ```text
//! cargo run -p upcast-demo --bin shop -- load STORE [--empty]
//! cargo run -p upcast-demo --bin shop -- write --primary STORE --secondary STORE --mode shadow
//! cargo run -p upcast-demo --bin shop -- read --old STORE --new STORE --share 0.1 --checking
//! ```

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use postgres::{Client, NoTls};
use upcast::{Layout, Version, Writer};
use upcast_demo::customer::Customer;
use upcast_demo::dataset::{self, EVENTS_FILE};
use upcast_migrate::dual::{DualWriter, Mode, SharedReader, Table};
use upcast_migrate::{Key, StoreSpec};

type Failure = Box<dyn std::error::Error>;

#[derive(Parser)]
#[command(about = "The shop's customer service, moving to a new store")]
struct Shop {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a table (`id bigint PRIMARY KEY, body jsonb`) holding the dataset's records.
    Load {
        /// The table: `postgres://USER@HOST/DB?table=NAME`.
        store: String,
        /// Create it empty.
        #[arg(long)]
        empty: bool,
    },
    /// Write customers (keys from `--first`), to the primary and, as the mode says, the
    /// secondary.
    Write {
        #[arg(long)]
        primary: String,
        #[arg(long)]
        secondary: String,
        #[arg(long, value_enum)]
        mode: WriteMode,
        /// Write the secondary's customers at this version (a downcast).
        #[arg(long)]
        secondary_at: Option<String>,
        #[arg(long, default_value_t = 1_000_000)]
        first: i64,
        #[arg(long, default_value_t = 100)]
        count: i64,
    },
    /// Read the customers the service wrote, a share of keys from the new store.
    Read {
        #[arg(long)]
        old: String,
        #[arg(long)]
        new: String,
        /// The share of keys read from the new store, 0.0 to 1.0.
        #[arg(long)]
        share: f64,
        /// Read the old store too and count where they differ.
        #[arg(long)]
        checking: bool,
        #[arg(long, default_value_t = 1_000_000)]
        first: i64,
        #[arg(long, default_value_t = 100)]
        count: i64,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum WriteMode {
    Off,
    Shadow,
    Both,
}

fn main() -> ExitCode {
    match run(Shop::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Load { store, empty } => load(&store, empty),
        Command::Write {
            primary,
            secondary,
            mode,
            secondary_at,
            first,
            count,
        } => {
            let mut dual = DualWriter::new(Table::connect(&primary)?, Table::connect(&secondary)?);
            if let Some(version) = secondary_at {
                let pinned =
                    Writer::new(Layout::envelope()).pin("customer", &Version::parse(&version)?)?;
                dual = dual.secondary_writer(pinned);
            }
            dual.switch().set(match mode {
                WriteMode::Off => Mode::Off,
                WriteMode::Shadow => Mode::Shadow,
                WriteMode::Both => Mode::Both,
            });
            let mut refused = 0;
            for key in first..first + count {
                refused += u64::from(dual.write(&Key::Int(key), &Customer::sample(key)).is_err());
            }
            println!("{}", serde_json::to_string(&dual.counts())?);
            match refused {
                0 => Ok(()),
                refused => Err(format!("{refused} writes were refused").into()),
            }
        }
        Command::Read {
            old,
            new,
            share,
            checking,
            first,
            count,
        } => {
            let mut reader = SharedReader::new(Table::connect(&old)?, Table::connect(&new)?)
                .share(share)
                .checking(checking);
            let mut missing = 0;
            for key in first..first + count {
                missing += u64::from(reader.read::<Customer>(&Key::Int(key))?.is_none());
            }
            println!("{}", serde_json::to_string(reader.counts())?);
            match missing {
                0 => Ok(()),
                missing => Err(format!("{missing} customers were in neither store").into()),
            }
        }
    }
}

/// Creates the table `store` names, with the dataset's records unless `empty`.
fn load(store: &str, empty: bool) -> Result<(), Failure> {
    let StoreSpec::Postgres(spec) = StoreSpec::parse(store)? else {
        return Err("expected a PostgreSQL table: `postgres://USER@HOST/DB?table=NAME`".into());
    };
    let mut client = Client::connect(&spec.database, NoTls)?;
    let table = &spec.table;
    client.batch_execute(&format!(
        "CREATE TABLE {table} (id bigint PRIMARY KEY, body jsonb NOT NULL)"
    ))?;
    if empty {
        return Ok(());
    }
    let events = std::fs::read_to_string(dataset::data_dir().join(EVENTS_FILE))?;
    let lines: Vec<&str> = events
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    let insert = format!(
        "INSERT INTO {table} (id, body) SELECT n, b::jsonb FROM unnest($1::text[]) \
         WITH ORDINALITY AS l(b, n)"
    );
    let loaded = client.execute(&insert, &[&lines])?;
    println!("{table}: {loaded} records");
    Ok(())
}
