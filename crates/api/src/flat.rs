//! Flattened parameters (`Filters.0.Values.1=x`, `Tag.1.Key=k`) turned into nested JSON, so both
//! dialects decode query/form input with the same typed request structs as JSON bodies.
//!
//! A numeric path segment indexes a list; `base` is 0 for Tencent and 1 for ENS. Gaps are closed
//! in index order. A key that is both a scalar and a parent (`A=1&A.B=2`) keeps the parent.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

#[derive(Debug, Default)]
enum Node {
    #[default]
    Empty,
    Leaf(String),
    List(BTreeMap<u64, Node>),
    Object(BTreeMap<String, Node>),
}

impl Node {
    fn insert(&mut self, path: &[&str], value: &str, base: u64) {
        let Some((head, rest)) = path.split_first() else {
            if matches!(self, Node::Empty) {
                *self = Node::Leaf(value.to_string());
            }
            return;
        };
        match head.parse::<u64>() {
            Ok(i) if i >= base => {
                if !matches!(self, Node::List(_)) {
                    *self = Node::List(BTreeMap::new());
                }
                if let Node::List(m) = self {
                    m.entry(i).or_default().insert(rest, value, base);
                }
            }
            _ => {
                if !matches!(self, Node::Object(_)) {
                    *self = Node::Object(BTreeMap::new());
                }
                if let Node::Object(m) = self {
                    m.entry(head.to_string()).or_default().insert(rest, value, base);
                }
            }
        }
    }

    fn into_value(self) -> Value {
        match self {
            Node::Empty => Value::Null,
            Node::Leaf(s) => Value::String(s),
            Node::List(m) => Value::Array(m.into_values().map(Node::into_value).collect()),
            Node::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, v.into_value())).collect::<Map<_, _>>()),
        }
    }
}

/// Builds a JSON object from flattened `(key, value)` pairs, skipping keys in `skip`.
pub fn unflatten(params: &[(String, String)], base: u64, skip: &[&str]) -> Value {
    let mut root = Node::Object(BTreeMap::new());
    for (k, v) in params {
        if skip.contains(&k.as_str()) || k.is_empty() {
            continue;
        }
        let path: Vec<&str> = k.split('.').collect();
        root.insert(&path, v, base);
    }
    match root.into_value() {
        Value::Object(m) => Value::Object(m),
        _ => Value::Object(Map::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn tencent_zero_based() {
        let v = unflatten(
            &p(&[
                ("NetworkInterfaceIds.0", "eni-a"),
                ("NetworkInterfaceIds.1", "eni-b"),
                ("Filters.0.Name", "vpc-id"),
                ("Filters.0.Values.0", "vpc-1"),
                ("Limit", "20"),
                ("Action", "X"),
            ]),
            0,
            &["Action"],
        );
        assert_eq!(
            v,
            json!({"NetworkInterfaceIds": ["eni-a", "eni-b"], "Filters": [{"Name": "vpc-id", "Values": ["vpc-1"]}], "Limit": "20"})
        );
    }

    #[test]
    fn ens_one_based_and_ordered() {
        let v = unflatten(&p(&[("Ids.2", "b"), ("Ids.1", "a"), ("Tag.1.Key", "k"), ("Tag.1.Value", "v")]), 1, &[]);
        assert_eq!(v, json!({"Ids": ["a", "b"], "Tag": [{"Key": "k", "Value": "v"}]}));
    }

    #[test]
    fn index_below_base_is_a_name() {
        let v = unflatten(&p(&[("A.0", "x")]), 1, &[]);
        assert_eq!(v, json!({"A": {"0": "x"}}));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(keys in proptest::collection::vec("[A-Za-z0-9.]{0,12}", 0..8)) {
            let params: Vec<(String, String)> = keys.into_iter().map(|k| (k, "v".to_string())).collect();
            let _ = unflatten(&params, 0, &[]);
            let _ = unflatten(&params, 1, &[]);
        }
    }
}
