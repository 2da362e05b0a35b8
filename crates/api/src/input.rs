//! Limits on untrusted request input, shared by both dialects, and the error raised when one is
//! exceeded. Each limit is checked while the input is read (before signature verification), so a
//! hostile request costs at most the bytes it sent; the dialect answers with its own envelope
//! (Tencent `InvalidParameter`, ENS HTTP 400 `InvalidParameter`) carrying [`InputError`]'s message.
//!
//! The request body itself is bounded by [`crate::MAX_BODY`]; header sizes and counts belong to
//! the HTTP listener.

/// Most query and form parameters one request may carry, together.
pub const MAX_PARAMS: usize = 4096;

/// Longest parameter name (decoded, bytes), and longest JSON member name.
pub const MAX_KEY_LEN: usize = 256;

/// Deepest nesting: at most this many dot-separated parts in a flattened name (`A.1.B.2` has 4),
/// and at most this many nested objects and arrays in a JSON body (the outer object counts).
pub const MAX_DEPTH: usize = 10;

/// Largest list index in a flattened name (`Ids.1000`); numeric parts name list items.
pub const MAX_LIST_INDEX: u64 = 1000;

/// Most values (objects, arrays, strings, numbers, literals; member names not counted) in one
/// JSON document: a request body, or a JSON list sent as a parameter value.
pub const MAX_JSON_NODES: usize = 8192;

/// Most items of one list parameter that names resources (`NetworkInterfaceIds.N`, …): both
/// vendors document at most 100 IDs per list.
pub const MAX_LIST_ITEMS: usize = 100;

/// How much of a client's text an error message repeats.
const ECHO_CHARS: usize = 40;

/// A limit on request input was exceeded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// More than [`MAX_PARAMS`] parameters.
    #[error("The request carries more than {MAX_PARAMS} parameters.")]
    TooManyParams,
    /// A parameter or member name longer than [`MAX_KEY_LEN`].
    #[error("The parameter name `{0}…` is longer than {MAX_KEY_LEN} bytes.")]
    KeyTooLong(String),
    /// A flattened name with more than [`MAX_DEPTH`] parts.
    #[error("The parameter name `{0}` has more than {MAX_DEPTH} dot-separated parts.")]
    TooDeep(String),
    /// A list index above [`MAX_LIST_INDEX`].
    #[error("The parameter name `{0}` uses a list index above {MAX_LIST_INDEX}.")]
    IndexTooLarge(String),
    /// JSON nested deeper than [`MAX_DEPTH`].
    #[error("The JSON input nests objects and arrays more than {MAX_DEPTH} levels deep.")]
    JsonTooDeep,
    /// JSON with more than [`MAX_JSON_NODES`] values.
    #[error("The JSON input has more than {MAX_JSON_NODES} values.")]
    JsonTooLarge,
    /// A resource list with more than [`MAX_LIST_ITEMS`] items.
    #[error("The parameter `{0}` has more than {MAX_LIST_ITEMS} items.")]
    TooManyItems(String),
}

/// The start of a client's text for an error message (whole characters only).
pub(crate) fn echo(text: &str) -> String {
    text.chars().take(ECHO_CHARS).collect()
}

/// A list index in a flattened name: a part made of ASCII digits only (too large to represent
/// counts as `u64::MAX`).
pub(crate) fn index_of(part: &str) -> Option<u64> {
    if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(part.parse().unwrap_or(u64::MAX))
}

/// Checks one flattened parameter name against [`MAX_KEY_LEN`], [`MAX_DEPTH`] and
/// [`MAX_LIST_INDEX`], without allocating for the parts.
pub fn check_name(name: &str) -> Result<(), InputError> {
    if name.len() > MAX_KEY_LEN {
        return Err(InputError::KeyTooLong(echo(name)));
    }
    if name.split('.').nth(MAX_DEPTH).is_some() {
        return Err(InputError::TooDeep(echo(name)));
    }
    if name.split('.').filter_map(index_of).any(|i| i > MAX_LIST_INDEX) {
        return Err(InputError::IndexTooLarge(echo(name)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_at_and_over_each_limit() {
        assert!(check_name(&"a".repeat(MAX_KEY_LEN)).is_ok());
        assert!(matches!(check_name(&"a".repeat(MAX_KEY_LEN + 1)), Err(InputError::KeyTooLong(_))));
        let deep = |n: usize| vec!["a"; n].join(".");
        assert!(check_name(&deep(MAX_DEPTH)).is_ok());
        assert!(matches!(check_name(&deep(MAX_DEPTH + 1)), Err(InputError::TooDeep(_))));
        assert!(check_name(&format!("Ids.{MAX_LIST_INDEX}")).is_ok());
        assert!(matches!(check_name(&format!("Ids.{}", MAX_LIST_INDEX + 1)), Err(InputError::IndexTooLarge(_))));
        assert!(matches!(check_name("Ids.99999999999999999999999"), Err(InputError::IndexTooLarge(_))));
        assert!(check_name("Ids.+5000").is_ok(), "only plain digits are an index");
    }

    #[test]
    fn echo_keeps_whole_characters() {
        let text = "é".repeat(100);
        assert_eq!(echo(&text).chars().count(), ECHO_CHARS);
        let msg = InputError::KeyTooLong(echo(&text)).to_string();
        assert!(msg.contains("256 bytes"), "{msg}");
    }
}
