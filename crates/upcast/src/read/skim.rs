//! Finding where a JSON object or array ends without parsing it.
//!
//! A data-first envelope (`{"data":{...},"kind":...}`, as PostgreSQL's `jsonb` and sorted-key
//! writers store it) must be passed over before its version is known. serde_json's
//! `IgnoredAny` validates every token on the way; this only tracks strings and nesting, a
//! few times faster. It never vouches for what it skips: the span it finds is then
//! deserialized by serde_json, which rejects anything that is not one valid value, and a
//! span that is wrong for invalid input fails that parse and takes the slow path.

/// What a byte means outside strings: 0 nothing, 1 opens, 2 closes, 3 starts a string.
static CLASS: [u8; 256] = {
    let mut class = [0u8; 256];
    class[b'{' as usize] = 1;
    class[b'[' as usize] = 1;
    class[b'}' as usize] = 2;
    class[b']' as usize] = 2;
    class[b'"' as usize] = 3;
    class
};

/// The length of the object or array at the start of `bytes` (which starts with `{` or
/// `[`), through its closing bracket; `None` when it does not close.
pub(crate) fn container(bytes: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        match CLASS[usize::from(byte)] {
            0 => {}
            1 => depth += 1,
            2 => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(at + 1);
                }
            }
            _ => at = closing_quote(bytes, at + 1)?,
        }
        at += 1;
    }
    None
}

/// The index of the quote that closes the string whose contents start at `at`.
fn closing_quote(bytes: &[u8], mut at: usize) -> Option<usize> {
    loop {
        at = quote_or_backslash(bytes, at);
        match *bytes.get(at)? {
            b'"' => return Some(at),
            _ => at += 2,
        }
    }
}

/// The index of the first `"` or `\\` at or after `at` (`bytes.len()` when there is
/// none), eight bytes at a time: strings are most of a record.
fn quote_or_backslash(bytes: &[u8], mut at: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let equal = |word: u64, byte: u8| {
        let diff = word ^ (ONES * u64::from(byte));
        diff.wrapping_sub(ONES) & !diff & HIGHS
    };
    while let Some(chunk) = bytes.get(at..at + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        // The lowest flagged byte is exact: the trick only errs above a true match.
        let found = equal(word, b'"') | equal(word, b'\\');
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while let Some(&byte) = bytes.get(at) {
        if byte == b'"' || byte == b'\\' {
            return at;
        }
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::container;

    #[test]
    fn finds_the_closing_bracket_past_strings_and_nesting() {
        let json = br#"{"a":[1,{"b":"}]"}],"c\"}":"\\","d":{}} ,"kind":"x"}"#;
        let end = container(json).unwrap();
        assert_eq!(&json[..end], br#"{"a":[1,{"b":"}]"}],"c\"}":"\\","d":{}}"#);
        assert_eq!(container(b"[]x"), Some(2));
        assert_eq!(container(b"[[1],[2]]"), Some(9));
    }

    #[test]
    fn strings_longer_than_a_word_and_escapes_at_every_offset() {
        for pad in 0..20 {
            let text = "é".repeat(pad) + "\\\"}";
            let json = format!(r#"{{"a":"{text}x\\","b":[1]}}"#);
            let value: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert!(value.is_object());
            assert_eq!(container(json.as_bytes()), Some(json.len()), "{json}");
        }
    }

    #[test]
    fn unclosed_input_is_none() {
        for bad in [&b"{"[..], b"{\"a\":\"}", b"[[]", b"{\"a\":\"\\", b"}"] {
            assert_eq!(container(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn agrees_with_serde_json_on_valid_values() {
        let values = [
            serde_json::json!({"k": [1, 2.5e3, null, true, "x\u{1F600}\n\"]"], "e": {}}),
            serde_json::json!([[], [[]], {"}": "{"}]),
        ];
        for value in values {
            let text = serde_json::to_vec(&value).unwrap();
            assert_eq!(container(&text), Some(text.len()));
        }
    }
}
