//! The state of one comparison: where it is (a JSON pointer), what it found, and the
//! guards against recursive schemas and hostile nesting.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use super::Policy;
use super::change::ChangeType;
use super::found::{Found, Memo};
use crate::Error;

/// How deep comparisons may nest before the schemas count as hostile.
const MAX_DEPTH: usize = 200;

/// A pair of schemas being compared, by the identities of their nodes.
pub(crate) type PairKey = ((usize, usize), (usize, usize));

/// What every context of one comparison shares.
pub(crate) struct Shared {
    /// The pairs of schemas being compared on the stack, with their depth: meeting one
    /// again is recursion, which counts as compatible (as in Confluent's checker).
    in_progress: RefCell<HashMap<PairKey, usize>>,
    depth: Cell<usize>,
    /// The shallowest pair on the stack met again since the current pair began: a pair
    /// whose comparison met only itself (or nothing) again has a result of its own.
    shallowest_met: Cell<usize>,
    /// What comparing each pair found, for the next path that meets it.
    done: RefCell<HashMap<PairKey, Rc<Memo>>>,
}

impl Default for Shared {
    fn default() -> Self {
        Shared {
            in_progress: RefCell::default(),
            depth: Cell::new(0),
            shallowest_met: Cell::new(usize::MAX),
            done: RefCell::default(),
        }
    }
}

/// Where a comparison is and what it found.
pub(crate) struct Ctx<'s> {
    shared: &'s Shared,
    path: Vec<String>,
    pub(crate) changes: Found,
}

impl<'s> Ctx<'s> {
    pub(crate) fn new(shared: &'s Shared) -> Self {
        Ctx {
            shared,
            path: Vec::new(),
            changes: Found::default(),
        }
    }

    /// A context at the same place with no findings, to try a comparison.
    pub(crate) fn sub(&self) -> Ctx<'s> {
        Ctx {
            shared: self.shared,
            path: self.path.clone(),
            changes: Found::default(),
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
        self.changes.push(change_type, self.path.join("/"));
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
        self.changes.is_compatible(Policy::Strict)
    }

    /// Runs `compare` for the pair `key`: unless the pair is being compared already
    /// (recursion), or was compared before, whose findings are then shared, not found again.
    pub(crate) fn guarded(
        &mut self,
        key: PairKey,
        compare: impl FnOnce(&mut Self) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let base = self.path.join("/");
        if let Some(memo) = self.shared.done.borrow().get(&key) {
            self.changes.share(&base, memo);
            return Ok(());
        }
        if let Some(&depth) = self.shared.in_progress.borrow().get(&key) {
            let met = self.shared.shallowest_met.get().min(depth);
            self.shared.shallowest_met.set(met);
            return Ok(());
        }
        let depth = self.shared.depth.get() + 1;
        if depth > MAX_DEPTH {
            return Err(Error::InvalidSchema {
                pointer: self.here(),
                reason: format!("nested more than {MAX_DEPTH} levels deep"),
            });
        }
        self.shared.depth.set(depth);
        self.shared.in_progress.borrow_mut().insert(key, depth);
        let outer_met = self.shared.shallowest_met.replace(usize::MAX);
        let mark = self.changes.mark();
        let result = compare(self);
        let met = self.shared.shallowest_met.get();
        self.shared.shallowest_met.set(outer_met.min(met));
        self.shared.in_progress.borrow_mut().remove(&key);
        self.shared.depth.set(depth - 1);
        if result.is_ok() && met >= depth {
            let memo = self.changes.memo_since(mark, &base);
            self.shared.done.borrow_mut().insert(key, memo);
        }
        result
    }
}
