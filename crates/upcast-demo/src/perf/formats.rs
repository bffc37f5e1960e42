//! The binary format cases: each format's own `from_slice` of the payload, upcast's
//! binary record (the compact header, then the payload), a hand-written match over a
//! version byte, and for postcard and bincode native_model reading the same history.

use std::hint::black_box;

use native_model::Model;
use upcast::format::{self, Bincode, Cbor, Format, FormatError, MessagePack, Postcard};

use super::Case;
use super::native;
use crate::invoice::{Invoice, InvoiceV1, InvoiceV2, InvoiceV3, InvoiceV4};

/// One invoice in one format, stored every way the cases read it.
pub struct Blobs {
    /// The current version's payload alone.
    pub payload: Vec<u8>,
    /// A current binary record, as `upcast::format::to_vec` writes it.
    pub current: Vec<u8>,
    /// A version 1 binary record.
    pub v1: Vec<u8>,
    /// The current payload after a version byte, for the hand-written reader.
    pub tagged_current: Vec<u8>,
    /// The version 1 payload after a version byte.
    pub tagged_v1: Vec<u8>,
}

impl Blobs {
    /// `current` and `v1` (the same invoice) written in `F`.
    pub fn new<F: Format>(current: &Invoice, v1: &InvoiceV1) -> Self {
        let payload = F::to_vec(current).unwrap_or_default();
        let payload_v1 = F::to_vec(v1).unwrap_or_default();
        Blobs {
            current: format::to_vec::<F, _>(current).unwrap_or_default(),
            v1: format::to_vec::<F, _>(v1).unwrap_or_default(),
            tagged_current: [&[5u8][..], &payload].concat(),
            tagged_v1: [&[1u8][..], &payload_v1].concat(),
            payload,
        }
    }
}

/// The same invoice as native_model writes it (its own header, then the payload).
pub struct NativeBlobs {
    /// The current version.
    pub current: Vec<u8>,
    /// Version 1.
    pub v1: Vec<u8>,
}

/// Every format's blobs of one invoice.
pub struct FormatInputs {
    /// CBOR.
    pub cbor: Blobs,
    /// MessagePack.
    pub msgpack: Blobs,
    /// postcard.
    pub postcard: Blobs,
    /// bincode.
    pub bincode: Blobs,
    /// native_model with postcard.
    pub native_postcard: NativeBlobs,
    /// native_model with bincode.
    pub native_bincode: NativeBlobs,
}

impl FormatInputs {
    /// The blobs of `current` and `v1`.
    pub fn new(current: &Invoice, v1: &InvoiceV1) -> Self {
        FormatInputs {
            cbor: Blobs::new::<Cbor>(current, v1),
            msgpack: Blobs::new::<MessagePack>(current, v1),
            postcard: Blobs::new::<Postcard>(current, v1),
            bincode: Blobs::new::<Bincode>(current, v1),
            native_postcard: NativeBlobs {
                current: native::postcard::V5(current.clone())
                    .native_model_encode()
                    .unwrap_or_default(),
                v1: native::postcard::V1(v1.clone())
                    .native_model_encode()
                    .unwrap_or_default(),
            },
            native_bincode: NativeBlobs {
                current: native::bincode::V5(current.clone())
                    .native_model_encode()
                    .unwrap_or_default(),
                v1: native::bincode::V1(v1.clone())
                    .native_model_encode()
                    .unwrap_or_default(),
            },
        }
    }
}

/// The four cases of one format: `$f/plain_current`, `$f/upcast_current`,
/// `$f/upcast_v1`, `$f/hand_v1`.
macro_rules! format_cases {
    ($name:literal, $field:ident, $format:ty) => {
        [
            Case {
                name: concat!($name, "/plain_current"),
                run: |i| {
                    black_box(<$format>::from_slice::<Invoice>(&i.formats.$field.payload)).is_ok()
                },
            },
            Case {
                name: concat!($name, "/upcast_current"),
                run: |i| upcast_blob::<$format>(&i.formats.$field.current),
            },
            Case {
                name: concat!($name, "/upcast_v1"),
                run: |i| upcast_blob::<$format>(&i.formats.$field.v1),
            },
            Case {
                name: concat!($name, "/hand_v1"),
                run: |i| black_box(hand_written::<$format>(&i.formats.$field.tagged_v1)).is_ok(),
            },
        ]
    };
}

/// The binary format cases, each format's baselines first.
pub const FORMAT_CASES: &[[Case; 4]] = &[
    format_cases!("cbor", cbor, Cbor),
    format_cases!("msgpack", msgpack, MessagePack),
    format_cases!("postcard", postcard, Postcard),
    format_cases!("bincode", bincode, Bincode),
];

/// native_model reading the same history in postcard and bincode.
pub const NATIVE_CASES: &[Case] = &[
    Case {
        name: "postcard/native_model_current",
        run: |i| native_read::<native::postcard::V5>(&i.formats.native_postcard.current),
    },
    Case {
        name: "postcard/native_model_v1",
        run: |i| native_read::<native::postcard::V5>(&i.formats.native_postcard.v1),
    },
    Case {
        name: "bincode/native_model_current",
        run: |i| native_read::<native::bincode::V5>(&i.formats.native_bincode.current),
    },
    Case {
        name: "bincode/native_model_v1",
        run: |i| native_read::<native::bincode::V5>(&i.formats.native_bincode.v1),
    },
];

/// The ratios of the format cases, as in [`super::RATIOS`].
pub const FORMAT_RATIOS: &[(&str, &str, f64)] = &[
    ("cbor/upcast_current", "cbor/plain_current", 1.05),
    ("cbor/upcast_v1", "cbor/hand_v1", 0.0),
    ("msgpack/upcast_current", "msgpack/plain_current", 1.05),
    ("msgpack/upcast_v1", "msgpack/hand_v1", 0.0),
    ("postcard/upcast_current", "postcard/plain_current", 1.05),
    ("postcard/upcast_v1", "postcard/hand_v1", 0.0),
    (
        "postcard/upcast_current",
        "postcard/native_model_current",
        1.00,
    ),
    ("postcard/upcast_v1", "postcard/native_model_v1", 1.00),
    ("bincode/upcast_current", "bincode/plain_current", 1.05),
    ("bincode/upcast_v1", "bincode/hand_v1", 0.0),
    (
        "bincode/upcast_current",
        "bincode/native_model_current",
        1.00,
    ),
    ("bincode/upcast_v1", "bincode/native_model_v1", 1.00),
];

fn upcast_blob<F: Format>(blob: &[u8]) -> bool {
    black_box(format::from_slice::<F, Invoice>(blob)).is_ok()
}

/// native_model's read; a blob it cannot read is a failed read, not a panic of the
/// bench (native_model unwraps its header).
fn native_read<M: Model>(blob: &[u8]) -> bool {
    black_box(M::native_model_decode(blob)).is_ok()
}

/// A careful hand-written reader of a version byte and a payload in `F`: a `match` on the
/// version, then the demo's conversions.
///
/// ```
/// use upcast::format::{Format, Postcard};
/// use upcast_demo::invoice::{Size, sample};
/// let blob = [&[1u8][..], &Postcard::to_vec(&sample(Size::Small))?].concat();
/// let read = upcast_demo::perf::hand_written::<Postcard>(&blob)?;
/// assert_eq!(read.bill_to, "Ada Lovelace");
/// # Ok::<(), upcast::format::FormatError>(())
/// ```
pub fn hand_written<F: Format>(blob: &[u8]) -> Result<Invoice, FormatError> {
    let Some((&version, payload)) = blob.split_first() else {
        return Err("an empty blob".into());
    };
    let v4 = match version {
        1 => InvoiceV4::from(InvoiceV3::from(InvoiceV2::from(
            F::from_slice::<InvoiceV1>(payload)?,
        ))),
        2 => InvoiceV4::from(InvoiceV3::from(F::from_slice::<InvoiceV2>(payload)?)),
        3 => InvoiceV4::from(F::from_slice::<InvoiceV3>(payload)?),
        4 => F::from_slice::<InvoiceV4>(payload)?,
        5 => return F::from_slice::<Invoice>(payload),
        other => return Err(format!("unknown version {other}").into()),
    };
    Ok(Invoice::from(v4))
}

/// The inputs' cases and ratios, for the reports: every case of [`super::CASES`], then
/// the format cases.
///
/// ```
/// assert!(upcast_demo::perf::all_cases().any(|case| case.name == "postcard/upcast_v1"));
/// ```
pub fn all_cases() -> impl Iterator<Item = &'static Case> {
    super::CASES
        .iter()
        .chain(FORMAT_CASES.iter().flatten())
        .chain(NATIVE_CASES)
}

/// Every ratio the report prints: [`super::RATIOS`], then [`FORMAT_RATIOS`].
///
/// ```
/// assert!(upcast_demo::perf::all_ratios().count() > upcast_demo::perf::RATIOS.len());
/// ```
pub fn all_ratios() -> impl Iterator<Item = &'static (&'static str, &'static str, f64)> {
    super::RATIOS.iter().chain(FORMAT_RATIOS)
}
