//! Records as stores hand them over: a key, the stored bytes, and the version kept beside
//! them in the external layout.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A record's key, in its store's order: an integer or a text key column, or a line number.
///
/// ```
/// use upcast_migrate::Key;
/// assert!(Key::Int(2) < Key::Int(10));
/// assert_eq!(Key::Text("evt-7".into()).to_string(), "evt-7");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Key {
    /// An integer key.
    Int(i64),
    /// A text key.
    Text(String),
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Int(key) => write!(f, "{key}"),
            Key::Text(key) => f.write_str(key),
        }
    }
}

/// One stored record.
///
/// ```
/// let row = upcast_migrate::Row::new(upcast_migrate::Key::Int(1), b"{}".to_vec());
/// assert_eq!(row.version, None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Row {
    /// Its key.
    pub key: Key,
    /// The stored bytes.
    pub body: Vec<u8>,
    /// The version kept beside the record (a version column), for the external layout.
    pub version: Option<String>,
    /// Whether the body is stored as text (else as bytes), to write it back the same way.
    pub text: bool,
}

impl Row {
    /// A record with a text body and no version column.
    ///
    /// See the example on [`Row`].
    pub fn new(key: Key, body: Vec<u8>) -> Self {
        Row {
            key,
            body,
            version: None,
            text: true,
        }
    }
}
