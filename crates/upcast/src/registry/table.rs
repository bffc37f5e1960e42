//! The versions of one kind, sorted, with the step out of each.

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

/// One registered version and the step that leaves it (none for the newest).
pub(crate) struct Node {
    pub(crate) version: Version,
    /// The version's Rust type, the key typed reads look it up by.
    pub(crate) type_id: TypeId,
    pub(crate) entry: VersionEntry,
    pub(crate) step: Option<(usize, StepEntry)>,
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
        let stored = match &record.stamp {
            Stamp::Tag(tag) => {
                if let Some(exact) = self.nodes.iter().position(|node| tag.is(node.entry.tag)) {
                    return Ok((exact, self.nodes[exact].version.clone()));
                }
                tag.version()?
            }
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

    /// The version of node `index`; the checks that run before make it exist.
    pub(crate) fn version_at(&self, index: usize) -> Version {
        self.nodes
            .get(index)
            .map_or(Version::new(0, 0, 0), |node| node.version.clone())
    }

    pub(crate) fn versions(&self) -> Vec<Version> {
        self.nodes.iter().map(|node| node.version.clone()).collect()
    }

    /// Whether following steps from `from` passes through `to`.
    pub(crate) fn leads_to(&self, from: usize, to: usize) -> bool {
        let mut at = from;
        while at != to {
            match self.nodes.get(at).and_then(|node| node.step) {
                Some((next, _)) => at = next,
                None => return false,
            }
        }
        true
    }
}
