//! Records in every shipped format: the compact header and the external layout, current
//! and old records, downcasts, a minor range where the format cannot read it, garbage and
//! truncated blobs.

use proptest::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use upcast::format::{self, Bincode, Cbor, Format, Json, MessagePack, Postcard};
use upcast::{Context, Downcast, Error, UpcastError, Version};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "test.formats.note", version = 1, formats = ["postcard", "cbor"])]
struct NoteV1 {
    text: String,
    stars: u8,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "test.formats.note", version = 2, formats = ["postcard", "cbor"])]
struct NoteV2 {
    title: String,
    stars: u32,
}

/// Version 3.1: 3.0 had no tags.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "test.formats.note", version = "3.1.0", formats = ["postcard", "cbor"])]
struct Note {
    title: String,
    stars: u32,
    #[serde(default)]
    tags: Vec<String>,
}

/// What version 3.0 wrote.
#[derive(Serialize)]
struct NoteV3_0 {
    title: String,
    stars: u32,
}

#[upcast::register]
impl From<NoteV1> for NoteV2 {
    fn from(v1: NoteV1) -> Self {
        NoteV2 {
            title: v1.text,
            stars: u32::from(v1.stars),
        }
    }
}

#[upcast::register]
impl From<NoteV2> for Note {
    fn from(v2: NoteV2) -> Self {
        Note {
            title: v2.title,
            stars: v2.stars,
            tags: Vec::new(),
        }
    }
}

#[upcast::register(downcast)]
impl TryFrom<NoteV2> for NoteV1 {
    type Error = UpcastError;
    fn try_from(v2: NoteV2) -> Result<Self, UpcastError> {
        let stars = u8::try_from(v2.stars).map_err(|_| UpcastError::new("too many stars"))?;
        Ok(NoteV1 {
            text: v2.title,
            stars,
        })
    }
}

#[upcast::register]
impl Downcast for Note {
    type Prev = NoteV2;
    fn downcast(self, cx: &Context<'_>) -> Result<NoteV2, UpcastError> {
        if !self.tags.is_empty() {
            cx.set_aside("tags", &self.tags)?;
        }
        Ok(NoteV2 {
            title: self.title,
            stars: self.stars,
        })
    }
}

fn note() -> Note {
    Note {
        title: "hi".into(),
        stars: 4,
        tags: Vec::new(),
    }
}

fn v(text: &str) -> Version {
    Version::parse(text).unwrap()
}

/// Every property below, in format `F`.
fn every_layout_and_version<F: Format>() {
    let current = format::to_vec::<F, _>(&note()).unwrap();
    let header = format::header(&current).unwrap();
    assert_eq!(
        (header.kind_id, &header.version),
        (upcast::kind_id("test.formats.note"), &v("3.1.0"))
    );
    assert_eq!(
        format::from_slice::<F, Note>(&current).unwrap(),
        note(),
        "{}",
        F::NAME
    );

    let old = format::to_vec::<F, _>(&NoteV1 {
        text: "hi".into(),
        stars: 4,
    })
    .unwrap();
    assert_eq!(
        format::from_slice::<F, Note>(&old).unwrap(),
        note(),
        "{}: stepped",
        F::NAME
    );

    let down = format::to_vec_at::<F, _>(&note(), &v("1")).unwrap();
    assert_eq!(format::header(&down).unwrap().version, v("1"));
    let as_v1: NoteV1 = format::from_slice::<F, _>(&down).unwrap();
    assert_eq!(
        as_v1,
        NoteV1 {
            text: "hi".into(),
            stars: 4
        }
    );
    assert_eq!(
        format::from_slice::<F, Note>(&down).unwrap(),
        note(),
        "{}: and back",
        F::NAME
    );
    let tagged = Note {
        tags: vec!["a".into()],
        ..note()
    };
    let refused = format::to_vec_at::<F, _>(&tagged, &v("2")).unwrap_err();
    assert!(
        matches!(refused, Error::SetAside { .. }),
        "{}: {refused}",
        F::NAME
    );
    assert!(refused.to_string().contains("`tags`"), "{refused}");

    let payload = format::to_payload::<F, _>(&NoteV2 {
        title: "hi".into(),
        stars: 4,
    })
    .unwrap();
    assert_eq!(
        format::from_payload::<F, Note>("2", &payload).unwrap(),
        note()
    );
    let payload = format::to_payload_at::<F, _>(&note(), &v("2")).unwrap();
    assert_eq!(
        format::from_payload::<F, NoteV2>("2", &payload)
            .unwrap()
            .title,
        "hi"
    );
}

#[test]
fn json_blobs() {
    every_layout_and_version::<Json>();
}

#[test]
fn cbor_blobs() {
    every_layout_and_version::<Cbor>();
}

#[test]
fn messagepack_blobs() {
    every_layout_and_version::<MessagePack>();
}

#[test]
fn postcard_blobs() {
    every_layout_and_version::<Postcard>();
}

#[test]
fn bincode_blobs() {
    every_layout_and_version::<Bincode>();
}

/// A record written by version 3.0: its header says 3.0.0, its payload has no tags.
fn written_by_3_0<F: Format>() -> Vec<u8> {
    let mut blob = format::to_vec::<F, _>(&note()).unwrap();
    let at = format::header(&blob).unwrap().payload_at;
    blob.truncate(at);
    // The header's minor is the byte after the kind id and the major.
    blob[6] = 0;
    let payload = F::to_vec(&NoteV3_0 {
        title: "hi".into(),
        stars: 4,
    })
    .unwrap();
    blob.extend_from_slice(&payload);
    assert_eq!(format::header(&blob).unwrap().version, v("3.0.0"));
    blob
}

#[test]
fn a_type_reads_older_minors_only_in_formats_that_describe_their_fields() {
    assert_eq!(
        format::from_slice::<Json, Note>(&written_by_3_0::<Json>()).unwrap(),
        note()
    );
    assert_eq!(
        format::from_slice::<Cbor, Note>(&written_by_3_0::<Cbor>()).unwrap(),
        note()
    );
    let msgpack = written_by_3_0::<MessagePack>();
    assert_eq!(
        format::from_slice::<MessagePack, Note>(&msgpack).unwrap(),
        note()
    );
    for (name, error) in [
        (
            "postcard",
            format::from_slice::<Postcard, Note>(&written_by_3_0::<Postcard>()).unwrap_err(),
        ),
        (
            "bincode",
            format::from_slice::<Bincode, Note>(&written_by_3_0::<Bincode>()).unwrap_err(),
        ),
    ] {
        assert!(matches!(error, Error::NotSelfDescribing { .. }), "{error}");
        assert_eq!(
            error.to_string(),
            format!(
                "cannot read `test.formats.note` 3.0.0 in {name} with the type for 3.1.0: {name} \
                 does not say which fields it holds, so every version needs a type of its own; \
                 give this change a major version with a step, or store the kind in a \
                 self-describing format"
            )
        );
    }
    let payload = Postcard::to_vec(&NoteV3_0 {
        title: "hi".into(),
        stars: 4,
    })
    .unwrap();
    let error = format::from_payload::<Postcard, Note>("3.0.0", &payload).unwrap_err();
    assert!(
        matches!(error, Error::NotSelfDescribing { .. }),
        "external too: {error}"
    );
}

#[test]
fn truncated_blobs_are_errors_that_say_what_is_missing() {
    fn each_prefix<F: Format>() {
        let blob = format::to_vec::<F, _>(&note()).unwrap();
        let payload_at = format::header(&blob).unwrap().payload_at;
        for end in 0..blob.len() {
            let error = format::from_slice::<F, Note>(&blob[..end]).unwrap_err();
            let text = error.to_string();
            if end < payload_at {
                assert!(
                    matches!(error, Error::Blob { .. }),
                    "{}: {end}: {text}",
                    F::NAME
                );
            } else {
                assert!(
                    text.starts_with("invalid `test.formats.note` record (version `3.1.0`)"),
                    "{}: {end}: {text}",
                    F::NAME
                );
            }
        }
    }
    each_prefix::<Json>();
    each_prefix::<Cbor>();
    each_prefix::<MessagePack>();
    each_prefix::<Postcard>();
    each_prefix::<Bincode>();
}

#[test]
fn bytes_left_over_after_the_value_are_an_error() {
    fn with_tail<F: Format>() {
        let mut blob = format::to_vec::<F, _>(&note()).unwrap();
        blob.push(0);
        let error = format::from_slice::<F, Note>(&blob).unwrap_err();
        assert!(matches!(error, Error::Data { .. }), "{}: {error}", F::NAME);
    }
    with_tail::<Json>();
    with_tail::<Cbor>();
    with_tail::<MessagePack>();
    with_tail::<Postcard>();
    with_tail::<Bincode>();
}

#[test]
fn another_kind_s_blob_is_named_in_the_error() {
    let old = format::to_vec::<Postcard, _>(&NoteV1 {
        text: "hi".into(),
        stars: 1,
    })
    .unwrap();
    let error = format::from_slice::<Postcard, Other>(&old).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid kind `test.formats.note`, expected `test.formats.other`"
    );
    let json = upcast::to_vec(&note()).unwrap();
    let error = format::from_slice::<Json, Note>(&json).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("a JSON record? read it with upcast::from_slice"),
        "{error}"
    );
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
#[versioned(kind = "test.formats.other", version = 1, id = 0x0102_0304)]
struct Other {
    n: u32,
}

#[test]
fn a_declared_id_is_the_header_s() {
    let blob = format::to_vec::<Bincode, _>(&Other { n: 7 }).unwrap();
    assert_eq!(&blob[..5], &[format::MAGIC, 4, 3, 2, 1]);
    assert_eq!(
        format::from_slice::<Bincode, Other>(&blob).unwrap(),
        Other { n: 7 }
    );
}

proptest! {
    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = format::header(&bytes);
        let _ = format::from_slice::<Json, Note>(&bytes);
        let _ = format::from_slice::<Cbor, Note>(&bytes);
        let _ = format::from_slice::<MessagePack, Note>(&bytes);
        let _ = format::from_slice::<Postcard, Note>(&bytes);
        let _ = format::from_slice::<Bincode, Note>(&bytes);
    }

    #[test]
    fn garbage_after_a_good_header_never_panics(
        version in prop_oneof![Just("1"), Just("2"), Just("3.0.0"), Just("3.1.0"), Just("9")],
        payload in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let stored = v(version);
        let mut head = Vec::new();
        head.push(format::MAGIC);
        head.extend_from_slice(&upcast::kind_id("test.formats.note").to_le_bytes());
        for part in [stored.as_semver().major, stored.as_semver().minor, stored.as_semver().patch] {
            head.push(u8::try_from(part).unwrap());
        }
        head.push(0);
        head.extend_from_slice(&payload);
        let _ = format::from_slice::<Postcard, Note>(&head);
        let _ = format::from_slice::<Bincode, Note>(&head);
        let _ = format::from_slice::<Cbor, Note>(&head);
        let _ = format::from_slice::<MessagePack, Note>(&head);
        let _ = format::from_payload::<Postcard, Note>(version, &payload);
    }
}

#[test]
fn kinds_sharing_an_id_and_versions_disagreeing_on_one_are_registry_problems() {
    use upcast::{Registry, Tag, Versioned};
    #[derive(Serialize, Deserialize, JsonSchema)]
    struct A;
    impl Versioned for A {
        const KIND: &'static str = "test.formats.a";
        const VERSION: Tag = Tag::Number(1);
        const KIND_ID: u32 = 9;
    }
    #[derive(Serialize, Deserialize, JsonSchema)]
    struct B;
    impl Versioned for B {
        const KIND: &'static str = "test.formats.b";
        const VERSION: Tag = Tag::Number(1);
        const KIND_ID: u32 = 9;
    }
    #[derive(Serialize, Deserialize, JsonSchema)]
    struct A2;
    impl Versioned for A2 {
        const KIND: &'static str = "test.formats.a";
        const VERSION: Tag = Tag::Number(2);
        const KIND_ID: u32 = 10;
    }
    let Err(Error::InvalidRegistry(problems)) =
        Registry::builder().version::<A>().version::<B>().build()
    else {
        panic!("two kinds with one id");
    };
    assert_eq!(
        problems[0].to_string(),
        "`test.formats.a` and `test.formats.b` have the same id 9, so a binary record would not \
         say which it is; declare another with #[versioned(id = …)] on every version of one"
    );
    let Err(Error::InvalidRegistry(problems)) =
        Registry::builder().version::<A>().version::<A2>().build()
    else {
        panic!("one kind with two ids");
    };
    assert!(
        problems[0]
            .to_string()
            .starts_with("the versions of `test.formats.a` declare different ids: 9 (A), 10 (A2)"),
        "{}",
        problems[0]
    );
}

/// Version 1.1 of a kind stored in postcard, whose type also reads 1.0 (in JSON).
#[derive(Serialize, Deserialize, JsonSchema)]
struct Ranged {
    n: u32,
    #[serde(default)]
    label: String,
}

impl upcast::Versioned for Ranged {
    const KIND: &'static str = "test.formats.ranged";
    const VERSION: upcast::Tag = upcast::Tag::Text("1.1");
    const FORMATS: &'static [&'static str] = &["postcard"];
}

/// A type postcard cannot read back when `note` is absent: it skips the field on write.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Skipping {
    n: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

impl upcast::Versioned for Skipping {
    const KIND: &'static str = "test.formats.skipping";
    const VERSION: upcast::Tag = upcast::Tag::Number(1);
    const FORMATS: &'static [&'static str] = &["cbor", "postcard"];
}

/// A blessed check folder for the one version of `V`, with `samples` for it.
fn checked<V: upcast::Versioned>(samples: &str, extra: &[(&str, &str)]) -> upcast::check::Report {
    let registry = upcast::Registry::builder().version::<V>().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let check = upcast::check::Check::new(dir.path()).registry(&registry);
    check.clone().bless(true).run().unwrap();
    let kind = dir.path().join(V::KIND);
    let version = V::VERSION.version().unwrap();
    std::fs::write(kind.join(format!("{version}.samples.jsonl")), samples).unwrap();
    for (file, text) in extra {
        std::fs::write(kind.join(file), text).unwrap();
    }
    check.bless(false).run().unwrap()
}

#[test]
fn the_check_refuses_a_minor_range_in_a_format_that_does_not_describe_its_fields() {
    let old_schema = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Ranged",
        "type": "object",
        "properties": {"n": {"type": "integer", "format": "uint32", "minimum": 0}},
        "required": ["n"]
    });
    let report = checked::<Ranged>(
        "{\"n\": 1, \"label\": \"a\"}\n",
        &[
            ("1.0.0.json", &old_schema.to_string()),
            ("1.0.0.samples.jsonl", "{\"n\": 1}\n"),
        ],
    );
    let found: Vec<String> = report
        .of(&upcast::check::FORMAT_MINOR_RANGE)
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        found,
        [
            "`test.formats.ranged` 1.0.0: `test.formats.ranged` 1.0.0 is read by the type for \
          1.1.0, which postcard cannot do: postcard bytes of 1.0.0 would be refused"
        ],
        "{report}"
    );
    assert!(!report.passed());
    let rule = upcast::check::rule("format-minor-range").unwrap();
    assert!(rule.fix.contains("major version"), "{}", rule.fix);
}

#[test]
fn the_check_writes_every_sample_in_each_declared_format_and_reads_it_back() {
    let report = checked::<Skipping>("{\"n\": 1, \"note\": \"kept\"}\n{\"n\": 2}\n", &[]);
    let found: Vec<String> = report
        .of(&upcast::check::FORMAT_ROUNDTRIP)
        .map(|finding| finding.message.clone())
        .collect();
    assert_eq!(
        found.len(),
        1,
        "only the sample without a note fails: {report}"
    );
    assert!(
        found[0].starts_with("line 2: written in postcard, it cannot be read back: "),
        "cbor describes its fields, so it is postcard that fails: {}",
        found[0]
    );
    let passing = checked::<Ranged>("{\"n\": 1, \"label\": \"a\"}\n", &[]);
    assert!(passing.passed(), "{passing}");
}

#[test]
fn a_bincode_length_prefix_asking_for_exabytes_is_an_error_not_an_abort() {
    let mut payload = vec![253];
    payload.extend_from_slice(&(u64::MAX / 2).to_le_bytes());
    let error = format::from_payload::<Bincode, Note>("3.1.0", &payload).unwrap_err();
    assert!(matches!(error, Error::Data { .. }), "{error}");
    assert!(error.to_string().contains("limit"), "{error}");
}
