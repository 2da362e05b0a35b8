//! Flattened parameters (`Filters.0.Values.1=x`, `Tag.1.Key=k`) turned into nested JSON, so both
//! dialects decode query/form input with the same typed request structs as JSON bodies.
//!
//! A numeric path part indexes a list; `base` is 0 for Tencent and 1 for ENS. Gaps are closed
//! in index order. A key that is both a scalar and a parent (`A=1&A.B=2`) keeps the parent.
//!
//! Bounded and without recursion: at most [`MAX_PARAMS`] pairs, each name within
//! [`check_name`]'s limits (length, parts, list index); the tree is built and converted with
//! loops, so its depth never reaches the call stack.

use std::collections::btree_map;
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::input::{check_name, index_of, InputError, MAX_PARAMS};

#[derive(Debug, Default)]
enum Node {
    #[default]
    Empty,
    Leaf(String),
    List(BTreeMap<u64, Node>),
    Object(BTreeMap<String, Node>),
}

impl Node {
    /// This node as a list, replacing whatever it was.
    fn list(&mut self) -> Option<&mut BTreeMap<u64, Node>> {
        if !matches!(self, Node::List(_)) {
            *self = Node::List(BTreeMap::new());
        }
        match self {
            Node::List(m) => Some(m),
            _ => None,
        }
    }

    /// This node as an object, replacing whatever it was.
    fn object(&mut self) -> Option<&mut BTreeMap<String, Node>> {
        if !matches!(self, Node::Object(_)) {
            *self = Node::Object(BTreeMap::new());
        }
        match self {
            Node::Object(m) => Some(m),
            _ => None,
        }
    }
}

/// Walks down `name`'s parts from `root`, creating nodes, and sets the leaf unless the node
/// already has children.
fn insert(root: &mut Node, name: &str, value: &str, base: u64) {
    let mut node = root;
    for part in name.split('.') {
        let child = match index_of(part) {
            Some(i) if i >= base => node.list().map(|m| m.entry(i).or_default()),
            _ => node.object().map(|m| m.entry(part.to_string()).or_default()),
        };
        match child {
            Some(c) => node = c,
            None => return,
        }
    }
    if matches!(node, Node::Empty) {
        *node = Node::Leaf(value.to_string());
    }
}

/// A container being converted, with its remaining children.
enum Frame {
    List(Vec<Value>, btree_map::IntoValues<u64, Node>),
    /// The map so far, the children left, and the key of the child being converted.
    Object(Map<String, Value>, btree_map::IntoIter<String, Node>, String),
}

impl Frame {
    fn next_child(&mut self) -> Option<Node> {
        match self {
            Frame::List(_, rest) => rest.next(),
            Frame::Object(_, rest, key) => rest.next().map(|(k, n)| {
                *key = k;
                n
            }),
        }
    }

    fn attach(&mut self, v: Value) {
        match self {
            Frame::List(items, _) => items.push(v),
            Frame::Object(m, _, key) => {
                m.insert(std::mem::take(key), v);
            }
        }
    }

    fn finish(self) -> Value {
        match self {
            Frame::List(items, _) => Value::Array(items),
            Frame::Object(m, _, _) => Value::Object(m),
        }
    }
}

/// A container to descend into, or the value of a node without children.
fn open(node: Node) -> Result<Frame, Value> {
    match node {
        Node::Empty => Err(Value::Null),
        Node::Leaf(s) => Err(Value::String(s)),
        Node::List(m) => Ok(Frame::List(Vec::with_capacity(m.len()), m.into_values())),
        Node::Object(m) => Ok(Frame::Object(Map::new(), m.into_iter(), String::new())),
    }
}

/// Converts the tree with an explicit stack (depth-first, children in key order).
fn into_value(root: Node) -> Value {
    let mut stack: Vec<Frame> = Vec::new();
    let mut node = root;
    loop {
        let mut value = match open(node) {
            Err(v) => v,
            Ok(mut f) => match f.next_child() {
                Some(child) => {
                    stack.push(f);
                    node = child;
                    continue;
                }
                None => f.finish(),
            },
        };
        // Hand the finished value to its parent; go on with the parent's next child, or finish
        // the parent too when it has none left.
        loop {
            let Some(top) = stack.last_mut() else { return value };
            top.attach(value);
            if let Some(child) = top.next_child() {
                node = child;
                break;
            }
            match stack.pop() {
                Some(done) => value = done.finish(),
                None => return Value::Null,
            }
        }
    }
}

/// Builds a JSON object from flattened `(key, value)` pairs, skipping keys in `skip` and empty
/// keys. Refuses more than [`MAX_PARAMS`] pairs and names beyond [`check_name`]'s limits.
pub fn unflatten(params: &[(String, String)], base: u64, skip: &[&str]) -> Result<Value, InputError> {
    if params.len() > MAX_PARAMS {
        return Err(InputError::TooManyParams);
    }
    let mut root = Node::Object(BTreeMap::new());
    for (k, v) in params {
        if skip.contains(&k.as_str()) || k.is_empty() {
            continue;
        }
        check_name(k)?;
        insert(&mut root, k, v, base);
    }
    match into_value(root) {
        Value::Object(m) => Ok(Value::Object(m)),
        _ => Ok(Value::Object(Map::new())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{MAX_DEPTH, MAX_LIST_INDEX};
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
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"NetworkInterfaceIds": ["eni-a", "eni-b"], "Filters": [{"Name": "vpc-id", "Values": ["vpc-1"]}], "Limit": "20"})
        );
    }

    #[test]
    fn ens_one_based_and_ordered() {
        let v =
            unflatten(&p(&[("Ids.2", "b"), ("Ids.1", "a"), ("Tag.1.Key", "k"), ("Tag.1.Value", "v")]), 1, &[]).unwrap();
        assert_eq!(v, json!({"Ids": ["a", "b"], "Tag": [{"Key": "k", "Value": "v"}]}));
    }

    #[test]
    fn index_below_base_is_a_name() {
        let v = unflatten(&p(&[("A.0", "x")]), 1, &[]).unwrap();
        assert_eq!(v, json!({"A": {"0": "x"}}));
    }

    #[test]
    fn parent_wins_over_scalar_and_empty_containers_stay() {
        let v = unflatten(&p(&[("A", "1"), ("A.B", "2"), ("C.D", "3"), ("C", "4")]), 0, &[]).unwrap();
        assert_eq!(v, json!({"A": {"B": "2"}, "C": {"D": "3"}}));
        let v = unflatten(&p(&[("A.0", "x"), ("A.B", "y")]), 0, &[]).unwrap();
        assert_eq!(v, json!({"A": {"B": "y"}}), "the later shape replaces the earlier");
    }

    #[test]
    fn deepest_allowed_name_and_one_deeper() {
        let name = |n: usize| vec!["a"; n].join(".");
        let v = unflatten(&p(&[(&name(MAX_DEPTH), "x")]), 0, &[]).unwrap();
        let mut cursor = &v;
        for _ in 0..MAX_DEPTH {
            cursor = &cursor["a"];
        }
        assert_eq!(cursor, &json!("x"));
        let e = unflatten(&p(&[(&name(MAX_DEPTH + 1), "x")]), 0, &[]).unwrap_err();
        assert!(matches!(e, InputError::TooDeep(_)));
    }

    #[test]
    fn the_stack_overflow_name_is_refused() {
        let name = vec!["a"; 4000].join(".");
        assert!(unflatten(&p(&[(&name, "1")]), 0, &[]).is_err());
        assert!(unflatten(&p(&[(&name, "1")]), 1, &[]).is_err());
    }

    #[test]
    fn params_and_indexes_at_and_over_the_limit() {
        let many: Vec<(String, String)> = (0..MAX_PARAMS).map(|i| (format!("K{i}"), "v".into())).collect();
        assert_eq!(unflatten(&many, 0, &[]).unwrap().as_object().unwrap().len(), MAX_PARAMS);
        let mut more = many.clone();
        more.push(("X".into(), "v".into()));
        assert_eq!(unflatten(&more, 0, &[]).unwrap_err(), InputError::TooManyParams);
        let at = unflatten(&p(&[(&format!("A.{MAX_LIST_INDEX}"), "x")]), 1, &[]).unwrap();
        assert_eq!(at, json!({"A": ["x"]}));
        let over = unflatten(&p(&[(&format!("A.{}", MAX_LIST_INDEX + 1), "x")]), 1, &[]);
        assert!(matches!(over, Err(InputError::IndexTooLarge(_))));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(keys in proptest::collection::vec("[A-Za-z0-9.é]{0,40}", 0..16)) {
            let params: Vec<(String, String)> = keys.into_iter().map(|k| (k, "v".to_string())).collect();
            let _ = unflatten(&params, 0, &[]);
            let _ = unflatten(&params, 1, &[]);
        }

        #[test]
        fn every_leaf_is_kept(idx in proptest::collection::btree_set(0u64..50, 1..10)) {
            let params: Vec<(String, String)> = idx.iter().map(|i| (format!("L.{i}.V"), i.to_string())).collect();
            let v = unflatten(&params, 0, &[]).unwrap();
            let got: Vec<String> =
                v["L"].as_array().unwrap().iter().map(|o| o["V"].as_str().unwrap().to_string()).collect();
            let want: Vec<String> = idx.iter().map(u64::to_string).collect();
            proptest::prop_assert_eq!(got, want);
        }
    }
}
