//! The types a stored record can be read into.

use super::input::{Input, Opening};
use crate::{Error, Versioned};

/// A type a stored record can be read into: any [`Versioned`] type (usually the current
/// version), or an enum deriving [`AnyVersion`](crate::AnyVersion).
///
/// Implemented for every `Versioned` type and by `#[derive(AnyVersion)]`; not meant to be
/// implemented by hand.
///
/// ```
/// # use schemars::JsonSchema;
/// # use serde::{Deserialize, Serialize};
/// #[derive(Serialize, Deserialize, JsonSchema, upcast::Versioned)]
/// #[versioned(kind = "doc.decode", version = 1)]
/// struct Note { text: String }
///
/// fn read<T: upcast::Decode>(bytes: &[u8]) -> Result<T, upcast::Error> {
///     upcast::from_slice(bytes)
/// }
/// let note: Note = read(br#"{"kind":"doc.decode","version":1,"data":{"text":"hi"}}"#)?;
/// assert_eq!(note.text, "hi");
/// # Ok::<(), upcast::Error>(())
/// ```
pub trait Decode: Sized {
    #[doc(hidden)]
    fn __decode(input: Input<'_>) -> Result<Self, Error>;
}

impl<T: Versioned> Decode for T {
    fn __decode(input: Input<'_>) -> Result<Self, Error> {
        let env = input.env;
        match input.open_for::<T>()? {
            Opening::Read { value, .. } => Ok(value),
            Opening::Opened(record) => env.registry.get()?.read_into::<T>(record, env.options),
        }
    }
}
