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
