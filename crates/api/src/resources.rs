//! The resources a request names, read from its parameter tree before the typed decode so that
//! authorization can check every one of them. Each action declares once which parameters carry
//! resource IDs ([`Named`]: a path into the parameters and the resource type). Values are read
//! with the same lenient rules as the typed decode (a scalar as [`crate::lenient::opt_string`]
//! takes it, a list as [`crate::lenient::string_list`] does: JSON array, JSON text, or
//! comma-joined), so every ID a handler acts on is seen here first. A value the typed decode
//! would refuse names nothing (the request then fails to decode).
//!
//! Bounded: each declaration yields at most [`MAX_LIST_ITEMS`] IDs, else
//! [`InputError::TooManyItems`] naming the parameter.

use serde_json::Value;

use crate::input::{InputError, MAX_LIST_ITEMS};
use crate::lenient;

/// Whether a parameter holds one ID or a list of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    /// `InstanceId`.
    One,
    /// `InstanceIds.N`.
    Many,
}

/// A parameter naming resources of kind `T`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Named<T: 'static> {
    /// Path into the parameters: member names joined by `.`; `*` stands for every item of a list
    /// (`VirtualPrivateCloud.SubnetId`, `Items.*.GroupId`).
    pub path: &'static str,
    /// One ID or a list.
    pub arity: Arity,
    /// The resource type its IDs name.
    pub kind: T,
}

/// A parameter carrying one ID.
pub const fn one<T>(path: &'static str, kind: T) -> Named<T> {
    Named { path, arity: Arity::One, kind }
}

/// A parameter carrying a list of IDs.
pub const fn many<T>(path: &'static str, kind: T) -> Named<T> {
    Named { path, arity: Arity::Many, kind }
}

/// The values at `path` (`*` fans out over list items).
fn at<'a>(params: &'a Value, path: &str) -> Vec<&'a Value> {
    let mut here = vec![params];
    for part in path.split('.') {
        here = here
            .into_iter()
            .flat_map(|v| -> Vec<&Value> {
                match (part, v) {
                    ("*", Value::Array(items)) => items.iter().collect(),
                    (name, Value::Object(m)) => m.get(name).into_iter().collect(),
                    _ => Vec::new(),
                }
            })
            .collect();
    }
    here
}

/// One ID as the typed decode reads a scalar: text, number or boolean.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Every non-empty ID the request names through `names`, with its kind, in declaration order.
pub fn named_ids<T: Copy>(params: &Value, names: &[Named<T>]) -> Result<Vec<(T, String)>, InputError> {
    let mut out = Vec::new();
    for n in names {
        let mut ids: Vec<String> = Vec::new();
        for v in at(params, n.path) {
            match n.arity {
                Arity::One => ids.extend(scalar(v)),
                Arity::Many => ids.extend(lenient::string_list(v.clone()).unwrap_or_default()),
            }
            if ids.len() > MAX_LIST_ITEMS {
                return Err(InputError::TooManyItems(n.path.replace(".*", ".N")));
            }
        }
        out.extend(ids.into_iter().filter(|id| !id.is_empty()).map(|id| (n.kind, id)));
    }
    Ok(out)
}

/// The parameter names a derived `Deserialize` struct declares (its `serde` field names, renames
/// applied), read without any input: lets the dialects' tests compare each action's typed
/// request with its resource declaration.
pub fn field_names<T: serde::de::DeserializeOwned>() -> Vec<&'static str> {
    let mut probe = FieldProbe(Vec::new());
    let _ = T::deserialize(&mut probe);
    probe.0
}

/// [`field_names`] of the typed request a handler `fn(&C, Req) -> _` takes (for action tables
/// that name only the handler).
pub fn handler_fields<C: 'static, Req: serde::de::DeserializeOwned, Out>(
    _handler: impl FnOnce(&'static C, Req) -> Out,
) -> Vec<&'static str> {
    field_names::<Req>()
}

/// A deserializer that records the fields a struct asks for and then gives up.
struct FieldProbe(Vec<&'static str>);

impl<'de> serde::Deserializer<'de> for &mut FieldProbe {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        self.0 = fields.to_vec();
        Err(serde::de::Error::custom("fields recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum K {
        Eni,
        Group,
        Subnet,
    }

    const NAMES: &[Named<K>] = &[
        many("NetworkInterfaceIds", K::Eni),
        many("SecurityGroupIds", K::Group),
        one("VirtualPrivateCloud.SubnetId", K::Subnet),
        one("Rules.*.GroupId", K::Group),
    ];

    fn ids(v: Value) -> Vec<(K, String)> {
        named_ids(&v, NAMES).unwrap()
    }

    #[test]
    fn every_encoding_of_a_list_is_read() {
        let want = vec![(K::Eni, "eni-a".to_string()), (K::Eni, "eni-b".to_string())];
        assert_eq!(ids(json!({"NetworkInterfaceIds": ["eni-a", "eni-b"]})), want);
        assert_eq!(ids(json!({"NetworkInterfaceIds": "[\"eni-a\",\"eni-b\"]"})), want);
        assert_eq!(ids(json!({"NetworkInterfaceIds": "eni-a, eni-b"})), want);
        assert_eq!(ids(json!({"NetworkInterfaceIds": "eni-a"})), want[..1].to_vec());
    }

    #[test]
    fn nested_and_fanned_out_paths() {
        let got = ids(json!({
            "VirtualPrivateCloud": {"SubnetId": "subnet-1"},
            "Rules": [{"GroupId": "sg-1"}, {"Other": 1}, {"GroupId": "sg-2"}],
            "SecurityGroupIds": ["sg-0"],
        }));
        assert_eq!(
            got,
            vec![
                (K::Group, "sg-0".to_string()),
                (K::Subnet, "subnet-1".to_string()),
                (K::Group, "sg-1".to_string()),
                (K::Group, "sg-2".to_string()),
            ]
        );
    }

    #[test]
    fn shapes_the_decode_refuses_name_nothing() {
        assert!(ids(json!({"VirtualPrivateCloud": "subnet-1"})).is_empty());
        assert!(ids(json!({"VirtualPrivateCloud": {"SubnetId": ["subnet-1"]}})).is_empty());
        assert!(ids(json!({"NetworkInterfaceIds": [{"a": 1}]})).is_empty());
        assert!(ids(json!({"NetworkInterfaceIds": ["", ""]})).is_empty());
    }

    #[test]
    fn field_names_of_a_request_struct() {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Req {
            #[serde(rename = "InstanceId")]
            id: String,
            #[serde(rename = "Limit", default)]
            limit: Option<u64>,
        }
        assert_eq!(field_names::<Req>(), vec!["InstanceId", "Limit"]);
        assert!(field_names::<String>().is_empty());
    }

    #[test]
    fn lists_at_and_over_the_limit() {
        let list = |n: usize| json!({"SecurityGroupIds": (0..n).map(|i| format!("sg-{i}")).collect::<Vec<_>>()});
        assert_eq!(ids(list(MAX_LIST_ITEMS)).len(), MAX_LIST_ITEMS);
        let e = named_ids(&list(MAX_LIST_ITEMS + 1), NAMES).unwrap_err();
        assert_eq!(e, InputError::TooManyItems("SecurityGroupIds".into()));
        let rules: Vec<Value> = (0..=MAX_LIST_ITEMS).map(|i| json!({"GroupId": format!("sg-{i}")})).collect();
        let e = named_ids(&json!({ "Rules": rules }), NAMES).unwrap_err();
        assert_eq!(e, InputError::TooManyItems("Rules.N.GroupId".into()));
    }
}
