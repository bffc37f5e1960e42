//! Confluent Schema Registry's own test cases for its JSON Schema compatibility checker,
//! run against `upcast::compat`. The fixtures are read from the folder named by
//! `UPCAST_CONFLUENT_FIXTURES` (`.ci/run` sets it); without it the test says it skipped.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;
use upcast::compat::{self, Policy};

const VARIABLE: &str = "UPCAST_CONFLUENT_FIXTURES";
const FILE: &str = "diff-schema-examples.json";

fn cases() -> Option<Vec<Value>> {
    let Some(dir) = std::env::var_os(VARIABLE) else {
        eprintln!("skipped: set {VARIABLE} to the folder of {FILE} to run Confluent's cases");
        return None;
    };
    let path = PathBuf::from(dir).join(FILE);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "{VARIABLE} is set but {} cannot be read: {error}",
            path.display()
        )
    });
    match serde_json::from_str(&text) {
        Ok(Value::Array(cases)) => Some(cases),
        other => panic!("{} is not an array of cases: {other:?}", path.display()),
    }
}

/// What one case expects and what the checker found.
struct Outcome {
    description: String,
    expected: BTreeSet<String>,
    found: BTreeSet<String>,
    verdicts: [(bool, bool); 2],
}

fn run(case: &Value) -> Outcome {
    let changes = compat::diff(&case["original_schema"], &case["update_schema"])
        .unwrap_or_else(|error| panic!("{}: {error}", case["description"]));
    let verdict = |policy| changes.iter().all(|change| change.is_compatible(policy));
    let strict = case["compatible"].as_bool().unwrap_or_default();
    let lenient = case
        .get("compatible_lenient")
        .and_then(Value::as_bool)
        .unwrap_or(strict);
    Outcome {
        description: case["description"].as_str().unwrap_or_default().to_owned(),
        expected: case["changes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        found: changes.iter().map(ToString::to_string).collect(),
        verdicts: [
            (verdict(Policy::Strict), strict),
            (verdict(Policy::Lenient), lenient),
        ],
    }
}

#[test]
fn confluent_json_schema_diff_examples() {
    let Some(cases) = cases() else { return };
    let outcomes: Vec<Outcome> = cases.iter().map(run).collect();
    let verdicts_right = outcomes
        .iter()
        .filter(|o| o.verdicts.iter().all(|(got, want)| got == want))
        .count();
    let changes_right = outcomes.iter().filter(|o| o.expected == o.found).count();
    eprintln!(
        "conformance: verdicts {verdicts_right}/{}, change sets {changes_right}/{}",
        outcomes.len(),
        outcomes.len()
    );
    let failures: Vec<String> = outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| o.expected != o.found || o.verdicts.iter().any(|(got, want)| got != want))
        .map(|(index, o)| {
            format!(
                "case {index} `{}`: expected {:?}, found {:?}, verdicts (strict, lenient) {:?}",
                o.description, o.expected, o.found, o.verdicts
            )
        })
        .collect();
    assert_eq!(outcomes.len(), 104, "the fixture has 104 cases");
    assert!(
        failures.is_empty(),
        "{} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
