//! Every layout, every read and write function, and the shapes other writers produce.

use serde_json::json;
use upcast::{Layout, Version};
use upcast_demo::customer::{Customer, CustomerV4};
use upcast_demo::order::{self, Order, OrderV2, Status};
use upcast_demo::product::Product;

use crate::fixtures::{Note, NoteV1, error};

fn v4() -> CustomerV4 {
    CustomerV4 {
        id: "cus_000042".into(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        email: "ada@example.com".into(),
        city: "Leeds".into(),
        country: "United Kingdom".into(),
    }
}

#[test]
fn envelope_writes_kind_and_version_first_in_the_declared_form() {
    let bytes = upcast::to_vec(&v4()).unwrap();
    assert!(bytes.starts_with(br#"{"kind":"customer","version":4,"data":{"id":"cus_000042""#));
    let product = Product {
        sku: "SKU-1".into(),
        title: "Mug".into(),
        price_cents: 900,
        description: None,
        tags: vec![],
    };
    let text = upcast::to_string(&product).unwrap();
    assert!(
        text.starts_with(r#"{"kind":"product","version":"1.2.0","data":"#),
        "{text}"
    );
}

#[test]
fn envelope_round_trips_through_every_function() {
    let customer: Customer = upcast::from_slice(&upcast::to_vec(&v4()).unwrap()).unwrap();
    let bytes = upcast::to_vec(&customer).unwrap();
    assert_eq!(upcast::from_slice::<Customer>(&bytes).unwrap(), customer);
    let text = upcast::to_string(&customer).unwrap();
    assert_eq!(upcast::from_str::<Customer>(&text).unwrap(), customer);
    assert_eq!(
        upcast::from_reader::<Customer, _>(text.as_bytes()).unwrap(),
        customer
    );
    let value = upcast::to_value(&customer).unwrap();
    assert_eq!(value["version"], 5);
    assert_eq!(upcast::from_value::<Customer>(value).unwrap(), customer);
    let mut written = Vec::new();
    upcast::to_writer(&mut written, &customer).unwrap();
    assert_eq!(written, bytes);
}

#[test]
fn old_envelope_reads_the_same_through_bytes_and_values() {
    let stored =
        json!({"kind": "customer", "version": 4, "at": "2023-01-02T03:04:05Z", "data": v4()});
    let from_value: Customer = upcast::from_value(stored.clone()).unwrap();
    let from_bytes: Customer = upcast::from_slice(&serde_json::to_vec(&stored).unwrap()).unwrap();
    assert_eq!(from_value, from_bytes);
    assert_eq!(from_value.address.country, "GB");
    assert_eq!(from_value.since.as_deref(), Some("2023-01-02T03:04:05Z"));
}

#[test]
fn envelope_with_data_first_reads_the_same() {
    // serde_json::to_vec sorts the keys: `data` comes before `kind` and `version`.
    let stored = json!({"version": 4, "kind": "customer", "data": v4()});
    let bytes = serde_json::to_vec(&stored).unwrap();
    assert!(bytes.starts_with(br#"{"data":"#));
    let customer: Customer = upcast::from_slice(&bytes).unwrap();
    assert_eq!(customer.id, "cus_000042");
}

#[test]
fn data_first_with_nested_fields_anywhere_reads_the_same() {
    let data = serde_json::to_string(&v4()).unwrap();
    let expected: Customer = upcast::from_slice(
        format!(r#"{{"kind":"customer","version":4,"data":{data}}}"#).as_bytes(),
    )
    .unwrap();
    for stored in [
        format!(r#"{{"data":{data},"kind":"customer","version":4}}"#),
        format!(r#"{{"data":{data},"info":{{"a":[1]}},"kind":"customer","version":4}}"#),
        format!(r#"{{"data":{data},"kind":"customer","version":4,"meta":{{"b":"}}"}}}}"#),
        format!(r#"{{"id":[7],"data":{data},"tags":["x"],"kind":"customer","version":4}}"#),
        format!(r#" {{ "data" : {data} , "kind" : "customer" , "version" : 4 }} "#),
    ] {
        let read: Customer = upcast::from_slice(stored.as_bytes()).unwrap();
        assert_eq!(read, expected, "{stored}");
    }
}

#[test]
fn invalid_json_anywhere_in_a_data_first_envelope_is_an_error_with_its_place() {
    let data = serde_json::to_string(&v4()).unwrap();
    for (stored, column) in [
        (
            format!(r#"{{"data":{data},"id":{{1}},"kind":"customer","version":4}}"#),
            None,
        ),
        (
            format!(r#"{{"data":{data},"kind":"customer","version":4}}x"#),
            None,
        ),
        (
            format!(r#"{{"data":{data},"kind":"customer","version":04}}"#),
            None,
        ),
        (
            r#"{"data":{"id":"x",},"kind":"customer","version":4}"#.to_owned(),
            Some(19),
        ),
    ] {
        let failure = error(upcast::from_slice::<Customer>(stored.as_bytes()));
        assert!(failure.line().is_some(), "{stored}: {failure}");
        if let Some(column) = column {
            assert_eq!(failure.column(), Some(column), "{stored}: {failure}");
        }
    }
}

#[test]
fn metadata_before_and_after_data_reaches_the_steps() {
    for json in [
        r#"{"kind":"test.note","source":"import","version":1,"data":{"text":"hi"}}"#,
        r#"{"kind":"test.note","version":1,"data":{"text":"hi"},"source":"import"}"#,
        r#"{"data":{"text":"hi"},"source":"import","version":"1","kind":"test.note"}"#,
    ] {
        let note: Note = upcast::from_str(json).unwrap();
        assert_eq!(note.origin, "1.0.0 import false", "{json}");
    }
}

#[test]
fn envelope_without_version_is_the_untagged_version() {
    let note: Note = upcast::from_str(r#"{"kind":"test.note","data":{"text":"old"}}"#).unwrap();
    assert_eq!(note.origin, "1.0.0 - true");
}

#[test]
fn inline_writes_the_tag_first_and_reads_it_anywhere() {
    let layout = order::layout();
    let v2 = OrderV2 {
        order_id: 7,
        customer_id: 42,
        lines: vec![],
        total_cents: 0,
        currency: "EUR".into(),
        placed_at: "2020-01-01T00:00:00Z".into(),
    };
    let bytes = layout.to_vec(&v2).unwrap();
    assert!(bytes.starts_with(br#"{"schema_version":2,"order_id":7,"#));
    let first: Order = layout.from_slice(&bytes).unwrap();
    let mut value = serde_json::to_value(&v2).unwrap();
    value["schema_version"] = json!(2);
    let last: Order = layout
        .from_slice(&serde_json::to_vec(&value).unwrap())
        .unwrap();
    let from_value: Order = layout.from_value(value).unwrap();
    assert_eq!(first, last);
    assert_eq!(first, from_value);
    assert_eq!(
        (first.customer_id.as_str(), first.status),
        ("cus_000042", Status::Placed)
    );
}

#[test]
fn inline_hides_the_tag_from_types_that_deny_unknown_fields() {
    let layout = Layout::inline("v");
    let note = Note {
        text: "a".into(),
        origin: "o".into(),
        pinned: true,
    };
    let bytes = layout.to_vec(&note).unwrap();
    assert_eq!(
        bytes,
        br#"{"v":"2.1.0","text":"a","origin":"o","pinned":true}"#
    );
    assert_eq!(layout.from_slice::<Note>(&bytes).unwrap(), note);
    assert_eq!(layout.to_value(&note).unwrap()["v"], "2.1.0");
}

#[test]
fn inline_record_without_tag_is_the_untagged_version() {
    let note: Note = Layout::inline("v")
        .from_str(r#"{"text":"legacy"}"#)
        .unwrap();
    assert_eq!(note.origin, "1.0.0 - true");
    let value: Note = Layout::inline("v")
        .from_value(json!({"text": "legacy"}))
        .unwrap();
    assert_eq!(value, note);
}

#[test]
fn inline_writes_empty_objects() {
    #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, upcast::Versioned)]
    #[versioned(kind = "test.empty", version = 1)]
    struct Empty {}
    assert_eq!(
        Layout::inline("v").to_vec(&Empty {}).unwrap(),
        br#"{"v":1}"#
    );
    assert!(
        Layout::inline("v")
            .from_slice::<Empty>(br#"{"v":1}"#)
            .is_ok()
    );
}

#[test]
fn external_reads_the_bare_record_at_the_given_version() {
    let bare = serde_json::to_vec(&v4()).unwrap();
    let version = Version::new(4, 0, 0);
    let customer: Customer = upcast::from_slice_at(&version, &bare).unwrap();
    assert_eq!(customer.address.country, "GB");
    assert_eq!(customer.since, None, "no envelope, no metadata");
    let text = String::from_utf8(bare.clone()).unwrap();
    assert_eq!(
        upcast::from_str_at::<Customer>(&version, &text).unwrap(),
        customer
    );
    assert_eq!(
        upcast::from_reader_at::<Customer, _>(&version, &bare[..]).unwrap(),
        customer
    );
    let value = serde_json::to_value(v4()).unwrap();
    assert_eq!(
        upcast::from_value_at::<Customer>(&version, value).unwrap(),
        customer
    );
}

#[test]
fn external_version_may_be_any_short_form() {
    let note: Note = upcast::from_str_at(&"1".parse().unwrap(), r#"{"text":"x"}"#).unwrap();
    assert_eq!(note.origin, "1.0.0 - false");
    let current: Note =
        upcast::from_str_at(&"2.0".parse().unwrap(), r#"{"text":"x","origin":"y"}"#).unwrap();
    assert_eq!(current.origin, "y");
}

#[test]
fn headers_tell_kind_and_version_without_decoding() {
    let header =
        upcast::header(br#"{"kind":"customer","version":3,"data":{"not":"checked"}}"#).unwrap();
    assert_eq!((header.kind(), header.tag()), (Some("customer"), Some("3")));
    assert_eq!(header.version(), Some(&Version::new(3, 0, 0)));
    let inline = order::layout()
        .header(br#"{"order_id":1,"schema_version":"2.0"}"#)
        .unwrap();
    assert_eq!((inline.kind(), inline.tag()), (None, Some("2.0")));
    assert!(
        order::layout()
            .header(br#"{"order_id":1}"#)
            .unwrap()
            .is_untagged()
    );
}

#[test]
fn note_v1_is_still_readable_as_itself() {
    let v1: NoteV1 =
        upcast::from_str(r#"{"kind":"test.note","version":1,"data":{"text":"x"}}"#).unwrap();
    assert_eq!(v1.text, "x");
    let newer = error(upcast::from_str::<NoteV1>(
        r#"{"kind":"test.note","version":"2.1.0","data":{"text":"x","origin":"o"}}"#,
    ));
    assert!(
        matches!(newer, upcast::Error::MissingDowncast { .. }),
        "{newer}"
    );
}
