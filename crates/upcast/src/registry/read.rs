//! Reading through the registry: typed reads of records stored at another version.

use std::any::{Any, TypeId};

use super::table::KindTable;
use super::{Registry, chain};
use crate::context::LazyMetadata;
use crate::read::{Opened, Source, Stamp, decode_error};
use crate::set_aside::{self, SetAside};
use crate::{Context, Error, Metadata, Version, Versioned};

impl Registry {
    /// Reads an opened record into `T`, running the steps (or downcasts) from its stored
    /// version.
    pub(crate) fn read_into<T: Versioned>(
        &self,
        record: Opened<'_>,
        options: Option<&(dyn Any + Sync)>,
    ) -> Result<T, Error> {
        let (table, origin, target, stored) = self.route::<T>(&record)?;
        if origin == target {
            return record.decode::<T>();
        }
        with_origin(table, origin, record, &stored, options, |value, cx, _| {
            chain::run_typed::<T>(table, origin, target, value, cx)
        })
    }

    /// [`Registry::read_into`] for a rewrite: also the set-aside values the record written
    /// at `T`'s version keeps (those from newer versions), as the reserved member's JSON.
    pub(crate) fn read_keeping<T: Versioned>(
        &self,
        record: Opened<'_>,
        options: Option<&(dyn Any + Sync)>,
    ) -> Result<(T, Option<String>), Error> {
        let (table, origin, target, stored) = self.route::<T>(&record)?;
        let written = table.version_at(target);
        with_origin(
            table,
            origin,
            record,
            &stored,
            options,
            |value, cx, set_aside| {
                let value = match value.downcast::<T>() {
                    Ok(value) => *value,
                    Err(value) => chain::run_typed::<T>(table, origin, target, value, cx)?,
                };
                Ok((value, set_aside.for_record(&written)))
            },
        )
    }

    /// The table of `T`'s kind, the nodes a record goes from and to, and its version.
    fn route<T: Versioned>(
        &self,
        record: &Opened<'_>,
    ) -> Result<(&KindTable, usize, usize, Version), Error> {
        let unregistered = || Error::Unregistered {
            kind: T::KIND.to_owned(),
            version: T::VERSION.to_string(),
            type_name: std::any::type_name::<T>(),
        };
        let table = self.kinds.get(T::KIND).ok_or_else(unregistered)?;
        let target = table
            .position_of(TypeId::of::<T>())
            .ok_or_else(unregistered)?;
        let (origin, stored) = table.resolve(record)?;
        if !table.leads_to(origin, target) {
            return Err(no_path(table, &stored, origin, target));
        }
        Ok((table, origin, target, stored))
    }
}

/// Decodes `record` as the version at node `origin`, then hands the value to `then` with
/// the read's context (the stored version, the metadata, parsed only if a step asks, and the
/// caller's options) and the record's set-aside values.
pub(crate) fn with_origin<R>(
    table: &KindTable,
    origin: usize,
    record: Opened<'_>,
    stored: &Version,
    options: Option<&(dyn Any + Sync)>,
    then: impl FnOnce(Box<dyn Any>, &Context<'_>, &SetAside<'_>) -> Result<R, Error>,
) -> Result<R, Error> {
    let Opened {
        kind,
        stamp,
        source,
        metadata,
        set_aside,
    } = record;
    let entry = table.entry_at(origin)?;
    let lazy = source.envelope().map(LazyMetadata::new);
    let metadata = Metadata::from(metadata);
    let set_aside = SetAside::from_source(match (source.record(), set_aside) {
        (_, Some(parsed)) => set_aside::Source::Parsed(parsed),
        (Some(bytes), None) => set_aside::Source::Member(bytes),
        (None, None) => set_aside::Source::None,
    });
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
        .with_options_dyn(options)
        .with_set_aside(&set_aside);
    let cx = match &lazy {
        Some(lazy) => cx.with_lazy_metadata(lazy),
        None => cx.with_metadata(&metadata),
    };
    then(value, &cx, &set_aside)
}

/// The error for a record at node `origin` that cannot reach node `target`.
pub(crate) fn no_path(table: &KindTable, stored: &Version, origin: usize, target: usize) -> Error {
    if target < origin {
        let mut at = origin;
        while let Some((next, _)) = table.toward(at, target).filter(|(next, _)| *next >= target) {
            at = next;
        }
        return chain::no_step(table, at, origin, target);
    }
    Error::NoPath {
        kind: table.kind.to_owned(),
        from: stored.clone(),
        to: table.version_at(target),
        reason: "the steps from the stored version skip the requested type's version",
    }
}

impl Registry {
    /// Reads a payload of format `F` stored at `stored` into `T`: the stored version's type
    /// reads it (in a format that does not describe its fields, only the exact version's
    /// type), then the steps or downcasts run. No metadata; nothing set aside.
    pub(crate) fn read_format<F: crate::format::Format, T: Versioned>(
        &self,
        stored: &Version,
        payload: &[u8],
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
        let origin = origin_of::<F>(table, stored)?;
        if !table.leads_to(origin, target) {
            return Err(no_path(table, stored, origin, target));
        }
        let entry = table.entry_at(origin)?;
        let value = crate::format::decode_version::<F>(entry, payload)
            .map_err(|error| Error::data(table.kind, stored.to_string(), error))?;
        let value = match value.downcast::<T>() {
            Ok(value) => return Ok(*value),
            Err(value) => value,
        };
        let set_aside = SetAside::new();
        let cx = Context::new(table.kind, stored).with_set_aside(&set_aside);
        chain::run_typed::<T>(table, origin, target, value, &cx)
    }
}

/// The node whose type reads `stored` bytes of format `F`.
fn origin_of<F: crate::format::Format>(
    table: &KindTable,
    stored: &Version,
) -> Result<usize, Error> {
    let reading = table.reading(stored);
    let exact = reading.filter(|at| table.version_at(*at) == *stored);
    match (exact, reading) {
        (Some(at), _) => Ok(at),
        (None, Some(at)) if F::SELF_DESCRIBING => Ok(at),
        (None, Some(at)) => Err(Error::NotSelfDescribing {
            kind: table.kind.to_owned(),
            stored: stored.clone(),
            with: table.version_at(at),
            format: F::NAME,
        }),
        (None, None) => Err(crate::read::unknown_version(
            table.kind,
            &Stamp::Known(stored),
            stored.clone(),
            table.versions(),
        )),
    }
}
