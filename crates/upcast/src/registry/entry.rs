//! What registration records of a version and of a step: plain data and function pointers,
//! built in a `const` context so `inventory` can collect them at link time.

use std::any::{Any, TypeId, type_name};

use crate::format::{DecodeSlot, SLOTS};
use crate::read::{DecodeError, Source, decode};
use crate::{Context, Downcast, Tag, Upcast, UpcastError, Versioned};

/// Decodes one version's data from JSON, boxed.
type DecodeFn = fn(Source<'_>) -> Result<Box<dyn Any>, DecodeError>;
/// Decodes one version's data from any serde format, boxed.
pub(crate) type DeserializeFn =
    fn(&mut dyn erased_serde::Deserializer<'_>) -> Result<Box<dyn Any>, erased_serde::Error>;
/// The value written as JSON; `None` for a value of another type.
type ToJsonFn = fn(&dyn Any) -> Option<Result<Vec<u8>, serde_json::Error>>;
/// The value as something any serde format writes; `None` for a value of another type.
type SerializeFn = fn(&dyn Any) -> Option<&dyn erased_serde::Serialize>;
/// Runs one step on a boxed value.
type RunFn = fn(Box<dyn Any>, &Context<'_>) -> Result<Box<dyn Any>, StepFailure>;
/// Runs one step into the caller's `&mut Option<Next>`.
type RunIntoFn = fn(Box<dyn Any>, &Context<'_>, &mut dyn Any) -> Result<(), StepFailure>;

/// A registered version of a record type.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct VersionEntry {
    pub(crate) kind: &'static str,
    pub(crate) tag: Tag,
    pub(crate) untagged: bool,
    pub(crate) type_id: fn() -> TypeId,
    pub(crate) type_name: fn() -> &'static str,
    /// The JSON decoder, monomorphic: through `deserialize` (type-erased) the same read
    /// measured 3.5 times slower on an 800-byte record, as erased-serde boxes every value.
    pub(crate) decode: DecodeFn,
    pub(crate) deserialize: DeserializeFn,
    /// The JSON encoder, monomorphic for the same reason as `decode`.
    pub(crate) to_json: ToJsonFn,
    /// The encoder for other formats (writes at older versions only: not on a read path).
    pub(crate) serialize: SerializeFn,
    /// The direct decoders of the shipped formats compiled in.
    pub(crate) decoders: [Option<DecodeSlot>; SLOTS],
    pub(crate) kind_id: u32,
    /// The formats the kind is declared for, which the check round-trips its samples in.
    #[cfg(feature = "check")]
    pub(crate) formats: &'static [&'static str],
    pub(crate) schema: fn() -> schemars::Schema,
}

impl VersionEntry {
    /// The entry of `V`.
    pub const fn of<V: Versioned>() -> Self {
        VersionEntry {
            kind: V::KIND,
            tag: V::VERSION,
            untagged: V::UNTAGGED,
            type_id: TypeId::of::<V>,
            type_name: type_name::<V>,
            decode: decode_boxed::<V>,
            deserialize: deserialize_boxed::<V>,
            to_json: to_json::<V>,
            serialize: as_serialize::<V>,
            decoders: crate::format::decoders::<V>(),
            kind_id: V::KIND_ID,
            #[cfg(feature = "check")]
            formats: V::FORMATS,
            schema: schema_of::<V>,
        }
    }

    /// The JSON Schema of this version's type.
    pub fn schema(&self) -> schemars::Schema {
        (self.schema)()
    }
}

inventory::collect!(VersionEntry);

fn decode_boxed<V: Versioned>(source: Source<'_>) -> Result<Box<dyn Any>, DecodeError> {
    decode::<V>(source).map(|value| Box::new(value) as Box<dyn Any>)
}

fn deserialize_boxed<V: Versioned>(
    deserializer: &mut dyn erased_serde::Deserializer<'_>,
) -> Result<Box<dyn Any>, erased_serde::Error> {
    erased_serde::deserialize::<V>(deserializer).map(|value| Box::new(value) as Box<dyn Any>)
}

fn to_json<V: Versioned>(value: &dyn Any) -> Option<Result<Vec<u8>, serde_json::Error>> {
    value.downcast_ref::<V>().map(serde_json::to_vec)
}

fn as_serialize<V: Versioned>(value: &dyn Any) -> Option<&dyn erased_serde::Serialize> {
    value
        .downcast_ref::<V>()
        .map(|value| value as &dyn erased_serde::Serialize)
}

fn schema_of<V: Versioned>() -> schemars::Schema {
    schemars::SchemaGenerator::default().into_root_schema_for::<V>()
}

/// A registered step from one version to the next, or back to the previous one.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct StepEntry {
    pub(crate) from: VersionEntry,
    pub(crate) to: VersionEntry,
    /// A downcast (`Downcast`), not an upcast (`Upcast`).
    pub(crate) back: bool,
    pub(crate) run: RunFn,
    pub(crate) run_into: RunIntoFn,
}

impl StepEntry {
    /// The entry of the step `S -> S::Next`.
    pub const fn of<S: Upcast>() -> Self {
        StepEntry {
            from: VersionEntry::of::<S>(),
            to: VersionEntry::of::<S::Next>(),
            back: false,
            run: run_boxed::<Up<S>>,
            run_into: run_into_slot::<Up<S>>,
        }
    }

    /// The entry of the downcast `S -> S::Prev`.
    pub const fn downcast<S: Downcast>() -> Self {
        StepEntry {
            from: VersionEntry::of::<S>(),
            to: VersionEntry::of::<S::Prev>(),
            back: true,
            run: run_boxed::<Down<S>>,
            run_into: run_into_slot::<Down<S>>,
        }
    }
}

inventory::collect!(StepEntry);

/// One direction of travel between two versions: the upcast or the downcast of `S`.
trait Travel {
    type From: 'static;
    type To: 'static;
    fn run(value: Self::From, cx: &Context<'_>) -> Result<Self::To, UpcastError>;
}

struct Up<S>(std::marker::PhantomData<S>);
struct Down<S>(std::marker::PhantomData<S>);

impl<S: Upcast> Travel for Up<S> {
    type From = S;
    type To = S::Next;
    fn run(value: S, cx: &Context<'_>) -> Result<S::Next, UpcastError> {
        value.upcast(cx)
    }
}

impl<S: Downcast> Travel for Down<S> {
    type From = S;
    type To = S::Prev;
    fn run(value: S, cx: &Context<'_>) -> Result<S::Prev, UpcastError> {
        value.downcast(cx)
    }
}

/// Why running a step failed.
pub(crate) enum StepFailure {
    Step(UpcastError),
    /// The value was not of the step's source type: a registry that skipped validation.
    WrongType,
}

fn run_boxed<T: Travel>(
    value: Box<dyn Any>,
    cx: &Context<'_>,
) -> Result<Box<dyn Any>, StepFailure> {
    let value = value
        .downcast::<T::From>()
        .map_err(|_| StepFailure::WrongType)?;
    let next = T::run(*value, cx).map_err(StepFailure::Step)?;
    Ok(Box::new(next))
}

/// The last step of a typed read writes into the caller's `Option<T::To>`, sparing the
/// allocation of a box the caller would unwrap at once.
fn run_into_slot<T: Travel>(
    value: Box<dyn Any>,
    cx: &Context<'_>,
    slot: &mut dyn Any,
) -> Result<(), StepFailure> {
    let slot = slot
        .downcast_mut::<Option<T::To>>()
        .ok_or(StepFailure::WrongType)?;
    let value = value
        .downcast::<T::From>()
        .map_err(|_| StepFailure::WrongType)?;
    *slot = Some(T::run(*value, cx).map_err(StepFailure::Step)?);
    Ok(())
}
