//! Moving a typed value to another version of its kind, for writes at a chosen version.

use std::any::{Any, TypeId};

use super::entry::VersionEntry;
use super::read::no_path;
use super::{Registry, chain};
use crate::set_aside::SetAside;
use crate::{Context, Error, Version, Versioned};

/// A value moved to another version of its kind.
pub(crate) struct Moved {
    /// That version's entry.
    pub(crate) entry: VersionEntry,
    pub(crate) value: Box<dyn Any>,
    /// What the downcasts set aside, as the reserved member's JSON.
    pub(crate) set_aside: Option<String>,
}

impl Registry {
    /// Checks that `kind`'s newest version can be written at `version`.
    pub(crate) fn check_pin(&self, kind: &str, version: &Version) -> Result<(), Error> {
        let table = self.table(kind)?;
        let to = table.index_of(version)?;
        let newest = table.nodes.len().saturating_sub(1);
        if !table.leads_to(newest, to) {
            return Err(no_path(table, &table.version_at(newest), newest, to));
        }
        Ok(())
    }

    /// `value` moved to `version` of its kind through the downcasts (or steps) on the way.
    pub(crate) fn move_to<T: Versioned + Clone>(
        &self,
        value: &T,
        version: &Version,
    ) -> Result<Moved, Error> {
        let unregistered = || Error::Unregistered {
            kind: T::KIND.to_owned(),
            version: T::VERSION.to_string(),
            type_name: std::any::type_name::<T>(),
        };
        let table = self.kinds.get(T::KIND).ok_or_else(unregistered)?;
        let from = table
            .position_of(TypeId::of::<T>())
            .ok_or_else(unregistered)?;
        let to = table.index_of(version)?;
        let from_version = table.version_at(from);
        if !table.leads_to(from, to) {
            return Err(no_path(table, &from_version, from, to));
        }
        let set_aside = SetAside::new();
        let cx = Context::new(table.kind, &from_version).with_set_aside(&set_aside);
        let value = chain::run_boxed(table, from, to, Box::new(value.clone()), &cx)?;
        Ok(Moved {
            entry: *table.entry_at(to)?,
            value,
            set_aside: set_aside.for_record(version),
        })
    }
}
