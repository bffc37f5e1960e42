//! Anything serde_json reads, every layout reads: serde's record shapes × layouts × read
//! functions, each compared with `serde_json::from_slice` of the bare payload, and each
//! written back and read again equal.

use std::borrow::Cow;
use std::collections::BTreeMap;

use proptest::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use upcast::{AnyVersion, Layout, Registry, Stored, Version, Versioned};

/// The tag field of the inline layout in these tests.
const TAG: &str = "v";

/// Declares a record shape at versions 1 and 2 (the same definition twice, joined by a
/// step that goes through serde), and an `AnyVersion` enum of both.
macro_rules! shape {
    ($kind:literal, $v1:ident, $v2:ident, $any:ident, $(#[$attr:meta])* $item:ident $body:tt $($semi:tt)?) => {
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
        #[versioned(kind = $kind, version = 1)]
        $(#[$attr])*
        pub $item $v1 $body $($semi)?

        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, upcast::Versioned)]
        #[versioned(kind = $kind, version = "2.0.0")]
        $(#[$attr])*
        pub $item $v2 $body $($semi)?

        #[upcast::register]
        impl From<$v1> for $v2 {
            fn from(v1: $v1) -> Self {
                let value = serde_json::to_value(v1).unwrap();
                serde_json::from_value(value).unwrap()
            }
        }

        #[derive(Debug, upcast::AnyVersion)]
        pub enum $any {
            V1($v1),
            V2($v2),
        }
    };
}

shape!("parity.plain", PlainV1, Plain, AnyPlain, struct {
    name: String,
    count: u32,
    tags: Vec<String>,
});

shape!("parity.map", MapV1, MapDoc, AnyMap, struct (Map<String, Value>););

shape!("parity.btree", BTreeV1, BTreeDoc, AnyBTree, struct (BTreeMap<String, u32>););

shape!("parity.value", ValueV1, ValueDoc, AnyValue, struct (Value););

shape!("parity.transparent", TransparentV1, Transparent, AnyTransparent,
    #[serde(transparent)]
    struct { inner: BTreeMap<String, String> }
);

shape!("parity.flatten", FlattenV1, Flatten, AnyFlatten, struct {
    id: u64,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
});

shape!("parity.internal", InternalV1, Internal, AnyInternal,
    #[serde(tag = "type")]
    enum { Circle { r: f64 }, Square { side: u32, label: String } }
);

shape!("parity.adjacent", AdjacentV1, Adjacent, AnyAdjacent,
    #[serde(tag = "t", content = "c")]
    enum { Text(String), Pair(u8, u8) }
);

shape!("parity.untagged", UntaggedV1, Untagged, AnyUntagged,
    #[serde(untagged)]
    enum { Named { name: String }, Counted { count: u64 } }
);

shape!("parity.external_enum", ExternalV1, ExternalEnum, AnyExternal,
    enum { Created { at: String }, Deleted { by: String } }
);

shape!("parity.strict", StrictV1, Strict, AnyStrict,
    #[serde(deny_unknown_fields)]
    struct { a: u8, b: String }
);

shape!("parity.defaults", DefaultsV1, Defaults, AnyDefaults, struct {
    name: Cow<'static, str>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    seen: Vec<u32>,
});

/// How a record is stored, with the version written as `tag`.
#[derive(Clone, Copy, Debug)]
enum Form {
    EnvelopeKindFirst,
    EnvelopeDataFirst,
    InlineTagFirst,
    InlineTagLast,
    External,
}

const FORMS: [Form; 5] = [
    Form::EnvelopeKindFirst,
    Form::EnvelopeDataFirst,
    Form::InlineTagFirst,
    Form::InlineTagLast,
    Form::External,
];

impl Form {
    fn layout(self, kind: &'static str) -> Layout {
        match self {
            Form::EnvelopeKindFirst | Form::EnvelopeDataFirst => Layout::envelope(),
            Form::InlineTagFirst | Form::InlineTagLast => Layout::inline(TAG).with_kind(kind),
            Form::External => Layout::external().with_kind(kind),
        }
    }

    /// The stored bytes of `payload` (a JSON object's text) at `tag` (JSON: `1`, `"2.0.0"`).
    fn store(self, kind: &str, tag: &str, payload: &str) -> String {
        let members = payload
            .trim()
            .strip_prefix('{')
            .and_then(|p| p.strip_suffix('}'));
        let members = members.expect("payloads are objects").trim();
        let sep = if members.is_empty() { "" } else { "," };
        match self {
            Form::EnvelopeKindFirst => {
                format!(r#"{{"kind":"{kind}","version":{tag},"id":7,"data":{payload}}}"#)
            }
            Form::EnvelopeDataFirst => {
                format!(r#"{{"data":{payload},"id":7,"kind":"{kind}","version":{tag}}}"#)
            }
            Form::InlineTagFirst => format!(r#"{{"{TAG}":{tag}{sep}{members}}}"#),
            Form::InlineTagLast => format!(r#"{{{members}{sep}"{TAG}":{tag}}}"#),
            Form::External => payload.to_owned(),
        }
    }
}

/// Reads `payload` stored at versions 1 and 2 in every form with every read function, and
/// checks each against serde_json's reading of the bare payload.
fn parity<V2, Any>(payload: &str)
where
    V2: Versioned + PartialEq + std::fmt::Debug + Clone + upcast::Decode,
    Any: AnyVersion<Current = V2> + std::fmt::Debug,
{
    let expected: V2 = serde_json::from_str(payload).expect("serde_json reads the payload");
    for form in FORMS {
        for (tag, version) in [
            ("1", Version::new(1, 0, 0)),
            (r#""2.0.0""#, Version::new(2, 0, 0)),
        ] {
            let stored = form.store(V2::KIND, tag, payload);
            let case = format!("{form:?} at {version}: {stored}");
            let layout = form.layout(V2::KIND);
            let read = |bytes: &[u8]| -> V2 { read_as(&layout, form, &version, bytes, &case) };
            assert_eq!(read(stored.as_bytes()), expected, "from_slice, {case}");
            let reader = layout.reader();
            let from_str: V2 = match form {
                Form::External => reader.from_str_at(&version, &stored),
                _ => reader.from_str(&stored),
            }
            .unwrap_or_else(|e| panic!("from_str, {case}: {e}"));
            assert_eq!(from_str, expected, "from_str, {case}");
            let from_reader: V2 = match form {
                Form::External => reader.from_reader_at(&version, stored.as_bytes()),
                _ => reader.from_reader(stored.as_bytes()),
            }
            .unwrap_or_else(|e| panic!("from_reader, {case}: {e}"));
            assert_eq!(from_reader, expected, "from_reader, {case}");
            let value: Value = serde_json::from_str(&stored).unwrap();
            let from_value: V2 = match form {
                Form::External => reader.from_value_at(&version, value),
                _ => reader.from_value(value),
            }
            .unwrap_or_else(|e| panic!("from_value, {case}: {e}"));
            assert_eq!(from_value, expected, "from_value, {case}");
            let any: Any = match form {
                Form::External => reader.from_slice_at(&version, stored.as_bytes()),
                _ => reader.from_slice(stored.as_bytes()),
            }
            .unwrap_or_else(|e| panic!("AnyVersion, {case}: {e}"));
            assert_eq!(
                any.version().to_string(),
                tag.trim_matches('"'),
                "AnyVersion, {case}"
            );
            assert_eq!(any.into_current().unwrap(), expected, "AnyVersion, {case}");
            if !matches!(form, Form::External) {
                let migrated = layout
                    .from_slice_migrating::<V2>(stored.as_bytes())
                    .unwrap();
                assert_eq!(migrated.value, expected, "migrating, {case}");
                if let Some(rewrite) = migrated.rewrite {
                    assert_eq!(read(&rewrite), expected, "migrating rewrite, {case}");
                }
            }
            let converted = match form {
                Form::External => Registry::global().convert(
                    &layout,
                    Stored::at(tag.trim_matches('"'), stored.as_bytes()),
                ),
                _ => Registry::global().convert(&layout, Stored::new(stored.as_bytes())),
            }
            .unwrap_or_else(|e| panic!("convert, {case}: {e}"));
            let current = converted
                .bytes
                .unwrap_or_else(|| stored.clone().into_bytes());
            let newest = Version::new(2, 0, 0);
            assert_eq!(
                read_as::<V2>(&layout, form, &newest, &current, &case),
                expected,
                "convert, {case}"
            );
            let written = layout.to_vec(&expected).unwrap();
            assert_eq!(
                read_as::<V2>(&layout, form, &newest, &written, &case),
                expected,
                "written back, {case}"
            );
        }
    }
    if matches!(serde_json::from_str::<Value>(payload), Ok(Value::Object(_))) {
        let envelope = serde_json::json!({"kind": V2::KIND, "version": 1, "data": serde_json::from_str::<Value>(payload).unwrap()});
        let current = Registry::global().upcast_value(envelope).unwrap();
        assert_eq!(
            upcast::from_value::<V2>(current).unwrap(),
            expected,
            "upcast_value"
        );
    }
}

fn read_as<V2: upcast::Decode>(
    layout: &Layout,
    form: Form,
    version: &Version,
    bytes: &[u8],
    case: &str,
) -> V2 {
    match form {
        Form::External => layout.from_slice_at(version, bytes),
        _ => layout.from_slice(bytes),
    }
    .unwrap_or_else(|e| panic!("{case}: {e}"))
}

#[test]
fn plain_structs() {
    parity::<Plain, AnyPlain>(r#"{"name":"Ada \"L\" \u00e9","count":3,"tags":["a","b"]}"#);
}

#[test]
fn newtypes_over_a_map() {
    parity::<MapDoc, AnyMap>(r#"{"title":"T","n":[1,{"x":null}]}"#);
    parity::<MapDoc, AnyMap>("{}");
    parity::<BTreeDoc, AnyBTree>(r#"{"a":1,"b":2}"#);
}

#[test]
fn newtypes_over_a_value() {
    parity::<ValueDoc, AnyValue>(r#"{"any":[true,2.5,"x"],"deep":{"k":{}}}"#);
}

#[test]
fn transparent_records() {
    parity::<Transparent, AnyTransparent>(r#"{"a":"x","b":"y"}"#);
}

#[test]
fn flattened_fields() {
    parity::<Flatten, AnyFlatten>(r#"{"id":9,"extra":[1],"more":{"a":"b"}}"#);
}

#[test]
fn internally_tagged_enums() {
    parity::<Internal, AnyInternal>(r#"{"type":"Square","side":4,"label":"sq"}"#);
    parity::<Internal, AnyInternal>(r#"{"r":1.5,"type":"Circle"}"#);
}

#[test]
fn adjacently_tagged_enums() {
    parity::<Adjacent, AnyAdjacent>(r#"{"t":"Pair","c":[1,2]}"#);
    parity::<Adjacent, AnyAdjacent>(r#"{"c":"hello","t":"Text"}"#);
}

#[test]
fn untagged_enums() {
    parity::<Untagged, AnyUntagged>(r#"{"count":12}"#);
    parity::<Untagged, AnyUntagged>(r#"{"name":"n"}"#);
}

#[test]
fn externally_tagged_enums() {
    parity::<ExternalEnum, AnyExternal>(r#"{"Deleted":{"by":"ops"}}"#);
}

#[test]
fn records_that_deny_unknown_fields() {
    parity::<Strict, AnyStrict>(r#"{"a":1,"b":"two"}"#);
}

#[test]
fn options_defaults_and_cows() {
    parity::<Defaults, AnyDefaults>(r#"{"name":"x"}"#);
    parity::<Defaults, AnyDefaults>(r#"{"name":"esc\naped","note":"n","seen":[1,2]}"#);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn generated_plain_records_read_as_serde_reads_them(
        name in "\\PC{0,12}",
        count in any::<u32>(),
        tags in proptest::collection::vec("[a-z\"\\\\ ]{0,4}", 0..4),
    ) {
        let payload = serde_json::to_string(&Plain { name, count, tags }).unwrap();
        parity::<Plain, AnyPlain>(&payload);
    }

    #[test]
    fn generated_maps_read_as_serde_reads_them(
        entries in proptest::collection::btree_map("[a-z{}\\[\\]\"]{0,5}", any::<u32>(), 0..5)
            .prop_filter("the inline tag field is the layout's", |map| !map.contains_key(TAG)),
    ) {
        let payload = serde_json::to_string(&entries).unwrap();
        parity::<BTreeDoc, AnyBTree>(&payload);
    }
}
