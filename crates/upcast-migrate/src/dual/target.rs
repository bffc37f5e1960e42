//! The PostgreSQL table a backfill copies into, through the engine's synchronous client.

use postgres::{Client, NoTls};

use crate::spec::redacted;
use crate::store::postgres::schema::{self, Names};
use crate::{Error, StoreSpec, TableSpec};

/// The PostgreSQL table a backfill copies into, as `store` names it.
pub(crate) struct Target {
    pub(crate) client: Client,
    name: String,
    pub(crate) sql: Names,
}

impl Target {
    /// Connects to the table `store` names (`postgres://…?table=…`), checking it as a
    /// migration does. Its records carry their version inside (envelope or inline layout):
    /// a version column is refused.
    pub(crate) fn connect(store: &str) -> Result<Self, Error> {
        let StoreSpec::Postgres(spec) = StoreSpec::parse(store)? else {
            return Err(Error::Spec {
                spec: redacted(store),
                reason: "expected a PostgreSQL table: `postgres://USER@HOST/DB?table=NAME`".into(),
            });
        };
        Target::open(&spec)
    }

    fn open(spec: &TableSpec) -> Result<Self, Error> {
        let name = spec.postgres_name();
        if spec.version.is_some() {
            return Err(Error::state(
                "write to",
                &name,
                "records written twice carry their version inside them (envelope or inline \
                 layout); drop `version=`",
            ));
        }
        let mut client = Client::connect(&spec.database, NoTls).map_err(|error| {
            Error::state("connect to", &name, crate::error::postgres_message(&error))
        })?;
        let sql = schema::inspect(&mut client, &name, spec)?;
        Ok(Target { client, name, sql })
    }

    /// The table's name for reports (password hidden).
    pub(crate) fn name(&self) -> &str {
        &self.name
    }
}
