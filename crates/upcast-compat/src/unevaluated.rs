//! `unevaluatedProperties` and `unevaluatedItems`, compared alike.

use serde_json::Value;

use super::change::ChangeType;
use super::compare;
use super::context::Ctx;
use crate::Error;

/// The change types of one keyword: `[added, removed, extended, narrowed]`.
pub(crate) type Changes = [ChangeType; 4];

/// Compares `keyword` of two schemas (`(root, value)` pairs): `false` forbids, `true` or an
/// empty schema allows anything, any other schema constrains.
pub(crate) fn compare(
    ctx: &mut Ctx<'_>,
    keyword: &str,
    changes: Changes,
    original: (&Value, Option<&Value>),
    update: (&Value, Option<&Value>),
) -> Result<(), Error> {
    let [added, removed, extended, narrowed] = changes;
    let forbids = |schema: &Value| schema == &Value::Bool(false);
    let change = match (original.1, update.1) {
        (None, None) => return Ok(()),
        (None, Some(b)) if forbids(b) => removed,
        (None, Some(_)) => narrowed,
        (Some(a), None) if forbids(a) => added,
        (Some(_), None) => extended,
        (Some(a), Some(b)) if forbids(a) && !forbids(b) => added,
        (Some(a), Some(b)) if !forbids(a) && forbids(b) => removed,
        (Some(a), Some(b)) if is_empty_schema(a) && !is_empty_schema(b) => narrowed,
        (Some(a), Some(b)) if !is_empty_schema(a) && is_empty_schema(b) => extended,
        (Some(a), Some(b)) => {
            ctx.enter(keyword);
            let result = compare::values(ctx, Some((original.0, a)), Some((update.0, b)));
            ctx.leave();
            return result;
        }
    };
    ctx.add_at(keyword, change);
    Ok(())
}

/// `true`, or a schema with no constraint (annotations at most).
pub(crate) fn is_empty_schema(schema: &Value) -> bool {
    const ANNOTATIONS: &[&str] = &["title", "description", "$comment", "$id", "examples"];
    match schema {
        Value::Bool(allowed) => *allowed,
        Value::Object(keywords) => keywords
            .keys()
            .all(|key| ANNOTATIONS.contains(&key.as_str())),
        _ => false,
    }
}
