//! Typed reads of records in any format: a record at the type's own version is read by the
//! format alone; any other through the registry's steps.

use super::{Format, header};
use crate::{Error, Registry, Tag, Version, Versioned};

/// Reads a binary record (the compact header, then a payload in `F`) into `T`, running
/// the steps from the version it was written at.
///
/// ```
/// # #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.format.read", version = 1)]
/// # struct NoteV1 { text: String }
/// # #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.format.read", version = 2)]
/// # struct Note { text: String, pinned: bool }
/// # #[upcast::register]
/// # impl From<NoteV1> for Note { fn from(v1: NoteV1) -> Self { Note { text: v1.text, pinned: false } } }
/// use upcast::format::{self, Json};
///
/// let old = format::to_vec::<Json, _>(&NoteV1 { text: "hi".into() })?;
/// let note: Note = format::from_slice::<Json, _>(&old)?;
/// assert_eq!(note, Note { text: "hi".into(), pinned: false });
/// # Ok::<(), upcast::Error>(())
/// ```
pub fn from_slice<F: Format, T: Versioned>(bytes: &[u8]) -> Result<T, Error> {
    let head = header(bytes)?;
    if head.kind_id != T::KIND_ID {
        return Err(Error::KindMismatch {
            found: kind_named(head.kind_id),
            expected: T::KIND.to_owned(),
        });
    }
    read::<F, T>(&head.version, head.payload(bytes))
}

/// Reads a payload in `F` whose version is kept elsewhere (a column, a message header)
/// into `T`: the external layout in any format.
///
/// ```
/// # #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.format.payload", version = 3)]
/// # struct Note { text: String }
/// use upcast::format::{self, Json};
///
/// let note: Note = format::from_payload::<Json, _>("3", br#"{"text":"hi"}"#)?;
/// assert_eq!(note.text, "hi");
/// # Ok::<(), upcast::Error>(())
/// ```
pub fn from_payload<F: Format, T: Versioned>(version: &str, payload: &[u8]) -> Result<T, Error> {
    if T::VERSION.is_written_as(version) {
        return F::from_slice::<T>(payload)
            .map_err(|error| Error::data(T::KIND, version.to_owned(), error));
    }
    read::<F, T>(&Version::parse(version)?, payload)
}

fn read<F: Format, T: Versioned>(stored: &Version, payload: &[u8]) -> Result<T, Error> {
    if is_exactly(T::VERSION, stored) {
        return F::from_slice::<T>(payload)
            .map_err(|error| Error::data(T::KIND, stored.to_string(), error));
    }
    Registry::try_global()?.read_format::<F, T>(stored, payload)
}

/// Whether `stored` is the version `tag` declares, without parsing a plain `x.y.z`.
fn is_exactly(tag: Tag, stored: &Version) -> bool {
    let stored = stored.as_semver();
    let parts = match tag {
        Tag::Number(major) => Some((major, 0, 0)),
        Tag::Text(text) => plain(text),
    };
    match parts {
        Some(parts) => stored.pre.is_empty() && (stored.major, stored.minor, stored.patch) == parts,
        None => tag.is(&Version::from(stored.clone())),
    }
}

/// `x`, `x.y` or `x.y.z` of plain numbers; `None` for anything else (a pre-release).
fn plain(text: &str) -> Option<(u64, u64, u64)> {
    let mut parts = text.split('.').map(|part| part.parse::<u64>().ok());
    let major = parts.next()??;
    let minor = parts.next().unwrap_or(Some(0))?;
    let patch = parts.next().unwrap_or(Some(0))?;
    parts.next().is_none().then_some((major, minor, patch))
}

/// A kind by its id: its name if the global registry knows it.
fn kind_named(id: u32) -> String {
    Registry::try_global()
        .ok()
        .and_then(|registry| registry.kind_of_id(id))
        .map_or_else(|| format!("#{id:08x}"), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_versions_are_recognised_without_a_parse() {
        let v = |text: &str| Version::parse(text).unwrap();
        assert!(is_exactly(Tag::Number(5), &v("5.0.0")));
        assert!(!is_exactly(Tag::Number(5), &v("5.1.0")));
        assert!(is_exactly(Tag::Text("1.2"), &v("1.2.0")));
        assert!(is_exactly(Tag::Text("1.2.3"), &v("1.2.3")));
        assert!(!is_exactly(Tag::Text("1.2.3"), &v("1.2.3-rc.1")));
        assert!(is_exactly(Tag::Text("1.2.3-rc.1"), &v("1.2.3-rc.1")));
        assert_eq!(plain("1.2.3.4"), None);
        assert_eq!(
            plain("01"),
            Some((1, 0, 0)),
            "a leading zero is the tag's business"
        );
    }
}
