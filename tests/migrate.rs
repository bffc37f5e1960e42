//! Lazy migration: old records come back re-encoded at the current version, nothing lost.

use serde_json::{Value, json};
use upcast_demo::customer::Customer;
use upcast_demo::order::{self, Order};
use upcast_demo::product::Product;

#[test]
fn an_old_envelope_is_rewritten_with_its_metadata() {
    let stored = r#"{"id":"evt-9","kind":"customer","version":3,"at":"2021-02-03T04:05:06Z","data":{"id":9,"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com","city":"Leeds","country":"United Kingdom"}}"#;
    let read = upcast::from_slice_migrating::<Customer>(stored.as_bytes()).unwrap();
    let rewrite = read.rewrite.clone().unwrap();
    assert!(rewrite.starts_with(
        br#"{"kind":"customer","version":5,"id":"evt-9","at":"2021-02-03T04:05:06Z","data":"#
    ));
    let reread = upcast::from_slice_migrating::<Customer>(&rewrite).unwrap();
    assert_eq!(reread.value, read.value);
    assert_eq!(reread.rewrite, None);
    assert_eq!(read.value.since.as_deref(), Some("2021-02-03T04:05:06Z"));
}

#[test]
fn an_older_minor_is_rewritten_at_the_newest_minor() {
    let stored =
        br#"{"kind":"product","version":"1.0.0","data":{"sku":"S","title":"T","price_cents":100}}"#;
    let read = upcast::from_slice_migrating::<Product>(stored).unwrap();
    let rewrite: Value = serde_json::from_slice(&read.rewrite.unwrap()).unwrap();
    assert_eq!(rewrite["version"], "1.2.0");
    assert_eq!(rewrite["data"]["tags"], json!([]));
}

#[test]
fn an_untagged_inline_record_gets_its_tag() {
    let legacy = br#"{"order_id":1,"customer_id":2,"items":[{"sku":"S","qty":1,"price":2.5}],"total":2.5,"placed_at":"2018-01-01 00:00:00"}"#;
    let read = order::layout()
        .from_slice_migrating::<Order>(legacy)
        .unwrap();
    let rewrite = read.rewrite.unwrap();
    assert!(rewrite.starts_with(br#"{"schema_version":3,"order_id":1,"customer_id":"cus_000002""#));
    assert!(
        order::layout()
            .from_slice_migrating::<Order>(&rewrite)
            .unwrap()
            .rewrite
            .is_none()
    );
}

#[test]
fn a_current_record_is_not_rewritten() {
    let current = upcast::to_vec(&Product {
        sku: "S".into(),
        title: "T".into(),
        price_cents: 1,
        description: None,
        tags: vec![],
    })
    .unwrap();
    assert_eq!(
        upcast::from_slice_migrating::<Product>(&current)
            .unwrap()
            .rewrite,
        None
    );
}

#[test]
fn failures_are_the_reads_failures() {
    let newer = br#"{"kind":"product","version":"9.0.0","data":{}}"#;
    assert!(matches!(
        upcast::from_slice_migrating::<Product>(newer),
        Err(upcast::Error::NewerVersion { .. })
    ));
}
