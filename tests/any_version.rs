//! Versioned-schema mode: read the original version with static dispatch, in every layout.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use upcast::{Context, Layout, Tag, Upcast, UpcastError, Version};
use upcast_demo::customer::{AnyCustomer, Customer, CustomerV1};
use upcast_demo::order::{self, AnyOrder, Order};

use crate::fixtures::error;

fn v1() -> CustomerV1 {
    CustomerV1 {
        id: 9,
        name: "Alan Turing".into(),
        mail: "alan@example.com".into(),
        city: "Leeds".into(),
        country: "United Kingdom".into(),
    }
}

#[test]
fn reads_each_version_as_itself_with_every_read_function() {
    let envelope = json!({"kind": "customer", "version": 1, "data": v1()});
    let text = envelope.to_string();
    let reads: [AnyCustomer; 4] = [
        upcast::from_slice(text.as_bytes()).unwrap(),
        upcast::from_str(&text).unwrap(),
        upcast::from_reader(text.as_bytes()).unwrap(),
        upcast::from_value(envelope).unwrap(),
    ];
    for any in reads {
        assert!(
            matches!(&any, AnyCustomer::V1(read) if *read == v1()),
            "{any:?}"
        );
        assert_eq!(any.version(), Tag::Number(1));
    }
}

#[test]
fn into_current_runs_the_remaining_steps() {
    let envelope = json!({"kind": "customer", "version": 1, "data": v1()});
    let typed: Customer = upcast::from_value(envelope.clone()).unwrap();
    let any: AnyCustomer = upcast::from_value(envelope).unwrap();
    assert_eq!(any.into_current().unwrap(), typed);
    let current = AnyCustomer::V5(typed.clone());
    assert_eq!(current.into_current().unwrap(), typed);
}

#[test]
fn into_current_reports_step_failures() {
    let bad = AnyCustomer::V1(CustomerV1 {
        country: "Atlantis".into(),
        ..v1()
    });
    let failure = error(bad.into_current());
    assert!(
        failure
            .to_string()
            .starts_with("cannot upcast `customer` from 4.0.0 to 5.0.0"),
        "{failure}"
    );
}

/// `test.any.doc`: major 2 ends at 2.6.0, and the step from it fails.
#[derive(Debug, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "test.any.doc", version = 1)]
pub struct DocV1 {
    pub title: String,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "test.any.doc", version = "2.6.0")]
pub struct DocV2 {
    pub title: String,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "test.any.doc", version = "3.1.0")]
pub struct Doc {
    pub title: String,
}

#[upcast::register]
impl From<DocV1> for DocV2 {
    fn from(v1: DocV1) -> Self {
        DocV2 { title: v1.title }
    }
}

#[upcast::register]
impl Upcast for DocV2 {
    type Next = Doc;
    fn upcast(self, cx: &Context) -> Result<Doc, UpcastError> {
        Err(UpcastError::new(format!(
            "untitled `{}`, stored at {}",
            self.title,
            cx.stored_version()
        )))
    }
}

#[derive(Debug, upcast::AnyVersion)]
pub enum AnyDoc {
    V1(DocV1),
    V2(DocV2),
    V3(Doc),
}

/// Issue 14: the enum holds the decoded value alone, so `into_current` cannot name the
/// version a record was stored at, where a plain read does (documented on
/// `AnyVersion::into_current`).
#[test]
fn into_current_names_the_held_variants_version_where_a_plain_read_names_the_stored_one() {
    let stored = r#"{"kind":"test.any.doc","version":"2.3.0","data":{"title":"t"}}"#;
    assert_eq!(
        error(upcast::from_str::<Doc>(stored)).to_string(),
        "cannot upcast `test.any.doc` from 2.3.0 (read as 2.6.0) to 3.1.0: untitled `t`, \
         stored at 2.3.0"
    );
    let any: AnyDoc = upcast::from_str(stored).unwrap();
    assert!(matches!(any, AnyDoc::V2(_)), "{any:?}");
    assert_eq!(any.version(), Tag::Text("2.6.0"));
    assert_eq!(
        error(any.into_current()).to_string(),
        "cannot upcast `test.any.doc` from 2.6.0 to 3.1.0: untitled `t`, stored at 2.6.0"
    );
    let exact = r#"{"kind":"test.any.doc","version":"2.6.0","data":{"title":"t"}}"#;
    let any: AnyDoc = upcast::from_str(exact).unwrap();
    assert_eq!(
        error(any.into_current()).to_string(),
        error(upcast::from_str::<Doc>(exact)).to_string(),
        "stored at the variant's own version, both say the same"
    );
}

#[test]
fn inline_untagged_tag_first_and_tag_last() {
    let layout = order::layout();
    let untagged = r#"{"order_id":1,"customer_id":2,"items":[],"total":0.0,"placed_at":"2018-01-01 00:00:00"}"#;
    let tag_first = r#"{"schema_version":2,"order_id":1,"customer_id":2,"lines":[],"total_cents":0,"currency":"EUR","placed_at":"x"}"#;
    let tag_last = r#"{"order_id":1,"customer_id":"cus_000002","lines":[],"total_cents":0,"currency":"EUR","placed_at":"x","schema_version":3}"#;
    assert!(matches!(
        layout.from_str::<AnyOrder>(untagged).unwrap(),
        AnyOrder::V1(_)
    ));
    assert!(matches!(
        layout.from_str::<AnyOrder>(tag_first).unwrap(),
        AnyOrder::V2(_)
    ));
    assert!(matches!(
        layout.from_str::<AnyOrder>(tag_last).unwrap(),
        AnyOrder::V3(_)
    ));
    let value = serde_json::from_str(untagged).unwrap();
    let any: AnyOrder = layout.from_value(value).unwrap();
    let typed: Order = layout.from_str(untagged).unwrap();
    assert_eq!(any.into_current().unwrap(), typed);
}

#[test]
fn external_version_picks_the_variant() {
    let bare = serde_json::to_vec(&v1()).unwrap();
    let any: AnyCustomer = upcast::from_slice_at(&Version::new(1, 0, 0), &bare).unwrap();
    assert!(matches!(any, AnyCustomer::V1(_)));
    let value = serde_json::to_value(v1()).unwrap();
    let any: AnyCustomer = upcast::from_value_at(&Version::new(1, 0, 0), value).unwrap();
    assert!(matches!(any, AnyCustomer::V1(_)));
}

#[test]
fn unknown_and_wrong_kind_errors() {
    let newer = r#"{"kind":"customer","version":6,"data":{}}"#;
    let text = error(upcast::from_str::<AnyCustomer>(newer)).to_string();
    assert!(
        text.starts_with("unknown version `6` of `customer`, newest known is `5.0.0`"),
        "{text}"
    );
    let other = r#"{"kind":"product","version":"1.0.0","data":{}}"#;
    let text = error(upcast::from_str::<AnyCustomer>(other)).to_string();
    assert_eq!(text, "invalid kind `product`, expected `customer`");
    let text = error(Layout::inline("schema_version").from_str::<AnyCustomer>("{}")).to_string();
    assert!(
        text.starts_with("missing version tag `schema_version` in a record of kind `customer`"),
        "{text}"
    );
}
