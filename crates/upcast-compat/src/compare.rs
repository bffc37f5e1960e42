//! The comparison of two schemas: unions, the change of type, annotations, then the
//! comparison of the shape (Confluent's `SchemaDiff`).

use serde_json::Value;

use super::change::ChangeType;
use super::context::Ctx;
use super::model::{Criterion, Node, Part, Shape, classify, classify_parts};
use super::{array, combined, object, scalar};
use crate::Error;

/// Two schemas of two documents, either possibly missing.
pub(crate) fn values<'a>(
    ctx: &mut Ctx<'_>,
    original: Option<(&'a Value, &'a Value)>,
    update: Option<(&'a Value, &'a Value)>,
) -> Result<(), Error> {
    match (original, update) {
        (None, None) => Ok(()),
        (None, Some(_)) => {
            ctx.add(ChangeType::SchemaAdded);
            Ok(())
        }
        (Some(_), None) => {
            ctx.add(ChangeType::SchemaRemoved);
            Ok(())
        }
        (Some((original_root, original)), Some((update_root, update))) => {
            let at = ctx.here();
            let pointer = at.trim_start_matches('#');
            let original = classify(original_root, original, pointer)?;
            let update = classify(update_root, update, pointer)?;
            nodes(ctx, &original, &update)
        }
    }
}

/// The parts of `node`'s combination, classified.
fn parts<'a>(ctx: &Ctx<'_>, node: &Node<'a>, parts: &[Part<'a>]) -> Result<Vec<Node<'a>>, Error> {
    let at = ctx.here();
    classify_parts(node.root, parts, at.trim_start_matches('#'))
}

/// Two classified schemas.
pub(crate) fn nodes(
    ctx: &mut Ctx<'_>,
    original: &Node<'_>,
    update: &Node<'_>,
) -> Result<(), Error> {
    ctx.guarded((original.identity, update.identity), |ctx| {
        if unions(ctx, original, update)? {
            return Ok(());
        }
        if original.shape.class() != update.shape.class() {
            if !matches!(original.shape, Shape::False) && !matches!(update.shape, Shape::Empty) {
                ctx.add(ChangeType::TypeChanged);
            }
            return Ok(());
        }
        annotations(ctx, original, update);
        shapes(ctx, original, update)
    })
}

/// A schema against a union of schemas (or the reverse): compatible when one member
/// covers it. Returns whether that settled the comparison.
fn unions(ctx: &mut Ctx<'_>, original: &Node<'_>, update: &Node<'_>) -> Result<bool, Error> {
    match (&original.shape, &update.shape) {
        (Shape::Combined { .. }, Shape::Combined { .. }) => Ok(false),
        (_, Shape::Combined { criterion, parts }) => {
            let parts = self::parts(ctx, update, parts)?;
            let then = match (parts.len(), criterion) {
                (1, _) => None,
                (_, Criterion::Any | Criterion::One) => Some(ChangeType::SumTypeExtended),
                _ => return Ok(false),
            };
            first_compatible(ctx, parts.iter().map(|part| (original, part)), then)
        }
        (Shape::Combined { criterion, parts }, _) => {
            let parts = self::parts(ctx, original, parts)?;
            let then = match (parts.len(), criterion) {
                (1, _) => None,
                (_, Criterion::All) => Some(ChangeType::ProductTypeNarrowed),
                _ => return Ok(false),
            };
            first_compatible(ctx, parts.iter().map(|part| (part, update)), then)
        }
        _ => Ok(false),
    }
}

/// Compares the pairs in turn; at the first compatible one, keeps its changes, adds
/// `then`, and reports the comparison settled.
fn first_compatible<'n, 'a: 'n>(
    ctx: &mut Ctx<'_>,
    pairs: impl Iterator<Item = (&'n Node<'a>, &'n Node<'a>)>,
    then: Option<ChangeType>,
) -> Result<bool, Error> {
    for (original, update) in pairs {
        let mut sub = ctx.sub();
        nodes(&mut sub, original, update)?;
        if sub.is_compatible() {
            ctx.absorb(sub);
            if let Some(change) = then {
                ctx.add(change);
            }
            return Ok(true);
        }
    }
    Ok(false)
}

fn annotations(ctx: &mut Ctx<'_>, original: &Node<'_>, update: &Node<'_>) {
    let get =
        |node: &Node<'_>, key: &str| node.source.and_then(|keywords| keywords.get(key)).cloned();
    let id = |node: &Node<'_>| get(node, "$id").or_else(|| get(node, "id"));
    if id(original) != id(update) {
        ctx.add(ChangeType::IdChanged);
    }
    for (key, change) in [
        ("title", ChangeType::TitleChanged),
        ("description", ChangeType::DescriptionChanged),
        ("default", ChangeType::DefaultChanged),
    ] {
        if get(original, key) != get(update, key) {
            ctx.add(change);
        }
    }
}

fn shapes(ctx: &mut Ctx<'_>, original: &Node<'_>, update: &Node<'_>) -> Result<(), Error> {
    match (&original.shape, &update.shape) {
        (Shape::String(a), Shape::String(b)) => scalar::strings(ctx, a, b),
        (
            Shape::Number {
                keywords: a,
                integer: x,
            },
            Shape::Number {
                keywords: b,
                integer: y,
            },
        ) => scalar::numbers(ctx, (a, *x), (b, *y)),
        (Shape::Enum(a), Shape::Enum(b)) => scalar::enums(ctx, a, b),
        (Shape::Const(a), Shape::Const(b)) => scalar::consts(ctx, a, b),
        (Shape::Not(a), Shape::Not(b)) => {
            return scalar::nots(ctx, (original.root, a), (update.root, b));
        }
        (Shape::Object(a), Shape::Object(b)) => {
            return object::compare(ctx, (original.root, a), (update.root, b));
        }
        (Shape::Array(a), Shape::Array(b)) => {
            return array::compare(ctx, (original.root, a), (update.root, b));
        }
        (
            Shape::Combined {
                criterion: a,
                parts: x,
            },
            Shape::Combined {
                criterion: b,
                parts: y,
            },
        ) => {
            let (x, y) = (parts(ctx, original, x)?, parts(ctx, update, y)?);
            return combined::compare(ctx, (*a, &x), (*b, &y));
        }
        _ => {}
    }
    Ok(())
}
