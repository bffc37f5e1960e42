//! Round trips through downcasts: what a writer pinned at an older version writes, readers
//! of the newest read back unchanged, and the reverse.

use serde_json::Value;

use crate::{Registry, Version};

/// Checks the round trips of one sample: `envelope` at its version, `current` its upcast.
/// The first round trip that does not give the sample back, as a message.
pub(crate) fn check(registry: &Registry, envelope: &Value, current: &Value) -> Option<String> {
    let kind = envelope["kind"].as_str()?;
    let stored = Version::parse(envelope["version"].as_str()?).ok()?;
    let (newest, _) = registry.newest(kind)?;
    if stored != *newest {
        if !registry.writable_at(kind).contains(&stored) {
            return None;
        }
        let back = registry.downcast_value(current.clone(), &stored);
        return differs("upcast then downcast", &envelope["data"], back);
    }
    registry.writable_at(kind).iter().find_map(|older| {
        let down = match registry.downcast_value(current.clone(), older) {
            Ok(down) => down,
            Err(error) => return Some(format!("downcast to {older}: {error}")),
        };
        let back = registry.upcast_value(down);
        differs(
            &format!("downcast to {older} then upcast"),
            &current["data"],
            back,
        )
    })
}

/// Why `result` is not `expected` after `what`; `None` when it is.
fn differs(what: &str, expected: &Value, result: Result<Value, crate::Error>) -> Option<String> {
    let result = match result {
        Ok(result) => result,
        Err(error) => return Some(format!("{what}: {error}")),
    };
    let found = &result["data"];
    let (at, want, got) = first_difference(expected, found, String::new())?;
    Some(format!(
        "{what} does not give the sample back: at `{at}` it was {want}, it came back as {got}"
    ))
}

/// The JSON pointer of the first place where `a` and `b` differ, and both values there.
fn first_difference(a: &Value, b: &Value, at: String) -> Option<(String, String, String)> {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            let keys = a.keys().chain(b.keys().filter(|key| !a.contains_key(*key)));
            keys.into_iter().find_map(|key| {
                let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => first_difference(x, y, here),
                    (x, y) => Some((here, shown(x), shown(y))),
                }
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(index, (x, y))| first_difference(x, y, format!("{at}/{index}"))),
        _ if a == b => None,
        _ => Some((at, a.to_string(), b.to_string())),
    }
}

fn shown(value: Option<&Value>) -> String {
    value.map_or_else(|| "missing".to_owned(), Value::to_string)
}
