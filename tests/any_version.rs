//! Versioned-schema mode: read the original version with static dispatch, in every layout.

use serde_json::json;
use upcast::{Layout, Tag, Version};
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
