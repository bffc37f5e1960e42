//! Record types for edge cases the demo domain does not have, and small helpers.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use upcast::{Context, Upcast, UpcastError};

/// `test.note`: an untagged first version, a step that reads the context, a strict
/// current type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "test.note", version = 1, untagged)]
pub struct NoteV1 {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "test.note", version = "2.1.0")]
#[serde(deny_unknown_fields)]
pub struct Note {
    pub text: String,
    /// Where the note came from: the stored version, the envelope's `source`, and
    /// whether the record had a tag, as the step saw them.
    pub origin: String,
    #[serde(default)]
    pub pinned: bool,
}

#[upcast::register]
impl Upcast for NoteV1 {
    type Next = Note;

    fn upcast(self, cx: &Context) -> Result<Note, UpcastError> {
        if self.text == "fail" {
            return Err(UpcastError::new("the note says `fail`"));
        }
        let source = cx.metadata().get_str("source").unwrap_or("-");
        let origin = format!("{} {} {}", cx.stored_version(), source, cx.is_untagged());
        Ok(Note {
            text: self.text,
            origin,
            pinned: false,
        })
    }
}

/// `test.beta`: pre-releases are their own versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "test.beta", version = 1)]
pub struct BetaV1 {
    pub n: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "test.beta", version = "2.0.0-rc1")]
pub struct BetaRc1 {
    pub n: u32,
    pub rc: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "test.beta", version = "2.1")]
pub struct Beta {
    pub n: u32,
    pub rc: u32,
    pub released: bool,
}

#[upcast::register]
impl From<BetaV1> for BetaRc1 {
    fn from(v1: BetaV1) -> Self {
        BetaRc1 { n: v1.n, rc: 1 }
    }
}

#[upcast::register]
impl From<BetaRc1> for Beta {
    fn from(rc: BetaRc1) -> Self {
        Beta {
            n: rc.n,
            rc: rc.rc,
            released: true,
        }
    }
}

/// `test.zero`: 0.y versions follow Cargo: each minor is its own range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "test.zero", version = "0.1.2")]
pub struct ZeroOne {
    pub a: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "test.zero", version = "0.2")]
pub struct ZeroTwo {
    pub a: u16,
}

#[upcast::register]
impl From<ZeroOne> for ZeroTwo {
    fn from(one: ZeroOne) -> Self {
        ZeroTwo {
            a: u16::from(one.a) * 10,
        }
    }
}

/// `test.scalar`: a record that serializes as a string, which the inline layout refuses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "test.scalar", version = 1)]
pub struct Scalar(pub String);

/// Unwraps an error or fails the test with the value.
pub fn error<T: std::fmt::Debug>(result: Result<T, upcast::Error>) -> upcast::Error {
    match result {
        Ok(value) => panic!("expected an error, read {value:?}"),
        Err(error) => error,
    }
}
