//! A record whose kind and version tag are known, its data not yet decoded.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::keys::Key;
use super::source::{DecodeError, Source, decode};
use super::tag::StoredTag;
use crate::{Error, Tag, Version, Versioned};

/// A record whose kind and version tag are known and whose data is still undecoded.
#[doc(hidden)]
pub struct Opened<'a> {
    pub(crate) kind: Cow<'a, str>,
    pub(crate) stamp: Stamp<'a>,
    pub(crate) source: Source<'a>,
    /// The envelope's other fields, when the record came as a parsed value (from bytes,
    /// they are read from the bytes when wanted).
    pub(crate) metadata: Map<String, Value>,
    /// The set-aside values, when the record came as a parsed value.
    pub(crate) set_aside: Option<Value>,
}

/// How the stored version is known.
pub(crate) enum Stamp<'a> {
    /// From a tag in the data.
    Tag(StoredTag<'a>),
    /// Kept beside the data as text, such as a version column (external layout).
    Column(&'a str),
    /// Given by the caller (external layout).
    Known(&'a Version),
    /// The record carries no tag.
    Untagged,
}

impl Stamp<'_> {
    /// The stored version as written; `None` for an untagged record.
    pub(crate) fn written(&self) -> Option<String> {
        match self {
            Stamp::Tag(tag) => Some(tag.to_string()),
            Stamp::Column(text) => Some((*text).to_owned()),
            Stamp::Known(version) => Some(version.to_string()),
            Stamp::Untagged => None,
        }
    }

    /// Whether this is exactly the declared `tag` as its type writes it (`untagged`: the
    /// type reads records with no tag).
    pub(crate) fn is_exactly(&self, tag: Tag, untagged: bool) -> bool {
        match self {
            Stamp::Tag(stored) => stored.is(tag),
            Stamp::Column(text) => tag.is_written_as(text),
            Stamp::Known(version) => tag.is(version),
            Stamp::Untagged => untagged,
        }
    }

    /// The stored version; `None` for an untagged record.
    pub(crate) fn version(&self) -> Result<Option<Version>, Error> {
        match self {
            Stamp::Tag(tag) => tag.version().map(Some),
            Stamp::Column(text) => Version::parse(text).map(Some),
            Stamp::Known(version) => Ok(Some((*version).clone())),
            Stamp::Untagged => Ok(None),
        }
    }
}

/// What a reader needs to know of one version to pick it: its tag and whether it reads
/// untagged records.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct Candidate {
    tag: Tag,
    untagged: bool,
}

impl Candidate {
    /// The candidate for the version `V`.
    pub const fn of<V: Versioned>() -> Self {
        Candidate {
            tag: V::VERSION,
            untagged: V::UNTAGGED,
        }
    }
}

impl Opened<'_> {
    /// Whether the record is exactly at `tag`, as its writer wrote it.
    pub(crate) fn is_exactly(&self, tag: Tag, untagged: bool) -> bool {
        self.stamp.is_exactly(tag, untagged)
    }

    /// Picks the candidate whose version reads this record: first by its exact tag, then by
    /// semver range. `None` when none does.
    pub fn select(&self, candidates: &[Candidate]) -> Result<Option<usize>, Error> {
        if let Some(exact) = candidates
            .iter()
            .position(|c| self.is_exactly(c.tag, c.untagged))
        {
            return Ok(Some(exact));
        }
        let Some(stored) = self.stamp.version()? else {
            return Ok(None);
        };
        for (index, candidate) in candidates.iter().enumerate() {
            if candidate.tag.version()?.reads(&stored) {
                return Ok(Some(index));
            }
        }
        Ok(None)
    }

    /// The error for a record none of `candidates` reads.
    pub fn unknown_version(&self, candidates: &[Candidate]) -> Error {
        let known: Result<Vec<Version>, Error> =
            candidates.iter().map(|c| c.tag.version()).collect();
        match (self.stamp.version(), known) {
            (Ok(Some(version)), Ok(known)) => {
                unknown_version(&self.kind, &self.stamp, version, known)
            }
            (Ok(None), _) => self.missing_version(),
            (Err(error), _) | (_, Err(error)) => error,
        }
    }

    pub(crate) fn missing_version(&self) -> Error {
        let field = match &self.source {
            Source::Inline { field, .. } => (*field).to_owned(),
            _ => Key::VERSION.to_owned(),
        };
        Error::MissingVersion {
            kind: self.kind.clone().into_owned(),
            field,
        }
    }

    /// Decodes the data as `V`, with no steps.
    pub fn decode<V: Versioned>(self) -> Result<V, Error> {
        let Opened {
            kind,
            stamp,
            source,
            ..
        } = self;
        decode::<V>(source).map_err(|error| decode_error(&kind, &stamp, V::VERSION, error))
    }
}

/// The error for a record stored at `version` that no registered or listed version reads:
/// a version newer than the newest known of its range (or than all) was written by a newer
/// program; any other (an unknown pre-release, a version below the oldest) is unknown.
pub(crate) fn unknown_version(
    kind: &str,
    stamp: &Stamp<'_>,
    version: Version,
    mut known: Vec<Version>,
) -> Error {
    known.sort();
    let written = stamp.written().unwrap_or_else(|| version.to_string());
    match newer_than(&version, &known) {
        Some(newest) => Error::NewerVersion {
            kind: kind.to_owned(),
            version: written,
            newest: newest.clone(),
        },
        None => Error::UnknownVersion {
            kind: kind.to_owned(),
            version: written,
            known,
        },
    }
}

/// The newest known version that `version` is newer than, within its compatible range or
/// past every known version; `None` when no newer program can have written it.
fn newer_than<'k>(version: &Version, known: &'k [Version]) -> Option<&'k Version> {
    let release = version.release();
    let newest_overall = known.last()?;
    if release > *newest_overall {
        return Some(newest_overall);
    }
    let newest_in_range = known
        .iter()
        .rev()
        .find(|k| !k.is_prerelease() && k.same_range(&release))?;
    (release > *newest_in_range).then_some(newest_in_range)
}

pub(crate) fn decode_error(
    kind: &str,
    stamp: &Stamp<'_>,
    read_as: Tag,
    error: DecodeError,
) -> Error {
    match error {
        DecodeError::Envelope(source) => Error::Json(source),
        DecodeError::Data(source) => Error::data(
            kind,
            stamp.written().unwrap_or_else(|| read_as.to_string()),
            source,
        ),
    }
}
