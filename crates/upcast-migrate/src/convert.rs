//! The one place records meet upcast: a stored record in, what to do with it out.

use std::collections::BTreeMap;

use upcast::{Layout, Reader, Registry, Stored};

use crate::store::Decision;
use crate::{Key, Row};

/// Decides, for each stored record, whether it is current, how it is rewritten, or why it
/// cannot be: upcast's dynamic entry point ([`Reader::convert`]) over one layout.
///
/// ```
/// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
/// # #[versioned(kind = "doc.converter", version = 1)]
/// # struct Note { text: String }
/// use upcast_migrate::{Converter, Key, Row, store::Decision};
///
/// let layout = upcast::Layout::envelope();
/// let converter = Converter::new(upcast::Registry::global(), &layout);
/// let row = Row::new(Key::Int(1), br#"{"kind":"doc.converter","version":1,"data":{"text":"hi"}}"#.to_vec());
/// assert_eq!(converter.decide(&row).decision, Decision::Keep);
/// let junk = Row::new(Key::Int(2), b"not json".to_vec());
/// assert!(matches!(converter.decide(&junk).decision, Decision::Fail(_)));
/// ```
#[derive(Clone, Copy)]
pub struct Converter<'r> {
    registry: &'r Registry,
    reader: Reader<'r>,
    external: bool,
}

impl std::fmt::Debug for Converter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Converter")
            .field("layout", self.reader.layout())
            .finish()
    }
}

/// What the converter made of one record.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Decided {
    /// What to do with it.
    pub decision: Decision,
    /// Its kind and stored version tag (`untagged` for none), when it could be read.
    pub seen: Option<(String, String)>,
}

impl<'r> Converter<'r> {
    /// A converter of records in `layout`, through `registry`.
    ///
    /// See the example on [`Converter`].
    pub fn new(registry: &'r Registry, layout: &'r Layout) -> Self {
        Converter {
            registry,
            reader: registry.reader(layout),
            external: matches!(layout, Layout::External { .. }),
        }
    }

    /// What to do with `row`.
    ///
    /// See the example on [`Converter`].
    pub fn decide(&self, row: &Row) -> Decided {
        let stored = match (&row.version, self.external) {
            (Some(version), true) => Stored::at(version, &row.body),
            (None, true) => {
                return Decided {
                    decision: Decision::Fail("no version in the version column (NULL)".into()),
                    seen: None,
                };
            }
            (_, false) => Stored::new(&row.body),
        };
        match self.reader.convert(stored) {
            Ok(converted) => {
                let seen = Some((
                    converted.kind,
                    converted.stored_tag.unwrap_or_else(|| "untagged".into()),
                ));
                let decision = match converted.bytes {
                    None => Decision::Keep,
                    Some(body) => Decision::Rewrite {
                        body,
                        version: self.external.then(|| converted.tag.to_string()),
                    },
                };
                Decided { decision, seen }
            }
            Err(error) => Decided {
                decision: Decision::Fail(error.to_string()),
                seen: self.seen(row),
            },
        }
    }

    /// The kind and stored version of a record that failed to convert, where its header
    /// tells them (a record that is not JSON, or names no kind, has none).
    fn seen(&self, row: &Row) -> Option<(String, String)> {
        if self.external {
            return None;
        }
        let header = self.reader.header(&row.body).ok()?;
        let kind = header.kind()?.to_owned();
        Some((kind, header.tag().unwrap_or("untagged").to_owned()))
    }

    /// The version each kind's records are migrated to: its newest.
    ///
    /// ```
    /// # #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    /// # #[versioned(kind = "doc.targets", version = 3)]
    /// # struct Note { text: String }
    /// let layout = upcast::Layout::envelope();
    /// let converter = upcast_migrate::Converter::new(upcast::Registry::global(), &layout);
    /// assert_eq!(converter.targets()["doc.targets"], "3.0.0");
    /// ```
    pub fn targets(&self) -> BTreeMap<String, String> {
        self.registry
            .kinds()
            .filter_map(|kind| {
                let newest = self.registry.versions(kind).pop()?;
                Some((kind.to_owned(), newest.to_string()))
            })
            .collect()
    }

    /// How many steps a record of `kind` stored at `stored` (`untagged` for none) needs.
    pub(crate) fn steps(&self, kind: &str, stored: &str) -> usize {
        let version = upcast::Version::parse(stored).ok();
        let path = match stored {
            "untagged" => self.registry.path(kind, None),
            _ => self.registry.path(kind, version.as_ref()),
        };
        path.map_or(0, |path| path.len().saturating_sub(1))
    }

    /// Whether `rewritten` is what `original` converts to, compared as JSON.
    pub(crate) fn reproduces(&self, original: &Row, rewritten: &[u8]) -> bool {
        match self.decide(original).decision {
            Decision::Rewrite { body, .. } => same_json(&body, rewritten),
            Decision::Keep => same_json(&original.body, rewritten),
            Decision::Fail(_) => false,
        }
    }
}

fn same_json(a: &[u8], b: &[u8]) -> bool {
    match (
        serde_json::from_slice::<serde_json::Value>(a),
        serde_json::from_slice::<serde_json::Value>(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// A key and why its record could not be migrated, for reports.
pub(crate) fn failure(key: &Key, error: &str) -> crate::report::Listed {
    crate::report::Listed {
        key: key.clone(),
        why: error.to_owned(),
    }
}
