//! `upcast read FILE`: every record upcast to the current version, as JSON Lines.

use std::io::Write;

use serde_json::{Map, Value};
use upcast::Registry;

use super::{Outcome, records};
use crate::CliError;
use crate::args::RecordsArgs;

pub(crate) fn run(args: &RecordsArgs, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let registry = Registry::try_global()?;
    let inline = inline(args);
    let (mut read, mut failed) = (0usize, 0usize);
    for record in records(&args.file)? {
        let (number, line) = record?;
        read += 1;
        match upcast_line(registry, &line, inline) {
            Ok(current) => writeln!(out, "{current}")?,
            Err(error) => {
                failed += 1;
                eprintln!("{}:{}: {error}", args.file.display(), number);
            }
        }
    }
    eprintln!(
        "read {read} records: {} upcast, {failed} failed",
        read - failed
    );
    Ok(if failed == 0 {
        Outcome::Clean
    } else {
        Outcome::Problems
    })
}

/// `(field, kind)` for inline records.
pub(crate) fn inline(args: &RecordsArgs) -> Option<(&str, &str)> {
    Some((args.inline.as_deref()?, args.kind.as_deref()?))
}

fn upcast_line(
    registry: &Registry,
    line: &str,
    inline: Option<(&str, &str)>,
) -> Result<Value, String> {
    let record: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let envelope = match inline {
        Some((field, kind)) => to_envelope(record, field, kind)?,
        None => record,
    };
    let current = registry.upcast_value(envelope).map_err(|e| e.to_string())?;
    Ok(match inline {
        Some((field, _)) => from_envelope(current, field),
        None => current,
    })
}

/// An inline record as an envelope: the tag field becomes `version`.
fn to_envelope(record: Value, field: &str, kind: &str) -> Result<Value, String> {
    let Value::Object(mut data) = record else {
        return Err("expected a record: a JSON object".to_owned());
    };
    let mut envelope = Map::new();
    envelope.insert("kind".to_owned(), Value::from(kind));
    if let Some(tag) = data.remove(field) {
        envelope.insert("version".to_owned(), tag);
    }
    envelope.insert("data".to_owned(), Value::Object(data));
    Ok(Value::Object(envelope))
}

/// An envelope as an inline record, the version in `field`.
fn from_envelope(mut envelope: Value, field: &str) -> Value {
    let version = envelope["version"].take();
    let mut data = envelope["data"].take();
    if let Some(fields) = data.as_object_mut() {
        fields.insert(field.to_owned(), version);
    }
    data
}
