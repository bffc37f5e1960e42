//! The rules the check applies, as data: an id, a name, what it guards, whether it fails
//! the check, and how to fix what it finds.

use std::fmt;

/// Whether a finding fails the check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level {
    /// Fails the check.
    Deny,
    /// Reported; the check still passes.
    Warn,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Deny => "deny",
            Level::Warn => "warn",
        })
    }
}

/// One rule of the check.
///
/// ```
/// let rule = upcast::check::rule("snapshot-changed").unwrap();
/// assert_eq!(rule.level, upcast::check::Level::Deny);
/// ```
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rule {
    /// The stable id, as in `--explain <id>`.
    pub id: &'static str,
    /// A short human name.
    pub name: &'static str,
    /// What the rule guards, and why.
    pub description: &'static str,
    /// Whether its findings fail the check.
    pub level: Level,
    /// How to fix a finding.
    pub fix: &'static str,
}

/// Rule `registry-invalid`.
pub static REGISTRY_INVALID: Rule = Rule {
    id: "registry-invalid",
    name: "versions do not form one path to the newest",
    description: "Every registered version of a kind must reach the newest version through \
                  the registered steps: no gaps, no steps backwards or across kinds, one type \
                  per compatible range, at most one untagged version.",
    level: Level::Deny,
    fix: "each finding says its own fix",
};

/// Rule `snapshot-missing`.
pub static SNAPSHOT_MISSING: Rule = Rule {
    id: "snapshot-missing",
    name: "a registered version has no frozen schema",
    description: "The JSON Schema of every registered version is frozen in \
                  <dir>/<kind>/<version>.json, so that later changes to the type are caught.",
    level: Level::Deny,
    fix: "run the check once with UPCAST_BLESS=1 to write the snapshot, and commit it",
};

/// Rule `snapshot-changed`.
pub static SNAPSHOT_CHANGED: Rule = Rule {
    id: "snapshot-changed",
    name: "a frozen schema changed",
    description: "A version already stored must keep its schema: data written under it must \
                  stay readable by its type. Annotations (titles, descriptions) and the names \
                  of nested definitions may change; what the schema accepts may not.",
    level: Level::Deny,
    fix: "revert the change to the type; to change the data, add a new version with a step",
};

/// Rule `snapshot-unreadable`.
pub static SNAPSHOT_UNREADABLE: Rule = Rule {
    id: "snapshot-unreadable",
    name: "a snapshot or sample file cannot be read",
    description: "Files in the snapshot folder must be JSON Schemas (<version>.json) or JSON \
                  Lines of sample documents (<version>.samples.jsonl), named by a version.",
    level: Level::Deny,
    fix: "fix or remove the file",
};

/// Rule `snapshot-orphaned`.
pub static SNAPSHOT_ORPHANED: Rule = Rule {
    id: "snapshot-orphaned",
    name: "a frozen schema belongs to no registered version",
    description: "A snapshot whose version no registered type reads is left over from a \
                  retired version, or a type was removed by mistake.",
    level: Level::Warn,
    fix: "if the version is retired (no stored data needs it), delete its snapshot and samples",
};

/// Rule `minor-incompatible`.
pub static MINOR_INCOMPATIBLE: Rule = Rule {
    id: "minor-incompatible",
    name: "a minor version is not backward compatible",
    description: "Within one compatible range (a major, or 0.y), each version's type reads the \
                  data of every earlier version directly, so each schema must be backward \
                  compatible with all earlier ones (transitively), by Confluent Schema \
                  Registry's rules.",
    level: Level::Deny,
    fix: "make the change compatible (an optional field, a serde default), or bump the major \
          version and add a step",
};

/// Rule `sample-invalid`.
pub static SAMPLE_INVALID: Rule = Rule {
    id: "sample-invalid",
    name: "a sample does not match its version's schema",
    description: "Sample documents show what stored data of a version looks like; each must \
                  validate against that version's frozen schema.",
    level: Level::Deny,
    fix: "fix the sample, or the schema was frozen from the wrong type",
};

/// Rule `sample-upcast-failed`.
pub static SAMPLE_UPCAST_FAILED: Rule = Rule {
    id: "sample-upcast-failed",
    name: "a sample cannot be upcast to the newest version",
    description: "Every sample of every version must read through the registered steps to \
                  the newest version without error.",
    level: Level::Deny,
    fix: "fix the step that fails (the message names it), or the sample",
};

/// Rule `sample-result-invalid`.
pub static SAMPLE_RESULT_INVALID: Rule = Rule {
    id: "sample-result-invalid",
    name: "an upcast sample does not match the newest schema",
    description: "What the steps produce from a sample must validate against the newest \
                  version's schema.",
    level: Level::Deny,
    fix: "fix the steps, which produce data the newest type would not write",
};

/// Rule `samples-missing`.
pub static SAMPLES_MISSING: Rule = Rule {
    id: "samples-missing",
    name: "a version has no samples",
    description: "Without samples, nothing shows that a version's data still upcasts.",
    level: Level::Warn,
    fix: "add <dir>/<kind>/<version>.samples.jsonl with a few real-looking documents",
};

/// Rule `downcast-roundtrip`.
pub static DOWNCAST_ROUNDTRIP: Rule = Rule {
    id: "downcast-roundtrip",
    name: "a round trip through a downcast changes a sample",
    description: "Writers pinned at an older version (a rollout, a rollback) go through the \
                  downcasts, and readers come back through the steps: nothing may change on \
                  the way. For every sample of a version the newest can be written at, \
                  upcasting then downcasting gives the sample back; for every sample of the \
                  newest version, downcasting to each older version it can be written at then \
                  upcasting gives it back.",
    level: Level::Deny,
    fix: "set aside in the downcast what the older version has no field for \
          (cx.set_aside), and take it back in the step (cx.take_back); make the step keep \
          what the downcast needs to restore",
};

/// Rule `format-roundtrip`.
pub static FORMAT_ROUNDTRIP: Rule = Rule {
    id: "format-roundtrip",
    name: "a sample does not survive a binary format its kind is stored in",
    description: "A kind declared with #[versioned(formats = [...])] is stored in those \
                  formats too. Every sample of every version is written in each of them and \
                  read back by the version's type, and must come back unchanged: formats \
                  differ on what serde attributes they support (skipped fields, untagged \
                  enums, flattening) and on what they can hold.",
    level: Level::Deny,
    fix: "change the type so the format can hold it (postcard and bincode cannot read \
          #[serde(untagged)], #[serde(flatten)] or skip_serializing_if fields), or drop the \
          format from `formats`; build upcast with the format's feature to check it",
};

/// Rule `format-minor-range`.
pub static FORMAT_MINOR_RANGE: Rule = Rule {
    id: "format-minor-range",
    name: "a format that does not describe its fields would read a minor with another's type",
    description: "postcard and bincode write a struct as its values in order, without \
                  names: bytes of 1.1.0 read with the type of 1.2.0 misread silently or fail, \
                  so upcast refuses to read them (Error::NotSelfDescribing). A kind declared \
                  for such a format must have a type for every version it has stored: a \
                  frozen version read by another version's type is a finding.",
    level: Level::Deny,
    fix: "give each change of the kind a major version with a type and a step (minor \
          versions share a type), or store the kind in a self-describing format (JSON, CBOR, \
          MessagePack)",
};

/// Every rule, in the order the report lists them.
pub static RULES: &[&Rule] = &[
    &REGISTRY_INVALID,
    &SNAPSHOT_MISSING,
    &SNAPSHOT_CHANGED,
    &SNAPSHOT_UNREADABLE,
    &SNAPSHOT_ORPHANED,
    &MINOR_INCOMPATIBLE,
    &SAMPLE_INVALID,
    &SAMPLE_UPCAST_FAILED,
    &SAMPLE_RESULT_INVALID,
    &DOWNCAST_ROUNDTRIP,
    &FORMAT_ROUNDTRIP,
    &FORMAT_MINOR_RANGE,
    &SAMPLES_MISSING,
];

/// The rule with this id.
///
/// ```
/// assert!(upcast::check::rule("no-such-rule").is_none());
/// ```
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|rule| rule.id == id)
}
