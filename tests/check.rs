//! The CI check on snapshot folders in temporary directories, with a registry built by
//! hand so the global one (which the demo fills) stays out of the way.

use std::fs;
use tempfile::TempDir;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use upcast::check::{
    Check, DOWNCAST_ROUNDTRIP, Level, MINOR_INCOMPATIBLE, Report, SAMPLE_INVALID,
    SAMPLE_RESULT_INVALID, SAMPLE_UPCAST_FAILED, SAMPLES_MISSING, SNAPSHOT_CHANGED,
    SNAPSHOT_MISSING, SNAPSHOT_ORPHANED, SNAPSHOT_UNREADABLE,
};
use upcast::{Context, Registry, Tag, Upcast, UpcastError, Versioned};

#[derive(Serialize, Deserialize, JsonSchema)]
struct ItemV1 {
    n: i64,
}

impl Versioned for ItemV1 {
    const KIND: &'static str = "c.item";
    const VERSION: Tag = Tag::Number(1);
}

/// The current item: `n` may not be negative, which version 1 allowed.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Item {
    #[schemars(range(min = 0))]
    n: i64,
    label: String,
    #[serde(default)]
    note: Option<String>,
}

impl Versioned for Item {
    const KIND: &'static str = "c.item";
    const VERSION: Tag = Tag::Text("2.1");
}

impl Upcast for ItemV1 {
    type Next = Item;

    fn upcast(self, _: &Context) -> Result<Item, UpcastError> {
        if self.n == 13 {
            return Err(UpcastError::new("13 is unlucky"));
        }
        Ok(Item {
            n: self.n,
            label: format!("item {}", self.n),
            note: None,
        })
    }
}

fn registry() -> Registry {
    match Registry::builder()
        .version::<ItemV1>()
        .version::<Item>()
        .step::<ItemV1>()
        .build()
    {
        Ok(registry) => registry,
        Err(error) => panic!("{error}"),
    }
}

/// A fresh folder for one test, deleted with it.
fn folder(name: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(&format!("upcast-check-{name}-"))
        .tempdir()
        .unwrap()
}

fn write(dir: &TempDir, file: &str, text: &str) {
    let path = dir.path().join("c.item").join(file);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn run(dir: &TempDir, registry: &Registry) -> Report {
    match Check::new(dir).bless(false).registry(registry).run() {
        Ok(report) => report,
        Err(error) => panic!("the check failed to run: {error}"),
    }
}

fn rules(report: &Report) -> Vec<&'static str> {
    report.findings.iter().map(|f| f.rule.id).collect()
}

/// Blesses `dir` and adds good samples.
fn blessed(name: &str, registry: &Registry) -> TempDir {
    let dir = folder(name);
    let report = Check::new(&dir)
        .bless(true)
        .registry(registry)
        .run()
        .unwrap();
    assert_eq!(report.blessed.len(), 2);
    write(&dir, "1.0.0.samples.jsonl", "{\"n\": 1}\n{\"n\": 40}\n");
    write(
        &dir,
        "2.1.0.samples.jsonl",
        "{\"n\": 2, \"label\": \"two\"}\n",
    );
    dir
}

#[test]
fn bless_writes_pretty_snapshots_then_the_check_passes() {
    let registry = registry();
    let dir = blessed("bless", &registry);
    let text = fs::read_to_string(dir.path().join("c.item/2.1.0.json")).unwrap();
    assert!(
        text.starts_with("{\n  \"$schema\"") && text.ends_with("}\n"),
        "{text}"
    );
    let report = run(&dir, &registry);
    assert!(report.passed(), "{report}");
    assert_eq!((report.kinds, report.versions, report.samples), (1, 2, 3));
    let again = Check::new(&dir)
        .bless(true)
        .registry(&registry)
        .run()
        .unwrap();
    assert!(again.blessed.is_empty(), "bless never rewrites a snapshot");
}

#[test]
fn without_bless_missing_snapshots_fail() {
    let registry = registry();
    let dir = folder("missing");
    let report = run(&dir, &registry);
    assert_eq!(report.of(&SNAPSHOT_MISSING).count(), 2);
    let text = report.to_string();
    assert!(
        text.contains(
            "--- failure snapshot-missing: a registered version has no frozen schema ---"
        ),
        "{text}"
    );
    assert!(text.contains("UPCAST_BLESS=1"), "{text}");
    assert!(
        text.ends_with("13 checks: 11 pass, 1 fail, 1 warn; 1 kinds, 2 versions, 0 samples"),
        "{text}"
    );
}

#[test]
fn a_changed_snapshot_says_what_changed() {
    let registry = registry();
    let dir = blessed("changed", &registry);
    let path = dir.path().join("c.item/1.0.0.json");
    let text = fs::read_to_string(&path)
        .unwrap()
        .replace("\"integer\"", "\"string\"");
    fs::write(&path, text).unwrap();
    let report = run(&dir, &registry);
    let changed: Vec<_> = report.of(&SNAPSHOT_CHANGED).collect();
    assert_eq!(changed.len(), 1, "{report}");
    assert!(
        changed[0].message.contains("TYPE_CHANGED #/properties/n"),
        "{}",
        changed[0].message
    );
}

#[test]
fn renamed_types_and_edited_docs_are_no_change() {
    let registry = registry();
    let dir = blessed("renamed", &registry);
    let path = dir.path().join("c.item/2.1.0.json");
    let mut schema: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    schema["title"] = "RenamedItem".into();
    schema["description"] = "Edited docs.".into();
    fs::write(&path, serde_json::to_string_pretty(&schema).unwrap()).unwrap();
    assert!(run(&dir, &registry).passed());
}

#[test]
fn orphaned_snapshots_warn() {
    let registry = registry();
    let dir = blessed("orphan", &registry);
    write(&dir, "9.0.0.json", "{\"type\": \"object\"}");
    let report = run(&dir, &registry);
    assert!(report.passed(), "a warning does not fail: {report}");
    assert_eq!(report.of(&SNAPSHOT_ORPHANED).count(), 1);
    assert_eq!(SNAPSHOT_ORPHANED.level, Level::Warn);
}

#[test]
fn an_incompatible_minor_fails_transitively() {
    let registry = registry();
    let dir = blessed("minor", &registry);
    // 2.0.0 once took a string `n`: 2.1.0 (an integer `n`) cannot read its data.
    write(
        &dir,
        "2.0.0.json",
        r#"{"type": "object", "properties": {"n": {"type": "string"}, "label": {"type": "string"}}, "required": ["n", "label"]}"#,
    );
    write(
        &dir,
        "2.0.0.samples.jsonl",
        "{\"n\": \"x\", \"label\": \"y\"}\n",
    );
    let report = run(&dir, &registry);
    let findings: Vec<_> = report.of(&MINOR_INCOMPATIBLE).collect();
    assert_eq!(findings.len(), 1, "{report}");
    assert!(
        findings[0]
            .message
            .starts_with("2.1.0 cannot read 2.0.0 data (lenient policy): TYPE_CHANGED"),
        "{}",
        findings[0].message
    );
}

#[test]
fn samples_are_validated_upcast_and_checked_against_the_newest_schema() {
    let registry = registry();
    let dir = blessed("samples", &registry);
    write(
        &dir,
        "1.0.0.samples.jsonl",
        "{\"n\": \"one\"}\n{\"n\": 13}\n{\"n\": -5}\n{\"n\": 7}\n",
    );
    let report = run(&dir, &registry);
    assert_eq!(
        rules(&report),
        [
            "sample-invalid",
            "sample-upcast-failed",
            "sample-result-invalid"
        ],
        "{report}"
    );
    let messages: Vec<&str> = report.findings.iter().map(|f| f.message.as_str()).collect();
    assert!(messages[0].starts_with("line 1: "), "{}", messages[0]);
    assert!(messages[1].contains("13 is unlucky"), "{}", messages[1]);
    assert!(
        messages[2].starts_with("line 3: ") && messages[2].contains("-5"),
        "{}",
        messages[2]
    );
    let _ = (
        &SAMPLE_INVALID,
        &SAMPLE_UPCAST_FAILED,
        &SAMPLE_RESULT_INVALID,
    );
}

#[test]
fn versions_without_samples_warn() {
    let registry = registry();
    let dir = folder("no-samples");
    let report = Check::new(&dir)
        .bless(true)
        .registry(&registry)
        .run()
        .unwrap();
    assert_eq!(report.of(&SAMPLES_MISSING).count(), 2);
    assert!(report.passed());
}

#[test]
fn unreadable_files_are_findings_not_crashes() {
    let registry = registry();
    let dir = blessed("unreadable", &registry);
    write(&dir, "1.0.0.samples.jsonl", "{\"n\": 1}\nnot json\n");
    write(&dir, "latest.json", "{}");
    let report = run(&dir, &registry);
    let unreadable: Vec<_> = report
        .of(&SNAPSHOT_UNREADABLE)
        .map(|f| f.message.clone())
        .collect();
    assert_eq!(unreadable.len(), 2, "{report}");
    assert!(
        unreadable
            .iter()
            .any(|m| m.starts_with("the file name is not a version")),
        "{unreadable:?}"
    );
    assert!(
        unreadable.iter().any(|m| m.starts_with("line 2: not JSON")),
        "{unreadable:?}"
    );
}

#[test]
fn the_files_only_check_needs_no_types() {
    let dir = folder("files");
    write(
        &dir,
        "1.0.0.json",
        r#"{"type": "object", "properties": {"n": {"type": "integer"}}}"#,
    );
    write(
        &dir,
        "1.1.0.json",
        r#"{"type": "object", "properties": {"n": {"type": "integer"}, "m": {"type": "string"}}}"#,
    );
    write(&dir, "1.0.0.samples.jsonl", "{\"n\": 1}\n");
    write(&dir, "1.1.0.samples.jsonl", "{\"n\": 1, \"m\": 2}\n");
    let report = Check::files(&dir).run().unwrap();
    assert_eq!(
        rules(&report),
        ["sample-invalid"],
        "lenient: adding `m` is fine; the sample is not: {report}"
    );
    let strict = Check::files(&dir)
        .policy(upcast::compat::Policy::Strict)
        .run()
        .unwrap();
    assert!(strict.of(&MINOR_INCOMPATIBLE).next().is_some(), "{strict}");
}

#[test]
fn json_report_lists_findings() {
    let registry = registry();
    let dir = folder("json");
    let report = run(&dir, &registry);
    let json = report.to_json();
    assert_eq!(json["passed"], false);
    assert_eq!(json["findings"][0]["rule"], "snapshot-missing");
    assert_eq!(json["findings"][0]["kind"], "c.item");
}

/// `c.pair`: version 2 adds a label that version 1 derives; the downcast sets aside a
/// label version 1 could not derive, when `careful`.
macro_rules! pair {
    ($v1:ident, $v2:ident, $kind:literal, careful = $careful:expr) => {
        #[derive(Clone, Serialize, Deserialize, JsonSchema)]
        struct $v1 {
            n: i64,
        }

        impl Versioned for $v1 {
            const KIND: &'static str = $kind;
            const VERSION: Tag = Tag::Number(1);
        }

        #[derive(Clone, Serialize, Deserialize, JsonSchema)]
        struct $v2 {
            n: i64,
            label: String,
        }

        impl Versioned for $v2 {
            const KIND: &'static str = $kind;
            const VERSION: Tag = Tag::Number(2);
        }

        impl Upcast for $v1 {
            type Next = $v2;
            fn upcast(self, cx: &Context) -> Result<$v2, UpcastError> {
                let label = cx
                    .take_back("label")?
                    .unwrap_or_else(|| format!("item {}", self.n));
                Ok($v2 { n: self.n, label })
            }
        }

        impl upcast::Downcast for $v2 {
            type Prev = $v1;
            fn downcast(self, cx: &Context) -> Result<$v1, UpcastError> {
                if $careful && self.label != format!("item {}", self.n) {
                    cx.set_aside("label", &self.label)?;
                }
                Ok($v1 { n: self.n })
            }
        }
    };
}

pair!(PairV1, Pair, "c.pair", careful = true);
pair!(LossyV1, Lossy, "c.lossy", careful = false);

fn pairs(kind: &str) -> Registry {
    let builder = Registry::builder();
    let built = match kind {
        "c.pair" => builder
            .version::<PairV1>()
            .version::<Pair>()
            .step::<PairV1>()
            .downcast::<Pair>(),
        _ => builder
            .version::<LossyV1>()
            .version::<Lossy>()
            .step::<LossyV1>()
            .downcast::<Lossy>(),
    };
    built.build().unwrap()
}

fn roundtrip_report(kind: &str) -> Report {
    let registry = pairs(kind);
    let dir = folder(kind);
    Check::new(&dir)
        .bless(true)
        .registry(&registry)
        .run()
        .unwrap();
    let samples = dir.path().join(kind);
    fs::write(samples.join("1.0.0.samples.jsonl"), "{\"n\": 1}\n").unwrap();
    fs::write(
        samples.join("2.0.0.samples.jsonl"),
        "{\"n\": 2, \"label\": \"item 2\"}\n{\"n\": 3, \"label\": \"three\"}\n",
    )
    .unwrap();
    run(&dir, &registry)
}

#[test]
fn downcasts_that_set_aside_what_they_drop_round_trip() {
    let report = roundtrip_report("c.pair");
    assert!(report.passed(), "{report}");
    assert_eq!(report.writable["c.pair"], upcast::Version::new(1, 0, 0));
    assert!(
        report
            .to_string()
            .contains("Writable at older versions: `c.pair` down to 1.0.0"),
        "{report}"
    );
}

#[test]
fn a_downcast_that_drops_data_fails_the_round_trip_rule() {
    let report = roundtrip_report("c.lossy");
    let found: Vec<String> = report
        .of(&DOWNCAST_ROUNDTRIP)
        .map(ToString::to_string)
        .collect();
    assert_eq!(found.len(), 1, "{report}");
    assert!(
        found[0].contains(
            "line 2: downcast to 1.0.0 then upcast does not give the sample back: at `/label` it \
             was \"three\", it came back as \"item 3\""
        ),
        "{}",
        found[0]
    );
    assert!(!report.passed());
    assert!(
        upcast::check::rule("downcast-roundtrip")
            .is_some_and(|rule| rule.fix.contains("cx.set_aside"))
    );
}
