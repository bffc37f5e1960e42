//! Reading through the registry: typed reads of old records and the dynamic path.

use std::any::TypeId;

use serde_json::Value;

use super::table::KindTable;
use super::{Registry, chain};
use crate::context::LazyMetadata;
use crate::read::{Input, Opened, Source, Stamp, decode_error};
use crate::{Context, Error, Version, Versioned};

impl Registry {
    /// Upcasts an envelope of any registered kind to the kind's newest version. The other
    /// envelope fields (ids, timestamps) are kept; steps see them as metadata.
    ///
    /// See the example on [`Registry`].
    pub fn upcast_value(&self, value: Value) -> Result<Value, Error> {
        let record = Input::envelope_value(value).open(None)?;
        let table = self.table(&record.kind)?;
        let (origin, stored) = table.resolve(&record)?;
        let newest = table.nodes.len().saturating_sub(1);
        let Some(target) = table.nodes.get(newest) else {
            return Err(self.unknown_kind(&record.kind));
        };
        let exact = matches!(&record.stamp, Stamp::Tag(tag) if tag.is(target.entry.tag));
        let Opened {
            kind,
            stamp,
            source,
            mut metadata,
        } = record;
        let data = match source {
            Source::Value(data) if exact => data,
            source => {
                let origin_entry = table.nodes.get(origin).map(|node| node.entry);
                let Some(origin_entry) = origin_entry else {
                    return Err(self.unknown_kind(&kind));
                };
                let value = (origin_entry.decode)(source)
                    .map_err(|error| decode_error(&kind, &stamp, origin_entry.tag, error))?;
                let cx = Context::new(table.kind, &stored)
                    .with_metadata(&metadata)
                    .untagged(matches!(stamp, Stamp::Untagged));
                let value = chain::run_boxed(table, origin, newest, value, &cx)?;
                let encoded = (target.entry.encode)(&*value).ok_or_else(|| {
                    Error::Json(serde::de::Error::custom(
                        "internal error: upcast to another type",
                    ))
                })?;
                encoded.map_err(Error::Json)?
            }
        };
        metadata.insert("kind".to_owned(), Value::String(kind.into_owned()));
        metadata.insert(
            "version".to_owned(),
            serde_json::to_value(target.entry.tag).map_err(Error::Json)?,
        );
        metadata.insert("data".to_owned(), data);
        Ok(Value::Object(metadata))
    }

    /// Reads an opened record into `T`, running the steps from its stored version.
    pub(crate) fn read_into<T: Versioned>(&self, record: Opened<'_>) -> Result<T, Error> {
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
        let Opened {
            kind,
            stamp,
            source,
            metadata,
        } = record;
        let origin_entry = table
            .nodes
            .get(origin)
            .map(|node| node.entry)
            .ok_or_else(unregistered)?;
        let lazy = source.envelope().map(LazyMetadata::new);
        let value = (origin_entry.decode)(source)
            .map_err(|error| decode_error(&kind, &stamp, origin_entry.tag, error))?;
        let cx = Context::new(table.kind, &stored).untagged(matches!(stamp, Stamp::Untagged));
        let cx = match &lazy {
            Some(lazy) => cx.with_lazy_metadata(lazy),
            None => cx.with_metadata(&metadata),
        };
        chain::run_typed::<T>(table, origin, target, value, &cx)
    }
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
