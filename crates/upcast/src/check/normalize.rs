//! The normal form frozen schemas are compared in: local references inlined and
//! annotations dropped, so renaming a nested type or editing a doc comment is no change,
//! while anything that changes what the schema accepts is.

use serde_json::{Map, Value, json};

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

/// `schema` in normal form.
pub(crate) fn normalize(schema: &Value) -> Value {
    Normalizer {
        root: schema,
        inlining: Vec::new(),
    }
    .schema(schema)
}

struct Normalizer<'a> {
    root: &'a Value,
    /// The references being inlined, outermost first: a reference back into one of them is
    /// recursion, kept as its distance so names still do not matter.
    inlining: Vec<&'a str>,
}

impl<'a> Normalizer<'a> {
    fn schema(&mut self, schema: &'a Value) -> Value {
        let Value::Object(keywords) = schema else {
            return schema.clone();
        };
        let mut normal = Map::new();
        for (keyword, value) in keywords {
            if ANNOTATIONS.contains(&keyword.as_str()) || keyword == "$ref" {
                continue;
            }
            let value = if SCHEMA_MAPS.contains(&keyword.as_str()) {
                self.map_of_schemas(value)
            } else if SCHEMA_VALUES.contains(&keyword.as_str()) {
                self.schema_or_list(value)
            } else {
                value.clone()
            };
            normal.insert(keyword.clone(), value);
        }
        match keywords.get("$ref").and_then(Value::as_str) {
            Some(reference) => self.with_reference(reference, normal),
            None => Value::Object(normal),
        }
    }

    fn map_of_schemas(&mut self, value: &'a Value) -> Value {
        match value {
            Value::Object(schemas) => Value::Object(
                schemas
                    .iter()
                    .map(|(name, schema)| (name.clone(), self.schema(schema)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn schema_or_list(&mut self, value: &'a Value) -> Value {
        match value {
            Value::Array(schemas) => Value::Array(schemas.iter().map(|s| self.schema(s)).collect()),
            schema => self.schema(schema),
        }
    }

    /// Inlines `reference`; keywords beside it (2020-12 allows them) join with `allOf`.
    fn with_reference(&mut self, reference: &'a str, beside: Map<String, Value>) -> Value {
        let target = match self.inlining.iter().rposition(|r| *r == reference) {
            Some(depth) => json!({"$ref": format!("recursive:{}", self.inlining.len() - depth)}),
            None => match resolve(self.root, reference) {
                Some(target) => {
                    self.inlining.push(reference);
                    let inlined = self.schema(target);
                    self.inlining.pop();
                    inlined
                }
                None => json!({"$ref": reference}),
            },
        };
        if beside.is_empty() {
            target
        } else {
            json!({"allOf": [target, Value::Object(beside)]})
        }
    }
}

#[cfg(test)]
mod tests {
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
        assert_eq!(normalize(&before), normalize(&after));
        assert!(normalize(&before)["properties"]["address"]["properties"]["title"].is_object());
    }

    #[test]
    fn constraints_are_kept() {
        let a = json!({"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}});
        let b = json!({"type": "object", "properties": {"n": {"type": "integer"}}});
        assert_ne!(normalize(&a), normalize(&b));
    }

    #[test]
    fn recursion_is_kept_by_distance() {
        let tree = json!({"$ref": "#/$defs/Node", "$defs": {"Node": {
            "type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}
        }}});
        let normal = normalize(&tree);
        assert_eq!(
            normal["properties"]["children"]["items"],
            json!({"$ref": "recursive:1"})
        );
    }
}
