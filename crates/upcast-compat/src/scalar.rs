//! Strings, numbers, enumerations, constants and negations.

use serde_json::{Map, Value};

use super::change::ChangeType::{self, *};
use super::compare;
use super::context::Ctx;
use crate::Error;

type Keywords = Map<String, Value>;

/// The changes of one numeric keyword: added, removed, increased, decreased.
pub(crate) fn bound(
    ctx: &mut Ctx<'_>,
    keyword: &str,
    original: Option<f64>,
    update: Option<f64>,
    changes: [ChangeType; 4],
) {
    let [added, removed, increased, decreased] = changes;
    match (original, update) {
        (None, Some(_)) => ctx.add_at(keyword, added),
        (Some(_), None) => ctx.add_at(keyword, removed),
        (Some(a), Some(b)) if a < b => ctx.add_at(keyword, increased),
        (Some(a), Some(b)) if a > b => ctx.add_at(keyword, decreased),
        _ => {}
    }
}

fn number(keywords: &Keywords, keyword: &str) -> Option<f64> {
    keywords.get(keyword).and_then(Value::as_f64)
}

pub(crate) fn strings(ctx: &mut Ctx<'_>, original: &Keywords, update: &Keywords) {
    for (keyword, changes) in [
        (
            "maxLength",
            [
                MaxLengthAdded,
                MaxLengthRemoved,
                MaxLengthIncreased,
                MaxLengthDecreased,
            ],
        ),
        (
            "minLength",
            [
                MinLengthAdded,
                MinLengthRemoved,
                MinLengthIncreased,
                MinLengthDecreased,
            ],
        ),
    ] {
        bound(
            ctx,
            keyword,
            number(original, keyword),
            number(update, keyword),
            changes,
        );
    }
    match (original.get("pattern"), update.get("pattern")) {
        (None, Some(_)) => ctx.add_at("pattern", PatternAdded),
        (Some(_), None) => ctx.add_at("pattern", PatternRemoved),
        (Some(a), Some(b)) if a != b => ctx.add_at("pattern", PatternChanged),
        _ => {}
    }
}

pub(crate) fn numbers(ctx: &mut Ctx<'_>, original: (&Keywords, bool), update: (&Keywords, bool)) {
    let ((a, a_integer), (b, b_integer)) = (original, update);
    for (keyword, changes) in [
        (
            "maximum",
            [
                MaximumAdded,
                MaximumRemoved,
                MaximumIncreased,
                MaximumDecreased,
            ],
        ),
        (
            "minimum",
            [
                MinimumAdded,
                MinimumRemoved,
                MinimumIncreased,
                MinimumDecreased,
            ],
        ),
        (
            "exclusiveMaximum",
            [
                ExclusiveMaximumAdded,
                ExclusiveMaximumRemoved,
                ExclusiveMaximumIncreased,
                ExclusiveMaximumDecreased,
            ],
        ),
        (
            "exclusiveMinimum",
            [
                ExclusiveMinimumAdded,
                ExclusiveMinimumRemoved,
                ExclusiveMinimumIncreased,
                ExclusiveMinimumDecreased,
            ],
        ),
    ] {
        bound(
            ctx,
            keyword,
            number(a, keyword),
            number(b, keyword),
            changes,
        );
    }
    multiple_of(ctx, number(a, "multipleOf"), number(b, "multipleOf"));
    if a_integer != b_integer {
        ctx.add(if a_integer {
            TypeExtended
        } else {
            TypeNarrowed
        });
    }
}

/// A new divisor that divides the old one accepts more numbers (reduced); a multiple of it,
/// fewer (expanded).
fn multiple_of(ctx: &mut Ctx<'_>, original: Option<f64>, update: Option<f64>) {
    let change = match (original, update) {
        (None, Some(_)) => MultipleOfAdded,
        (Some(_), None) => MultipleOfRemoved,
        (Some(a), Some(b)) if a == b => return,
        (Some(a), Some(b)) if a != 0.0 && b % a == 0.0 => MultipleOfExpanded,
        (Some(a), Some(b)) if b != 0.0 && a % b == 0.0 => MultipleOfReduced,
        (Some(_), Some(_)) => MultipleOfChanged,
        (None, None) => return,
    };
    ctx.add_at("multipleOf", change);
}

pub(crate) fn enums(ctx: &mut Ctx<'_>, original: &[Value], update: &[Value]) {
    let covers = |all: &[Value], some: &[Value]| some.iter().all(|value| all.contains(value));
    let change = match (covers(update, original), covers(original, update)) {
        (true, true) => return,
        (true, false) => EnumArrayExtended,
        (false, true) => EnumArrayNarrowed,
        (false, false) => EnumArrayChanged,
    };
    ctx.add_at("enum", change);
}

pub(crate) fn consts(ctx: &mut Ctx<'_>, original: &Value, update: &Value) {
    if original != update {
        ctx.add_at("const", EnumArrayChanged);
    }
}

/// `not`: the new negated schema must cover less, so the comparison runs reversed.
pub(crate) fn nots(
    ctx: &mut Ctx<'_>,
    original: (&Value, &Value),
    update: (&Value, &Value),
) -> Result<(), Error> {
    ctx.enter("not");
    let mut sub = ctx.sub();
    compare::values(&mut sub, Some(update), Some(original))?;
    ctx.add(if sub.is_compatible() {
        NotTypeNarrowed
    } else {
        NotTypeExtended
    });
    ctx.leave();
    Ok(())
}
