//! What services write without upcast, as the benches' baselines for [`invoice`]
//! records: a hand-written reader and a `serde_json::Value` upcaster chain.
//!
//! [`invoice`]: crate::invoice

use serde::Deserialize;
use serde::de::Error as _;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use crate::invoice::{Invoice, InvoiceV1, InvoiceV2, InvoiceV3, InvoiceV4, TAX_BASIS_POINTS};

/// The envelope, with the data left unparsed.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    kind: &'a str,
    version: u64,
    #[serde(borrow)]
    data: &'a RawValue,
}

/// A careful hand-written reader: the envelope with `RawValue`, a `match` on the version,
/// then the same conversion functions upcast runs.
///
/// ```
/// use upcast_demo::invoice::{Size, sample};
/// let stored = serde_json::json!({"kind": "invoice", "version": 1, "data": sample(Size::Small)});
/// let read = upcast_demo::baseline::hand_written(stored.to_string().as_bytes())?;
/// assert_eq!(read.bill_to, "Ada Lovelace");
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn hand_written(bytes: &[u8]) -> Result<Invoice, serde_json::Error> {
    let envelope: Envelope<'_> = serde_json::from_slice(bytes)?;
    if envelope.kind != "invoice" {
        return Err(serde_json::Error::custom("not an invoice"));
    }
    by_version(envelope.version, envelope.data.get().as_bytes())
}

/// The inline record's tag, every other field skipped.
#[derive(Deserialize)]
struct InlineTag {
    schema_version: u64,
}

/// A careful hand-written reader of an inline record (the tag `schema_version` among the
/// data's fields, anywhere): one pass for the tag, then the version's type reads the whole
/// record, ignoring the tag as an unknown field.
///
/// ```
/// use upcast_demo::invoice::{Size, sample};
/// let mut stored = serde_json::to_value(sample(Size::Small))?;
/// stored["schema_version"] = 1.into();
/// let read = upcast_demo::baseline::hand_written_inline(stored.to_string().as_bytes())?;
/// assert_eq!(read.bill_to, "Ada Lovelace");
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn hand_written_inline(bytes: &[u8]) -> Result<Invoice, serde_json::Error> {
    let tag: InlineTag = serde_json::from_slice(bytes)?;
    by_version(tag.schema_version, bytes)
}

/// `data` read by `version`'s type, then converted to the current one.
fn by_version(version: u64, data: &[u8]) -> Result<Invoice, serde_json::Error> {
    Ok(match version {
        1 => from_v4(from_v3(from_v2(
            serde_json::from_slice::<InvoiceV1>(data)?.into(),
        ))),
        2 => from_v4(from_v3(from_v2(serde_json::from_slice::<InvoiceV2>(data)?))),
        3 => from_v4(from_v3(serde_json::from_slice::<InvoiceV3>(data)?)),
        4 => from_v4(serde_json::from_slice::<InvoiceV4>(data)?),
        5 => serde_json::from_slice::<Invoice>(data)?,
        other => {
            return Err(serde_json::Error::custom(format_args!(
                "unknown version {other}"
            )));
        }
    })
}

fn from_v2(v2: InvoiceV2) -> InvoiceV3 {
    v2.into()
}

fn from_v3(v3: InvoiceV3) -> InvoiceV4 {
    v3.into()
}

fn from_v4(v4: InvoiceV4) -> Invoice {
    v4.into()
}

/// How most event stores upcast: parse into a `Value`, edit it step by step, then
/// deserialize the result.
///
/// ```
/// use upcast_demo::invoice::{Size, sample};
/// let stored = serde_json::json!({"kind": "invoice", "version": 1, "data": sample(Size::Medium)});
/// let bytes = stored.to_string().into_bytes();
/// assert_eq!(upcast_demo::baseline::value_chain(&bytes)?, upcast_demo::baseline::hand_written(&bytes)?);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn value_chain(bytes: &[u8]) -> Result<Invoice, serde_json::Error> {
    let mut envelope: Value = serde_json::from_slice(bytes)?;
    if envelope["kind"] != "invoice" {
        return Err(serde_json::Error::custom("not an invoice"));
    }
    let version = envelope["version"].as_u64().unwrap_or(0);
    let mut data = envelope["data"].take();
    let Some(fields) = data.as_object_mut() else {
        return Err(serde_json::Error::custom("data is not an object"));
    };
    for step in version..5 {
        match step {
            1 => rename_customer(fields),
            2 => prices_to_cents(fields),
            3 => split_notes(fields),
            4 => add_totals(fields),
            _ => {
                return Err(serde_json::Error::custom(format_args!(
                    "unknown version {step}"
                )));
            }
        }
    }
    serde_json::from_value(data)
}

fn rename_customer(fields: &mut Map<String, Value>) {
    if let Some(customer) = fields.remove("customer") {
        fields.insert("bill_to".to_owned(), customer);
    }
}

fn prices_to_cents(fields: &mut Map<String, Value>) {
    if let Some(Value::Array(lines)) = fields.get_mut("lines") {
        for line in lines.iter_mut().filter_map(Value::as_object_mut) {
            let price = line.remove("price").and_then(|p| p.as_f64()).unwrap_or(0.0);
            line.insert(
                "unit_price_cents".to_owned(),
                json!(crate::invoice::cents(price)),
            );
        }
    }
    fields.insert("currency".to_owned(), json!("EUR"));
}

fn split_notes(fields: &mut Map<String, Value>) {
    let notes = fields
        .get("notes")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let lines: Vec<Value> = notes.lines().map(Value::from).collect();
    fields.insert("notes".to_owned(), Value::Array(lines));
}

fn add_totals(fields: &mut Map<String, Value>) {
    let lines = fields
        .get("lines")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let net_cents: u64 = lines
        .iter()
        .map(|line| {
            line["unit_price_cents"].as_u64().unwrap_or(0) * line["qty"].as_u64().unwrap_or(0)
        })
        .sum();
    let tax_cents = (net_cents * TAX_BASIS_POINTS + 5_000) / 10_000;
    let totals = json!({"net_cents": net_cents, "tax_cents": tax_cents, "gross_cents": net_cents + tax_cents});
    fields.insert("totals".to_owned(), totals);
}
