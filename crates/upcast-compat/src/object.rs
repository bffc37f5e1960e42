//! Objects: required properties, properties against the content model, dependencies,
//! additional and unevaluated properties, property counts.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::change::ChangeType::*;
use super::compare;
use super::context::Ctx;
use super::members;
use super::model::resolve;
use super::scalar::bound;
use super::unevaluated;
use crate::Error;

type Keywords = Map<String, Value>;

/// An object schema and the document it is in.
type Side<'a> = (&'a Value, &'a Keywords);

pub(crate) fn compare(
    ctx: &mut Ctx<'_>,
    original: Side<'_>,
    update: Side<'_>,
) -> Result<(), Error> {
    required(ctx, original.1, update);
    properties(ctx, original, update)?;
    dependencies(ctx, original, update)?;
    additional(ctx, original, update)?;
    unevaluated(ctx, original, update)?;
    counts(ctx, original.1, update.1);
    Ok(())
}

fn property_map(keywords: &Keywords) -> Option<&Keywords> {
    keywords.get("properties").and_then(Value::as_object)
}

fn property<'a>(keywords: &'a Keywords, name: &str) -> Option<&'a Value> {
    property_map(keywords).and_then(|properties| properties.get(name))
}

fn is_required(keywords: &Keywords, name: &str) -> bool {
    keywords
        .get("required")
        .and_then(Value::as_array)
        .is_some_and(|required| required.iter().any(|r| r.as_str() == Some(name)))
}

/// Whether a property schema says what a missing value becomes.
fn has_default(root: &Value, schema: &Value) -> bool {
    let schema = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|reference| resolve(root, reference))
        .unwrap_or(schema);
    schema.get("default").is_some()
}

fn required(ctx: &mut Ctx<'_>, original: &Keywords, (update_root, update): Side<'_>) {
    let Some(properties) = property_map(original) else {
        return;
    };
    ctx.enter("required");
    for name in properties
        .keys()
        .filter(|name| property(update, name).is_some())
    {
        let change = match (is_required(original, name), is_required(update, name)) {
            (true, false) => RequiredAttributeRemoved,
            (false, true)
                if property(update, name).is_some_and(|p| has_default(update_root, p)) =>
            {
                RequiredAttributeWithDefaultAdded
            }
            (false, true) => RequiredAttributeAdded,
            _ => continue,
        };
        ctx.enter_name(name);
        ctx.add(change);
        ctx.leave();
    }
    ctx.leave();
}

/// Open: anything may come as an unknown property. Partially open: a schema covers unknown
/// properties. Closed: nothing may.
fn is_open(keywords: &Keywords) -> bool {
    let additional_open = matches!(
        keywords.get("additionalProperties"),
        None | Some(Value::Bool(true))
    );
    let unevaluated_open = matches!(
        keywords.get("unevaluatedProperties"),
        None | Some(Value::Bool(true))
    );
    additional_open && unevaluated_open && !keywords.contains_key("patternProperties")
}

/// The schema that covers an unknown property `name` in a partially open content model.
fn covering<'a>(keywords: &'a Keywords, name: &str) -> Option<&'a Value> {
    if let Some(patterns) = keywords.get("patternProperties").and_then(Value::as_object) {
        for (pattern, schema) in patterns {
            if regex::Regex::new(pattern).is_ok_and(|regex| regex.is_match(name)) {
                return Some(schema);
            }
        }
    }
    [
        keywords.get("additionalProperties"),
        keywords.get("unevaluatedProperties"),
    ]
    .into_iter()
    .flatten()
    .find(|schema| schema.is_object())
}

fn properties(ctx: &mut Ctx<'_>, original: Side<'_>, update: Side<'_>) -> Result<(), Error> {
    let names: BTreeSet<&String> = [original.1, update.1]
        .into_iter()
        .filter_map(property_map)
        .flat_map(|properties| properties.keys())
        .collect();
    ctx.enter("properties");
    for name in names {
        ctx.enter_name(name);
        match (property(original.1, name), property(update.1, name)) {
            (Some(removed), None) => removed_property(ctx, original.0, removed, update, name)?,
            (None, Some(added)) => added_property(ctx, original, update, added, name)?,
            (Some(a), Some(b)) => compare::values(ctx, Some((original.0, a)), Some((update.0, b)))?,
            (None, None) => {}
        }
        ctx.leave();
    }
    ctx.leave();
    Ok(())
}

fn removed_property(
    ctx: &mut Ctx<'_>,
    original_root: &Value,
    removed: &Value,
    update: Side<'_>,
    name: &str,
) -> Result<(), Error> {
    let changes = [
        PropertyRemovedFromOpenContentModel,
        PropertyRemovedIsCoveredByPartiallyOpenContentModel,
        PropertyRemovedNotCoveredByPartiallyOpenContentModel,
        PropertyWithFalseRemovedFromClosedContentModel,
        PropertyRemovedFromClosedContentModel,
    ];
    let covering = covering(update.1, name).map(|schema| (update.0, schema));
    members::removed(
        ctx,
        is_open(update.1),
        covering,
        (original_root, removed),
        changes,
    )
}

fn added_property(
    ctx: &mut Ctx<'_>,
    original: Side<'_>,
    update: Side<'_>,
    added: &Value,
    name: &str,
) -> Result<(), Error> {
    let required = is_required(update.1, name);
    let default = has_default(update.0, added);
    if is_open(original.1) {
        ctx.add(
            match (unevaluated::is_empty_schema(added), required, default) {
                (true, _, _) => PropertyWithEmptySchemaAddedToOpenContentModel,
                (false, true, true) => RequiredPropertyWithDefaultAddedToOpenContentModel,
                (false, true, false) => RequiredPropertyAddedToOpenContentModel,
                (false, false, _) => OptionalPropertyAddedToOpenContentModel,
            },
        );
        return Ok(());
    }
    if let Some(covering) = covering(original.1, name) {
        let compatible = members::covered(ctx, (original.0, covering), (update.0, added))?;
        ctx.add(if compatible {
            PropertyAddedIsCoveredByPartiallyOpenContentModel
        } else {
            PropertyAddedNotCoveredByPartiallyOpenContentModel
        });
    }
    ctx.add(match (required, default) {
        (true, true) => RequiredPropertyWithDefaultAddedToUnopenContentModel,
        (true, false) => RequiredPropertyAddedToUnopenContentModel,
        (false, _) => OptionalPropertyAddedToUnopenContentModel,
    });
    Ok(())
}

/// `dependencies` (and `dependentRequired` / `dependentSchemas`), split into the property
/// lists and the schemas.
fn dependencies(ctx: &mut Ctx<'_>, original: Side<'_>, update: Side<'_>) -> Result<(), Error> {
    ctx.enter("dependencies");
    let lists = |keywords| dependency_entries(keywords, "dependentRequired", Value::is_array);
    let (a, b) = (lists(original.1), lists(update.1));
    for name in a
        .iter()
        .chain(&b)
        .map(|(name, _)| *name)
        .collect::<BTreeSet<_>>()
    {
        let change = match (lookup(&a, name), lookup(&b, name)) {
            (_, None) => DependencyArrayRemoved,
            (None, _) => DependencyArrayAdded,
            (Some(x), Some(y)) => match set_relation(x, y) {
                None => continue,
                Some(change) => change,
            },
        };
        ctx.add_at(&name.replace('~', "~0").replace('/', "~1"), change);
    }
    let schemas = |keywords| dependency_entries(keywords, "dependentSchemas", |v| !v.is_array());
    let (a, b) = (schemas(original.1), schemas(update.1));
    for name in a
        .iter()
        .chain(&b)
        .map(|(name, _)| *name)
        .collect::<BTreeSet<_>>()
    {
        ctx.enter_name(name);
        match (lookup(&a, name), lookup(&b, name)) {
            (_, None) => ctx.add(DependencySchemaRemoved),
            (None, _) => ctx.add(DependencySchemaAdded),
            (Some(x), Some(y)) => compare::values(ctx, Some((original.0, x)), Some((update.0, y)))?,
        }
        ctx.leave();
    }
    ctx.leave();
    Ok(())
}

fn lookup<'a>(entries: &[(&str, &'a Value)], name: &str) -> Option<&'a Value> {
    entries
        .iter()
        .find(|(entry, _)| *entry == name)
        .map(|(_, value)| *value)
}

fn dependency_entries<'a>(
    keywords: &'a Keywords,
    newer: &str,
    keep: fn(&Value) -> bool,
) -> Vec<(&'a str, &'a Value)> {
    [keywords.get("dependencies"), keywords.get(newer)]
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|entries| entries.iter())
        .filter(|(_, value)| keep(value))
        .map(|(name, value)| (name.as_str(), value))
        .collect()
}

/// How the property list `update` relates to `original`: equal (`None`), a superset, a
/// subset, or neither.
fn set_relation(original: &Value, update: &Value) -> Option<super::change::ChangeType> {
    let set = |value: &Value| -> BTreeSet<String> {
        value
            .as_array()
            .into_iter()
            .flatten()
            .map(ToString::to_string)
            .collect()
    };
    let (a, b) = (set(original), set(update));
    if a == b {
        None
    } else if b.is_superset(&a) {
        Some(DependencyArrayExtended)
    } else if a.is_superset(&b) {
        Some(DependencyArrayNarrowed)
    } else {
        Some(DependencyArrayChanged)
    }
}

/// `additionalProperties`: absent or `true` permits anything, `false` nothing, a schema
/// what it accepts.
fn additional(ctx: &mut Ctx<'_>, original: Side<'_>, update: Side<'_>) -> Result<(), Error> {
    let changes = [
        AdditionalPropertiesAdded,
        AdditionalPropertiesRemoved,
        AdditionalPropertiesNarrowed,
        AdditionalPropertiesExtended,
    ];
    members::additional(
        ctx,
        "additionalProperties",
        changes,
        additional_of(original),
        additional_of(update),
    )
}

fn additional_of((root, keywords): Side<'_>) -> members::Additional<'_> {
    let permits = keywords.get("additionalProperties") != Some(&Value::Bool(false));
    members::Additional {
        root,
        permits,
        schema: additional_schema(keywords),
    }
}

fn additional_schema(keywords: &Keywords) -> Option<&Value> {
    keywords
        .get("additionalProperties")
        .filter(|schema| schema.is_object())
}

/// `unevaluatedProperties`, compared like `unevaluatedItems`.
fn unevaluated(ctx: &mut Ctx<'_>, original: Side<'_>, update: Side<'_>) -> Result<(), Error> {
    let changes = [
        UnevaluatedPropertiesAdded,
        UnevaluatedPropertiesRemoved,
        UnevaluatedPropertiesExtended,
        UnevaluatedPropertiesNarrowed,
    ];
    let keyword = "unevaluatedProperties";
    unevaluated::compare(
        ctx,
        keyword,
        changes,
        (original.0, original.1.get(keyword)),
        (update.0, update.1.get(keyword)),
    )
}

fn counts(ctx: &mut Ctx<'_>, original: &Keywords, update: &Keywords) {
    let count = |keywords: &Keywords, keyword: &str| keywords.get(keyword).and_then(Value::as_f64);
    for (keyword, changes) in [
        (
            "maxProperties",
            [
                MaxPropertiesAdded,
                MaxPropertiesRemoved,
                MaxPropertiesIncreased,
                MaxPropertiesDecreased,
            ],
        ),
        (
            "minProperties",
            [
                MinPropertiesAdded,
                MinPropertiesRemoved,
                MinPropertiesIncreased,
                MinPropertiesDecreased,
            ],
        ),
    ] {
        bound(
            ctx,
            keyword,
            count(original, keyword),
            count(update, keyword),
            changes,
        );
    }
}
