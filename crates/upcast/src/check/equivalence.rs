//! Whether a frozen schema and a type's schema are the same as far as the check cares:
//! equal once annotations are dropped and local `$ref`s are followed, so renaming a nested
//! type or editing a doc comment is no change, while anything that changes what the schema
//! accepts is. The two schemas are walked together, each pair of subschemas once, so
//! schemas whose `$ref`s form a DAG cost their size, not the size of their unfolding.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::compat::resolve;

/// Keywords that describe without constraining.
const ANNOTATIONS: &[&str] = &[
    "title",
    "description",
    "$comment",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "$schema",
    "$id",
    "$defs",
    "definitions",
];
/// Keywords whose value maps names to schemas.
const SCHEMA_MAPS: &[&str] = &["properties", "patternProperties", "dependentSchemas"];
/// Keywords whose value is a schema, or a list of schemas.
const SCHEMA_VALUES: &[&str] = &[
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "items",
    "prefixItems",
    "additionalItems",
    "additionalProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contains",
    "propertyNames",
];
/// How many `$ref`s may follow one another before the chain counts as a loop.
const MAX_REFERENCE_CHAIN: usize = 32;
/// How deep the walk may nest; deeper schemas count as different (the comparison that
/// explains the difference then says why).
const MAX_DEPTH: usize = 200;

/// Whether the schemas `a` and `b` (each the root of its document) are the same, up to
/// annotations and the names of their definitions.
pub(crate) fn equivalent(a: &Value, b: &Value) -> bool {
    Walk {
        roots: (a, b),
        same: HashSet::new(),
        depth: 0,
    }
    .schemas(a, b)
}

struct Walk<'a> {
    roots: (&'a Value, &'a Value),
    /// Pairs found the same, or being compared: meeting one again is recursion, which
    /// holds as long as nothing else differs (and any difference ends the walk).
    same: HashSet<(usize, usize)>,
    depth: usize,
}

impl<'a> Walk<'a> {
    fn schemas(&mut self, a: &'a Value, b: &'a Value) -> bool {
        let (a, b) = (target(self.roots.0, a), target(self.roots.1, b));
        let key = (a as *const Value as usize, b as *const Value as usize);
        if !self.same.insert(key) {
            return true;
        }
        if self.depth >= MAX_DEPTH {
            return false;
        }
        self.depth += 1;
        let same = match (a, b) {
            (Value::Object(a), Value::Object(b)) => self.objects(a, b),
            (a, b) => a == b,
        };
        self.depth -= 1;
        same
    }

    /// Two schema objects: the targets of their `$ref`s (when they have keywords beside
    /// one), then their constraining keywords.
    fn objects(&mut self, a: &'a Map<String, Value>, b: &'a Map<String, Value>) -> bool {
        let references = (reference(self.roots.0, a), reference(self.roots.1, b));
        let references_same = match references {
            (Some(x), Some(y)) => self.schemas(x, y),
            (None, None) => true,
            _ => false,
        };
        references_same && self.keywords(a, b, references.0.is_some())
    }

    fn keywords(
        &mut self,
        a: &'a Map<String, Value>,
        b: &'a Map<String, Value>,
        references_followed: bool,
    ) -> bool {
        let ignored = move |keyword: &str| {
            ANNOTATIONS.contains(&keyword) || (references_followed && keyword == "$ref")
        };
        let constraining = |keywords: &'a Map<String, Value>| {
            keywords
                .iter()
                .filter(move |(keyword, _)| !ignored(keyword.as_str()))
        };
        if constraining(a).count() != constraining(b).count() {
            return false;
        }
        constraining(a).all(|(keyword, x)| {
            let Some(y) = b.get(keyword) else {
                return false;
            };
            if SCHEMA_MAPS.contains(&keyword.as_str()) {
                self.maps_of_schemas(x, y)
            } else if SCHEMA_VALUES.contains(&keyword.as_str()) {
                self.schemas_or_lists(x, y)
            } else {
                x == y
            }
        })
    }

    fn maps_of_schemas(&mut self, a: &'a Value, b: &'a Value) -> bool {
        match (a, b) {
            (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(name, x)| b.get(name).is_some_and(|y| self.schemas(x, y)))
            }
            (a, b) => a == b,
        }
    }

    fn schemas_or_lists(&mut self, a: &'a Value, b: &'a Value) -> bool {
        match (a, b) {
            (Value::Array(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| self.schemas(x, y))
            }
            (a, b) => self.schemas(a, b),
        }
    }
}

/// The schema a chain of local `$ref`s with nothing else beside them ends at; a reference
/// that does not resolve, or that loops, stays as written.
fn target<'a>(root: &'a Value, mut schema: &'a Value) -> &'a Value {
    for _ in 0..MAX_REFERENCE_CHAIN {
        let Some(keywords) = schema.as_object() else {
            return schema;
        };
        let alone = keywords
            .keys()
            .all(|keyword| keyword == "$ref" || ANNOTATIONS.contains(&keyword.as_str()));
        match reference(root, keywords) {
            Some(next) if alone => schema = next,
            _ => return schema,
        }
    }
    schema
}

/// What a schema's `$ref` resolves to, if it has one that does.
fn reference<'a>(root: &'a Value, keywords: &'a Map<String, Value>) -> Option<&'a Value> {
    let reference = keywords.get("$ref")?.as_str()?;
    resolve(root, reference)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn renamed_definitions_and_annotations_are_no_change() {
        let before = json!({
            "title": "User", "type": "object", "required": ["address"],
            "properties": {"address": {"$ref": "#/$defs/Address", "description": "where"}},
            "$defs": {"Address": {"type": "object", "properties": {"title": {"type": "string"}}}}
        });
        let after = json!({
            "title": "UserV2", "type": "object", "required": ["address"],
            "properties": {"address": {"$ref": "#/$defs/PostalAddress"}},
            "$defs": {"PostalAddress": {"type": "object", "properties": {"title": {"type": "string"}}}}
        });
        assert!(equivalent(&before, &after));
        let inlined = json!({
            "type": "object", "required": ["address"],
            "properties": {"address": {"type": "object", "properties": {"title": {"type": "string"}}}}
        });
        assert!(equivalent(&before, &inlined));
    }

    #[test]
    fn constraints_are_kept() {
        let a = json!({"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}});
        let b = json!({"type": "object", "properties": {"n": {"type": "integer"}}});
        assert!(!equivalent(&a, &b));
        let beside =
            json!({"$ref": "#/$defs/n", "minimum": 1, "$defs": {"n": {"type": "integer"}}});
        let without = json!({"$ref": "#/$defs/n", "$defs": {"n": {"type": "integer"}}});
        assert!(
            !equivalent(&beside, &without),
            "keywords beside a `$ref` count"
        );
    }

    #[test]
    fn recursive_schemas_compare_by_their_unfolding() {
        let tree = |name: &str| {
            json!({"$ref": format!("#/$defs/{name}"), "$defs": {name: {"type": "object",
                "properties": {"children": {"type": "array", "items": {"$ref": format!("#/$defs/{name}")}}}}}})
        };
        assert!(equivalent(&tree("Node"), &tree("Tree")));
        let leafy = json!({"type": "object", "properties": {"children": {"type": "array",
            "items": {"type": "object", "properties": {"children": {"type": "array"}}}}}});
        assert!(!equivalent(&tree("Node"), &leafy));
    }

    /// `a0` reaches `a1` twice, `a1` reaches `a2` twice, ...: 2^40 paths to the leaf.
    fn doubling(leaf: Value) -> Value {
        let mut defs = Map::new();
        for level in 0..40 {
            let next = json!({"$ref": format!("#/$defs/a{}", level + 1)});
            let schema = json!({"type": "object", "properties": {"l": next, "r": next}});
            defs.insert(format!("a{level}"), schema);
        }
        defs.insert("a40".to_owned(), leaf);
        json!({"$ref": "#/$defs/a0", "$defs": defs})
    }

    #[test]
    fn a_dag_of_references_costs_its_size() {
        let string = doubling(json!({"type": "string"}));
        assert!(equivalent(&string, &doubling(json!({"type": "string"}))));
        assert!(!equivalent(&string, &doubling(json!({"type": "integer"}))));
    }
}
