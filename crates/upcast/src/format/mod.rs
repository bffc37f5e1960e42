//! Records in any serde format: JSON, CBOR, MessagePack, postcard, bincode, or one of your
//! own, with the same types, steps and downcasts as the JSON envelope.
//!
//! Two layouts carry the version:
//! - **the compact header**: a blob that says what it holds in a few bytes (a magic byte,
//!   the kind's 32-bit id, the version as varints) and then the payload, for blobs in a
//!   key-value store or on a queue: [`to_vec`], [`from_slice`], [`header`];
//! - **external**: the payload alone, its version kept elsewhere (a column, a message
//!   header, a file name): [`to_payload`], [`from_payload`].
//!
//! ```
//! # #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
//! # #[versioned(kind = "doc.format", version = 2)]
//! # struct Note { text: String }
//! use upcast::format::{self, Json};
//!
//! let note = Note { text: "hi".into() };
//! let blob = format::to_vec::<Json, _>(&note)?;
//! assert_eq!(format::header(&blob)?.version, upcast::Version::new(2, 0, 0));
//! assert_eq!(format::from_slice::<Json, Note>(&blob)?, note);
//! # Ok::<(), upcast::Error>(())
//! ```
//!
//! **Formats that do not describe their fields** (postcard, bincode) write a struct as its
//! fields' values in order, with no names: bytes of one version read with another version's
//! type misread silently, or fail. So in those formats a record is read only by the type of
//! its exact version (then stepped forward); a type that reads a range of minor versions in
//! JSON refuses the other minors' bytes with [`Error::NotSelfDescribing`](crate::Error).
//! Give each change of such a kind a major version of its own, with a step.

mod builtin;
mod codec;
mod header;
mod read;
mod write;

use serde::Serialize;
use serde::de::DeserializeSeed;

#[cfg(feature = "bincode")]
pub use builtin::Bincode;
#[cfg(feature = "cbor")]
pub use builtin::Cbor;
pub use builtin::Json;
#[cfg(feature = "msgpack")]
pub use builtin::MessagePack;
#[cfg(feature = "postcard")]
pub use builtin::Postcard;
#[cfg(feature = "check")]
pub(crate) use codec::by_name;
pub(crate) use codec::{DecodeSlot, SLOTS, decode_version, decoders};
pub use header::{BinaryHeader, MAGIC, header};
pub use read::{from_payload, from_slice};
pub use write::{to_payload, to_payload_at, to_vec, to_vec_at};

/// What a format's own functions fail with.
pub type FormatError = Box<dyn std::error::Error + Send + Sync>;

/// A serde data format: reads a value from bytes, writes one to bytes.
///
/// Implement it for a format upcast does not ship: versions are then read through a
/// type-erased deserializer, where the built-in formats read every version directly.
///
/// ```
/// use serde::Serialize;
/// use serde::de::DeserializeSeed;
/// use upcast::format::{Format, FormatError};
///
/// /// JSON under another name.
/// struct MyJson;
///
/// impl Format for MyJson {
///     const NAME: &'static str = "my-json";
///     const SELF_DESCRIBING: bool = true;
///
///     fn from_slice_seed<'de, S: DeserializeSeed<'de>>(bytes: &'de [u8], seed: S) -> Result<S::Value, FormatError> {
///         Ok(seed.deserialize(&mut serde_json::Deserializer::from_slice(bytes))?)
///     }
///
///     fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, FormatError> {
///         Ok(serde_json::to_vec(value)?)
///     }
/// }
/// assert_eq!(MyJson::from_slice::<u8>(b"7")?, 7);
/// # Ok::<(), FormatError>(())
/// ```
pub trait Format: 'static {
    /// The format's name, as `#[versioned(formats = [...])]` and errors name it.
    const NAME: &'static str;
    /// Whether the bytes say which fields they hold (JSON, CBOR, MessagePack), so a type
    /// can read the bytes of an older minor version of itself (postcard and bincode cannot).
    const SELF_DESCRIBING: bool;
    /// Which of the registry's direct decoders serves this format, if any.
    #[doc(hidden)]
    const SLOT: Option<usize> = None;

    /// Reads one value through `seed` from all of `bytes`.
    fn from_slice_seed<'de, S: DeserializeSeed<'de>>(
        bytes: &'de [u8],
        seed: S,
    ) -> Result<S::Value, FormatError>;

    /// Writes `value`.
    fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, FormatError>;

    /// Reads one `T` from all of `bytes`.
    ///
    /// See the example on [`Format`].
    fn from_slice<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, FormatError> {
        Self::from_slice_seed(bytes, std::marker::PhantomData::<T>)
    }
}

/// The formats upcast ships, by name: the names `#[versioned(formats = [...])]` takes.
pub const NAMES: &[&str] = &["json", "cbor", "msgpack", "postcard", "bincode"];

/// Whether the shipped format `name` describes its fields; `None` for an unknown name.
///
/// ```
/// assert_eq!(upcast::format::self_describing("postcard"), Some(false));
/// assert_eq!(upcast::format::self_describing("cbor"), Some(true));
/// ```
pub fn self_describing(name: &str) -> Option<bool> {
    match name {
        "json" | "cbor" | "msgpack" => Some(true),
        "postcard" | "bincode" => Some(false),
        _ => None,
    }
}
