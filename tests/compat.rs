//! The compatibility checker on the schemas schemars derives from Rust types: the common
//! evolutions of a serde struct, as Confluent's rules see them.

// The types exist for their schemas only.
#![allow(dead_code)]

use proptest::prelude::*;
use schemars::JsonSchema;
use serde_json::{Value, json};
use upcast::compat::{self, Direction, Policy};

mod v1 {
    #[derive(schemars::JsonSchema)]
    pub struct User {
        pub name: String,
        pub age: u32,
        pub address: Address,
    }

    #[derive(schemars::JsonSchema)]
    pub struct Address {
        pub city: String,
    }
}

mod added_option {
    #[derive(schemars::JsonSchema)]
    pub struct User {
        pub name: String,
        pub age: u32,
        pub address: super::v1::Address,
        pub email: Option<String>,
    }
}

mod removed_field {
    #[derive(schemars::JsonSchema)]
    pub struct User {
        pub name: String,
        pub address: super::v1::Address,
    }
}

mod retyped {
    #[derive(schemars::JsonSchema)]
    pub struct User {
        pub name: String,
        pub age: String,
        pub address: super::v1::Address,
    }
}

mod widened {
    #[derive(schemars::JsonSchema)]
    pub struct User {
        pub name: String,
        pub age: u64,
        pub address: super::v1::Address,
    }
}

mod renamed_nested {
    #[derive(schemars::JsonSchema)]
    pub struct User {
        pub name: String,
        pub age: u32,
        pub address: PostalAddress,
    }

    #[derive(schemars::JsonSchema)]
    pub struct PostalAddress {
        pub city: String,
    }
}

mod closed_before {
    #[derive(schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct User {
        pub name: String,
    }
}

mod closed_after {
    #[derive(schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct User {
        pub name: String,
        pub nick: Option<String>,
    }
}

#[derive(JsonSchema)]
enum ColorV1 {
    Red,
    Green,
}

#[derive(JsonSchema)]
enum ColorV2 {
    Red,
    Green,
    Blue,
}

#[derive(JsonSchema)]
struct Tree {
    children: Vec<Tree>,
}

fn schema<T: JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).unwrap()
}

fn changes<A: JsonSchema, B: JsonSchema>() -> Vec<String> {
    compat::diff(&schema::<A>(), &schema::<B>())
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn compatible<A: JsonSchema, B: JsonSchema>(policy: Policy) -> bool {
    compat::check(&schema::<A>(), &schema::<B>(), Direction::Backward, policy)
        .unwrap()
        .is_compatible()
}

#[test]
fn adding_an_option_is_lenient_only() {
    assert_eq!(
        changes::<v1::User, added_option::User>(),
        ["OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL #/properties/email"]
    );
    assert!(!compatible::<v1::User, added_option::User>(Policy::Strict));
    assert!(compatible::<v1::User, added_option::User>(Policy::Lenient));
}

#[test]
fn removing_a_field_is_compatible() {
    let found = changes::<v1::User, removed_field::User>();
    assert!(
        found.contains(&"PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL #/properties/age".to_owned()),
        "{found:?}"
    );
    assert!(compatible::<v1::User, removed_field::User>(Policy::Strict));
}

#[test]
fn changing_a_type_is_not() {
    assert!(
        changes::<v1::User, retyped::User>().contains(&"TYPE_CHANGED #/properties/age".to_owned())
    );
    assert!(!compatible::<v1::User, retyped::User>(Policy::Lenient));
}

#[test]
fn widening_u32_to_u64_changes_only_the_format_which_confluent_ignores() {
    let (old, new) = (schema::<v1::User>(), schema::<widened::User>());
    assert_ne!(
        old["properties"]["age"], new["properties"]["age"],
        "the format differs"
    );
    assert!(
        compatible::<v1::User, widened::User>(Policy::Strict),
        "{:?}",
        changes::<v1::User, widened::User>()
    );
}

#[test]
fn renaming_a_nested_type_is_no_change() {
    assert!(changes::<v1::User, renamed_nested::User>().is_empty());
}

#[test]
fn adding_a_field_to_a_closed_struct_is_compatible() {
    assert_eq!(
        changes::<closed_before::User, closed_after::User>(),
        ["OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL #/properties/nick"]
    );
    assert!(compatible::<closed_before::User, closed_after::User>(
        Policy::Strict
    ));
}

#[test]
fn enum_variants() {
    assert!(
        compatible::<ColorV1, ColorV2>(Policy::Strict),
        "{:?}",
        changes::<ColorV1, ColorV2>()
    );
    assert!(!compatible::<ColorV2, ColorV1>(Policy::Lenient));
}

#[test]
fn recursive_types_terminate() {
    assert!(changes::<Tree, Tree>().is_empty());
}

#[test]
fn full_means_both_ways() {
    let (old, new) = (
        json!({"type": "string", "maxLength": 5}),
        json!({"type": "string"}),
    );
    let full = compat::check(&old, &new, Direction::Full, Policy::Strict).unwrap();
    assert_eq!(full.backward().len(), 1);
    assert_eq!(
        full.forward()[0].to_string(),
        "MAX_LENGTH_ADDED #/maxLength"
    );
    assert!(!full.is_compatible());
    let forward = compat::check(&old, &new, Direction::Forward, Policy::Strict).unwrap();
    assert!(forward.backward().is_empty() && !forward.is_compatible());
}

#[test]
fn bad_schemas_are_errors_with_their_place() {
    let error = compat::diff(
        &json!({"properties": {"a": 5}}),
        &json!({"properties": {"a": 6}}),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid schema at `#/properties/a`: expected an object or a boolean, found a number"
    );
    let dangling = compat::diff(&json!({"$ref": "#/$defs/Gone"}), &json!({})).unwrap_err();
    assert!(
        dangling
            .to_string()
            .contains("unresolvable `$ref` `#/$defs/Gone`"),
        "{dangling}"
    );
    let looping = json!({"$ref": "#/$defs/A", "$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}}});
    assert!(compat::diff(&looping, &looping).is_err());
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        prop::sample::select(vec![
            "string",
            "object",
            "array",
            "integer",
            "number",
            "#",
            "#/$defs/a",
            "^a"
        ])
        .prop_map(Value::from),
    ];
    let keys = prop::sample::select(vec![
        "type",
        "properties",
        "items",
        "prefixItems",
        "additionalProperties",
        "additionalItems",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "enum",
        "const",
        "$ref",
        "$defs",
        "required",
        "patternProperties",
        "minimum",
        "maxLength",
        "dependencies",
        "unevaluatedItems",
        "a",
    ]);
    leaf.prop_recursive(5, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(keys.clone(), inner, 0..5).prop_map(|map| Value::Object(
                map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

proptest! {
    #[test]
    fn arbitrary_schemas_never_panic(a in any_json(), b in any_json()) {
        let _ = compat::diff(&a, &b);
        let _ = compat::check(&a, &b, Direction::Full, Policy::Lenient);
    }
}

/// A combined schema of `n` members (`string`, `integer`, `boolean`, `null`, in that order).
fn combined(keyword: &str, n: usize) -> serde_json::Value {
    let members: Vec<serde_json::Value> = ["string", "integer", "boolean", "null"][..n]
        .iter()
        .map(|t| serde_json::json!({ "type": t }))
        .collect();
    serde_json::json!({ keyword: members })
}

#[test]
fn every_transition_between_combiners() {
    use compat::Policy::Strict;
    // (from, n, to, m, expected change types in order, compatible)
    type Transition = (
        &'static str,
        usize,
        &'static str,
        usize,
        &'static [&'static str],
        bool,
    );
    let cases: &[Transition] = &[
        ("allOf", 2, "allOf", 3, &["PRODUCT_TYPE_EXTENDED"], false),
        ("allOf", 3, "allOf", 2, &["PRODUCT_TYPE_NARROWED"], true),
        ("allOf", 2, "allOf", 2, &[], true),
        ("anyOf", 2, "anyOf", 3, &["SUM_TYPE_EXTENDED"], true),
        ("anyOf", 3, "anyOf", 2, &["SUM_TYPE_NARROWED"], false),
        ("anyOf", 2, "anyOf", 2, &[], true),
        ("oneOf", 2, "oneOf", 3, &["SUM_TYPE_EXTENDED"], true),
        ("oneOf", 3, "oneOf", 2, &["SUM_TYPE_NARROWED"], false),
        ("oneOf", 2, "oneOf", 2, &[], true),
        (
            "allOf",
            2,
            "anyOf",
            3,
            &["COMBINED_TYPE_EXTENDED", "SUM_TYPE_EXTENDED"],
            true,
        ),
        (
            "allOf",
            3,
            "anyOf",
            2,
            &["COMBINED_TYPE_EXTENDED", "PRODUCT_TYPE_NARROWED"],
            true,
        ),
        ("allOf", 2, "anyOf", 2, &["COMBINED_TYPE_EXTENDED"], true),
        (
            "oneOf",
            2,
            "anyOf",
            3,
            &["COMBINED_TYPE_EXTENDED", "SUM_TYPE_EXTENDED"],
            true,
        ),
        (
            "oneOf",
            3,
            "anyOf",
            2,
            &["COMBINED_TYPE_EXTENDED", "SUM_TYPE_NARROWED"],
            false,
        ),
        ("oneOf", 2, "anyOf", 2, &["COMBINED_TYPE_EXTENDED"], true),
        ("allOf", 2, "oneOf", 3, &["COMBINED_TYPE_CHANGED"], false),
        ("allOf", 3, "oneOf", 2, &["COMBINED_TYPE_CHANGED"], false),
        ("allOf", 2, "oneOf", 2, &["COMBINED_TYPE_CHANGED"], false),
        ("anyOf", 2, "oneOf", 3, &["COMBINED_TYPE_CHANGED"], false),
        ("anyOf", 3, "oneOf", 2, &["COMBINED_TYPE_CHANGED"], false),
        ("anyOf", 2, "oneOf", 2, &["COMBINED_TYPE_CHANGED"], false),
        ("anyOf", 2, "allOf", 3, &["COMBINED_TYPE_CHANGED"], false),
        ("anyOf", 3, "allOf", 2, &["COMBINED_TYPE_CHANGED"], false),
        ("anyOf", 2, "allOf", 2, &["COMBINED_TYPE_CHANGED"], false),
        ("oneOf", 2, "allOf", 3, &["COMBINED_TYPE_CHANGED"], false),
        ("oneOf", 3, "allOf", 2, &["COMBINED_TYPE_CHANGED"], false),
        ("oneOf", 2, "allOf", 2, &["COMBINED_TYPE_CHANGED"], false),
        // Singletons: narrowing an allOf is compatible whatever combines what is left.
        (
            "allOf",
            2,
            "anyOf",
            1,
            &["COMBINED_TYPE_EXTENDED", "PRODUCT_TYPE_NARROWED"],
            true,
        ),
        (
            "allOf",
            2,
            "oneOf",
            1,
            &["COMBINED_TYPE_EXTENDED", "PRODUCT_TYPE_NARROWED"],
            true,
        ),
        (
            "anyOf",
            1,
            "oneOf",
            2,
            &["COMBINED_TYPE_EXTENDED", "SUM_TYPE_EXTENDED"],
            true,
        ),
        ("oneOf", 1, "allOf", 1, &["COMBINED_TYPE_EXTENDED"], true),
        ("anyOf", 2, "allOf", 1, &["COMBINED_TYPE_CHANGED"], false),
        (
            "oneOf",
            2,
            "anyOf",
            1,
            &["COMBINED_TYPE_EXTENDED", "SUM_TYPE_NARROWED"],
            false,
        ),
    ];
    for &(from, n, to, m, expected, compatible) in cases {
        let (old, new) = (combined(from, n), combined(to, m));
        let changes = compat::diff(&old, &new).unwrap();
        let found: Vec<&str> = changes.iter().map(|c| c.change_type.as_str()).collect();
        assert_eq!(found, expected, "{from} of {n} -> {to} of {m}");
        let verdict = compat::check(&old, &new, Direction::Backward, Strict).unwrap();
        assert_eq!(
            verdict.is_compatible(),
            compatible,
            "{from} of {n} -> {to} of {m}: {found:?}"
        );
    }
}

/// `a0 -> {l: a1, r: a1}`, `a1 -> {l: a2, r: a2}`, ... `a{depth}` a leaf of type `leaf`:
/// 2^depth paths to the leaf.
fn doubling_dag(depth: usize, leaf: &str) -> serde_json::Value {
    let mut defs = serde_json::Map::new();
    for level in 0..depth {
        let next = format!("#/$defs/a{}", level + 1);
        defs.insert(
            format!("a{level}"),
            serde_json::json!({"type": "object", "properties": {"l": {"$ref": next}, "r": {"$ref": next}}}),
        );
    }
    defs.insert(format!("a{depth}"), serde_json::json!({ "type": leaf }));
    serde_json::json!({"$ref": "#/$defs/a0", "$defs": defs})
}

#[test]
fn a_ref_dag_that_doubles_at_every_level_is_compared_in_linear_work() {
    let old = doubling_dag(40, "string");
    let same = compat::check(&old, &old, Direction::Full, Policy::Strict).unwrap();
    assert!(same.is_compatible() && same.changes().is_empty() && !same.truncated());

    let retyped = doubling_dag(40, "integer");
    let options = compat::Options::new(Direction::Backward, Policy::Strict);
    let verdict = compat::check_with(&old, &retyped, options).unwrap();
    assert!(
        !verdict.is_compatible(),
        "2^40 paths reach the changed leaf"
    );
    assert!(verdict.truncated(), "far more changes than the limit");
    assert_eq!(verdict.changes().len(), compat::DEFAULT_LIMIT);
    assert_eq!(
        verdict.changes()[0].to_string(),
        format!(
            "TYPE_CHANGED #/{}",
            "properties/l/".repeat(40).trim_end_matches('/')
        )
    );

    let widened = doubling_dag(40, "number");
    let integer = doubling_dag(40, "integer");
    let small = compat::check_with(&integer, &widened, options.limit(3)).unwrap();
    assert!(
        small.is_compatible(),
        "integer -> number is TYPE_EXTENDED on every path"
    );
    assert_eq!((small.changes().len(), small.truncated()), (3, true));
}

#[test]
fn draft_2020_12_array_changes_point_at_the_keyword_the_schema_uses() {
    let old = serde_json::json!({"type": "array", "prefixItems": [{"type": "string"}], "items": {"type": "string"}});
    let new = serde_json::json!({"type": "array", "prefixItems": [{"type": "integer"}], "items": {"type": "integer"}});
    let paths: Vec<String> = compat::diff(&old, &new)
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        paths.contains(&"TYPE_CHANGED #/prefixItems/0".to_owned()),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"TYPE_CHANGED #/items".to_owned()),
        "{paths:?}"
    );
}

#[test]
fn a_dag_of_combinations_doubling_at_every_level() {
    const DEPTH: usize = 40;
    for keyword in ["allOf", "anyOf", "oneOf"] {
        let combined = |leaf: Value| {
            let mut defs = serde_json::Map::new();
            for level in 0..DEPTH {
                let next = json!({"$ref": format!("#/$defs/a{}", level + 1)});
                defs.insert(
                    format!("a{level}"),
                    json!({keyword: [next, next, {"minLength": 1}]}),
                );
            }
            defs.insert(format!("a{DEPTH}"), leaf);
            json!({"$ref": "#/$defs/a0", "$defs": defs})
        };
        let old = combined(json!({"type": "string", "maxLength": 5}));
        let check = |new: &Value| compat::check(&old, new, Direction::Backward, Policy::Strict);
        assert!(
            check(&combined(json!({"type": "string"})))
                .unwrap()
                .is_compatible()
        );
        assert!(
            !check(&combined(json!({"type": "integer"})))
                .unwrap()
                .is_compatible()
        );
    }
}

#[test]
fn combinations_that_contain_themselves_are_recursion_not_a_stack_overflow() {
    let diff = |a: &Value, b: &Value| compat::check(a, b, Direction::Backward, Policy::Strict);
    let own = json!({"allOf": [{"$ref": "#"}]});
    assert!(diff(&own, &own).unwrap().changes().is_empty());
    let mutual = json!({"anyOf": [{"$ref": "#/$defs/a"}, {"type": "null"}],
        "$defs": {"a": {"oneOf": [{"$ref": "#"}, {"type": "string"}]}}});
    assert!(diff(&mutual, &mutual).unwrap().changes().is_empty());
}

/// A pair compared while an ancestor pair was assumed compatible (recursion) must not be
/// reused once that ancestor turned out incompatible.
#[test]
fn findings_resting_on_a_failed_recursion_are_not_reused() {
    let q = json!({"type": "object", "properties": {"back": {"$ref": "#/$defs/X"}}});
    let old = json!({"$ref": "#/$defs/X", "$defs": {
        "X": {"type": "object", "properties": {
            "p": {"$ref": "#/$defs/X"}, "q": {"$ref": "#/$defs/Q"}}},
        "Q": q,
    }});
    let new = json!({"anyOf": [{"$ref": "#/$defs/X"}, {"$ref": "#/$defs/Y"}], "$defs": {
        "X": {"type": "object", "required": ["r"], "properties": {
            "p": {"$ref": "#/$defs/X"}, "q": {"$ref": "#/$defs/Q"}, "r": {"type": "string"}}},
        "Q": q,
        "Y": {"type": "object", "properties": {"q": {"$ref": "#/$defs/Q"}}},
    }});
    let result = compat::check(&old, &new, Direction::Backward, Policy::Lenient).unwrap();
    assert!(!result.is_compatible(), "{:?}", result.changes());
}
