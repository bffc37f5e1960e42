//! The shop's customer service: an HTTP service that keeps customers in PostgreSQL and
//! moves them to a new table while it runs, with the dual-write plan of
//! [`upcast_migrate::dual`] on its own `sqlx` pool. The playbook's section 7 walks through
//! the move with it.
//!
//! ```text
//! upcast-shop load 'postgres://postgres@127.0.0.1/test?table=shop.customers'
//! upcast-shop serve --old 'postgres://…?table=shop.customers' \
//!     --new 'postgres://…?table=shop.customers_v2' --listen 127.0.0.1:8080
//! curl -X POST localhost:8080/admin/mode -d '{"mode":"shadow"}' -H 'content-type: application/json'
//! upcast-shop migrate run OLD --into NEW   # any other command: the upcast CLI
//! ```
//!
//! | endpoint | what it does |
//! | --- | --- |
//! | `PUT /customers/{id}` | writes the customer (its JSON) through the [`DualWriter`](upcast_migrate::dual::DualWriter) |
//! | `DELETE /customers/{id}` | deletes it the same way |
//! | `GET /customers/{id}` | reads it through the [`SharedReader`](upcast_migrate::dual::SharedReader) |
//! | `POST /admin/mode` | `{"mode":"off\|shadow\|both","primary":"old\|new"}` (`primary` optional) |
//! | `POST /admin/reads` | `{"share":0.0..1.0,"shadow_reads":bool}` (each optional) |
//! | `GET /admin/counts` | the [`Status`]: write and read counts, mode, primary, share |
//!
//! A service starts the library on its own runtime:
//!
//! ```no_run
//! # async fn doc() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use upcast_shop::{Config, Shop};
//!
//! let config = Config::new()
//!     .old("postgres://postgres@127.0.0.1/test?table=shop.customers")?
//!     .new_store("postgres://postgres@127.0.0.1/test?table=shop.customers_v2")?;
//! let shop = Arc::new(Shop::open(config).await?);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! upcast_shop::serve(listener, shop, std::future::pending()).await?;
//! # Ok(())
//! # }
//! ```

mod cli;
mod config;
mod error;
mod http;
mod load;
mod shop;

pub use cli::{Command, ShopCli, run};
pub use config::{Config, Side};
pub use error::ShopError;
pub use http::{router, serve};
pub use load::load;
pub use shop::{Shop, Status};
