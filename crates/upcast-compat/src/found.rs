//! The changes a comparison finds, sharing those of a pair of schemas met before.
//!
//! A schema whose `$ref`s form a DAG meets the same pair of subschemas along many paths (a
//! chain of definitions that each refer twice to the next reaches the last one 2^depth
//! ways). The pair is compared once; every other path holds a reference to what that
//! comparison found, so the work stays linear in the schemas' size. Only listing the
//! changes expands the references, and it stops at a limit.

use std::rc::Rc;

use super::Policy;
use super::change::{Change, ChangeType};

/// Changes found, each a change or a reference to the changes of a pair compared before.
#[derive(Clone, Debug, Default)]
pub(crate) struct Found {
    entries: Vec<Entry>,
}

#[derive(Clone, Debug)]
enum Entry {
    /// A change at a path (pointer segments joined by `/`, without `#/`).
    One(ChangeType, String),
    /// The changes of a pair met before, under the path `base`.
    Shared(String, Rc<Memo>),
}

/// What comparing a pair of schemas found, with paths relative to the pair's.
#[derive(Debug)]
pub(crate) struct Memo {
    found: Found,
    strict: bool,
    lenient: bool,
}

impl Found {
    pub(crate) fn push(&mut self, change_type: ChangeType, path: String) {
        self.entries.push(Entry::One(change_type, path));
    }

    pub(crate) fn extend(&mut self, other: Found) {
        self.entries.extend(other.entries);
    }

    /// A mark to take what is found after it.
    pub(crate) fn mark(&self) -> usize {
        self.entries.len()
    }

    /// What was found since `mark` under `base`, as a memo with paths relative to `base`.
    pub(crate) fn memo_since(&self, mark: usize, base: &str) -> Rc<Memo> {
        let entries = self
            .entries
            .get(mark..)
            .unwrap_or_default()
            .iter()
            .map(|entry| match entry {
                Entry::One(change_type, path) => Entry::One(*change_type, relative(path, base)),
                Entry::Shared(path, memo) => Entry::Shared(relative(path, base), Rc::clone(memo)),
            })
            .collect();
        let found = Found { entries };
        Rc::new(Memo {
            strict: found.is_compatible(Policy::Strict),
            lenient: found.is_compatible(Policy::Lenient),
            found,
        })
    }

    /// Adds the changes of `memo` under `base`.
    pub(crate) fn share(&mut self, base: &str, memo: &Rc<Memo>) {
        if !memo.found.entries.is_empty() {
            self.entries
                .push(Entry::Shared(base.to_owned(), Rc::clone(memo)));
        }
    }

    /// Whether `policy` accepts every change.
    pub(crate) fn is_compatible(&self, policy: Policy) -> bool {
        self.entries.iter().all(|entry| match entry {
            Entry::One(change_type, _) => change_type.is_compatible(policy),
            Entry::Shared(_, memo) => match policy {
                Policy::Strict => memo.strict,
                Policy::Lenient => memo.lenient,
            },
        })
    }

    /// The changes, at most `limit` of them, and whether there were more.
    pub(crate) fn list(&self, limit: usize) -> (Vec<Change>, bool) {
        let mut changes = Vec::new();
        let complete = self.list_under("", limit, &mut changes);
        (changes, !complete)
    }

    /// Lists the changes under `base` into `out`; `false` once `limit` is reached with
    /// changes left.
    fn list_under(&self, base: &str, limit: usize, out: &mut Vec<Change>) -> bool {
        for entry in &self.entries {
            match entry {
                Entry::One(change_type, path) => {
                    if out.len() == limit {
                        return false;
                    }
                    out.push(Change {
                        change_type: *change_type,
                        path: format!("#/{}", joined(base, path)),
                    });
                }
                Entry::Shared(path, memo) => {
                    if !memo.found.list_under(&joined(base, path), limit, out) {
                        return false;
                    }
                }
            }
        }
        true
    }
}

/// `path` (joined segments) relative to `base`, which it is under.
fn relative(path: &str, base: &str) -> String {
    if base.is_empty() {
        return path.to_owned();
    }
    match path.strip_prefix(base) {
        Some(rest) => rest.strip_prefix('/').unwrap_or(rest).to_owned(),
        None => path.to_owned(),
    }
}

/// `rest` under `base`.
fn joined(base: &str, rest: &str) -> String {
    match (base.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_owned(),
        (false, true) => base.to_owned(),
        (false, false) => format!("{base}/{rest}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_changes_are_listed_under_each_path_up_to_the_limit() {
        let mut inner = Found::default();
        inner.push(ChangeType::TypeChanged, "definitions/a/type".into());
        let memo = inner.memo_since(0, "definitions/a");
        let mut found = Found::default();
        found.share("properties/l", &memo);
        found.share("properties/r", &memo);
        let (changes, truncated) = found.list(10);
        let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["#/properties/l/type", "#/properties/r/type"]);
        assert!(!truncated);
        assert!(!found.is_compatible(Policy::Strict));
        let (one, truncated) = found.list(1);
        assert_eq!((one.len(), truncated), (1, true));
    }
}
