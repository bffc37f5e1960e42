//! The versions of one kind, sorted, with the step out of each and the downcast back.

use std::any::TypeId;

use super::entry::{StepEntry, VersionEntry};
use crate::read::{Opened, Stamp, unknown_version};
use crate::{Error, Version};

/// All versions of one kind, oldest first; the last is the newest.
pub(crate) struct KindTable {
    pub(crate) kind: &'static str,
    pub(crate) nodes: Vec<Node>,
    pub(crate) untagged: Option<usize>,
}

/// One registered version, the step that leaves it (none for the newest) and the
/// downcast back to the version whose step leads here, if one is registered.
pub(crate) struct Node {
    pub(crate) version: Version,
    /// The version's Rust type, the key typed reads look it up by.
    pub(crate) type_id: TypeId,
    pub(crate) entry: VersionEntry,
    pub(crate) step: Option<(usize, StepEntry)>,
    pub(crate) down: Option<(usize, StepEntry)>,
}

impl KindTable {
    pub(crate) fn new(kind: &'static str) -> Self {
        KindTable {
            kind,
            nodes: Vec::new(),
            untagged: None,
        }
    }

    pub(crate) fn position_of(&self, type_id: TypeId) -> Option<usize> {
        self.nodes.iter().position(|node| node.type_id == type_id)
    }

    /// The node that reads this record, and the record's version.
    pub(crate) fn resolve(&self, record: &Opened<'_>) -> Result<(usize, Version), Error> {
        if let Some(exact) = self
            .nodes
            .iter()
            .position(|node| record.stamp.is_exactly(node.entry.tag, false))
        {
            return Ok((exact, self.nodes[exact].version.clone()));
        }
        let stored = match &record.stamp {
            Stamp::Tag(tag) => tag.version()?,
            Stamp::Column(text) => Version::parse(text)?,
            Stamp::Known(version) => (*version).clone(),
            Stamp::Untagged => {
                return match self
                    .untagged
                    .and_then(|index| Some((index, self.nodes.get(index)?)))
                {
                    Some((index, node)) => Ok((index, node.version.clone())),
                    None => Err(record.missing_version()),
                };
            }
        };
        match self
            .nodes
            .iter()
            .position(|node| node.version.reads(&stored))
        {
            Some(index) => Ok((index, stored)),
            None => Err(unknown_version(
                self.kind,
                &record.stamp,
                stored,
                self.versions(),
            )),
        }
    }

    /// The node whose type reads data stored at `stored`.
    pub(crate) fn reading(&self, stored: &Version) -> Option<usize> {
        self.nodes
            .iter()
            .position(|node| node.version.reads(stored))
    }

    /// The versions from node `from` to the newest, following the steps.
    pub(crate) fn path_from(&self, from: usize) -> Vec<Version> {
        let mut path = Vec::new();
        let mut at = Some(from);
        while let Some(node) = at.and_then(|index| self.nodes.get(index)) {
            path.push(node.version.clone());
            at = node.step.map(|(next, _)| next);
        }
        path
    }

    /// The entry of node `index`.
    pub(crate) fn entry_at(&self, index: usize) -> Result<&VersionEntry, Error> {
        self.nodes
            .get(index)
            .map(|node| &node.entry)
            .ok_or_else(|| Error::NoPath {
                kind: self.kind.to_owned(),
                from: self.version_at(index),
                to: self.version_at(self.nodes.len().saturating_sub(1)),
                reason: "internal error: no such version",
            })
    }

    /// The index of exactly `version`, for a conversion to a chosen version.
    pub(crate) fn index_of(&self, version: &Version) -> Result<usize, Error> {
        self.nodes
            .iter()
            .position(|node| node.version == *version)
            .ok_or_else(|| Error::UnknownVersion {
                kind: self.kind.to_owned(),
                version: version.to_string(),
                known: self.versions(),
            })
    }

    /// How many steps (or downcasts) lead from node `from` to node `to`, which it leads to.
    pub(crate) fn steps_between(&self, from: usize, to: usize) -> usize {
        let (mut at, mut steps) = (from, 0);
        while at != to {
            match self.toward(at, to) {
                Some((next, _)) => (at, steps) = (next, steps + 1),
                None => break,
            }
        }
        steps
    }

    /// The version of node `index`; the checks that run before make it exist.
    pub(crate) fn version_at(&self, index: usize) -> Version {
        self.nodes
            .get(index)
            .map_or(Version::new(0, 0, 0), |node| node.version.clone())
    }

    pub(crate) fn versions(&self) -> Vec<Version> {
        self.nodes.iter().map(|node| node.version.clone()).collect()
    }

    /// The move out of node `at` toward node `to`: its step when `to` is newer, its
    /// downcast when `to` is older.
    pub(crate) fn toward(&self, at: usize, to: usize) -> Option<(usize, &StepEntry)> {
        let node = self.nodes.get(at)?;
        let (next, step) = if to > at { &node.step } else { &node.down }.as_ref()?;
        Some((*next, step))
    }

    /// Whether following steps (or downcasts, toward an older version) from `from` passes
    /// through `to`.
    pub(crate) fn leads_to(&self, from: usize, to: usize) -> bool {
        let mut at = from;
        while at != to {
            match self.toward(at, to) {
                Some((next, _)) if (next > at) == (to > at) => at = next,
                _ => return false,
            }
        }
        true
    }
}
