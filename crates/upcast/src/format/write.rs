//! Writes in any format: at the type's own version, or at an older one through the
//! registry's downcasts.

use super::{Format, header};
use crate::{Error, Registry, Version, Versioned};

/// Writes `value` as a binary record: the compact header (its kind's id and version),
/// then its payload in `F`.
///
/// See [`from_slice`](super::from_slice) for an example.
pub fn to_vec<F: Format, T: Versioned>(value: &T) -> Result<Vec<u8>, Error> {
    let version = T::VERSION.version()?;
    let mut out = Vec::with_capacity(64);
    header::write(&mut out, T::KIND_ID, &version);
    let payload =
        F::to_vec(value).map_err(|error| Error::data(T::KIND, version.to_string(), error))?;
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Writes `value` as a binary record at `version`, an older version of its kind, through
/// the registry's downcasts. A value a downcast set aside has no place in a binary record:
/// that is an error, not a loss.
///
/// ```
/// # #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.format.at", version = 1)]
/// # struct NoteV1 { text: String }
/// # #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.format.at", version = 2)]
/// # struct Note { text: String }
/// # #[upcast::register]
/// # impl From<NoteV1> for Note { fn from(v1: NoteV1) -> Self { Note { text: v1.text } } }
/// # #[upcast::register(downcast)]
/// # impl From<Note> for NoteV1 { fn from(note: Note) -> Self { NoteV1 { text: note.text } } }
/// use upcast::format::{self, Json};
///
/// let blob = format::to_vec_at::<Json, _>(&Note { text: "hi".into() }, &upcast::Version::new(1, 0, 0))?;
/// assert_eq!(format::header(&blob)?.version, upcast::Version::new(1, 0, 0));
/// assert_eq!(format::from_slice::<Json, NoteV1>(&blob)?.text, "hi");
/// # Ok::<(), upcast::Error>(())
/// ```
pub fn to_vec_at<F: Format, T: Versioned + Clone>(
    value: &T,
    version: &Version,
) -> Result<Vec<u8>, Error> {
    let payload = to_payload_at::<F, T>(value, version)?;
    let mut out = Vec::with_capacity(payload.len() + 16);
    header::write(&mut out, T::KIND_ID, version);
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Writes `value`'s payload in `F`, for a store that keeps its version elsewhere
/// (`T::VERSION`).
///
/// ```
/// # #[derive(Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.format.to_payload", version = 1)]
/// # struct Note { text: String }
/// let payload = upcast::format::to_payload::<upcast::format::Json, _>(&Note { text: "hi".into() })?;
/// assert_eq!(payload, br#"{"text":"hi"}"#);
/// # Ok::<(), upcast::Error>(())
/// ```
pub fn to_payload<F: Format, T: Versioned>(value: &T) -> Result<Vec<u8>, Error> {
    F::to_vec(value).map_err(|error| Error::data(T::KIND, T::VERSION.to_string(), error))
}

/// Writes `value`'s payload in `F` at `version`, through the registry's downcasts.
///
/// See [`to_vec_at`] for an example of writing at an older version.
pub fn to_payload_at<F: Format, T: Versioned + Clone>(
    value: &T,
    version: &Version,
) -> Result<Vec<u8>, Error> {
    if T::VERSION.is(version) {
        return to_payload::<F, T>(value);
    }
    let moved = Registry::try_global()?.move_to(value, version)?;
    if let Some(set_aside) = moved.set_aside {
        return Err(Error::SetAside {
            name: set_aside_names(&set_aside),
            kind: T::KIND.to_owned(),
            reason: "a binary record has no place for values a downcast set aside; write it \
                     in the JSON envelope, or at a version that holds them",
        });
    }
    let data = (moved.entry.serialize)(&*moved.value).ok_or_else(|| Error::Unregistered {
        kind: T::KIND.to_owned(),
        version: version.to_string(),
        type_name: std::any::type_name::<T>(),
    })?;
    F::to_vec(data).map_err(|error| Error::data(T::KIND, version.to_string(), error))
}

/// The names of the values in a set-aside member (`{"4.0.0":{"since":…}}`), for errors.
fn set_aside_names(member: &str) -> String {
    let names: Vec<String> = serde_json::from_str::<serde_json::Value>(member)
        .ok()
        .and_then(|member| member.as_object().cloned())
        .into_iter()
        .flat_map(|buckets| buckets.into_iter())
        .flat_map(|(_, bucket)| bucket.as_object().cloned().into_iter().flatten())
        .map(|(name, _)| name)
        .collect();
    names.join("`, `")
}
