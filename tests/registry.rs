//! The registry: the global one is valid; hand-built ones show every validation problem.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use upcast::{Context, Problem, Registry, Tag, Upcast, UpcastError, Version, Versioned};

/// A hand-implemented version: not submitted to the global registry, so broken sets can
/// be built without breaking the test binary.
macro_rules! version {
    ($name:ident, $kind:literal, $tag:expr) => {
        version!($name, $kind, $tag, false);
    };
    ($name:ident, $kind:literal, $tag:expr, $untagged:expr) => {
        #[derive(Serialize, Deserialize, JsonSchema)]
        struct $name;
        impl Versioned for $name {
            const KIND: &'static str = $kind;
            const VERSION: Tag = $tag;
            const UNTAGGED: bool = $untagged;
        }
    };
}

/// A hand-written step, not registered.
macro_rules! step {
    ($from:ident => $to:ident) => {
        impl Upcast for $from {
            type Next = $to;
            fn upcast(self, _: &Context) -> Result<$to, UpcastError> {
                Ok($to)
            }
        }
    };
}

version!(A1, "h.a", Tag::Number(1), true);
version!(A2, "h.a", Tag::Text("2.0.0"));
version!(A2Twin, "h.a", Tag::Number(2));
version!(A21, "h.a", Tag::Text("2.1"));
version!(A3, "h.a", Tag::Number(3));
version!(U3, "h.a", Tag::Number(3), true);
version!(Bad, "h.a", Tag::Text("two"));
version!(Other, "h.other", Tag::Number(4));
step!(A1 => A2);
step!(A2 => A3);
step!(A21 => A3);
step!(A3 => A2Twin);
step!(Other => A3);
step!(A2Twin => A21);
step!(Bad => A3);

fn problems(registry: Result<Registry, upcast::Error>) -> Vec<Problem> {
    match registry {
        Ok(_) => panic!("expected problems"),
        Err(upcast::Error::InvalidRegistry(problems)) => problems,
        Err(other) => panic!("expected InvalidRegistry, got {other}"),
    }
}

#[test]
fn global_registry_is_valid_and_lists_the_demo() {
    Registry::validate().unwrap();
    let registry = Registry::global();
    assert!(registry.kinds().any(|kind| kind == "customer"));
    assert_eq!(registry.versions("customer").len(), 5);
    assert_eq!(registry.versions("product"), [Version::new(1, 2, 0)]);
    assert_eq!(registry.path("order", None).unwrap().len(), 3);
}

#[test]
fn a_valid_hand_built_chain() {
    let registry = Registry::builder()
        .version::<A1>()
        .version::<A2>()
        .version::<A3>()
        .step::<A1>()
        .step::<A2>()
        .build();
    assert!(registry.is_ok());
}

#[test]
fn duplicate_versions() {
    let found = problems(
        Registry::builder()
            .version::<A2>()
            .version::<A2Twin>()
            .build(),
    );
    assert!(
        matches!(&found[0], Problem::DuplicateVersion { version, .. } if *version == Version::new(2, 0, 0))
    );
    assert!(found[0].to_string().contains("keep one type per version"));
}

#[test]
fn two_types_in_one_range() {
    let found = problems(Registry::builder().version::<A2>().version::<A21>().build());
    let message = found[0].to_string();
    assert!(matches!(found[0], Problem::SharedRange { .. }));
    assert!(
        message.contains("one compatible range `^2`") && message.contains("2.0.0"),
        "{message}"
    );
}

#[test]
fn several_untagged_versions() {
    let found = problems(Registry::builder().version::<A1>().version::<U3>().build());
    assert!(
        found
            .iter()
            .any(|p| matches!(p, Problem::SeveralUntagged { versions, .. } if versions.len() == 2))
    );
}

#[test]
fn steps_from_or_to_unregistered_versions() {
    let found = problems(
        Registry::builder()
            .version::<A2>()
            .step::<A1>()
            .step::<A2>()
            .build(),
    );
    let ends: Vec<bool> = found
        .iter()
        .filter_map(|p| match p {
            Problem::UnregisteredStepEnd { is_target, .. } => Some(*is_target),
            _ => None,
        })
        .collect();
    assert_eq!(ends, [false, true], "{found:?}");
    assert!(
        found[0]
            .to_string()
            .contains("derive upcast::Versioned on it")
    );
}

#[test]
fn steps_must_go_forward_to_another_range() {
    // A3 -> A2Twin goes backwards; A2Twin -> A21 stays in range ^2; both are refused.
    let found = problems(
        Registry::builder()
            .version::<A2Twin>()
            .version::<A21>()
            .version::<A3>()
            .step::<A3>()
            .step::<A2Twin>()
            .build(),
    );
    let not_forward = found
        .iter()
        .filter(|p| matches!(p, Problem::StepNotForward { .. }))
        .count();
    assert_eq!(not_forward, 2, "{found:?}");
}

#[test]
fn steps_stay_within_one_kind() {
    let registry = Registry::builder()
        .version::<A2>()
        .version::<A3>()
        .version::<Other>()
        .step::<A2>()
        .step::<Other>()
        .build();
    let found = problems(registry);
    assert!(
        found
            .iter()
            .any(|p| matches!(p, Problem::KindChange { .. })),
        "{found:?}"
    );
}

#[test]
fn version_with_no_path() {
    let found = problems(
        Registry::builder()
            .version::<A1>()
            .version::<A2>()
            .version::<A3>()
            .step::<A2>()
            .build(),
    );
    let [
        Problem::MissingStep {
            version, newest, ..
        },
    ] = found.as_slice()
    else {
        panic!("{found:?}")
    };
    assert_eq!(
        (version, newest),
        (&Version::new(1, 0, 0), &Version::new(3, 0, 0))
    );
    assert!(
        found[0]
            .to_string()
            .contains("impl From<A1> for <the next version's type>")
    );
}

#[test]
fn invalid_declared_version() {
    let found = problems(
        Registry::builder()
            .version::<Bad>()
            .version::<A3>()
            .step::<Bad>()
            .build(),
    );
    assert!(
        matches!(&found[0], Problem::InvalidVersion { tag, .. } if tag == "two"),
        "{found:?}"
    );
}

#[test]
fn every_problem_is_listed_at_once() {
    let error = Registry::builder()
        .version::<A1>()
        .version::<A2>()
        .version::<A2Twin>()
        .version::<A21>()
        .version::<A3>()
        .build()
        .err()
        .unwrap();
    let message = error.to_string();
    assert!(
        message.starts_with("invalid upcast registry, "),
        "{message}"
    );
    assert!(message.matches("\n  - ").count() >= 4, "{message}");
}

#[test]
fn upcast_value_keeps_metadata_and_writes_the_newest_tag() {
    let registry = Registry::global();
    let old = json!({"kind": "test.note", "id": 7, "source": "mail", "data": {"text": "x"}});
    let current = registry.upcast_value(old).unwrap();
    assert_eq!(
        current,
        json!({"kind": "test.note", "version": "2.1.0", "id": 7, "source": "mail",
               "data": {"text": "x", "origin": "1.0.0 mail true", "pinned": false}})
    );
    assert_eq!(
        registry.upcast_value(current.clone()).unwrap(),
        current,
        "newest is left as is"
    );
}

#[test]
fn upcast_value_re_encodes_older_minors() {
    let old = json!({"kind": "product", "version": "1.0.0", "data": {"sku": "S", "title": "T", "price_cents": 5}});
    let current = Registry::global().upcast_value(old).unwrap();
    assert_eq!(current["version"], "1.2.0");
    assert_eq!(current["data"]["tags"], json!([]));
}

#[test]
fn upcast_value_names_unknown_kinds() {
    let failure = Registry::global()
        .upcast_value(json!({"kind": "nope", "version": 1, "data": {}}))
        .unwrap_err();
    let message = failure.to_string();
    assert!(
        message.starts_with("unknown kind `nope`, expected one of "),
        "{message}"
    );
    assert!(message.contains("`customer`"), "{message}");
}
