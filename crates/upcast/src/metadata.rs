//! The fields a record carries beside its data (an envelope's ids and timestamps), as steps
//! see them.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::Error;

/// The fields stored beside a record's data, such as an envelope's `id` or `at`: what a
/// step sees through [`Context::metadata`](crate::Context::metadata).
///
/// Values are read as any serde type, so steps do not depend on the stored format.
///
/// ```
/// let mut metadata = upcast::Metadata::new();
/// metadata.insert("at", &1_700_000_000_u64)?;
/// metadata.insert("source", &"import")?;
/// assert_eq!(metadata.get::<u64>("at")?, Some(1_700_000_000));
/// assert_eq!(metadata.get_str("source"), Some("import"));
/// assert_eq!(metadata.get::<u64>("missing")?, None);
/// assert!(metadata.get::<u64>("source").is_err(), "a string is not a number");
/// # Ok::<(), upcast::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metadata {
    fields: Map<String, Value>,
}

impl Metadata {
    /// No fields.
    ///
    /// ```
    /// assert!(upcast::Metadata::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Metadata::default()
    }

    /// The field `name` read as `T`: `Ok(None)` when there is no such field, an error when
    /// it does not read as `T`.
    ///
    /// See the example on [`Metadata`].
    pub fn get<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, Error> {
        self.fields
            .get(name)
            .map(|value| T::deserialize(value).map_err(|source| Error::metadata(name, source)))
            .transpose()
    }

    /// The field `name` when it is a string.
    ///
    /// See the example on [`Metadata`].
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.fields.get(name).and_then(Value::as_str)
    }

    /// Whether there is a field `name`.
    ///
    /// ```
    /// let metadata = upcast::Metadata::from(serde_json::Map::from_iter([("id".into(), 7.into())]));
    /// assert!(metadata.contains("id") && !metadata.contains("at"));
    /// ```
    pub fn contains(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }

    /// The names of the fields.
    ///
    /// ```
    /// let metadata = upcast::Metadata::from(serde_json::Map::from_iter([("id".into(), 7.into())]));
    /// assert_eq!(metadata.names().collect::<Vec<_>>(), ["id"]);
    /// ```
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fields.keys().map(String::as_str)
    }

    /// How many fields there are.
    ///
    /// ```
    /// assert_eq!(upcast::Metadata::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether there are no fields.
    ///
    /// ```
    /// assert!(upcast::Metadata::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Sets the field `name` to `value`, for steps called directly in tests.
    ///
    /// See the example on [`Metadata`].
    pub fn insert<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<(), Error> {
        let value = serde_json::to_value(value).map_err(|source| Error::metadata(name, source))?;
        self.fields.insert(name.to_owned(), value);
        Ok(())
    }
}

/// An envelope's other fields, as parsed from JSON.
impl From<Map<String, Value>> for Metadata {
    fn from(fields: Map<String, Value>) -> Self {
        Metadata { fields }
    }
}
