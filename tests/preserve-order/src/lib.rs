//! A document kept as an ordered map, as people read it: its key order must survive
//! reading and writing in every layout.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Version 1 of a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "ordered.doc", version = 1)]
pub struct DocV1(pub Map<String, Value>);

/// Version 2: the same document; its step adds a key at the end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "ordered.doc", version = 2)]
pub struct Doc(pub Map<String, Value>);

#[upcast::register]
impl From<DocV1> for Doc {
    fn from(DocV1(mut fields): DocV1) -> Self {
        fields.insert("upgraded".into(), Value::Bool(true));
        Doc(fields)
    }
}

/// The keys of a JSON object, in order.
pub fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .map(|fields| fields.keys().map(String::as_str).collect())
        .unwrap_or_default()
}
