//! The shop's own commands, `serve` and `load`; the binary hands any other command to the
//! upcast CLI over the shop's records.

use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use tokio::net::TcpListener;

use crate::{Config, Shop, ShopError, Side, config};

/// The shop's command line.
///
/// ```
/// use clap::Parser;
/// let cli = upcast_shop::ShopCli::parse_from(["upcast-shop", "load", "postgres://h/db?table=c", "--empty"]);
/// assert!(matches!(cli.command, upcast_shop::Command::Load { empty: true, .. }));
/// ```
#[derive(Parser, Debug)]
#[command(
    name = "upcast-shop",
    about = "The shop's customer service, moving its customers to a new table",
    after_help = "Any other command is the upcast CLI over the shop's records: \
                  `upcast-shop migrate run OLD --into NEW`, `upcast-shop migrate compare OLD NEW`."
)]
pub struct ShopCli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// A command of the shop.
#[derive(Subcommand, Debug)]
#[non_exhaustive]
pub enum Command {
    /// Serve customers over HTTP until interrupted, printing the address it listens on.
    Serve {
        /// The old table: `postgres://USER@HOST/DB?table=SCHEMA.NAME`.
        #[arg(long, env = "SHOP_OLD")]
        old: Option<String>,
        /// The new table, the same way.
        #[arg(long, env = "SHOP_NEW")]
        new: Option<String>,
        /// The table every write must reach.
        #[arg(long, value_enum, default_value = "old", env = "SHOP_PRIMARY")]
        primary: SideArg,
        /// The write mode at start: `off`, `shadow` or `both`.
        #[arg(long, default_value = "off", env = "SHOP_MODE")]
        mode: String,
        /// Write the secondary's customers at this version (a downcast).
        #[arg(long, env = "SHOP_SECONDARY_AT")]
        secondary_at: Option<String>,
        /// The address to listen on (port 0: any free port).
        #[arg(long, default_value = "127.0.0.1:8080", env = "SHOP_LISTEN")]
        listen: String,
    },
    /// Create a table (`id bigint PRIMARY KEY, body jsonb`) holding the dataset's customers.
    Load {
        /// The table: `postgres://USER@HOST/DB?table=SCHEMA.NAME`.
        store: String,
        /// Create it empty.
        #[arg(long)]
        empty: bool,
    },
}

/// A table, as a flag names it.
#[derive(Clone, Copy, Debug, ValueEnum)]
#[non_exhaustive]
pub enum SideArg {
    /// The old table.
    Old,
    /// The new table.
    New,
}

/// Runs a command of the shop; `serve` returns when interrupted (Ctrl-C or `SIGTERM`).
///
/// ```no_run
/// # async fn doc() -> Result<(), upcast_shop::ShopError> {
/// use clap::Parser;
/// let cli = upcast_shop::ShopCli::parse_from(["upcast-shop", "serve", "--listen", "127.0.0.1:0"]);
/// upcast_shop::run(cli.command).await?;
/// # Ok(())
/// # }
/// ```
pub async fn run(command: Command) -> Result<(), ShopError> {
    match command {
        Command::Load { store, empty } => {
            let loaded = crate::load(&store, empty).await?;
            println!("{}: {loaded} customers", upcast_migrate::redacted(&store));
            Ok(())
        }
        Command::Serve {
            old,
            new,
            primary,
            mode,
            secondary_at,
            listen,
        } => {
            let mut config = Config::new()
                .primary(match primary {
                    SideArg::Old => Side::Old,
                    SideArg::New => Side::New,
                })
                .mode(config::mode(&mode)?);
            if let Some(old) = old {
                config = config.old(&old)?;
            }
            if let Some(new) = new {
                config = config.new_store(&new)?;
            }
            if let Some(version) = secondary_at {
                config = config.secondary_at(&version)?;
            }
            let shop = Arc::new(Shop::open(config).await?);
            let listener = TcpListener::bind(&listen).await?;
            println!("listening on http://{}", listener.local_addr()?);
            crate::serve(listener, shop, interrupted()).await?;
            Ok(())
        }
    }
}

/// Ctrl-C, or `SIGTERM` where there is one.
async fn interrupted() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    {
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut term) => {
                    term.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = ctrl_c => {}
            () = term => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}
