//! The formats upcast ships, each behind a cargo feature but JSON. Every one reads all of
//! its bytes: bytes left over after the value are an error, not ignored.

use serde::Serialize;
use serde::de::DeserializeSeed;

use super::{Format, FormatError};

/// JSON (`serde_json`): self-describing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Json;

impl Format for Json {
    const NAME: &'static str = "json";
    const SELF_DESCRIBING: bool = true;
    const SLOT: Option<usize> = Some(0);

    fn from_slice_seed<'de, S: DeserializeSeed<'de>>(
        bytes: &'de [u8],
        seed: S,
    ) -> Result<S::Value, FormatError> {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let value = seed.deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(value)
    }

    fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, FormatError> {
        Ok(serde_json::to_vec(value)?)
    }
}

/// CBOR (`ciborium`): self-describing.
#[cfg(feature = "cbor")]
#[derive(Clone, Copy, Debug, Default)]
pub struct Cbor;

#[cfg(feature = "cbor")]
impl Format for Cbor {
    const NAME: &'static str = "cbor";
    const SELF_DESCRIBING: bool = true;
    const SLOT: Option<usize> = Some(1);

    /// ciborium reads owned types only, not through a seed: this is an error. upcast never
    /// calls it, as it reads CBOR with a decoder of each version's own type.
    fn from_slice_seed<'de, S: DeserializeSeed<'de>>(
        _: &'de [u8],
        _: S,
    ) -> Result<S::Value, FormatError> {
        Err("ciborium reads owned types only (from_slice), not through a seed".into())
    }

    fn from_slice<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, FormatError> {
        let mut rest = bytes;
        let value = ciborium::from_reader(&mut rest)?;
        all_read(rest.len())?;
        Ok(value)
    }

    fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, FormatError> {
        let mut bytes = Vec::new();
        ciborium::into_writer(value, &mut bytes)?;
        Ok(bytes)
    }
}

/// MessagePack (`rmp-serde`), structs written as maps with their field names: so
/// self-describing.
#[cfg(feature = "msgpack")]
#[derive(Clone, Copy, Debug, Default)]
pub struct MessagePack;

#[cfg(feature = "msgpack")]
impl Format for MessagePack {
    const NAME: &'static str = "msgpack";
    const SELF_DESCRIBING: bool = true;
    const SLOT: Option<usize> = Some(2);

    fn from_slice_seed<'de, S: DeserializeSeed<'de>>(
        bytes: &'de [u8],
        seed: S,
    ) -> Result<S::Value, FormatError> {
        let mut rest = bytes;
        let value = seed.deserialize(&mut rmp_serde::Deserializer::new(&mut rest))?;
        all_read(rest.len())?;
        Ok(value)
    }

    fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, FormatError> {
        Ok(rmp_serde::to_vec_named(value)?)
    }
}

/// postcard: compact, not self-describing (see [the module](super)).
#[cfg(feature = "postcard")]
#[derive(Clone, Copy, Debug, Default)]
pub struct Postcard;

#[cfg(feature = "postcard")]
impl Format for Postcard {
    const NAME: &'static str = "postcard";
    const SELF_DESCRIBING: bool = false;
    const SLOT: Option<usize> = Some(3);

    fn from_slice_seed<'de, S: DeserializeSeed<'de>>(
        bytes: &'de [u8],
        seed: S,
    ) -> Result<S::Value, FormatError> {
        let mut deserializer = postcard::Deserializer::from_bytes(bytes);
        let value = seed.deserialize(&mut deserializer)?;
        all_read(deserializer.finalize()?.len())?;
        Ok(value)
    }

    fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, FormatError> {
        Ok(postcard::to_allocvec(value)?)
    }
}

/// bincode 2 in serde mode with its standard configuration: compact, not
/// self-describing (see [the module](super)).
///
/// Reads refuse a value whose strings and collections claim more than
/// [`Bincode::LIMIT`] bytes: bincode allocates what a length prefix says before it reads,
/// so without a limit ten bytes of garbage could ask for exabytes and abort the process.
#[cfg(feature = "bincode")]
#[derive(Clone, Copy, Debug, Default)]
pub struct Bincode;

#[cfg(feature = "bincode")]
impl Bincode {
    /// The most bytes the strings and collections of one value may claim when read: 1 GiB.
    pub const LIMIT: usize = 1 << 30;
}

#[cfg(feature = "bincode")]
impl Format for Bincode {
    const NAME: &'static str = "bincode";
    const SELF_DESCRIBING: bool = false;
    const SLOT: Option<usize> = Some(4);

    fn from_slice_seed<'de, S: DeserializeSeed<'de>>(
        bytes: &'de [u8],
        seed: S,
    ) -> Result<S::Value, FormatError> {
        let read = bincode::serde::seed_decode_from_slice(seed, bytes, BINCODE_READS);
        bincode_read(bytes, read)
    }

    /// The owned decoder: faster than a seed through the borrowing one.
    fn from_slice<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, FormatError> {
        bincode_read(
            bytes,
            bincode::serde::decode_from_slice(bytes, BINCODE_READS),
        )
    }

    fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, FormatError> {
        Ok(bincode::serde::encode_to_vec(
            value,
            bincode::config::standard(),
        )?)
    }
}

/// bincode's standard configuration with [`Bincode::LIMIT`].
#[cfg(feature = "bincode")]
const BINCODE_READS: bincode::config::Configuration<
    bincode::config::LittleEndian,
    bincode::config::Varint,
    bincode::config::Limit<{ Bincode::LIMIT }>,
> = bincode::config::standard().with_limit::<{ Bincode::LIMIT }>();

/// A bincode read's value, once it is known to have read all of `bytes`; the limit's
/// error says what it means.
#[cfg(feature = "bincode")]
fn bincode_read<T>(
    bytes: &[u8],
    read: Result<(T, usize), bincode::error::DecodeError>,
) -> Result<T, FormatError> {
    let (value, read) = read.map_err(|error| match error {
        bincode::error::DecodeError::LimitExceeded => FormatError::from(format!(
            "a length in the bytes claims more than the limit of {} bytes (Bincode::LIMIT): \
             not a bincode record of this type",
            Bincode::LIMIT
        )),
        other => other.into(),
    })?;
    all_read(bytes.len().saturating_sub(read))?;
    Ok(value)
}

/// An error for bytes left over after the value.
#[allow(dead_code, reason = "used by the formats behind features")]
fn all_read(left: usize) -> Result<(), FormatError> {
    match left {
        0 => Ok(()),
        left => Err(format!("{left} bytes left over after the value").into()),
    }
}
