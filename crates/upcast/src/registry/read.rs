//! Reading through the registry: typed reads of records stored at another version.

use std::any::{Any, TypeId};

use super::table::KindTable;
use super::{Registry, chain};
use crate::context::LazyMetadata;
use crate::read::{Opened, Source, Stamp, decode_error};
use crate::{Context, Error, Metadata, Version, Versioned};

impl Registry {
    /// Reads an opened record into `T`, running the steps from its stored version.
    pub(crate) fn read_into<T: Versioned>(
        &self,
        record: Opened<'_>,
        options: Option<&(dyn Any + Sync)>,
    ) -> Result<T, Error> {
        let unregistered = || Error::Unregistered {
            kind: T::KIND.to_owned(),
            version: T::VERSION.to_string(),
            type_name: std::any::type_name::<T>(),
        };
        let table = self.kinds.get(T::KIND).ok_or_else(unregistered)?;
        let target = table
            .position_of(TypeId::of::<T>())
            .ok_or_else(unregistered)?;
        let (origin, stored) = table.resolve(&record)?;
        if origin == target {
            return record.decode::<T>();
        }
        if !table.leads_to(origin, target) {
            return Err(no_path(table, &stored, target, origin > target));
        }
        with_origin(table, origin, record, &stored, options, |value, cx| {
            chain::run_typed::<T>(table, origin, target, value, cx)
        })
    }
}

/// Decodes `record` as the version at node `origin`, then hands the value to `then` with
/// the read's context: the stored version, the metadata (parsed only if a step asks) and
/// the caller's options.
pub(crate) fn with_origin<R>(
    table: &KindTable,
    origin: usize,
    record: Opened<'_>,
    stored: &Version,
    options: Option<&(dyn Any + Sync)>,
    then: impl FnOnce(Box<dyn Any>, &Context<'_>) -> Result<R, Error>,
) -> Result<R, Error> {
    let Opened {
        kind,
        stamp,
        source,
        metadata,
    } = record;
    let entry = table.entry_at(origin)?;
    let lazy = source.envelope().map(LazyMetadata::new);
    let metadata = Metadata::from(metadata);
    let value = match source {
        // A parsed value takes the format-neutral decoder: JSON is its first user.
        Source::Value(data) => (entry.deserialize)(&mut <dyn erased_serde::Deserializer>::erase(
            data,
        ))
        .map_err(|error| {
            let written = stamp.written().unwrap_or_else(|| entry.tag.to_string());
            Error::data(&kind, written, error)
        })?,
        source => {
            (entry.decode)(source).map_err(|error| decode_error(&kind, &stamp, entry.tag, error))?
        }
    };
    let cx = Context::new(table.kind, stored)
        .untagged(matches!(stamp, Stamp::Untagged))
        .with_options_dyn(options);
    let cx = match &lazy {
        Some(lazy) => cx.with_lazy_metadata(lazy),
        None => cx.with_metadata(&metadata),
    };
    then(value, &cx)
}

fn no_path(table: &KindTable, stored: &Version, target: usize, backwards: bool) -> Error {
    Error::NoPath {
        kind: table.kind.to_owned(),
        from: stored.clone(),
        to: table.version_at(target),
        reason: if backwards {
            "the record is newer than the requested type, and steps only go forward"
        } else {
            "the steps from the stored version skip the requested type's version"
        },
    }
}
