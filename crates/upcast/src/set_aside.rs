//! Values a downcast sets aside because the older version has no place for them, kept in
//! the record so the next upcast can take them back.

use std::cell::{OnceCell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use memchr::memmem;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::{Error, Version};

/// The set-aside values of one record, by the version they were set aside from: what the
/// stored record carries, and what the downcasts of this conversion add.
///
/// The envelope layout keeps them in a field of its own, `"_set_aside"`; the inline layout
/// in a member of that name, hidden from the record's type. They look like
/// `{"3.0.0": {"email": "ada@example.com"}}`: set aside by the downcast from 3.0.0, taken back
/// by the step to 3.0.0.
///
/// Reads and writes make their own; one made here is for calling downcasts directly, as in
/// tests:
///
/// ```
/// use upcast::{Context, SetAside, Version};
///
/// let (v1, v2) = (Version::new(1, 0, 0), Version::new(2, 0, 0));
/// let aside = SetAside::new();
/// let cx = Context::new("user", &v2).with_set_aside(&aside).for_step(&v2, &v1);
/// cx.set_aside("email", "ada@example.com")?; // what a downcast from 2.0.0 to 1.0.0 does
/// assert_eq!(aside.get::<String>(&v2, "email")?.as_deref(), Some("ada@example.com"));
/// # Ok::<(), upcast::Error>(())
/// ```
#[derive(Default)]
pub struct SetAside<'a> {
    source: Source<'a>,
    stored: OnceCell<Buckets>,
    added: RefCell<Buckets>,
}

/// Set-aside values by the version they were set aside from.
type Buckets = BTreeMap<Version, Map<String, Value>>;

/// Where the stored record keeps its set-aside values.
#[derive(Default)]
pub(crate) enum Source<'a> {
    /// Nowhere: a new record.
    #[default]
    None,
    /// The `_set_aside` member of the object in these bytes (an envelope, an inline record).
    Member(&'a [u8]),
    /// Already parsed.
    Parsed(Value),
}

/// The reserved member that holds the set-aside values.
pub(crate) const MEMBER: &str = "_set_aside";

impl SetAside<'static> {
    /// No values set aside.
    ///
    /// See the example on [`SetAside`].
    pub fn new() -> Self {
        SetAside::default()
    }
}

impl<'a> SetAside<'a> {
    pub(crate) fn from_source(source: Source<'a>) -> Self {
        SetAside {
            source,
            ..SetAside::default()
        }
    }

    /// The value `name` set aside from version `from`, read as `T`: `Ok(None)` when there is
    /// none.
    ///
    /// See the example on [`SetAside`].
    pub fn get<T: DeserializeOwned>(&self, from: &Version, name: &str) -> Result<Option<T>, Error> {
        let added = self.added.borrow();
        let value = added
            .get(from)
            .and_then(|bucket| bucket.get(name))
            .or_else(|| self.stored().get(from).and_then(|bucket| bucket.get(name)));
        value
            .map(|value| T::deserialize(value).map_err(|error| Error::metadata(name, error)))
            .transpose()
    }

    /// Whether nothing is set aside.
    ///
    /// ```
    /// assert!(upcast::SetAside::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.added.borrow().is_empty() && self.stored().is_empty()
    }

    pub(crate) fn insert<T: Serialize + ?Sized>(
        &self,
        from: &Version,
        name: &str,
        value: &T,
    ) -> Result<(), Error> {
        let value = serde_json::to_value(value).map_err(|error| Error::metadata(name, error))?;
        let mut added = self.added.borrow_mut();
        added
            .entry(from.clone())
            .or_default()
            .insert(name.to_owned(), value);
        Ok(())
    }

    /// What a record written at `written` keeps: the values set aside from newer versions,
    /// stored or added, as the JSON of the `_set_aside` member; `None` when there are none.
    /// Values set aside from `written` or older were taken back by the steps that led here.
    pub(crate) fn for_record(&self, written: &Version) -> Option<String> {
        let mut kept: BTreeMap<String, &Map<String, Value>> = BTreeMap::new();
        let added = self.added.borrow();
        for (version, bucket) in self.stored().iter().chain(added.iter()) {
            if version > written && !bucket.is_empty() {
                kept.insert(version.to_string(), bucket);
            }
        }
        if kept.is_empty() {
            return None;
        }
        serde_json::to_string(&kept).ok()
    }

    fn stored(&self) -> &Buckets {
        self.stored.get_or_init(|| match &self.source {
            Source::None => Buckets::new(),
            // Most records never met a downcast: spare them a parse.
            Source::Member(bytes) if !mentions(bytes) => Buckets::new(),
            Source::Member(bytes) => member_of(bytes).map(buckets).unwrap_or_default(),
            Source::Parsed(value) => buckets(value.clone()),
        })
    }
}

impl fmt::Debug for SetAside<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetAside")
            .field("stored", self.stored())
            .field("added", &self.added.borrow())
            .finish()
    }
}

/// Whether `bytes` hold the string `"_set_aside"` anywhere (a member needs it, unescaped or
/// not: an escaped name is read by the full parse, which this only spares).
fn mentions(bytes: &[u8]) -> bool {
    static QUOTED: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new(&format!("\"{MEMBER}\"")).into_owned());
    QUOTED.find(bytes).is_some() || memchr::memchr(b'\\', bytes).is_some()
}

/// The `_set_aside` member of the JSON object in `bytes` (read before, so valid).
fn member_of(bytes: &[u8]) -> Option<Value> {
    crate::read::object_member(bytes, MEMBER).ok().flatten()
}

/// The buckets of a `_set_aside` value; keys that are not versions are not upcast's and are
/// left out.
fn buckets(value: Value) -> Buckets {
    let Value::Object(fields) = value else {
        return Buckets::new();
    };
    fields
        .into_iter()
        .filter_map(
            |(version, bucket)| match (Version::parse(&version), bucket) {
                (Ok(version), Value::Object(bucket)) => Some((version, bucket)),
                _ => None,
            },
        )
        .collect()
}
