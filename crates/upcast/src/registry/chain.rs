//! Running the steps (or the downcasts) between two versions of a kind.

use std::any::Any;

use super::entry::{StepEntry, StepFailure};
use super::table::KindTable;
use crate::{Context, Error};

/// Runs the steps from node `from` to node `to` (downcasts when `to` is older), boxed all
/// the way.
pub(crate) fn run_boxed(
    table: &KindTable,
    from: usize,
    to: usize,
    mut value: Box<dyn Any>,
    cx: &Context<'_>,
) -> Result<Box<dyn Any>, Error> {
    let mut at = from;
    while at != to {
        let (next, step) = step_from(table, at, from, to)?;
        let cx = step_context(table, cx, at, next);
        value =
            (step.run)(value, &cx).map_err(|failure| step_error(table, at, next, &cx, failure))?;
        at = next;
    }
    Ok(value)
}

/// Runs the steps from node `from` to node `to` (with `from != to`); the last step writes
/// the result straight into a `T`.
pub(crate) fn run_typed<T: 'static>(
    table: &KindTable,
    from: usize,
    to: usize,
    mut value: Box<dyn Any>,
    cx: &Context<'_>,
) -> Result<T, Error> {
    let mut at = from;
    loop {
        let (next, step) = step_from(table, at, from, to)?;
        let cx = step_context(table, cx, at, next);
        if next == to {
            let mut slot: Option<T> = None;
            (step.run_into)(value, &cx, &mut slot)
                .map_err(|failure| step_error(table, at, next, &cx, failure))?;
            return slot.ok_or_else(|| step_error(table, at, next, &cx, StepFailure::WrongType));
        }
        value =
            (step.run)(value, &cx).map_err(|failure| step_error(table, at, next, &cx, failure))?;
        at = next;
    }
}

/// The read's context, for the step from node `at` to node `next`.
fn step_context<'t>(table: &'t KindTable, cx: &Context<'t>, at: usize, next: usize) -> Context<'t> {
    match (table.nodes.get(at), table.nodes.get(next)) {
        (Some(at), Some(next)) => cx.for_step(&at.version, &next.version),
        _ => *cx,
    }
}

/// The step (or downcast) out of node `at` on the way from `from` to `to`.
fn step_from(
    table: &KindTable,
    at: usize,
    from: usize,
    to: usize,
) -> Result<(usize, &StepEntry), Error> {
    table
        .toward(at, to)
        .ok_or_else(|| no_step(table, at, from, to))
}

/// The error for a path that stops at node `at`.
pub(crate) fn no_step(table: &KindTable, at: usize, from: usize, to: usize) -> Error {
    if to < from {
        return Error::MissingDowncast {
            kind: table.kind.to_owned(),
            from: table.version_at(from),
            to: table.version_at(to),
            missing: Box::new(table.version_at(at)),
            type_name: table
                .nodes
                .get(at)
                .map_or("?", |node| (node.entry.type_name)()),
        };
    }
    Error::NoPath {
        kind: table.kind.to_owned(),
        from: table.version_at(at),
        to: table.version_at(table.nodes.len().saturating_sub(1)),
        reason: "no step is registered from there",
    }
}

fn step_error(
    table: &KindTable,
    from: usize,
    to: usize,
    cx: &Context<'_>,
    failure: StepFailure,
) -> Error {
    let source = match failure {
        StepFailure::Step(error) => error.into_boxed(),
        StepFailure::WrongType => {
            "internal error: the step received a value of another type".into()
        }
    };
    Error::Step {
        kind: table.kind.to_owned(),
        stored: Box::new(cx.stored_version().clone()),
        from: table.version_at(from),
        to: table.version_at(to),
        source,
    }
}
