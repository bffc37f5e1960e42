//! What objects and arrays share: a member (a property, a tuple item) that one side lacks,
//! judged by the other side's content model.

use serde_json::Value;

use super::change::ChangeType;
use super::compare;
use super::context::Ctx;
use crate::Error;

/// A schema and the document it is in.
pub(crate) type Located<'a> = (&'a Value, &'a Value);

/// The change types of a removed member:
/// `[from an open model, covered, not covered, a false one from a closed model, from a closed model]`.
pub(crate) type RemovedChanges = [ChangeType; 5];

/// A member the update lacks. `open` is whether the update's content model is open;
/// `covering` the update's schema for unknown members, if partially open.
pub(crate) fn removed(
    ctx: &mut Ctx<'_>,
    open: bool,
    covering: Option<Located<'_>>,
    removed: Located<'_>,
    changes: RemovedChanges,
) -> Result<(), Error> {
    let [
        from_open,
        is_covered,
        not_covered,
        false_from_closed,
        from_closed,
    ] = changes;
    if open {
        ctx.add(from_open);
    } else if let Some(covering) = covering {
        let compatible = covered(ctx, removed, covering)?;
        ctx.add(if compatible { is_covered } else { not_covered });
    } else if removed.1 == &Value::Bool(false) {
        ctx.add(false_from_closed);
    } else {
        ctx.add(from_closed);
    }
    Ok(())
}

/// Compares a member with the schema that covers it (or the reverse); keeps the changes
/// and returns whether they are compatible.
pub(crate) fn covered(
    ctx: &mut Ctx<'_>,
    original: Located<'_>,
    update: Located<'_>,
) -> Result<bool, Error> {
    let mut sub = ctx.sub();
    compare::values(&mut sub, Some(original), Some(update))?;
    let compatible = sub.is_compatible();
    ctx.absorb(sub);
    Ok(compatible)
}

/// What a schema says of members beyond those it lists (`additionalProperties`,
/// `additionalItems`): whether it permits them, and the schema they must match.
pub(crate) struct Additional<'a> {
    pub(crate) root: &'a Value,
    pub(crate) permits: bool,
    pub(crate) schema: Option<&'a Value>,
}

/// The change types of additional members: `[added, removed, narrowed, extended]`.
pub(crate) type AdditionalChanges = [ChangeType; 4];

/// Compares what two schemas say of additional members, under `keyword`.
pub(crate) fn additional(
    ctx: &mut Ctx<'_>,
    keyword: &str,
    changes: AdditionalChanges,
    original: Additional<'_>,
    update: Additional<'_>,
) -> Result<(), Error> {
    let [added, removed, narrowed, extended] = changes;
    ctx.enter(keyword);
    let result = match (original.schema, update.schema) {
        _ if original.permits != update.permits => {
            ctx.add(if update.permits { added } else { removed });
            Ok(())
        }
        (None, Some(_)) => {
            ctx.add(narrowed);
            Ok(())
        }
        (Some(_), None) => {
            ctx.add(extended);
            Ok(())
        }
        (a, b) => compare::values(
            ctx,
            a.map(|s| (original.root, s)),
            b.map(|s| (update.root, s)),
        ),
    };
    ctx.leave();
    result
}
