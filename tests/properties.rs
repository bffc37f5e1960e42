//! Properties: no input panics a read, and every old version reads as its steps produce.

use proptest::prelude::*;
use serde_json::{Value, json};
use upcast::{Context, Layout, Registry, Upcast, Version};
use upcast_demo::customer::{
    AnyCustomer, COUNTRIES, Customer, CustomerV1, CustomerV2, CustomerV3, CustomerV4,
};
use upcast_demo::order::{self, AnyOrder, ItemV1, Order, OrderV1, OrderV2};
use upcast_demo::product::Product;

use crate::fixtures::Note;

/// Runs every read function on `bytes`; only the absence of a panic is checked.
fn read_everything(bytes: &[u8]) {
    let _ = upcast::from_slice::<Customer>(bytes);
    let _ = upcast::from_slice::<AnyCustomer>(bytes);
    let _ = upcast::from_slice::<Note>(bytes);
    let _ = upcast::from_slice::<Product>(bytes);
    let _ = upcast::header(bytes);
    let _ = order::layout().from_slice::<Order>(bytes);
    let _ = order::layout().from_slice::<AnyOrder>(bytes);
    let _ = Layout::inline("v").from_slice::<Note>(bytes);
    let _ = order::layout().header(bytes);
    let _ = upcast::from_slice_at::<Customer>(&Version::new(1, 0, 0), bytes);
}

fn read_value(value: &Value) {
    let _ = upcast::from_value::<Customer>(value.clone());
    let _ = upcast::from_value::<AnyCustomer>(value.clone());
    let _ = upcast::from_value::<Note>(value.clone());
    let _ = order::layout().from_value::<Order>(value.clone());
    let _ = upcast::from_value_at::<Customer>(&Version::new(2, 0, 0), value.clone());
    let _ = Registry::global().upcast_value(value.clone());
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-z0-9. -]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{0,10}", inner, 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// Envelopes with plausible kinds and tags around arbitrary data: reaches past the header.
fn envelope() -> impl Strategy<Value = Value> {
    let kind = prop_oneof![
        Just("customer"),
        Just("product"),
        Just("test.note"),
        Just("x"),
        Just("test.beta")
    ];
    let tag = prop_oneof![
        (0u64..8).prop_map(Value::from),
        "[0-9]{1,2}(\\.[0-9]{1,2}){0,2}(-rc[0-9])?".prop_map(Value::from),
        json_value(),
    ];
    (kind, tag, json_value(), any::<bool>()).prop_map(|(kind, tag, data, with_tag)| {
        let mut envelope = json!({"kind": kind, "data": data, "id": 1});
        if with_tag {
            envelope["version"] = tag;
        }
        envelope
    })
}

fn customer_v1() -> impl Strategy<Value = CustomerV1> {
    let name = "[A-Z][a-z]{0,8}( [A-Z][a-z]{0,8}){0,2}";
    (
        any::<u32>(),
        name,
        "[a-z]{1,8}@example\\.com",
        "[A-Z][a-z]{2,9}",
        0..COUNTRIES.len(),
    )
        .prop_map(|(id, name, mail, city, country)| CustomerV1 {
            id: u64::from(id),
            name,
            mail,
            city,
            country: COUNTRIES[country].0.to_owned(),
        })
}

fn order_v1() -> impl Strategy<Value = OrderV1> {
    let item = ("SKU-[0-9]{5}", 1u32..10, 0u32..100_000).prop_map(|(sku, qty, cents)| ItemV1 {
        sku,
        qty,
        price: f64::from(cents) / 100.0,
    });
    (
        any::<u32>(),
        any::<u16>(),
        prop::collection::vec(item, 0..5),
    )
        .prop_map(|(order_id, customer, items)| {
            let total = items.iter().map(|i| i.price * f64::from(i.qty)).sum();
            OrderV1 {
                order_id: u64::from(order_id),
                customer_id: u64::from(customer),
                items,
                total,
                placed_at: "2018-05-01 10:22:00".into(),
            }
        })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        read_everything(&bytes);
    }

    #[test]
    fn arbitrary_json_text_never_panics(value in json_value()) {
        read_everything(value.to_string().as_bytes());
        read_value(&value);
    }

    #[test]
    fn arbitrary_envelopes_never_panic(value in envelope()) {
        read_everything(value.to_string().as_bytes());
        read_value(&value);
    }

    #[test]
    fn truncated_records_never_panic(cut in 0usize..400) {
        let record = include_str!("../crates/upcast-demo/data/events.jsonl").lines().next().unwrap_or_default();
        let bytes = record.as_bytes();
        read_everything(&bytes[..cut.min(bytes.len())]);
    }

    #[test]
    fn every_old_customer_version_reads_as_its_steps_give(v1 in customer_v1(), at in "20[0-9]{2}-01-01") {
        let metadata = upcast::Metadata::from(serde_json::Map::from_iter([("at".to_owned(), json!(at))]));
        let stored = Version::new(4, 0, 0);
        let cx = Context::new("customer", &stored).with_metadata(&metadata);
        let v2 = CustomerV2::from(v1.clone());
        let v3 = CustomerV3::from(v2.clone());
        let v4 = CustomerV4::from(v3.clone());
        let expected = v4.clone().upcast(&cx).unwrap();
        let stored: [(u64, Value); 4] = [
            (1, serde_json::to_value(&v1).unwrap()),
            (2, serde_json::to_value(&v2).unwrap()),
            (3, serde_json::to_value(&v3).unwrap()),
            (4, serde_json::to_value(&v4).unwrap()),
        ];
        for (version, data) in stored {
            let envelope = json!({"kind": "customer", "version": version, "at": at, "data": data});
            let read: Customer = upcast::from_slice(envelope.to_string().as_bytes()).unwrap();
            prop_assert_eq!(&read, &expected);
        }
    }

    #[test]
    fn every_legacy_order_reads_as_its_steps_give(v1 in order_v1()) {
        let expected = Order::from(OrderV2::try_from(v1.clone()).unwrap());
        let bytes = serde_json::to_vec(&v1).unwrap();
        let read: Order = order::layout().from_slice(&bytes).unwrap();
        prop_assert_eq!(read, expected);
    }
}
