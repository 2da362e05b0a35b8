//! Lenient scalar input for serde: the SDKs and official examples send `"Limit": "1"`,
//! `"Primary": "true"`, and form encodings send everything as text (`True`/`False`), so numbers
//! and booleans are accepted in JSON-native or string form. Output stays strictly typed.
//!
//! Use with `#[serde(default, deserialize_with = "lenient::opt_u64")]` and friends. JSON lists
//! sent inside a string (ENS) are parsed within the bounds of [`crate::json`].

use serde::de::{Deserializer, Error as _};
use serde::Deserialize;
use serde_json::Value;

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Parses a boolean written any common way.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// An optional integer given as a number or a numeric string.
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Number(n) => {
            n.as_i64().map(Some).ok_or_else(|| D::Error::custom(format!("expected an integer, got {n}")))
        }
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => {
            s.trim().parse().map(Some).map_err(|_| D::Error::custom(format!("expected an integer, got \"{s}\"")))
        }
        other => Err(D::Error::custom(format!("expected an integer, got {}", describe(&other)))),
    }
}

/// An optional non-negative integer.
pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match opt_i64(d)? {
        None => Ok(None),
        Some(n) if n >= 0 => Ok(Some(n as u64)),
        Some(n) => Err(D::Error::custom(format!("expected a non-negative integer, got {n}"))),
    }
}

/// An optional boolean given as a JSON boolean or `true`/`True`/`TRUE`/`false`/….
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(b)),
        Value::String(s) => {
            parse_bool(&s).map(Some).ok_or_else(|| D::Error::custom(format!("expected a boolean, got \"{s}\"")))
        }
        Value::Number(n) if n.as_i64() == Some(0) || n.as_i64() == Some(1) => Ok(Some(n.as_i64() == Some(1))),
        other => Err(D::Error::custom(format!("expected a boolean, got {}", describe(&other)))),
    }
}

/// An optional string; numbers and booleans are taken as their text.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        other => Err(D::Error::custom(format!("expected a string, got {}", describe(&other)))),
    }
}

fn item_text<E: serde::de::Error>(v: Value) -> Result<String, E> {
    match v {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(E::custom(format!("expected a list of strings, got an item that is {}", describe(&other)))),
    }
}

/// A list of strings: a JSON array, or (form encodings) a string holding a JSON array or a
/// comma-joined list. Missing means empty.
pub fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items.into_iter().map(item_text).collect(),
        Value::String(s) => {
            let t = s.trim();
            if t.starts_with('[') {
                let v = crate::json::parse(t.as_bytes())
                    .map_err(|e| D::Error::custom(format!("expected a JSON list: {e}")))?;
                match v {
                    Value::Array(items) => items.into_iter().map(item_text).collect(),
                    other => Err(D::Error::custom(format!("expected a list, got {}", describe(&other)))),
                }
            } else if t.is_empty() {
                Ok(Vec::new())
            } else {
                Ok(t.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect())
            }
        }
        other => Err(D::Error::custom(format!("expected a list, got {}", describe(&other)))),
    }
}

/// An optional list of strings (absent stays `None`, so "replace with nothing" is expressible).
pub fn opt_string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    let v = Value::deserialize(d)?;
    if v.is_null() {
        return Ok(None);
    }
    string_list(v).map(Some).map_err(D::Error::custom)
}

/// A list of objects: a JSON array, or a string holding a JSON array (ENS "shrink" params).
pub fn object_list<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(d: D) -> Result<Vec<T>, D::Error> {
    let v = match Value::deserialize(d)? {
        Value::Null => return Ok(Vec::new()),
        Value::String(s) => {
            crate::json::parse(s.as_bytes()).map_err(|e| D::Error::custom(format!("expected a JSON list: {e}")))?
        }
        v => v,
    };
    match v {
        Value::Array(_) => serde_json::from_value(v).map_err(D::Error::custom),
        other => Err(D::Error::custom(format!("expected a list, got {}", describe(&other)))),
    }
}

/// Splits a serde error message into what the dialects report: a missing field, an unknown
/// field, or a bad value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeProblem {
    /// `missing field \`X\``.
    Missing(String),
    /// `unknown field \`X\``.
    Unknown(String),
    /// Anything else.
    Invalid(String),
}

/// Classifies a serde_json decoding error.
pub fn classify(err: &serde_json::Error) -> DecodeProblem {
    let msg = err.to_string();
    let quoted = |m: &str| m.split('`').nth(1).unwrap_or("").to_string();
    if msg.starts_with("missing field") {
        DecodeProblem::Missing(quoted(&msg))
    } else if msg.starts_with("unknown field") {
        DecodeProblem::Unknown(quoted(&msg))
    } else {
        DecodeProblem::Invalid(msg.split(" at line").next().unwrap_or(&msg).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct T {
        #[serde(rename = "Limit", default, deserialize_with = "opt_u64")]
        limit: Option<u64>,
        #[serde(rename = "Primary", default, deserialize_with = "opt_bool")]
        primary: Option<bool>,
        #[serde(rename = "Ids", default, deserialize_with = "string_list")]
        ids: Vec<String>,
        #[serde(rename = "Name")]
        name: String,
    }

    #[test]
    fn accepts_strings_for_numbers_and_bools() {
        let t: T =
            serde_json::from_value(json!({"Limit": "1", "Primary": "True", "Ids": "[\"a\", \"b\"]", "Name": "n"}))
                .unwrap();
        assert_eq!((t.limit, t.primary, t.ids), (Some(1), Some(true), vec!["a".to_string(), "b".to_string()]));
        assert_eq!(t.name, "n");
        let t: T =
            serde_json::from_value(json!({"Limit": 5, "Primary": false, "Ids": "i-1,i-2", "Name": "n"})).unwrap();
        assert_eq!((t.limit, t.primary, t.ids.len()), (Some(5), Some(false), 2));
    }

    #[test]
    fn json_lists_in_strings_are_bounded() {
        let deep = format!("{}{}", "[".repeat(crate::input::MAX_DEPTH + 1), "]".repeat(crate::input::MAX_DEPTH + 1));
        let e = string_list(Value::String(deep.clone())).unwrap_err();
        assert!(e.to_string().contains("levels deep"), "{e}");
        let e = object_list::<_, Value>(Value::String(deep)).unwrap_err();
        assert!(e.to_string().contains("levels deep"), "{e}");
    }

    #[test]
    fn classifies_errors() {
        let e = serde_json::from_value::<T>(json!({})).unwrap_err();
        assert_eq!(classify(&e), DecodeProblem::Missing("Name".into()));
        let e = serde_json::from_value::<T>(json!({"Name": "n", "Bogus": 1})).unwrap_err();
        assert_eq!(classify(&e), DecodeProblem::Unknown("Bogus".into()));
        let e = serde_json::from_value::<T>(json!({"Name": "n", "Limit": "x"})).unwrap_err();
        assert!(matches!(classify(&e), DecodeProblem::Invalid(m) if m.contains("integer")));
    }
}
