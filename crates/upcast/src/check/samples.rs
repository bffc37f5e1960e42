//! Sample documents: each validates against its version's schema, upcasts to the newest
//! version, and the result validates against the newest schema.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use jsonschema::Validator;
use serde_json::{Value, json};

use super::finding::Finding;
use super::folder::{self, Folder};
use super::rules::{
    DOWNCAST_ROUNDTRIP, FORMAT_ROUNDTRIP, SAMPLE_INVALID, SAMPLE_RESULT_INVALID,
    SAMPLE_UPCAST_FAILED, SAMPLES_MISSING, SNAPSHOT_UNREADABLE,
};
use super::snapshots::Schemas;
use super::{formats, roundtrip};
use crate::{Registry, Version};

/// Checks every samples file; returns how many documents were read.
pub(crate) fn check(
    folder: &Folder,
    schemas: &Schemas,
    registry: Option<&Registry>,
    findings: &mut Vec<Finding>,
) -> io::Result<usize> {
    let mut count = 0;
    let mut newest = NewestValidators::default();
    for (kind, versions) in schemas {
        for (version, schema) in versions {
            let files = folder.kinds.get(kind).and_then(|v| v.get(version));
            let Some(path) = files.and_then(|files| files.samples.as_ref()) else {
                let message = format!("no samples of `{kind}` {version}");
                findings.push(Finding::new(
                    &SAMPLES_MISSING,
                    kind,
                    Some(&version.to_string()),
                    message,
                ));
                continue;
            };
            let at = Place {
                kind,
                version,
                path,
            };
            let validator = match jsonschema::validator_for(schema) {
                Ok(validator) => validator,
                Err(error) => {
                    findings.push(at.finding(
                        &SNAPSHOT_UNREADABLE,
                        format!("the schema is not valid: {error}"),
                    ));
                    continue;
                }
            };
            for (line, document) in folder::read_samples(path)? {
                count += 1;
                let document = match document {
                    Ok(document) => document,
                    Err(reason) => {
                        findings.push(at.finding(
                            &SNAPSHOT_UNREADABLE,
                            format!("line {line}: not JSON: {reason}"),
                        ));
                        continue;
                    }
                };
                if let Some(error) = first_error(&validator, &document) {
                    findings.push(at.finding(&SAMPLE_INVALID, format!("line {line}: {error}")));
                    continue;
                }
                if let Some(registry) = registry {
                    upcast(registry, &mut newest, &at, line, document, findings);
                }
            }
        }
    }
    Ok(count)
}

/// Where a sample is.
struct Place<'a> {
    kind: &'a str,
    version: &'a Version,
    path: &'a Path,
}

impl Place<'_> {
    fn finding(&self, rule: &'static super::rules::Rule, message: String) -> Finding {
        Finding::new(rule, self.kind, Some(&self.version.to_string()), message).at(self.path)
    }
}

fn upcast(
    registry: &Registry,
    newest: &mut NewestValidators,
    at: &Place<'_>,
    line: usize,
    document: Value,
    findings: &mut Vec<Finding>,
) {
    if let Some(message) = formats::roundtrip(registry, at.kind, at.version, &document) {
        findings.push(at.finding(&FORMAT_ROUNDTRIP, format!("line {line}: {message}")));
    }
    let envelope = json!({"kind": at.kind, "version": at.version.to_string(), "data": document});
    let current = match registry.upcast_value(envelope.clone()) {
        Ok(current) => current,
        Err(error) => {
            findings.push(at.finding(&SAMPLE_UPCAST_FAILED, format!("line {line}: {error}")));
            return;
        }
    };
    if let Some(message) = roundtrip::check(registry, &envelope, &current) {
        findings.push(at.finding(&DOWNCAST_ROUNDTRIP, format!("line {line}: {message}")));
    }
    let current = &current["data"];
    if let Some(Some(validator)) = newest.get(registry, at.kind)
        && let Some(error) = first_error(validator, current)
    {
        findings.push(at.finding(&SAMPLE_RESULT_INVALID, format!("line {line}: {error}")));
    }
}

/// The newest schema of each kind, compiled once.
#[derive(Default)]
struct NewestValidators {
    compiled: BTreeMap<String, Option<Validator>>,
}

impl NewestValidators {
    fn get(&mut self, registry: &Registry, kind: &str) -> Option<&Option<Validator>> {
        if !self.compiled.contains_key(kind) {
            let validator = registry.newest(kind).and_then(|(_, entry)| {
                let schema = serde_json::to_value(entry.schema()).ok()?;
                jsonschema::validator_for(&schema).ok()
            });
            self.compiled.insert(kind.to_owned(), validator);
        }
        self.compiled.get(kind)
    }
}

/// The first validation error, with where in the document it is.
fn first_error(validator: &Validator, document: &Value) -> Option<String> {
    validator.iter_errors(document).next().map(|error| {
        let at = error.instance_path().to_string();
        if at.is_empty() {
            error.to_string()
        } else {
            format!("{error} at `{at}`")
        }
    })
}
