//! Every kind of step: `From`, `TryFrom`, `Upcast` with the read's context, chains.

use std::error::Error as _;

use serde_json::json;
use upcast::{Context, Upcast, Version};
use upcast_demo::customer::{Customer, CustomerV1, CustomerV2, CustomerV3, CustomerV4};
use upcast_demo::order::{self, InvalidLegacyOrder, Order};

use crate::fixtures::{Note, error};

fn v1() -> CustomerV1 {
    CustomerV1 {
        id: 42,
        name: "Mary Ann Smith".into(),
        mail: "mas@example.com".into(),
        city: "Lyon".into(),
        country: " france".into(),
    }
}

#[test]
fn four_steps_give_what_the_steps_give_by_hand() {
    let stored =
        json!({"kind": "customer", "version": 1, "at": "2019-01-01T00:00:00Z", "data": v1()});
    let read: Customer = upcast::from_value(stored).unwrap();
    let v4 = CustomerV4::from(CustomerV3::from(CustomerV2::from(v1())));
    let metadata = upcast::Metadata::from(serde_json::Map::from_iter([(
        "at".to_owned(),
        json!("2019-01-01T00:00:00Z"),
    )]));
    let stored_version = Version::new(1, 0, 0);
    let cx = Context::new("customer", &stored_version).with_metadata(&metadata);
    assert_eq!(read, v4.upcast(&cx).unwrap());
}

#[test]
fn rename_split_and_type_change() {
    let v3 = CustomerV3::from(CustomerV2::from(v1()));
    assert_eq!(
        (v3.first_name.as_str(), v3.last_name.as_str()),
        ("Mary Ann", "Smith")
    );
    assert_eq!(v3.email, "mas@example.com");
    assert_eq!(CustomerV4::from(v3).id, "cus_000042");
    let mononym = CustomerV3::from(CustomerV2::from(CustomerV1 {
        name: "Cher".into(),
        ..v1()
    }));
    assert_eq!(
        (mononym.first_name.as_str(), mononym.last_name.as_str()),
        ("Cher", "")
    );
}

#[test]
fn fallible_step_error_keeps_its_message_and_versions() {
    let stored = json!({"kind": "customer", "version": 1, "data": CustomerV1 { country: "Atlantis".into(), ..v1() }});
    let failure = error(upcast::from_value::<Customer>(stored));
    assert_eq!(
        failure.to_string(),
        "cannot upcast `customer` from 4.0.0 to 5.0.0 (stored at 1.0.0): unknown country \
         `Atlantis` of customer `cus_000042`"
    );
    assert!(matches!(failure, upcast::Error::Step { .. }));
}

#[test]
fn try_from_step_runs_and_its_error_is_the_source() {
    let legacy = r#"{"order_id":9,"customer_id":3,"items":[{"sku":"S","qty":2,"price":1.1}],"total":2.2,"placed_at":"2018-05-01 10:22:00"}"#;
    let order: Order = order::layout().from_str(legacy).unwrap();
    assert_eq!(order.lines[0].unit_price_cents, 110);
    assert_eq!(
        (order.total_cents, order.placed_at.as_str()),
        (220, "2018-05-01T10:22:00Z")
    );
    assert_eq!(order.customer_id, "cus_000003");

    let negative = legacy.replace("1.1", "-1.1");
    let failure = error(order::layout().from_str::<Order>(&negative));
    assert!(
        failure
            .to_string()
            .ends_with("order 9 has the price -1.1, expected a non-negative amount")
    );
    let source = failure
        .source()
        .and_then(|s| s.downcast_ref::<InvalidLegacyOrder>());
    assert!(source.is_some(), "the step's own error is the source");
}

#[test]
fn context_carries_kind_stored_version_metadata_and_untagged() {
    let tagged = r#"{"kind":"test.note","version":"1.0","source":"csv","data":{"text":"a"}}"#;
    assert_eq!(
        upcast::from_str::<Note>(tagged).unwrap().origin,
        "1.0.0 csv false"
    );
    let untagged = r#"{"kind":"test.note","source":"csv","data":{"text":"a"}}"#;
    assert_eq!(
        upcast::from_str::<Note>(untagged).unwrap().origin,
        "1.0.0 csv true"
    );
}

#[test]
fn upcast_error_message_from_new_is_kept() {
    let failing = r#"{"kind":"test.note","version":1,"data":{"text":"fail"}}"#;
    let failure = error(upcast::from_str::<Note>(failing));
    assert_eq!(
        failure.to_string(),
        "cannot upcast `test.note` from 1.0.0 to 2.1.0: the note says `fail`"
    );
}

#[test]
fn from_step_also_implements_upcast() {
    let stored = Version::new(1, 0, 0);
    let v2 = v1().upcast(&Context::new("customer", &stored)).unwrap();
    assert_eq!(v2.email, "mas@example.com");
}
