//! Arrays: the schema of all items, tuples against the content model, additional and
//! unevaluated items, item counts and `contains` counts.

use serde_json::{Map, Value};

use super::change::ChangeType::*;
use super::compare;
use super::context::Ctx;
use super::members;
use super::scalar::bound;
use super::unevaluated::{self, is_empty_schema};
use crate::Error;

type Keywords = Map<String, Value>;

/// An array schema and the document it is in.
type Side<'a> = (&'a Value, &'a Keywords);

/// An array schema read in draft 7's terms (`items` as a list, `additionalItems`) or
/// 2020-12's (`prefixItems`, `items`), with the keyword names for pointers.
struct Items<'a> {
    all: Option<&'a Value>,
    tuple: &'a [Value],
    tuple_keyword: &'static str,
    additional: Option<&'a Value>,
    additional_keyword: &'static str,
}

fn items(keywords: &Keywords) -> Items<'_> {
    if let Some(Value::Array(prefix)) = keywords.get("prefixItems") {
        return Items {
            all: None,
            tuple: prefix,
            tuple_keyword: "prefixItems",
            additional: keywords.get("items"),
            additional_keyword: "items",
        };
    }
    let (all, tuple) = match keywords.get("items") {
        Some(Value::Array(tuple)) => (None, tuple.as_slice()),
        all => (all, &[][..]),
    };
    Items {
        all,
        tuple,
        tuple_keyword: "items",
        additional: keywords.get("additionalItems"),
        additional_keyword: "additionalItems",
    }
}

impl<'a> Items<'a> {
    fn permits_additional(&self) -> bool {
        self.additional != Some(&Value::Bool(false))
    }

    fn additional_schema(&self) -> Option<&'a Value> {
        self.additional.filter(|schema| schema.is_object())
    }
}

fn unevaluated_items(keywords: &Keywords) -> Option<&Value> {
    keywords.get("unevaluatedItems")
}

/// Open: any further items are allowed.
fn is_open(keywords: &Keywords) -> bool {
    let items = items(keywords);
    items.permits_additional()
        && items.additional_schema().is_none()
        && unevaluated_items(keywords).is_none_or(is_empty_schema)
}

/// The schema further items must match, in a partially open content model.
fn covering(keywords: &Keywords) -> Option<&Value> {
    let items = items(keywords);
    if let Some(schema) = items.additional_schema() {
        return Some(schema);
    }
    if items.additional.is_none() {
        return unevaluated_items(keywords)
            .filter(|s| s != &&Value::Bool(false) && !is_empty_schema(s));
    }
    None
}

pub(crate) fn compare(
    ctx: &mut Ctx<'_>,
    original: Side<'_>,
    update: Side<'_>,
) -> Result<(), Error> {
    let (a, b) = (items(original.1), items(update.1));
    ctx.enter("items");
    compare::values(
        ctx,
        a.all.map(|s| (original.0, s)),
        b.all.map(|s| (update.0, s)),
    )?;
    ctx.leave();
    tuples(ctx, original, update, (&a, &b))?;
    additional(ctx, original, update, (&a, &b))?;
    unevaluated(ctx, original, update)?;
    counts(ctx, original.1, update.1);
    Ok(())
}

fn tuples(
    ctx: &mut Ctx<'_>,
    original: Side<'_>,
    update: Side<'_>,
    (a, b): (&Items<'_>, &Items<'_>),
) -> Result<(), Error> {
    let longest = a.tuple.len().max(b.tuple.len());
    for index in 0..longest {
        ctx.enter(format!("{}/{index}", a.tuple_keyword));
        match (a.tuple.get(index), b.tuple.get(index)) {
            (Some(x), Some(y)) => compare::values(ctx, Some((original.0, x)), Some((update.0, y)))?,
            (Some(removed), None) => removed_item(ctx, original.0, removed, update)?,
            (None, Some(added)) => added_item(ctx, original, update.0, added)?,
            (None, None) => {}
        }
        ctx.leave();
    }
    Ok(())
}

fn removed_item(
    ctx: &mut Ctx<'_>,
    original_root: &Value,
    removed: &Value,
    update: Side<'_>,
) -> Result<(), Error> {
    let changes = [
        ItemRemovedFromOpenContentModel,
        ItemRemovedIsCoveredByPartiallyOpenContentModel,
        ItemRemovedNotCoveredByPartiallyOpenContentModel,
        ItemWithFalseRemovedFromClosedContentModel,
        ItemRemovedFromClosedContentModel,
    ];
    let covering = covering(update.1).map(|schema| (update.0, schema));
    members::removed(
        ctx,
        is_open(update.1),
        covering,
        (original_root, removed),
        changes,
    )
}

fn added_item(
    ctx: &mut Ctx<'_>,
    original: Side<'_>,
    update_root: &Value,
    added: &Value,
) -> Result<(), Error> {
    if is_open(original.1) {
        ctx.add(if is_empty_schema(added) {
            ItemWithEmptySchemaAddedToOpenContentModel
        } else {
            ItemAddedToOpenContentModel
        });
    } else if let Some(covering) = covering(original.1) {
        let compatible = members::covered(ctx, (original.0, covering), (update_root, added))?;
        ctx.add(if compatible {
            ItemAddedIsCoveredByPartiallyOpenContentModel
        } else {
            ItemAddedNotCoveredByPartiallyOpenContentModel
        });
    } else {
        ctx.add(ItemAddedToClosedContentModel);
    }
    Ok(())
}

fn additional(
    ctx: &mut Ctx<'_>,
    original: Side<'_>,
    update: Side<'_>,
    (a, b): (&Items<'_>, &Items<'_>),
) -> Result<(), Error> {
    let changes = [
        AdditionalItemsAdded,
        AdditionalItemsRemoved,
        AdditionalItemsNarrowed,
        AdditionalItemsExtended,
    ];
    members::additional(
        ctx,
        a.additional_keyword,
        changes,
        additional_of(original.0, a),
        additional_of(update.0, b),
    )
}

fn additional_of<'a>(root: &'a Value, items: &Items<'a>) -> members::Additional<'a> {
    members::Additional {
        root,
        permits: items.permits_additional(),
        schema: items.additional_schema(),
    }
}

fn unevaluated(ctx: &mut Ctx<'_>, original: Side<'_>, update: Side<'_>) -> Result<(), Error> {
    let changes = [
        UnevaluatedItemsAdded,
        UnevaluatedItemsRemoved,
        UnevaluatedItemsExtended,
        UnevaluatedItemsNarrowed,
    ];
    let (a, b) = (unevaluated_items(original.1), unevaluated_items(update.1));
    unevaluated::compare(
        ctx,
        "unevaluatedItems",
        changes,
        (original.0, a),
        (update.0, b),
    )
}

fn counts(ctx: &mut Ctx<'_>, original: &Keywords, update: &Keywords) {
    let count = |keywords: &Keywords, keyword: &str| keywords.get(keyword).and_then(Value::as_f64);
    for (keyword, changes) in [
        (
            "maxItems",
            [
                MaxItemsAdded,
                MaxItemsRemoved,
                MaxItemsIncreased,
                MaxItemsDecreased,
            ],
        ),
        (
            "minItems",
            [
                MinItemsAdded,
                MinItemsRemoved,
                MinItemsIncreased,
                MinItemsDecreased,
            ],
        ),
        (
            "maxContains",
            [
                MaxContainsAdded,
                MaxContainsRemoved,
                MaxContainsIncreased,
                MaxContainsDecreased,
            ],
        ),
        (
            "minContains",
            [
                MinContainsAdded,
                MinContainsRemoved,
                MinContainsIncreased,
                MinContainsDecreased,
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
    let unique = |keywords: &Keywords| keywords.get("uniqueItems") == Some(&Value::Bool(true));
    match (unique(original), unique(update)) {
        (true, false) => ctx.add_at("uniqueItems", UniqueItemsRemoved),
        (false, true) => ctx.add_at("uniqueItems", UniqueItemsAdded),
        _ => {}
    }
}
