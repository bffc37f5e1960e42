//! Key order with `preserve_order`: taking the tag out keeps the order of the rest, and
//! every writer puts the tag first.

use serde_json::{Value, json};
use upcast::{Layout, Registry};
use upcast_preserve_order_test::{Doc, keys};

fn doc(value: Value) -> Doc {
    match value {
        Value::Object(fields) => Doc(fields),
        _ => panic!("a document is an object"),
    }
}

#[test]
fn the_inline_tag_comes_out_and_the_rest_keeps_its_order() {
    let inline = Layout::inline("v");
    let stored = json!({"v": 2, "info": 1, "a": 2, "b": 3});
    let read: Doc = inline.from_value(stored).unwrap();
    assert_eq!(keys(&Value::Object(read.0.clone())), ["info", "a", "b"]);
    let last = json!({"info": 1, "a": 2, "b": 3, "v": 2});
    let read_last: Doc = inline.from_value(last).unwrap();
    assert_eq!(read_last, read);
}

#[test]
fn every_writer_puts_the_tag_first() {
    let inline = Layout::inline("v");
    let record = doc(json!({"z": 1, "a": 2}));
    let value = inline.to_value(&record).unwrap();
    assert_eq!(keys(&value), ["v", "z", "a"]);
    let bytes = inline.to_vec(&record).unwrap();
    assert_eq!(bytes, br#"{"v":2,"z":1,"a":2}"#);
    let envelope = Layout::envelope().to_value(&record).unwrap();
    assert_eq!(keys(&envelope), ["kind", "version", "data"]);
}

#[test]
fn an_old_record_keeps_its_order_through_the_steps() {
    let inline = Layout::inline("v");
    let read: Doc = inline
        .from_value(json!({"info": 1, "v": 1, "a": 2}))
        .unwrap();
    assert_eq!(keys(&Value::Object(read.0)), ["info", "a", "upgraded"]);
}

#[test]
fn envelope_fields_keep_their_order() {
    let stored = json!({"id": 7, "kind": "ordered.doc", "version": 1, "at": "now", "data": {"b": 1, "a": 2}});
    let current = Registry::global().upcast_value(stored).unwrap();
    assert_eq!(keys(&current), ["kind", "version", "id", "at", "data"]);
    assert_eq!(keys(&current["data"]), ["b", "a", "upgraded"]);
    let read: Doc =
        upcast::from_value(json!({"data": {"y": 0, "x": 1}, "kind": "ordered.doc", "version": 2}))
            .unwrap();
    assert_eq!(keys(&Value::Object(read.0)), ["y", "x"]);
}
