//! The registry's direct decoders: for each shipped format compiled in, a function that
//! reads one version's type from bytes, monomorphic (through a type-erased deserializer the
//! same read is several times slower).

use std::any::Any;

use serde::de::{DeserializeSeed, Deserializer, Error as _};

use super::{Format, FormatError};
use crate::Versioned;

/// How many shipped formats have a decoder slot.
pub(crate) const SLOTS: usize = 5;

/// Reads one version's value from a payload, boxed.
pub(crate) type DecodeSlot = fn(&[u8]) -> Result<Box<dyn Any>, FormatError>;

/// The decoders of `V`, one per slot (`None` for a format not compiled in).
pub(crate) const fn decoders<V: Versioned>() -> [Option<DecodeSlot>; SLOTS] {
    [
        Some(decode::<super::Json, V>),
        #[cfg(feature = "cbor")]
        Some(decode::<super::Cbor, V>),
        #[cfg(not(feature = "cbor"))]
        None,
        #[cfg(feature = "msgpack")]
        Some(decode::<super::MessagePack, V>),
        #[cfg(not(feature = "msgpack"))]
        None,
        #[cfg(feature = "postcard")]
        Some(decode::<super::Postcard, V>),
        #[cfg(not(feature = "postcard"))]
        None,
        #[cfg(feature = "bincode")]
        Some(decode::<super::Bincode, V>),
        #[cfg(not(feature = "bincode"))]
        None,
    ]
}

fn decode<F: Format, V: Versioned>(bytes: &[u8]) -> Result<Box<dyn Any>, FormatError> {
    F::from_slice::<V>(bytes).map(|value| Box::new(value) as Box<dyn Any>)
}

/// Decodes a version's payload in `F`: directly when `F` has a slot, else through the
/// version's type-erased decoder.
pub(crate) fn decode_version<F: Format>(
    entry: &crate::registry::VersionEntry,
    bytes: &[u8],
) -> Result<Box<dyn Any>, FormatError> {
    match F::SLOT.and_then(|slot| entry.decoders.get(slot).copied().flatten()) {
        Some(decode) => decode(bytes),
        None => F::from_slice_seed(bytes, Erased(entry.deserialize)),
    }
}

/// A seed that reads through a version's type-erased decoder.
struct Erased(crate::registry::DeserializeFn);

impl<'de> DeserializeSeed<'de> for Erased {
    type Value = Box<dyn Any>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        let mut erased = <dyn erased_serde::Deserializer>::erase(deserializer);
        (self.0)(&mut erased).map_err(D::Error::custom)
    }
}

/// A shipped format compiled into this build: its decoder slot and its writer.
#[cfg(feature = "check")]
pub(crate) struct Shipped {
    pub(crate) slot: usize,
    pub(crate) encode: fn(&dyn erased_serde::Serialize) -> Result<Vec<u8>, FormatError>,
}

/// The shipped format named `name`, if this build has its feature.
#[cfg(feature = "check")]
pub(crate) fn by_name(name: &str) -> Option<Shipped> {
    match name {
        "json" => shipped::<super::Json>(),
        #[cfg(feature = "cbor")]
        "cbor" => shipped::<super::Cbor>(),
        #[cfg(feature = "msgpack")]
        "msgpack" => shipped::<super::MessagePack>(),
        #[cfg(feature = "postcard")]
        "postcard" => shipped::<super::Postcard>(),
        #[cfg(feature = "bincode")]
        "bincode" => shipped::<super::Bincode>(),
        _ => None,
    }
}

#[cfg(feature = "check")]
fn shipped<F: Format>() -> Option<Shipped> {
    Some(Shipped {
        slot: F::SLOT?,
        encode: encode::<F>,
    })
}

#[cfg(feature = "check")]
fn encode<F: Format>(value: &dyn erased_serde::Serialize) -> Result<Vec<u8>, FormatError> {
    F::to_vec(value)
}
