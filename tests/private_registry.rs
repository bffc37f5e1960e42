//! A registry built by hand: typed reads through it, the dynamic entry point in every
//! layout and to a chosen version, and the caller's options reaching steps in each layout.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use upcast::{Context, Layout, Registry, Stored, Tag, Upcast, UpcastError, Version, Versioned};

use super::fixtures::error;

/// Version 1: a price as text; records from before versioning are this version.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct PriceV1 {
    amount: String,
}

/// Version 2: integer cents.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct PriceV2 {
    cents: u64,
}

/// Version 3: the currency, which older versions never stored: the tenant's default.
#[derive(Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
struct Price {
    cents: u64,
    currency: String,
    /// The envelope's `source` field, as the step saw it.
    source: Option<String>,
}

impl Versioned for PriceV1 {
    const KIND: &'static str = "test.private.price";
    const VERSION: Tag = Tag::Number(1);
    const UNTAGGED: bool = true;
}

impl Versioned for PriceV2 {
    const KIND: &'static str = "test.private.price";
    const VERSION: Tag = Tag::Number(2);
}

impl Versioned for Price {
    const KIND: &'static str = "test.private.price";
    const VERSION: Tag = Tag::Text("3.0.0");
}

/// The caller's options: what the reading service knows and old records do not say.
struct Tenant {
    currency: &'static str,
}

impl Upcast for PriceV1 {
    type Next = PriceV2;
    fn upcast(self, _: &Context) -> Result<PriceV2, UpcastError> {
        let cents = self.amount.replace('.', "").parse()?;
        Ok(PriceV2 { cents })
    }
}

impl Upcast for PriceV2 {
    type Next = Price;
    fn upcast(self, cx: &Context) -> Result<Price, UpcastError> {
        let tenant = cx
            .options::<Tenant>()
            .ok_or_else(|| UpcastError::new("no tenant options given"))?;
        Ok(Price {
            cents: self.cents,
            currency: tenant.currency.to_owned(),
            source: cx.metadata().get_str("source").map(str::to_owned),
        })
    }
}

fn registry() -> Registry {
    Registry::builder()
        .version::<PriceV1>()
        .version::<PriceV2>()
        .version::<Price>()
        .step::<PriceV1>()
        .step::<PriceV2>()
        .build()
        .unwrap()
}

const EUR: Tenant = Tenant { currency: "EUR" };

fn price(source: Option<&str>) -> Price {
    Price {
        cents: 1250,
        currency: "EUR".into(),
        source: source.map(str::to_owned),
    }
}

#[test]
fn typed_reads_see_only_the_registry_they_are_given() {
    let registry = registry();
    let envelope = Layout::envelope();
    let stored =
        br#"{"kind":"test.private.price","version":1,"source":"pos","data":{"amount":"12.50"}}"#;
    let reader = registry.reader(&envelope).with_options(&EUR);
    assert_eq!(
        reader.from_slice::<Price>(stored).unwrap(),
        price(Some("pos"))
    );
    let global = error(upcast::from_slice::<Price>(stored));
    assert!(
        matches!(global, upcast::Error::Unregistered { .. }),
        "the global registry never heard of the hand-made types: {global}"
    );
}

#[test]
fn a_current_record_reads_without_any_registry() {
    let current = br#"{"kind":"test.private.price","version":"3.0.0","data":{"cents":1,"currency":"USD","source":null}}"#;
    let read: Price = upcast::from_slice(current).unwrap();
    assert_eq!(read.currency, "USD");
}

#[test]
fn caller_options_reach_the_step_in_every_layout() {
    let registry = registry();
    let (envelope, inline, external) =
        (Layout::envelope(), Layout::inline("v"), Layout::external());
    let read = |layout: &Layout, bytes: &[u8], at: Option<&Version>| -> Price {
        let reader = registry.reader(layout).with_options(&EUR);
        match at {
            Some(version) => reader.from_slice_at(version, bytes).unwrap(),
            None => reader.from_slice(bytes).unwrap(),
        }
    };
    let v2 = Version::new(2, 0, 0);
    assert_eq!(
        read(
            &envelope,
            br#"{"kind":"test.private.price","version":2,"data":{"cents":1250}}"#,
            None
        ),
        price(None)
    );
    assert_eq!(read(&inline, br#"{"v":2,"cents":1250}"#, None), price(None));
    assert_eq!(read(&inline, br#"{"amount":"12.50"}"#, None), price(None));
    assert_eq!(
        read(&external, br#"{"cents":1250}"#, Some(&v2)),
        price(None)
    );
    let missing = error(
        registry
            .reader(&inline)
            .from_slice::<Price>(br#"{"v":2,"cents":1}"#),
    );
    assert!(
        missing.to_string().ends_with("no tenant options given"),
        "without options the step says so: {missing}"
    );
}

#[test]
fn the_dynamic_entry_point_converts_every_layout() {
    let registry = registry();
    let envelope = Layout::envelope();
    let reader = registry.reader(&envelope).with_options(&EUR);
    let out = reader
        .convert(Stored::new(
            br#"{"data":{"amount":"12.50"},"id":7,"kind":"test.private.price","source":"pos"}"#,
        ))
        .unwrap();
    assert_eq!(
        (out.kind.as_str(), out.stored.as_ref(), out.steps),
        ("test.private.price", None, 2)
    );
    assert_eq!(
        out.bytes.as_deref(),
        Some(&br#"{"kind":"test.private.price","version":"3.0.0","id":7,"source":"pos","data":{"cents":1250,"currency":"EUR","source":"pos"}}"#[..]),
        "kind and version first, the other fields in their stored order, data last"
    );

    let inline = Layout::inline("v").with_kind("test.private.price");
    let out = registry
        .reader(&inline)
        .with_options(&EUR)
        .convert(Stored::new(br#"{"cents":1250,"v":2}"#))
        .unwrap();
    assert_eq!(out.stored_tag.as_deref(), Some("2"));
    assert_eq!(
        out.bytes.as_deref(),
        Some(&br#"{"v":"3.0.0","cents":1250,"currency":"EUR","source":null}"#[..])
    );

    let external = Layout::external().with_kind("test.private.price");
    let out = registry
        .reader(&external)
        .with_options(&EUR)
        .convert(Stored::at("1", br#"{"amount":"12.50"}"#))
        .unwrap();
    assert_eq!(
        (out.tag, out.version.clone()),
        (Tag::Text("3.0.0"), Version::new(3, 0, 0))
    );
    assert_eq!(
        out.bytes.as_deref(),
        Some(&br#"{"cents":1250,"currency":"EUR","source":null}"#[..])
    );
}

#[test]
fn a_record_already_at_the_target_stands_as_it_is() {
    let registry = registry();
    let stored = br#"{ "data" : {"cents":5,"currency":"GBP","source":null}, "version":"3.0.0", "kind":"test.private.price" }"#;
    let out = registry
        .convert(&Layout::envelope(), Stored::new(stored))
        .unwrap();
    assert_eq!((out.bytes, out.steps), (None, 0));
    let external = Layout::external().with_kind("test.private.price");
    let column = registry.convert(&external, Stored::at("2", br#"{"cents":5}"#));
    assert!(column.is_err(), "2 -> 3 needs the tenant: {column:?}");
    let v2 = registry
        .reader(&external)
        .convert_to(Stored::at("2", br#"{"cents":5}"#), &Version::new(2, 0, 0))
        .unwrap();
    assert!(!v2.is_rewritten(), "`2` is how version 2 writes its tag");
    let spelled = registry
        .reader(&external)
        .convert_to(
            Stored::at("2.0.0", br#"{"cents":5}"#),
            &Version::new(2, 0, 0),
        )
        .unwrap();
    assert_eq!(
        (spelled.tag.to_string(), spelled.bytes.as_deref()),
        ("2".to_owned(), Some(&br#"{"cents":5}"#[..])),
        "a column spelled otherwise is rewritten in the declared form"
    );
}

#[test]
fn conversion_to_a_chosen_version_stops_there() {
    let registry = registry();
    let inline = Layout::inline("v").with_kind("test.private.price");
    let out = registry
        .reader(&inline)
        .convert_to(Stored::new(br#"{"amount":"0.99"}"#), &Version::new(2, 0, 0))
        .unwrap();
    assert_eq!(
        (out.steps, out.bytes.as_deref()),
        (1, Some(&br#"{"v":2,"cents":99}"#[..]))
    );
    let backwards = error(
        registry
            .reader(&inline)
            .convert_to(Stored::new(br#"{"v":2,"cents":1}"#), &Version::new(1, 0, 0)),
    );
    assert!(
        matches!(backwards, upcast::Error::MissingDowncast { .. }),
        "{backwards}"
    );
    let unknown = error(
        registry
            .reader(&inline)
            .convert_to(Stored::new(br#"{"v":2,"cents":1}"#), &Version::new(2, 5, 0)),
    );
    assert!(
        matches!(unknown, upcast::Error::UnknownVersion { .. }),
        "{unknown}"
    );
}

#[test]
fn the_layout_and_the_read_function_must_agree() {
    let registry = registry();
    let external = Layout::external();
    let without = error(registry.reader(&external).from_slice::<Price>(b"{}"));
    assert_eq!(
        without.to_string(),
        "the external layout keeps the version outside the record: pass it with a `*_at` read \
         function"
    );
    let envelope = Layout::envelope();
    let with = error(
        registry
            .reader(&envelope)
            .from_slice_at::<Price>(&Version::new(1, 0, 0), b"{}"),
    );
    assert!(
        matches!(with, upcast::Error::LayoutMismatch { .. }),
        "{with}"
    );
    let no_kind = error(registry.convert(&Layout::inline("v"), Stored::new(b"{}")));
    assert!(
        no_kind.to_string().contains("Layout::with_kind"),
        "{no_kind}"
    );
}

#[test]
fn a_value_goes_through_the_format_neutral_decoder() {
    let registry = registry();
    let inline = Layout::inline("v");
    let value = json!({"v": 1, "amount": "12.50"});
    let read: Price = registry
        .reader(&inline)
        .with_options(&EUR)
        .from_value(value)
        .unwrap();
    assert_eq!(read, price(None));
    let bad = error(
        registry
            .reader(&inline)
            .from_value::<Price>(json!({"v": 1, "amount": 7})),
    );
    assert!(
        bad.to_string()
            .starts_with("invalid `test.private.price` record (version `1`)"),
        "{bad}"
    );
}
