//! Schemas as the comparison sees them: each JSON Schema classified into one shape (a
//! string, an object, a combination...), the model of the everit library that Confluent's
//! checker walks. A schema with keywords of several shapes (`{"type": "string", "enum":
//! [...]}`) is an implicit `allOf` of them, as everit reads it.
//!
//! Classifying reads one schema object: the members of `allOf`, `anyOf` and `oneOf` are
//! classified only when compared, so schemas whose combinations refer to one another (or to
//! themselves) cost no more than their size.

use serde_json::{Map, Value};

use crate::Error;

/// How many `$ref`s may follow one another before the chain counts as a loop.
const MAX_REFERENCE_CHAIN: usize = 32;

/// A classified schema.
#[derive(Clone)]
pub(crate) struct Node<'a> {
    pub(crate) shape: Shape<'a>,
    /// The object the node was read from: its annotations, and its identity for dedup; `None`
    /// for the parts of an implicit `allOf`, which have none.
    pub(crate) source: Option<&'a Map<String, Value>>,
    /// The document the schema belongs to, against which its `$ref`s resolve.
    pub(crate) root: &'a Value,
    /// What the node is, for the cycle guard: the address of its JSON and its part.
    pub(crate) identity: (usize, usize),
}

/// The shapes, one per everit schema class.
#[derive(Clone)]
pub(crate) enum Shape<'a> {
    Empty,
    False,
    String(&'a Map<String, Value>),
    Number {
        keywords: &'a Map<String, Value>,
        integer: bool,
    },
    Boolean,
    Null,
    Object(&'a Map<String, Value>),
    Array(&'a Map<String, Value>),
    Enum(&'a [Value]),
    Const(&'a Value),
    Not(&'a Value),
    Combined {
        criterion: Criterion,
        parts: Vec<Part<'a>>,
    },
}

/// A part of a combination.
#[derive(Clone)]
pub(crate) enum Part<'a> {
    /// One group of keywords of a schema that has several (an implicit `allOf`).
    Keywords(Node<'a>),
    /// A member of `allOf`, `anyOf` or `oneOf`, classified when compared.
    Member(&'a Value),
}

/// The parts of a combination in the document `root`, classified; `at` is where the
/// comparison is, for errors.
pub(crate) fn classify_parts<'a>(
    root: &'a Value,
    parts: &[Part<'a>],
    at: &str,
) -> Result<Vec<Node<'a>>, Error> {
    parts
        .iter()
        .map(|part| match part {
            Part::Keywords(node) => Ok(node.clone()),
            Part::Member(schema) => classify(root, schema, at),
        })
        .collect()
}

/// The combination keywords.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Criterion {
    All,
    Any,
    One,
}

impl Criterion {
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            Criterion::All => "allOf",
            Criterion::Any => "anyOf",
            Criterion::One => "oneOf",
        }
    }
}

impl Shape<'_> {
    /// The everit class, to tell a change of type from a change within one.
    pub(crate) fn class(&self) -> u8 {
        match self {
            Shape::Empty => 0,
            Shape::False => 1,
            Shape::String(_) => 2,
            Shape::Number { .. } => 3,
            Shape::Boolean => 4,
            Shape::Null => 5,
            Shape::Object(_) => 6,
            Shape::Array(_) => 7,
            Shape::Enum(_) => 8,
            Shape::Const(_) => 9,
            Shape::Not(_) => 10,
            Shape::Combined { .. } => 11,
        }
    }
}

const OBJECT_KEYWORDS: &[&str] = &[
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "minProperties",
    "maxProperties",
    "dependencies",
    "dependentRequired",
    "dependentSchemas",
    "propertyNames",
    "unevaluatedProperties",
];
const ARRAY_KEYWORDS: &[&str] = &[
    "items",
    "prefixItems",
    "additionalItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "minContains",
    "maxContains",
    "unevaluatedItems",
];
const STRING_KEYWORDS: &[&str] = &["minLength", "maxLength", "pattern"];
const NUMBER_KEYWORDS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];

/// Classifies `schema`, a part of the document `root`; `at` is its pointer, for errors.
pub(crate) fn classify<'a>(
    root: &'a Value,
    schema: &'a Value,
    at: &str,
) -> Result<Node<'a>, Error> {
    let target = follow_references(root, schema, at)?;
    let identity = (target as *const Value as usize, 0);
    let keywords = match target {
        Value::Bool(true) => {
            return Ok(Node {
                shape: Shape::Empty,
                source: None,
                root,
                identity,
            });
        }
        Value::Bool(false) => {
            return Ok(Node {
                shape: Shape::False,
                source: None,
                root,
                identity,
            });
        }
        Value::Object(keywords) => keywords,
        other => {
            return Err(invalid(
                at,
                format!("expected an object or a boolean, found {}", kind_of(other)),
            ));
        }
    };
    let mut parts = typed_parts(root, keywords, identity.0, at)?;
    if let Some(values) = keywords.get("enum") {
        let values = values
            .as_array()
            .ok_or_else(|| invalid(at, "`enum` must be an array".to_owned()))?;
        parts.push(part(Shape::Enum(values), root, identity.0, parts.len()));
    }
    if let Some(value) = keywords.get("const") {
        parts.push(part(Shape::Const(value), root, identity.0, parts.len()));
    }
    if let Some(negated) = keywords.get("not") {
        parts.push(part(Shape::Not(negated), root, identity.0, parts.len()));
    }
    for criterion in [Criterion::All, Criterion::Any, Criterion::One] {
        if let Some(list) = keywords.get(criterion.keyword()) {
            let combined = combination(criterion, list, &format!("{at}/{}", criterion.keyword()))?;
            parts.push(part(combined, root, identity.0, parts.len()));
        }
    }
    let shape = match parts.len() {
        0 => Shape::Empty,
        1 => parts.remove(0).shape,
        _ => Shape::Combined {
            criterion: Criterion::All,
            parts: parts.into_iter().map(Part::Keywords).collect(),
        },
    };
    Ok(Node {
        shape,
        source: Some(keywords),
        root,
        identity,
    })
}

fn part<'a>(shape: Shape<'a>, root: &'a Value, address: usize, index: usize) -> Node<'a> {
    Node {
        shape,
        source: None,
        root,
        identity: (address, index + 1),
    }
}

/// The shapes `type` names, or the keywords imply.
fn typed_parts<'a>(
    root: &'a Value,
    keywords: &'a Map<String, Value>,
    address: usize,
    at: &str,
) -> Result<Vec<Node<'a>>, Error> {
    let names: Vec<&str> = match keywords.get("type") {
        Some(Value::String(name)) => vec![name.as_str()],
        Some(Value::Array(names)) => names
            .iter()
            .map(|name| {
                name.as_str()
                    .ok_or_else(|| invalid(at, "`type` must name types".to_owned()))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(invalid(
                at,
                "`type` must be a string or an array".to_owned(),
            ));
        }
        None => implied_types(keywords),
    };
    let shapes = names
        .iter()
        .map(|name| {
            typed(name, keywords).ok_or_else(|| invalid(at, format!("unknown type `{name}`")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut nodes: Vec<Node<'a>> = shapes
        .into_iter()
        .enumerate()
        .map(|(i, shape)| part(shape, root, address, 100 + i))
        .collect();
    Ok(match nodes.len() {
        0 | 1 => nodes,
        _ => {
            let parts = std::mem::take(&mut nodes);
            vec![part(
                Shape::Combined {
                    criterion: Criterion::Any,
                    parts: parts.into_iter().map(Part::Keywords).collect(),
                },
                root,
                address,
                99,
            )]
        }
    })
}

/// Without `type`, the keywords say which types a schema constrains.
fn implied_types(keywords: &Map<String, Value>) -> Vec<&'static str> {
    let mut types = Vec::new();
    for (name, group) in [
        ("object", OBJECT_KEYWORDS),
        ("array", ARRAY_KEYWORDS),
        ("string", STRING_KEYWORDS),
        ("number", NUMBER_KEYWORDS),
    ] {
        if group.iter().any(|keyword| keywords.contains_key(*keyword)) {
            types.push(name);
        }
    }
    types
}

fn typed<'a>(name: &str, keywords: &'a Map<String, Value>) -> Option<Shape<'a>> {
    Some(match name {
        "string" => Shape::String(keywords),
        "number" => Shape::Number {
            keywords,
            integer: false,
        },
        "integer" => Shape::Number {
            keywords,
            integer: true,
        },
        "boolean" => Shape::Boolean,
        "null" => Shape::Null,
        "object" => Shape::Object(keywords),
        "array" => Shape::Array(keywords),
        _ => return None,
    })
}

fn combination<'a>(criterion: Criterion, list: &'a Value, at: &str) -> Result<Shape<'a>, Error> {
    let schemas = list.as_array().ok_or_else(|| {
        invalid(
            at,
            format!("`{}` must be an array of schemas", criterion.keyword()),
        )
    })?;
    let parts = schemas.iter().map(Part::Member).collect();
    Ok(Shape::Combined { criterion, parts })
}

/// The schema a chain of local `$ref`s ends at.
fn follow_references<'a>(
    root: &'a Value,
    mut schema: &'a Value,
    at: &str,
) -> Result<&'a Value, Error> {
    for _ in 0..MAX_REFERENCE_CHAIN {
        let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
            return Ok(schema);
        };
        schema = resolve(root, reference).ok_or_else(|| {
            invalid(
                at,
                format!("unresolvable `$ref` `{reference}`: only local references are followed"),
            )
        })?;
    }
    Err(invalid(
        at,
        "`$ref`s that refer to one another in a loop".to_owned(),
    ))
}

/// The target of a local `$ref` in `root`: `#`, or `#` and a JSON pointer, percent-encoded
/// or not. `None` for a reference that is not local or points nowhere.
///
/// ```
/// let root = serde_json::json!({"$defs": {"a b": {"type": "string"}}});
/// assert_eq!(upcast_compat::resolve(&root, "#/$defs/a%20b"), Some(&root["$defs"]["a b"]));
/// assert_eq!(upcast_compat::resolve(&root, "other.json#/x"), None);
/// ```
pub fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    root.pointer(pointer)
        .or_else(|| root.pointer(&percent_decode(pointer)?))
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        if byte == b'%' {
            let hex = std::str::from_utf8(bytes.get(index + 1..index + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(byte);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}

pub(crate) fn invalid(at: &str, reason: String) -> Error {
    let pointer = if at.is_empty() {
        "#".to_owned()
    } else {
        format!("#{at}")
    };
    Error::InvalidSchema { pointer, reason }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
