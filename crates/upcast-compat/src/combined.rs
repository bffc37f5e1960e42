//! `allOf`, `anyOf`, `oneOf`: the criterion, then a maximum matching of compatible
//! subschemas, as Confluent's checker does.

use super::change::ChangeType::*;
use super::compare;
use super::context::Ctx;
use super::found::Found;
use super::model::{Criterion, Node};
use crate::Error;

pub(crate) fn compare(
    ctx: &mut Ctx<'_>,
    (original_criterion, original): (Criterion, &[Node<'_>]),
    (update_criterion, update): (Criterion, &[Node<'_>]),
) -> Result<(), Error> {
    if !criteria(
        ctx,
        (original_criterion, original.len()),
        (update_criterion, update.len()),
    ) {
        return Ok(());
    }
    let (original, update) = (distinct(original), distinct(update));
    // Growing is judged by the new combiner (an `allOf` that grows asks more), narrowing by
    // the old one (an `allOf` that shrinks asks less, whatever combines what is left).
    if original.len() < update.len() {
        ctx.add(match update_criterion {
            Criterion::All => ProductTypeExtended,
            Criterion::Any | Criterion::One => SumTypeExtended,
        });
    } else if original.len() > update.len() {
        ctx.add(match original_criterion {
            Criterion::All => ProductTypeNarrowed,
            Criterion::Any | Criterion::One => SumTypeNarrowed,
        });
    }
    let edges = compatible_pairs(ctx, original_criterion, &original, &update)?;
    let matching = maximum_matching(&edges, original.len(), update.len());
    for (from, to) in &matching {
        if let Some(changes) = edges
            .get(*from)
            .and_then(|row| row.get(*to))
            .and_then(Option::as_ref)
        {
            ctx.changes.extend(changes.clone());
        }
    }
    if matching.len() < original.len().min(update.len()) {
        ctx.add(CombinedTypeSubschemasChanged);
    }
    Ok(())
}

/// Records the change of criterion; `false` when it is incompatible and nothing more is
/// compared.
fn criteria(
    ctx: &mut Ctx<'_>,
    (original, original_len): (Criterion, usize),
    (update, update_len): (Criterion, usize),
) -> bool {
    if original == update {
        return true;
    }
    let (original_one, update_one) = (original_len == 1, update_len == 1);
    let extended = update == Criterion::Any
        || (original_one && update_one)
        || (original_one && update == Criterion::One)
        || (update_one && original == Criterion::All);
    let change = if extended {
        CombinedTypeExtended
    } else {
        CombinedTypeChanged
    };
    ctx.add(change);
    change != CombinedTypeChanged
}

/// The subschemas without repeats (the same JSON twice counts once).
fn distinct<'n, 'a>(parts: &'n [Node<'a>]) -> Vec<&'n Node<'a>> {
    let mut seen: Vec<&'n Node<'a>> = Vec::new();
    for part in parts {
        let repeat = part.source.is_some()
            && seen
                .iter()
                .any(|s| s.source.is_some() && s.source == part.source);
        if !repeat {
            seen.push(part);
        }
    }
    seen
}

/// For each original subschema, the changes against each update subschema it is
/// compatible with (`None` where it is not).
fn compatible_pairs(
    ctx: &mut Ctx<'_>,
    criterion: Criterion,
    original: &[&Node<'_>],
    update: &[&Node<'_>],
) -> Result<Vec<Vec<Option<Found>>>, Error> {
    let mut edges = Vec::with_capacity(original.len());
    for (index, from) in original.iter().enumerate() {
        ctx.enter(format!("{}/{index}", criterion.keyword()));
        let mut row = Vec::with_capacity(update.len());
        for to in update {
            let mut sub = ctx.sub();
            compare::nodes(&mut sub, from, to)?;
            row.push(sub.is_compatible().then_some(sub.changes));
        }
        ctx.leave();
        edges.push(row);
    }
    Ok(edges)
}

/// A maximum bipartite matching (augmenting paths), as `(original, update)` index pairs.
fn maximum_matching(
    edges: &[Vec<Option<Found>>],
    originals: usize,
    updates: usize,
) -> Vec<(usize, usize)> {
    let mut matched_to: Vec<Option<usize>> = vec![None; updates];
    for from in 0..originals {
        let mut visited = vec![false; updates];
        augment(edges, from, &mut visited, &mut matched_to);
    }
    let mut pairs: Vec<(usize, usize)> = matched_to
        .iter()
        .enumerate()
        .filter_map(|(to, from)| from.map(|from| (from, to)))
        .collect();
    pairs.sort_unstable();
    pairs
}

fn augment(
    edges: &[Vec<Option<Found>>],
    from: usize,
    visited: &mut [bool],
    matched_to: &mut [Option<usize>],
) -> bool {
    let Some(row) = edges.get(from) else {
        return false;
    };
    for (to, edge) in row.iter().enumerate() {
        if edge.is_none() || visited.get(to).copied().unwrap_or(true) {
            continue;
        }
        if let Some(seen) = visited.get_mut(to) {
            *seen = true;
        }
        let current = matched_to.get(to).copied().flatten();
        if current.is_none_or(|other| augment(edges, other, visited, matched_to)) {
            if let Some(slot) = matched_to.get_mut(to) {
                *slot = Some(from);
            }
            return true;
        }
    }
    false
}
