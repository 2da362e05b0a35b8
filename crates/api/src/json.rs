//! JSON from clients, parsed within documented bounds: nesting at most [`MAX_DEPTH`], at most
//! [`MAX_JSON_NODES`] values, member names at most [`MAX_KEY_LEN`] bytes. A single forward scan
//! (a loop with a depth counter, no recursion) checks the bounds before `serde_json` builds
//! anything, so serde_json's own recursion limit is never what stops a hostile document.
//!
//! The scan only measures; syntax is serde_json's job. On valid JSON the counts are exact; on
//! invalid JSON the scan may stop early or count loosely, and serde_json then rejects it.

use serde_json::Value;

use crate::input::{InputError, MAX_DEPTH, MAX_JSON_NODES, MAX_KEY_LEN};

/// Why client JSON was refused.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    /// A bound was exceeded.
    #[error("{0}")]
    Limit(#[from] InputError),
    /// Not JSON.
    #[error("{0}")]
    Syntax(#[from] serde_json::Error),
}

/// Checks the bounds of a JSON text without building it.
pub fn check_bounds(text: &[u8]) -> Result<(), InputError> {
    // One bit per open container, set for objects: MAX_DEPTH is far below 64.
    let mut objects: u64 = 0;
    let mut depth: usize = 0;
    let mut nodes: usize = 0;
    let mut expect_key = false;
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        match b {
            b'"' => {
                let end = string_end(text, i + 1);
                if expect_key {
                    if end.saturating_sub(i + 1) > MAX_KEY_LEN {
                        return Err(InputError::KeyTooLong(crate::input::echo(&String::from_utf8_lossy(
                            text.get(i + 1..end).unwrap_or_default(),
                        ))));
                    }
                    expect_key = false;
                } else {
                    nodes += 1;
                }
                i = end + 1;
                if nodes > MAX_JSON_NODES {
                    return Err(InputError::JsonTooLarge);
                }
                continue;
            }
            b'{' | b'[' => {
                nodes += 1;
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(InputError::JsonTooDeep);
                }
                let bit = 1u64 << depth;
                if b == b'{' {
                    objects |= bit;
                } else {
                    objects &= !bit;
                }
                expect_key = b == b'{';
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                expect_key = false;
            }
            b',' => expect_key = objects & (1u64 << depth) != 0,
            b':' => expect_key = false,
            b' ' | b'\t' | b'\n' | b'\r' => {}
            _ => {
                // A number or literal: one value up to the next delimiter.
                nodes += 1;
                while text.get(i + 1).is_some_and(|c| !b",:[]{}\" \t\n\r".contains(c)) {
                    i += 1;
                }
            }
        }
        if nodes > MAX_JSON_NODES {
            return Err(InputError::JsonTooLarge);
        }
        i += 1;
    }
    Ok(())
}

/// Index of the quote closing a string whose contents start at `from` (or the text's end).
fn string_end(text: &[u8], from: usize) -> usize {
    let mut i = from;
    while let Some(&b) = text.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    text.len()
}

/// Parses client JSON within the bounds.
pub fn parse(text: &[u8]) -> Result<Value, JsonError> {
    check_bounds(text)?;
    Ok(serde_json::from_slice(text)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn depth_at_and_over_the_limit() {
        assert!(parse(nested(MAX_DEPTH).as_bytes()).is_ok());
        assert!(matches!(parse(nested(MAX_DEPTH + 1).as_bytes()), Err(JsonError::Limit(InputError::JsonTooDeep))));
        let objects = format!("{}1{}", "{\"a\":".repeat(MAX_DEPTH), "}".repeat(MAX_DEPTH));
        assert!(parse(objects.as_bytes()).is_ok());
        let deeper = format!("{}1{}", "{\"a\":".repeat(MAX_DEPTH + 1), "}".repeat(MAX_DEPTH + 1));
        assert!(matches!(check_bounds(deeper.as_bytes()), Err(InputError::JsonTooDeep)));
        // A million open brackets stop at the limit, not in serde_json.
        assert!(matches!(check_bounds("[".repeat(1_000_000).as_bytes()), Err(InputError::JsonTooDeep)));
    }

    #[test]
    fn node_count_at_and_over_the_limit() {
        // The outer array is one value; the rest are numbers and strings.
        let items = |n: usize| (0..n).map(|i| if i % 2 == 0 { "1".into() } else { format!("\"s{i}\"") });
        let at = format!("[{}]", items(MAX_JSON_NODES - 1).collect::<Vec<String>>().join(","));
        assert!(parse(at.as_bytes()).is_ok());
        let over = format!("[{}]", items(MAX_JSON_NODES).collect::<Vec<String>>().join(","));
        assert!(matches!(check_bounds(over.as_bytes()), Err(InputError::JsonTooLarge)));
    }

    #[test]
    fn member_names_are_not_values_but_are_bounded() {
        let members = (0..MAX_JSON_NODES - 1).map(|i| format!("\"k{i}\": true")).collect::<Vec<_>>().join(", ");
        assert!(check_bounds(format!("{{{members}}}").as_bytes()).is_ok());
        let long = format!("{{\"{}\": 1}}", "k".repeat(MAX_KEY_LEN + 1));
        assert!(matches!(check_bounds(long.as_bytes()), Err(InputError::KeyTooLong(_))));
        let ok = format!("{{\"{}\": \"{}\"}}", "k".repeat(MAX_KEY_LEN), "v".repeat(10_000));
        assert!(check_bounds(ok.as_bytes()).is_ok(), "long values are the body limit's business");
    }

    #[test]
    fn strings_hide_brackets_and_escapes() {
        let text = r#"{"a": "[[[[[[[[[[[[[[\"{{{{{{{{{{{{", "b": ["\\", "x"]}"#;
        assert!(parse(text.as_bytes()).is_ok());
        assert!(matches!(parse(br#"{"a": [1, 2}"#), Err(JsonError::Syntax(_))));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn valid_json_within_bounds_parses(v in proptest::arbitrary::any::<Vec<(String, i32)>>()) {
            let doc = serde_json::to_vec(&v).unwrap();
            proptest::prop_assert!(parse(&doc).is_ok());
        }
    }
}
