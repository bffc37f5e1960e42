//! The benchmark cases, shared by the criterion benches (`benches/`) and the ratio report
//! (`cargo run --release -p upcast-demo --bin bench-report`).

mod formats;
mod measure;
mod native;

use std::hint::black_box;

use upcast::{Layout, Version};

use crate::baseline;
use crate::invoice::{Invoice, InvoiceV1, InvoiceV2, InvoiceV3, InvoiceV4, Size, sample};

pub use formats::{
    Blobs, FORMAT_CASES, FORMAT_RATIOS, FormatInputs, NATIVE_CASES, NativeBlobs, all_cases,
    all_ratios, hand_written,
};
pub use measure::{Timing, measure};

/// The inline layout's tag field in the benches.
const TAG_FIELD: &str = "schema_version";

/// One invoice of one size, stored every way the cases read it.
pub struct Inputs {
    /// The current version's data alone, as `serde_json` writes it.
    pub payload_current: Vec<u8>,
    /// Version 1's data alone.
    pub payload_v1: Vec<u8>,
    /// A current envelope, as upcast writes it.
    pub envelope_current: Vec<u8>,
    /// A version 1 envelope, as upcast writes it.
    pub envelope_v1: Vec<u8>,
    /// A current envelope with sorted keys (`data` first), as PostgreSQL's `jsonb`,
    /// `json.dumps(sort_keys=True)` and Go maps write it.
    pub data_first_current: Vec<u8>,
    /// A version 1 envelope with sorted keys (`data` first).
    pub data_first_v1: Vec<u8>,
    /// A current inline record, the tag first.
    pub inline_current: Vec<u8>,
    /// A version 1 inline record, the tag first.
    pub inline_v1: Vec<u8>,
    /// A current inline record, the tag last.
    pub inline_last_current: Vec<u8>,
    /// A version 1 inline record, the tag last.
    pub inline_last_v1: Vec<u8>,
    /// The same invoice in the binary formats.
    pub formats: FormatInputs,
}

impl Inputs {
    /// The inputs for an invoice of `size`.
    ///
    /// ```
    /// let inputs = upcast_demo::perf::Inputs::new(upcast_demo::invoice::Size::Small);
    /// assert!(inputs.envelope_v1.starts_with(br#"{"kind":"invoice","version":1,"#));
    /// ```
    pub fn new(size: Size) -> Self {
        let v1 = sample(size);
        let current = Invoice::from(InvoiceV4::from(InvoiceV3::from(InvoiceV2::from(
            v1.clone(),
        ))));
        let inline = Layout::inline(TAG_FIELD);
        let payload_current = serde_json::to_vec(&current).unwrap_or_default();
        let payload_v1 = serde_json::to_vec(&v1).unwrap_or_default();
        Inputs {
            envelope_current: upcast::to_vec(&current).unwrap_or_default(),
            envelope_v1: upcast::to_vec(&v1).unwrap_or_default(),
            data_first_current: data_first(5, &payload_current),
            data_first_v1: data_first(1, &payload_v1),
            inline_current: inline.to_vec(&current).unwrap_or_default(),
            inline_v1: inline.to_vec(&v1).unwrap_or_default(),
            inline_last_current: tag_last(5, &payload_current),
            inline_last_v1: tag_last(1, &payload_v1),
            formats: FormatInputs::new(&current, &v1),
            payload_current,
            payload_v1,
        }
    }
}

/// `{"data":<payload>,"kind":"invoice","version":<major>}`: sorted keys, `jsonb`'s order.
fn data_first(major: u64, payload: &[u8]) -> Vec<u8> {
    let mut bytes = b"{\"data\":".to_vec();
    bytes.extend_from_slice(payload);
    bytes.extend_from_slice(format!(r#","kind":"invoice","version":{major}}}"#).as_bytes());
    bytes
}

/// The payload object with the inline tag as its last field.
fn tag_last(major: u64, payload: &[u8]) -> Vec<u8> {
    let mut bytes = payload.strip_suffix(b"}").unwrap_or(payload).to_vec();
    bytes.extend_from_slice(format!(r#","{TAG_FIELD}":{major}}}"#).as_bytes());
    bytes
}

/// A way to read an invoice; `run` returns whether the read succeeded.
pub struct Case {
    /// The case's id in reports: `group/variant`.
    pub name: &'static str,
    /// One read.
    pub run: fn(&Inputs) -> bool,
}

/// Every case, baselines first.
pub const CASES: &[Case] = &[
    Case {
        name: "floor/current",
        run: |i| from_json::<Invoice>(&i.payload_current),
    },
    Case {
        name: "floor/v1",
        run: floor_v1,
    },
    Case {
        name: "hand_written/current",
        run: |i| baseline::hand_written(&i.envelope_current).is_ok(),
    },
    Case {
        name: "hand_written/v1",
        run: |i| baseline::hand_written(&i.envelope_v1).is_ok(),
    },
    Case {
        name: "hand_written/current_data_first",
        run: |i| baseline::hand_written(&i.data_first_current).is_ok(),
    },
    Case {
        name: "hand_written/v1_data_first",
        run: |i| baseline::hand_written(&i.data_first_v1).is_ok(),
    },
    Case {
        name: "hand_written/inline_current_tag_last",
        run: |i| baseline::hand_written_inline(&i.inline_last_current).is_ok(),
    },
    Case {
        name: "hand_written/inline_v1_tag_last",
        run: |i| baseline::hand_written_inline(&i.inline_last_v1).is_ok(),
    },
    Case {
        name: "value_chain/v1",
        run: |i| baseline::value_chain(&i.envelope_v1).is_ok(),
    },
    Case {
        name: "value_chain/v1_data_first",
        run: |i| baseline::value_chain(&i.data_first_v1).is_ok(),
    },
    Case {
        name: "upcast/current",
        run: |i| upcast::from_slice::<Invoice>(&i.envelope_current).is_ok(),
    },
    Case {
        name: "upcast/v1",
        run: |i| upcast::from_slice::<Invoice>(&i.envelope_v1).is_ok(),
    },
    Case {
        name: "upcast/current_data_first",
        run: |i| upcast::from_slice::<Invoice>(&i.data_first_current).is_ok(),
    },
    Case {
        name: "upcast/v1_data_first",
        run: |i| upcast::from_slice::<Invoice>(&i.data_first_v1).is_ok(),
    },
    Case {
        name: "upcast/inline_current",
        run: |i| inline::<Invoice>(&i.inline_current),
    },
    Case {
        name: "upcast/inline_v1",
        run: |i| inline::<Invoice>(&i.inline_v1),
    },
    Case {
        name: "upcast/inline_current_tag_last",
        run: |i| inline::<Invoice>(&i.inline_last_current),
    },
    Case {
        name: "upcast/inline_v1_tag_last",
        run: |i| inline::<Invoice>(&i.inline_last_v1),
    },
    Case {
        name: "upcast/external_current",
        run: |i| external(5, &i.payload_current),
    },
    Case {
        name: "upcast/external_v1",
        run: |i| external(1, &i.payload_v1),
    },
];

/// The ratios the report prints: `(numerator, denominator, target)`, where the target
/// is the bound the ratio should stay within (`<= x` when `x >= 0`, `>= -x` when negative).
pub const RATIOS: &[(&str, &str, f64)] = &[
    ("upcast/current", "floor/current", 1.08),
    ("upcast/current", "hand_written/current", 0.95),
    ("upcast/v1", "hand_written/v1", 1.00),
    ("value_chain/v1", "upcast/v1", -4.0),
    ("upcast/v1", "floor/v1", 0.0),
    ("upcast/v1_data_first", "hand_written/v1_data_first", 1.00),
    (
        "upcast/current_data_first",
        "hand_written/current_data_first",
        0.95,
    ),
    ("value_chain/v1_data_first", "upcast/v1_data_first", -4.0),
    ("upcast/inline_current", "floor/current", 0.0),
    ("upcast/inline_v1", "hand_written/v1", 0.0),
    ("upcast/inline_current_tag_last", "floor/current", 0.0),
    (
        "upcast/inline_current_tag_last",
        "hand_written/inline_current_tag_last",
        0.0,
    ),
    (
        "upcast/inline_v1_tag_last",
        "hand_written/inline_v1_tag_last",
        0.0,
    ),
    ("upcast/external_current", "floor/current", 0.0),
    ("upcast/external_v1", "floor/v1", 0.0),
];

fn from_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> bool {
    black_box(serde_json::from_slice::<T>(bytes)).is_ok()
}

/// The floor for old records: the version 1 payload typed, then the conversions by hand.
fn floor_v1(inputs: &Inputs) -> bool {
    match serde_json::from_slice::<InvoiceV1>(&inputs.payload_v1) {
        Ok(v1) => {
            black_box(Invoice::from(InvoiceV4::from(InvoiceV3::from(
                InvoiceV2::from(v1),
            ))));
            true
        }
        Err(_) => false,
    }
}

fn inline<T: upcast::Decode>(bytes: &[u8]) -> bool {
    black_box(Layout::inline(TAG_FIELD).from_slice::<T>(bytes)).is_ok()
}

fn external(major: u64, bytes: &[u8]) -> bool {
    black_box(upcast::from_slice_at::<Invoice>(
        &Version::new(major, 0, 0),
        bytes,
    ))
    .is_ok()
}

/// Finds a case by name.
///
/// ```
/// assert!(upcast_demo::perf::case("upcast/v1").is_some());
/// ```
pub fn case(name: &str) -> Option<&'static Case> {
    all_cases().find(|case| case.name == name)
}
