//! What generated code names. Not public API: no stability promised.

pub use inventory;

pub use crate::read::{Candidate, Input, Opened};
pub use crate::registry::{StepEntry, VersionEntry};
pub use crate::{
    AnyVersion, Context, Decode, Downcast, Error, Tag, Upcast, UpcastError, Version, Versioned,
};
pub use core::result::Result;

/// Runs the step `A -> B` for `AnyVersion::into_current`, naming both versions on failure.
pub fn step<A: Upcast<Next = B>, B: Versioned>(value: A, cx: &Context<'_>) -> Result<B, Error> {
    value.upcast(cx).map_err(|error| Error::Step {
        kind: A::KIND.to_owned(),
        stored: Box::new(cx.stored_version().clone()),
        from: A::VERSION.version().unwrap_or(Version::new(0, 0, 0)),
        to: B::VERSION.version().unwrap_or(Version::new(0, 0, 0)),
        source: error.into_boxed(),
    })
}

/// The declared version of `V`, parsed.
pub fn declared<V: Versioned>() -> Result<Version, Error> {
    V::VERSION.version()
}

/// `a == b` in a `const` context, to check at compile time that the variants of an
/// `AnyVersion` enum share one kind.
pub const fn same_kind(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
