//! Every error names what it is about and says what was expected.

use std::io;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use upcast::{Error, Layout, Tag, Version, Versioned};
use upcast_demo::customer::Customer;
use upcast_demo::product::Product;

use crate::fixtures::{Scalar, error};

fn message(result: Result<impl std::fmt::Debug, Error>) -> String {
    error(result).to_string()
}

#[test]
fn bad_json_has_line_and_column() {
    let failure = error(upcast::from_str::<Customer>("{\n  \"kind\": }"));
    assert!(matches!(failure, Error::Json(_)));
    assert_eq!(failure.line(), Some(2));
    assert!(failure.column().is_some_and(|c| c > 0));
    assert!(
        failure.to_string().contains("at line 2 column"),
        "{failure}"
    );
}

#[test]
fn bad_envelopes_say_what_is_missing() {
    let cases = [
        (r#"{"kind":"customer","version":5}"#, "missing field `data`"),
        (r#"{"version":5,"data":{}}"#, "missing field `kind`"),
        (
            r#"{"kind":"customer","version":5,"version":4,"data":{}}"#,
            "duplicate field `version`",
        ),
        (
            "5",
            "invalid type: integer `5`, expected an upcast envelope",
        ),
        (
            r#"{"kind":"customer","version":2.5,"data":{}}"#,
            "invalid type: floating point `2.5`, expected a version tag",
        ),
        (
            r#"{"kind":7,"version":5,"data":{}}"#,
            "invalid type: integer `7`, expected a string",
        ),
    ];
    for (json, expected) in cases {
        let text = message(upcast::from_str::<Customer>(json));
        assert!(text.starts_with(expected), "{json}: {text}");
    }
}

#[test]
fn bad_envelope_values_say_the_same() {
    let text = message(upcast::from_value::<Customer>(serde_json::json!("x")));
    assert_eq!(
        text,
        "invalid type: string \"x\", expected an upcast envelope"
    );
    let text = message(upcast::from_value::<Customer>(
        serde_json::json!({"kind": "customer"}),
    ));
    assert_eq!(text, "missing field `data`");
}

#[test]
fn invalid_data_names_kind_and_version_with_position() {
    let json = r#"{"kind":"customer","version":4,"data":{"id":"cus_1"}}"#;
    let failure = error(upcast::from_str::<Customer>(json));
    assert!(matches!(failure, Error::Data { .. }));
    let text = failure.to_string();
    assert!(
        text.starts_with("invalid `customer` record (version `4`): missing field `first_name`"),
        "{text}"
    );
    assert_eq!(failure.line(), Some(1));
}

#[test]
fn wrong_kind() {
    let json = r#"{"kind":"product","version":"1.2.0","data":{}}"#;
    assert_eq!(
        message(upcast::from_str::<Customer>(json)),
        "invalid kind `product`, expected `customer`"
    );
}

#[test]
fn newer_version_says_upgrade() {
    let json = r#"{"kind":"customer","version":7,"data":{}}"#;
    assert_eq!(
        message(upcast::from_str::<Customer>(json)),
        "unknown version `7` of `customer`, newest known is `5.0.0`: the record was written by a \
         newer program; upgrade this reader"
    );
}

/// `test.err.doc`: a published document format, major 2 ending at 2.6.0, a failing step to
/// 3.1.0, hand-implemented so only the registry below knows it.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct Doc1 {
    title: String,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct Doc26 {
    title: String,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct Doc31 {
    title: String,
}

impl Versioned for Doc1 {
    const KIND: &'static str = "test.err.doc";
    const VERSION: Tag = Tag::Text("1.0.0");
}

impl Versioned for Doc26 {
    const KIND: &'static str = "test.err.doc";
    const VERSION: Tag = Tag::Text("2.6.0");
}

impl Versioned for Doc31 {
    const KIND: &'static str = "test.err.doc";
    const VERSION: Tag = Tag::Text("3.1.0");
}

impl upcast::Upcast for Doc1 {
    type Next = Doc26;
    fn upcast(self, _: &upcast::Context) -> Result<Doc26, upcast::UpcastError> {
        Ok(Doc26 { title: self.title })
    }
}

impl upcast::Upcast for Doc26 {
    type Next = Doc31;
    fn upcast(self, _: &upcast::Context) -> Result<Doc31, upcast::UpcastError> {
        Err(upcast::UpcastError::new(format!(
            "untitled `{}`",
            self.title
        )))
    }
}

fn doc_registry() -> upcast::Registry {
    upcast::Registry::builder()
        .version::<Doc1>()
        .version::<Doc26>()
        .version::<Doc31>()
        .step::<Doc1>()
        .step::<Doc26>()
        .build()
        .unwrap()
}

fn read_doc(tag: &str) -> Error {
    let registry = doc_registry();
    let envelope = Layout::envelope();
    let json = format!(r#"{{"kind":"test.err.doc","version":"{tag}","data":{{"title":"t"}}}}"#);
    error(registry.reader(&envelope).from_str::<Doc31>(&json))
}

#[test]
fn a_newer_minor_or_patch_was_written_by_a_newer_program() {
    for (tag, newest) in [
        ("2.7.0", "2.6.0"),
        ("2.6.1", "2.6.0"),
        ("1.1.0", "1.0.0"),
        ("4.0.0", "3.1.0"),
    ] {
        let failure = read_doc(tag);
        assert_eq!(
            failure.to_string(),
            format!(
                "unknown version `{tag}` of `test.err.doc`, newest known is `{newest}`: the \
                 record was written by a newer program; upgrade this reader"
            )
        );
        assert!(matches!(failure, Error::NewerVersion { .. }));
    }
}

#[test]
fn versions_no_program_wrote_stay_unknown() {
    for tag in ["2.6.0-rc1", "0.9.0"] {
        let failure = read_doc(tag);
        assert_eq!(
            failure.to_string(),
            format!(
                "unknown version `{tag}` of `test.err.doc`, expected one of `1.0.0`, `2.6.0` or \
                 `3.1.0`"
            )
        );
    }
}

#[test]
fn a_failing_step_names_the_stored_version() {
    assert_eq!(
        read_doc("2.3.0").to_string(),
        "cannot upcast `test.err.doc` from 2.3.0 (read as 2.6.0) to 3.1.0: untitled `t`"
    );
    assert_eq!(
        read_doc("2.6.0").to_string(),
        "cannot upcast `test.err.doc` from 2.6.0 to 3.1.0: untitled `t`"
    );
    assert_eq!(
        read_doc("1.0.0").to_string(),
        "cannot upcast `test.err.doc` from 2.6.0 to 3.1.0 (stored at 1.0.0): untitled `t`"
    );
}

#[test]
fn unknown_older_version_lists_the_known() {
    let json = r#"{"kind":"product","version":"0.9","data":{}}"#;
    assert_eq!(
        message(upcast::from_str::<Product>(json)),
        "unknown version `0.9` of `product`, expected `1.2.0`"
    );
}

#[test]
fn missing_version_without_untagged_version() {
    let json = r#"{"kind":"customer","data":{}}"#;
    assert_eq!(
        message(upcast::from_str::<Customer>(json)),
        "missing version tag `version` in a record of kind `customer`, which declares no \
         untagged version; mark the version of such records with #[versioned(untagged)]"
    );
    let inline = message(Layout::inline("v").from_str::<Customer>("{}"));
    assert!(
        inline.starts_with("missing version tag `v` in a record of kind `customer`"),
        "{inline}"
    );
}

#[test]
fn invalid_version_text() {
    let json = r#"{"kind":"customer","version":"five","data":{}}"#;
    let text = message(upcast::from_str::<Customer>(json));
    assert!(text.starts_with("invalid version `five`: "), "{text}");
    assert!(
        text.ends_with("expected a version like `2`, `2.1` or `2.1.0`"),
        "{text}"
    );
}

#[test]
fn hand_implemented_type_outside_the_registry() {
    #[derive(Debug, Serialize, Deserialize, JsonSchema)]
    struct Hand {}
    impl Versioned for Hand {
        const KIND: &'static str = "test.hand";
        const VERSION: Tag = Tag::Number(2);
    }
    assert!(upcast::from_str::<Hand>(r#"{"kind":"test.hand","version":2,"data":{}}"#).is_ok());
    let text = message(upcast::from_str::<Hand>(
        r#"{"kind":"test.hand","version":1,"data":{}}"#,
    ));
    assert!(text.starts_with("`test.hand` 2 (`main::errors::"), "{text}");
    assert!(text.contains("is not registered"), "{text}");
}

#[test]
fn inline_needs_an_object() {
    let expected = "the inline layout needs `test.scalar` 1 to serialize as a JSON object";
    assert_eq!(
        message(Layout::inline("v").to_vec(&Scalar("x".into()))),
        expected
    );
    assert_eq!(
        message(Layout::inline("v").to_value(&Scalar("x".into()))),
        expected
    );
    assert!(
        upcast::to_vec(&Scalar("x".into())).is_ok(),
        "envelopes hold anything"
    );
}

#[test]
fn io_errors_are_kept() {
    struct Broken;
    impl io::Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("disk on fire"))
        }
    }
    impl io::Write for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::other("disk full"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    assert_eq!(
        message(upcast::from_reader::<Customer, _>(Broken)),
        "i/o error: disk on fire"
    );
    let failure = error(upcast::to_writer(Broken, &Scalar("x".into())));
    assert!(matches!(failure, Error::Io(_)), "{failure}");
    assert!(matches!(
        error(Layout::inline("v").to_writer(Broken, &Scalar("x".into()))),
        Error::NotAnObject { .. }
    ));
}

#[test]
fn version_parse_errors() {
    let failure = error("1.x".parse::<Version>());
    assert!(matches!(failure, Error::InvalidVersion { ref text, .. } if text == "1.x"));
}
