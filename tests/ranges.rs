//! Semver ranges: minors read directly, majors need steps, pre-releases and 0.y stand alone.

use upcast::Version;
use upcast_demo::product::Product;

use crate::fixtures::{Beta, BetaRc1, BetaV1, Note, ZeroOne, ZeroTwo, error};

fn product_at(tag: &str, data: &str) -> String {
    format!(r#"{{"kind":"product","version":{tag},"data":{data}}}"#)
}

#[test]
fn older_minors_read_directly_with_defaults() {
    let v100 = product_at(r#""1.0.0""#, r#"{"sku":"S","title":"T","price_cents":1}"#);
    let product: Product = upcast::from_str(&v100).unwrap();
    assert_eq!((product.description, product.tags.len()), (None, 0));
    for tag in [
        "1",
        r#""1""#,
        r#""1.1""#,
        r#""1.1.0""#,
        r#""1.2.0""#,
        r#""1.2.0+build.5""#,
    ] {
        let stored = product_at(
            tag,
            r#"{"sku":"S","title":"T","price_cents":1,"tags":["a"]}"#,
        );
        assert_eq!(
            upcast::from_str::<Product>(&stored).unwrap().tags,
            ["a"],
            "{tag}"
        );
    }
}

#[test]
fn newer_minor_or_major_asks_for_a_newer_reader() {
    for tag in [r#""1.3.0""#, r#""1.2.1""#, "2"] {
        let stored = product_at(tag, r#"{"sku":"S","title":"T","price_cents":1}"#);
        let failure = error(upcast::from_str::<Product>(&stored));
        assert!(
            matches!(failure, upcast::Error::NewerVersion { .. }),
            "{tag}: {failure}"
        );
        assert!(failure.to_string().contains("upgrade this reader"));
    }
}

#[test]
fn pre_releases_are_their_own_versions() {
    let rc1 = r#"{"kind":"test.beta","version":"2.0.0-rc1","data":{"n":1,"rc":1}}"#;
    assert_eq!(
        upcast::from_str::<Beta>(rc1).unwrap(),
        Beta {
            n: 1,
            rc: 1,
            released: true
        }
    );
    assert_eq!(
        upcast::from_str::<BetaRc1>(rc1).unwrap(),
        BetaRc1 { n: 1, rc: 1 }
    );
    let v1 = r#"{"kind":"test.beta","version":1,"data":{"n":5}}"#;
    assert_eq!(upcast::from_str::<Beta>(v1).unwrap().rc, 1);
    assert_eq!(upcast::from_str::<BetaV1>(v1).unwrap().n, 5);
    let rc2 = r#"{"kind":"test.beta","version":"2.0.0-rc2","data":{"n":1,"rc":2}}"#;
    let failure = error(upcast::from_str::<Beta>(rc2));
    assert!(
        matches!(failure, upcast::Error::UnknownVersion { .. }),
        "{failure}"
    );
    assert!(failure.to_string().contains("`2.0.0-rc1`"), "{failure}");
    let release = r#"{"kind":"test.beta","version":"2.0.0","data":{"n":1,"rc":3,"released":true}}"#;
    assert_eq!(upcast::from_str::<Beta>(release).unwrap().rc, 3);
}

#[test]
fn zero_minor_versions_are_separate_ranges() {
    let old = r#"{"kind":"test.zero","version":"0.1.0","data":{"a":7}}"#;
    assert_eq!(upcast::from_str::<ZeroTwo>(old).unwrap(), ZeroTwo { a: 70 });
    assert_eq!(upcast::from_str::<ZeroOne>(old).unwrap(), ZeroOne { a: 7 });
    let patch_ahead = r#"{"kind":"test.zero","version":"0.1.3","data":{"a":7}}"#;
    let failure = error(upcast::from_str::<ZeroTwo>(patch_ahead));
    assert!(
        matches!(failure, upcast::Error::NewerVersion { ref newest, .. } if *newest == upcast::Version::new(0, 1, 2)),
        "a newer patch of 0.1 was written by a newer program: {failure}"
    );
}

#[test]
fn version_written_as_number_or_text_reads_the_same() {
    let data = r#"{"text":"t","origin":"o"}"#;
    for tag in ["2", r#""2""#, r#""2.0.0""#, r#""2.1""#] {
        let stored = format!(r#"{{"kind":"test.note","version":{tag},"data":{data}}}"#);
        assert_eq!(
            upcast::from_str::<Note>(&stored).unwrap().origin,
            "o",
            "{tag}"
        );
    }
    assert!("2.1".parse::<Version>().unwrap() == Version::new(2, 1, 0));
}
