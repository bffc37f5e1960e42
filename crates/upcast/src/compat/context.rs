//! The state of one comparison: where it is (a JSON pointer), what it found, and the
//! guards against recursive schemas and hostile nesting.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;

use super::Policy;
use super::change::{Change, ChangeType};
use crate::Error;

/// How deep comparisons may nest before the schemas count as hostile.
const MAX_DEPTH: usize = 200;

/// A pair of schemas being compared, by the identities of their nodes.
pub(crate) type PairKey = ((usize, usize), (usize, usize));

/// What every context of one comparison shares.
#[derive(Default)]
pub(crate) struct Shared {
    /// The pairs of schemas being compared on the stack: meeting one again is recursion,
    /// which counts as compatible (as in Confluent's checker).
    in_progress: RefCell<HashSet<PairKey>>,
    depth: Cell<usize>,
}

/// Where a comparison is and what it found.
pub(crate) struct Ctx<'s> {
    shared: &'s Shared,
    path: Vec<String>,
    pub(crate) changes: Vec<Change>,
}

impl<'s> Ctx<'s> {
    pub(crate) fn new(shared: &'s Shared) -> Self {
        Ctx {
            shared,
            path: Vec::new(),
            changes: Vec::new(),
        }
    }

    /// A context at the same place with no findings, to try a comparison.
    pub(crate) fn sub(&self) -> Ctx<'s> {
        Ctx {
            shared: self.shared,
            path: self.path.clone(),
            changes: Vec::new(),
        }
    }

    /// Steps into `segment` (one or more pointer segments, already escaped).
    pub(crate) fn enter(&mut self, segment: impl Into<String>) {
        self.path.push(segment.into());
    }

    /// Steps into a member named `name`, escaping it as JSON pointers do.
    pub(crate) fn enter_name(&mut self, name: &str) {
        self.enter(name.replace('~', "~0").replace('/', "~1"));
    }

    pub(crate) fn leave(&mut self) {
        self.path.pop();
    }

    pub(crate) fn here(&self) -> String {
        format!("#/{}", self.path.join("/"))
    }

    pub(crate) fn add(&mut self, change_type: ChangeType) {
        let path = self.here();
        self.changes.push(Change { change_type, path });
    }

    /// Adds a change of the keyword `attribute` of the current schema.
    pub(crate) fn add_at(&mut self, attribute: &str, change_type: ChangeType) {
        self.enter(attribute);
        self.add(change_type);
        self.leave();
    }

    pub(crate) fn absorb(&mut self, other: Ctx<'_>) {
        self.changes.extend(other.changes);
    }

    /// Whether everything found so far is compatible; the checker decides by the strict
    /// set, the policy applies only to the verdict.
    pub(crate) fn is_compatible(&self) -> bool {
        self.changes
            .iter()
            .all(|change| change.is_compatible(Policy::Strict))
    }

    /// Runs `compare` for the pair `key`, unless the pair is being compared already.
    pub(crate) fn guarded(
        &mut self,
        key: PairKey,
        compare: impl FnOnce(&mut Self) -> Result<(), Error>,
    ) -> Result<(), Error> {
        if !self.shared.in_progress.borrow_mut().insert(key) {
            return Ok(());
        }
        let depth = self.shared.depth.get() + 1;
        self.shared.depth.set(depth);
        let result = if depth > MAX_DEPTH {
            Err(Error::InvalidSchema {
                pointer: self.here(),
                reason: format!("nested more than {MAX_DEPTH} levels deep"),
            })
        } else {
            compare(self)
        };
        self.shared.depth.set(depth - 1);
        self.shared.in_progress.borrow_mut().remove(&key);
        result
    }
}
