//! Kinds stored in binary formats (`#[versioned(formats = [...])]`): every sample survives
//! each format, and no format that does not describe its fields is left to read a version
//! with another version's type.

use serde_json::Value;

use super::finding::Finding;
use super::rules::FORMAT_MINOR_RANGE;
use super::snapshots::Schemas;
use crate::format::{self, by_name};
use crate::{Registry, Version};

/// A finding for every frozen version of a kind declared for a format that does not
/// describe its fields, when the type that reads it is declared for another version.
pub(crate) fn minor_ranges(registry: &Registry, schemas: &Schemas, findings: &mut Vec<Finding>) {
    for (kind, versions) in schemas {
        let Ok(table) = registry.table(kind) else {
            continue;
        };
        let formats = table.nodes.iter().flat_map(|node| node.entry.formats);
        let Some(format) = formats
            .into_iter()
            .find(|name| format::self_describing(name) == Some(false))
        else {
            continue;
        };
        for version in versions.keys() {
            let Some(with) = table.reading(version).map(|at| table.version_at(at)) else {
                continue;
            };
            if with != *version {
                let message = format!(
                    "`{kind}` {version} is read by the type for {with}, which {format} cannot do: \
                     {format} bytes of {version} would be refused"
                );
                findings.push(Finding::new(
                    &FORMAT_MINOR_RANGE,
                    kind,
                    Some(&version.to_string()),
                    message,
                ));
            }
        }
    }
}

/// Writes `document`, a sample of `kind` at `version`, in each format the version's type
/// declares and reads it back with that type: the first format it does not survive, as a
/// message. A version read by another version's type is [`minor_ranges`]' business.
pub(crate) fn roundtrip(
    registry: &Registry,
    kind: &str,
    version: &Version,
    document: &Value,
) -> Option<String> {
    let table = registry.table(kind).ok()?;
    let node = table.nodes.iter().find(|node| node.version == *version)?;
    let entry = &node.entry;
    let json = entry.decoders[0]?;
    let decoded = json(&serde_json::to_vec(document).ok()?).ok()?;
    let before = (entry.to_json)(&*decoded)?.ok()?;
    for name in entry.formats {
        let Some(shipped) = by_name(name) else {
            return Some(format!(
                "upcast was built without its `{name}` feature, so `{name}` cannot be checked"
            ));
        };
        let decode = entry.decoders.get(shipped.slot).copied().flatten()?;
        let written = (entry.serialize)(&*decoded).map(shipped.encode)?;
        let after = written.and_then(|bytes| decode(&bytes)).map(|value| {
            (entry.to_json)(&*value)
                .and_then(Result::ok)
                .unwrap_or_default()
        });
        match after {
            Ok(after) if after == before => {}
            Ok(after) => {
                return Some(format!(
                    "written in {name} and read back, it changed: {} became {}",
                    String::from_utf8_lossy(&before),
                    String::from_utf8_lossy(&after)
                ));
            }
            Err(error) => {
                return Some(format!(
                    "written in {name}, it cannot be read back: {error}"
                ));
            }
        }
    }
    None
}
