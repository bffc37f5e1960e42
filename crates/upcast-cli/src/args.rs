//! The command line, as clap parses it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Versioned records: schema diffs, the CI check, reading and counting stored data.
#[derive(Debug, Parser)]
#[command(name = "upcast", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work on JSON Schema files alone, with no Rust types.
    #[command(subcommand)]
    Schema(SchemaCommand),
    /// Check the registered versions against the snapshot folder (the CI check).
    Check(CheckArgs),
    /// Manage the snapshot folder.
    #[command(subcommand)]
    Schemas(SchemasCommand),
    /// Upcast every record of a JSON Lines file to the current version.
    Read(RecordsArgs),
    /// Count stored records per kind and version, and the steps they still need.
    Stats(RecordsArgs),
    /// Move a whole store to the current versions while it is live: resumable, verified,
    /// reversible.
    #[command(subcommand)]
    Migrate(MigrateCommand),
}

/// `upcast migrate ...`
#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Records per kind and stored version, the steps each needs, what a run would rewrite.
    Plan(StoreArgs),
    /// Rewrite every record not at its kind's current version; resumes where it stopped.
    Run(RunArgs),
    /// Check every record is current and every rewrite is its original's upcast.
    Verify(StoreArgs),
    /// Put back the original of every rewritten record not changed since.
    Rollback(StoreArgs),
    /// Drop the saved originals (a table), or put the copy in place (a file).
    Finalize(FinalizeArgs),
    /// Where a migration stands.
    Status(StoreArgs),
    /// Every key in both stores, and their records equal once upcast.
    Compare(CompareArgs),
}

/// `upcast migrate compare`
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The old store and how its records are laid out (the new store's are the same).
    #[command(flatten)]
    pub old: StoreArgs,
    /// The new store.
    pub new: String,
}

/// The store and how its records are laid out.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The store: `sqlite:PATH?table=NAME` (options `key=`, `body=`, `version=`),
    /// `jsonl:PATH` or `postgres://USER@HOST/DB?table=NAME` (the same options).
    pub store: String,
    /// The records are inline, their version tag in this field (default: envelopes).
    #[arg(long, value_name = "FIELD", requires = "kind")]
    pub inline: Option<String>,
    /// The kind of inline records, or of records whose version is in a column.
    #[arg(long)]
    pub kind: Option<String>,
    /// How to print the result.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// `upcast migrate run`
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The store and its layout.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Records per batch, each committed in one transaction (default: 1,000 rows of a
    /// table, 10,000 lines of a file).
    #[arg(long)]
    pub batch: Option<usize>,
    /// Stop after rewriting this many records.
    #[arg(long)]
    pub limit: Option<u64>,
    /// Read at most this many records per second.
    #[arg(long, value_name = "N")]
    pub max_rate: Option<f64>,
    /// Pause this many milliseconds after every batch.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub pause: u64,
    /// How long a worker that stops answering (frozen, cut off) keeps its unit of work
    /// before the server hands it to the others, and the longest wait for a lock: `90s`,
    /// `5m`.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = humantime::parse_duration)]
    pub worker_timeout: std::time::Duration,
    /// Copy every record into this PostgreSQL table at its current version, where it has
    /// none (the backfill of a move to a new store), instead of rewriting in place.
    #[arg(long, value_name = "NEW_STORE", conflicts_with_all = ["workers", "limit"])]
    pub into: Option<String>,
    /// Workers in this process, each with its own connection (PostgreSQL only; start the
    /// same command on other machines to share the work with them too).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub workers: u16,
}

/// `upcast migrate finalize`
#[derive(Debug, Args)]
pub struct FinalizeArgs {
    /// The store and its layout.
    #[command(flatten)]
    pub store: StoreArgs,
    /// For a file: delete the original kept beside the copy too.
    #[arg(long)]
    pub delete_original: bool,
}

/// `upcast schema ...`
#[derive(Debug, Subcommand)]
pub enum SchemaCommand {
    /// Compare two JSON Schemas by Confluent Schema Registry's rules.
    Diff(DiffArgs),
    /// Check a snapshot folder: compatibility within ranges, samples against schemas.
    Check(FolderArgs),
}

/// `upcast schemas ...`
#[derive(Debug, Subcommand)]
pub enum SchemasCommand {
    /// Write the snapshots of registered versions that have none.
    Bless {
        /// The snapshot folder.
        #[arg(default_value = "schemas")]
        dir: PathBuf,
    },
}

/// `upcast schema diff`
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older schema (the writer's).
    pub old: PathBuf,
    /// The newer schema (the reader's).
    pub new: PathBuf,
    /// Which way data must stay readable.
    #[arg(long, value_enum, default_value_t = DirectionArg::Backward)]
    pub direction: DirectionArg,
    /// Which changes count as compatible.
    #[arg(long, value_enum, default_value_t = PolicyArg::Strict)]
    pub policy: PolicyArg,
    /// List at most this many changes (the verdict counts them all).
    #[arg(long, value_name = "N", default_value_t = upcast::compat::DEFAULT_LIMIT)]
    pub limit: usize,
    /// How to print the result.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// `upcast schema check`
#[derive(Debug, Args)]
pub struct FolderArgs {
    /// The snapshot folder.
    pub dir: PathBuf,
    /// Which changes count as compatible within a range.
    #[arg(long, value_enum, default_value_t = PolicyArg::Lenient)]
    pub policy: PolicyArg,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// `upcast check`
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The snapshot folder.
    #[arg(default_value = "schemas")]
    pub dir: PathBuf,
    /// Write the snapshots of new versions first (as UPCAST_BLESS=1 does).
    #[arg(long)]
    pub bless: bool,
    /// Which changes count as compatible within a range.
    #[arg(long, value_enum, default_value_t = PolicyArg::Lenient)]
    pub policy: PolicyArg,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// List the rules and exit.
    #[arg(long, conflicts_with = "explain")]
    pub list: bool,
    /// Explain one rule and exit.
    #[arg(long, value_name = "RULE")]
    pub explain: Option<String>,
}

/// `upcast read` and `upcast stats`
#[derive(Debug, Args)]
pub struct RecordsArgs {
    /// A JSON Lines file of stored records, or `-` for standard input.
    pub file: PathBuf,
    /// The records are inline, their version tag in this field (default: envelopes).
    #[arg(long, value_name = "FIELD", requires = "kind")]
    pub inline: Option<String>,
    /// The kind of inline records.
    #[arg(long)]
    pub kind: Option<String>,
    /// How to print the result (`stats` only).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Human,
    /// For programs.
    Json,
}

/// `--direction`
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DirectionArg {
    /// The new schema reads data written with the old one.
    Backward,
    /// The old schema reads data written with the new one.
    Forward,
    /// Both.
    Full,
}

/// `--policy`
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PolicyArg {
    /// Confluent's default: an open content model forbids adding optional properties.
    Strict,
    /// Serde's view: unknown fields are ignored, so adding optional properties is fine.
    Lenient,
}

impl From<DirectionArg> for upcast::compat::Direction {
    fn from(direction: DirectionArg) -> Self {
        match direction {
            DirectionArg::Backward => upcast::compat::Direction::Backward,
            DirectionArg::Forward => upcast::compat::Direction::Forward,
            DirectionArg::Full => upcast::compat::Direction::Full,
        }
    }
}

impl From<PolicyArg> for upcast::compat::Policy {
    fn from(policy: PolicyArg) -> Self {
        match policy {
            PolicyArg::Strict => upcast::compat::Policy::Strict,
            PolicyArg::Lenient => upcast::compat::Policy::Lenient,
        }
    }
}
