//! The action table: every supported action once, with its rate limit, error family, the
//! resources it touches (for authorization, see [`crate::ram`]) and handler. Each handler takes one typed request (`#[serde(deny_unknown_fields)]`; documented
//! but unimplemented parameters are accepted and ignored) and returns one typed response.
//!
//! Rates: ENS documents no per-action API rates. eniplane allows each account 100 requests per
//! second per `Describe*` action and 20 per second per mutating action (`READ` / `WRITE`);
//! operators can override either per action (`ens:<Action>`).

mod eni;
mod instance;
mod lifecycle;
mod network;
mod security_group;

use std::future::Future;
use std::pin::Pin;

use eniplane_api::input::MAX_LIST_ITEMS;
use eniplane_api::lenient;
use eniplane_api::resources::{many, one, Named};
use eniplane_core::ids::{self, IdKind};
use eniplane_core::model::Tag;
use eniplane_core::Cloud;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::context::Ctx;
use crate::error::{ApiError, Family};
use crate::ram::{Res, Touches};

type Run = fn(Ctx, Value) -> Pin<Box<dyn Future<Output = Result<Value, ApiError>> + Send>>;

/// One supported action.
pub(crate) struct Action {
    /// Name as in `Action` / `x-acs-action`.
    pub name: &'static str,
    /// Requests per second per account.
    pub rate: u32,
    /// Which error codes the action documents for shared domain errors.
    pub family: Family,
    /// The resources it touches.
    pub touches: Touches,
    /// Decode, handle, encode.
    pub run: Run,
    /// The typed request's parameter names (for the declaration test).
    #[cfg(test)]
    pub fields: fn() -> Vec<&'static str>,
}

/// Rate of read (Describe*) actions, requests per second per account.
pub(crate) const READ: u32 = 100;
/// Rate of mutating actions, requests per second per account.
pub(crate) const WRITE: u32 = 20;

/// `action!(name, rate, error family, on-type, named-parameters, handler)`.
macro_rules! action {
    ($name:literal, $rate:expr, $family:ident, $on:ident, $names:expr, $handler:path) => {
        Action {
            name: $name,
            rate: $rate,
            family: Family::$family,
            touches: Touches { on: Res::$on, names: $names },
            run: |ctx, params| {
                Box::pin(async move {
                    let req = ctx.decode(params)?;
                    let resp = $handler(&ctx, req).await?;
                    ctx.encode(&resp)
                })
            },
            #[cfg(test)]
            fields: || eniplane_api::resources::handler_fields::<Ctx, _, _>($handler),
        }
    };
}

// Parameters naming resources, shared by several actions.
type Names = &'static [Named<Res>];
const NONE: Names = &[];
const ENI: Names = &[one("NetworkInterfaceId", Res::NetworkInterface)];
const ENIS: Names = &[many("NetworkInterfaceIds", Res::NetworkInterface)];
const NEW_ENI: Names = &[many("SecurityGroupIds", Res::SecurityGroup), one("VSwitchId", Res::VSwitch)];
const ENI_ON_INSTANCE: Names = &[one("InstanceId", Res::Instance), one("NetworkInterfaceId", Res::NetworkInterface)];
const ENI_IN_VSWITCH: Names = &[one("NetworkInterfaceId", Res::NetworkInterface), one("VSwitchId", Res::VSwitch)];
const ENI_FILTERS: Names = &[
    one("InstanceId", Res::Instance),
    one("NetworkId", Res::Network),
    one("NetworkInterfaceId", Res::NetworkInterface),
    many("NetworkInterfaceIds", Res::NetworkInterface),
    one("SecurityGroupId", Res::SecurityGroup),
    one("VSwitchId", Res::VSwitch),
];
const GROUP: Names = &[one("SecurityGroupId", Res::SecurityGroup)];
const MEMBERSHIP: Names = &[
    one("SecurityGroupId", Res::SecurityGroup),
    one("InstanceId", Res::Instance),
    one("NetworkInterfaceId", Res::NetworkInterface),
];
const NETWORK: Names = &[one("NetworkId", Res::Network)];
const NETWORKS: Names = &[one("NetworkId", Res::Network), many("NetworkIds", Res::Network)];
const VSWITCH: Names = &[one("VSwitchId", Res::VSwitch)];
const VSWITCHES: Names =
    &[one("NetworkId", Res::Network), one("VSwitchId", Res::VSwitch), many("VSwitchIds", Res::VSwitch)];
const NEW_INSTANCES: Names =
    &[one("VSwitchId", Res::VSwitch), one("NetWorkId", Res::Network), one("SecurityId", Res::SecurityGroup)];
const INSTANCE_FILTERS: Names = &[
    one("InstanceId", Res::Instance),
    many("InstanceIds", Res::Instance),
    one("NetworkId", Res::Network),
    one("VSwitchId", Res::VSwitch),
    one("SecurityGroupId", Res::SecurityGroup),
];
const INSTANCE: Names = &[one("InstanceId", Res::Instance)];
const INSTANCES: Names = &[many("InstanceIds", Res::Instance)];
const RELEASED: Names = &[one("InstanceId", Res::Released)];

static ACTIONS: &[Action] = &[
    action!("CreateNetworkInterface", WRITE, Network, NetworkInterface, NEW_ENI, eni::create_network_interface),
    action!("DeleteNetworkInterfaces", WRITE, Network, NetworkInterface, ENIS, eni::delete_network_interfaces),
    action!(
        "DescribeNetworkInterfaces",
        READ,
        Network,
        NetworkInterface,
        ENI_FILTERS,
        eni::describe_network_interfaces
    ),
    action!("AttachNetworkInterface", WRITE, Network, NetworkInterface, ENI_ON_INSTANCE, eni::attach_network_interface),
    action!("DetachNetworkInterface", WRITE, Network, NetworkInterface, ENI, eni::detach_network_interface),
    action!(
        "ModifyNetworkInterfaceAttribute",
        WRITE,
        Network,
        NetworkInterface,
        ENI,
        eni::modify_network_interface_attribute
    ),
    action!(
        "AssignPrivateIpAddresses",
        WRITE,
        Network,
        NetworkInterface,
        ENI_IN_VSWITCH,
        eni::assign_private_ip_addresses
    ),
    action!("UnassignPrivateIpAddresses", WRITE, Network, NetworkInterface, ENI, eni::unassign_private_ip_addresses),
    action!("CreateSecurityGroup", WRITE, Network, SecurityGroup, NONE, security_group::create_security_group),
    action!("DeleteSecurityGroup", WRITE, Network, SecurityGroup, GROUP, security_group::delete_security_group),
    action!("DescribeSecurityGroups", READ, Network, SecurityGroup, GROUP, security_group::describe_security_groups),
    action!(
        "DescribeSecurityGroupAttribute",
        READ,
        Network,
        SecurityGroup,
        GROUP,
        security_group::describe_security_group_attribute
    ),
    action!(
        "ModifySecurityGroupAttribute",
        WRITE,
        Network,
        SecurityGroup,
        GROUP,
        security_group::modify_security_group_attribute
    ),
    action!("AuthorizeSecurityGroup", WRITE, Network, SecurityGroup, GROUP, security_group::authorize_security_group),
    action!(
        "AuthorizeSecurityGroupEgress",
        WRITE,
        Network,
        SecurityGroup,
        GROUP,
        security_group::authorize_security_group_egress
    ),
    action!("RevokeSecurityGroup", WRITE, Network, SecurityGroup, GROUP, security_group::revoke_security_group),
    action!(
        "RevokeSecurityGroupEgress",
        WRITE,
        Network,
        SecurityGroup,
        GROUP,
        security_group::revoke_security_group_egress
    ),
    action!("JoinSecurityGroup", WRITE, Network, SecurityGroup, MEMBERSHIP, security_group::join_security_group),
    action!("LeaveSecurityGroup", WRITE, Network, SecurityGroup, MEMBERSHIP, security_group::leave_security_group),
    action!("CreateNetwork", WRITE, Network, Network, NONE, network::create_network),
    action!("DeleteNetwork", WRITE, Network, Network, NETWORK, network::delete_network),
    action!("DescribeNetworks", READ, Network, Network, NETWORKS, network::describe_networks),
    action!("DescribeNetworkAttribute", READ, Network, Network, NETWORK, network::describe_network_attribute),
    action!("ModifyNetworkAttribute", WRITE, Network, Network, NETWORK, network::modify_network_attribute),
    action!("CreateVSwitch", WRITE, Network, VSwitch, NETWORK, network::create_vswitch),
    action!("DeleteVSwitch", WRITE, Network, VSwitch, VSWITCH, network::delete_vswitch),
    action!("DescribeVSwitches", READ, Network, VSwitch, VSWITCHES, network::describe_vswitches),
    action!("DescribeVSwitchAttributes", READ, Network, VSwitch, VSWITCH, network::describe_vswitch_attributes),
    action!("ModifyVSwitchAttribute", WRITE, Network, VSwitch, VSWITCH, network::modify_vswitch_attribute),
    action!("RunInstances", WRITE, Run, Instance, NEW_INSTANCES, instance::run_instances),
    action!("DescribeInstances", READ, Instance, Instance, INSTANCE_FILTERS, instance::describe_instances),
    action!("StartInstance", WRITE, Instance, Instance, INSTANCE, lifecycle::start_instance),
    action!("StartInstances", WRITE, Instance, Instance, INSTANCES, lifecycle::start_instances),
    action!("StopInstance", WRITE, Stop, Instance, INSTANCE, lifecycle::stop_instance),
    action!("StopInstances", WRITE, Stop, Instance, INSTANCES, lifecycle::stop_instances),
    action!("RebootInstance", WRITE, Instance, Instance, INSTANCE, lifecycle::reboot_instance),
    action!("ReleaseInstance", WRITE, Instance, Released, RELEASED, lifecycle::release_instance),
    action!("ReleasePostPaidInstance", WRITE, Instance, Instance, INSTANCE, lifecycle::release_post_paid_instance),
    action!("ModifyInstanceAttribute", WRITE, Instance, Instance, INSTANCE, instance::modify_instance_attribute),
    action!("DescribeEnsRegions", READ, Network, Account, NONE, instance::describe_ens_regions),
];

/// The action with this name.
pub(crate) fn find(name: impl AsRef<str>) -> Option<&'static Action> {
    let name = name.as_ref();
    ACTIONS.iter().find(|a| a.name == name)
}

/// Names of every supported action (for docs and tests).
pub fn names() -> impl Iterator<Item = &'static str> {
    ACTIONS.iter().map(|a| a.name)
}

/// An empty response (only `RequestId`).
#[derive(Serialize)]
pub(crate) struct Empty {}

/// A response with `Code: 0` only.
#[derive(Serialize)]
pub(crate) struct CodeOnly {
    #[serde(rename = "Code")]
    pub code: i64,
}

/// Rejects an empty required value.
pub(crate) fn required(field: &str, value: &str) -> Result<(), ApiError> {
    if value.trim().is_empty() {
        return Err(ApiError::missing(field));
    }
    Ok(())
}

/// Checks an ID's shape (`InvalidParameter.<Field>` otherwise).
pub(crate) fn check_id(field: &str, id: &str, kind: IdKind) -> Result<(), ApiError> {
    required(field, id)?;
    if !ids::is_valid(Cloud::Ens, kind, id) {
        return Err(ApiError::invalid(field, format!("{id} is not a valid ID")));
    }
    Ok(())
}

/// Checks a list of IDs: at most `max`, each well-formed.
pub(crate) fn check_ids(field: &str, list: &[String], kind: IdKind, max: usize) -> Result<(), ApiError> {
    if list.len() > max {
        return Err(ApiError::invalid(field, format!("at most {max} items are allowed")));
    }
    list.iter().try_for_each(|id| check_id(field, id, kind))
}

/// An optional integer in `min..=max`.
pub(crate) fn num(field: &str, value: &Option<String>, min: u64, max: u64) -> Result<Option<u64>, ApiError> {
    let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    match v.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(ApiError::invalid(field, format!("{v} is not an integer from {min} to {max}"))),
    }
}

/// An optional boolean (`true`/`True`/`false`/`False`).
pub(crate) fn flag(field: &str, value: &Option<String>) -> Result<Option<bool>, ApiError> {
    let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    match v.to_ascii_lowercase().as_str() {
        "true" => Ok(Some(true)),
        "false" => Ok(Some(false)),
        _ => Err(ApiError::invalid(field, format!("{v} is not true or false"))),
    }
}

/// The IDs a Describe filters on: the `.N`/JSON list `field` (at most 100) plus the single-ID
/// parameter when given.
pub(crate) fn ids_filter(field: &str, many: Option<Value>, single: Option<&str>) -> Result<Vec<String>, ApiError> {
    let mut ids = list(field, many)?;
    if ids.len() > 100 {
        return Err(ApiError::invalid(field, "at most 100 items are allowed"));
    }
    ids.extend(single.filter(|s| !s.is_empty()).map(str::to_string));
    Ok(ids)
}

/// A list of strings given as `.N` parameters, a JSON array string (with or without spaces)
/// or a comma-joined string; at most [`MAX_LIST_ITEMS`] (the ENS `.N` bound) items.
pub(crate) fn list(field: &str, value: Option<Value>) -> Result<Vec<String>, ApiError> {
    let items = match value {
        None => Vec::new(),
        Some(v) => lenient::string_list(v).map_err(|e| ApiError::invalid(field, e))?,
    };
    if items.len() > MAX_LIST_ITEMS {
        return Err(ApiError::invalid(field, format!("at most {MAX_LIST_ITEMS} items are allowed")));
    }
    Ok(items)
}

/// A list of objects given as a JSON array string (or `.N.Key` parameters).
pub(crate) fn objects<T: serde::de::DeserializeOwned>(field: &str, value: Option<Value>) -> Result<Vec<T>, ApiError> {
    match value {
        None => Ok(Vec::new()),
        Some(v) => lenient::object_list(v).map_err(|e: serde_json::Error| ApiError::invalid(field, e)),
    }
}

/// A name or description: `min..=max` characters, not starting with `http://`/`https://`,
/// and (names) starting with a letter.
pub(crate) fn text(field: &str, value: &Option<String>, min: usize, max: usize, letter: bool) -> Result<(), ApiError> {
    let Some(v) = value else { return Ok(()) };
    let n = v.chars().count();
    if n < min || n > max {
        return Err(ApiError::invalid(field, format!("must be {min} to {max} characters")));
    }
    if v.starts_with("http://") || v.starts_with("https://") {
        return Err(ApiError::invalid(field, "must not start with http:// or https://"));
    }
    if letter && !v.chars().next().is_some_and(char::is_alphabetic) {
        return Err(ApiError::invalid(field, "must start with a letter"));
    }
    Ok(())
}

/// Validated 1-based `PageNumber`/`PageSize` as (page number, page size).
pub(crate) fn page(
    number: &Option<String>,
    size: &Option<String>,
    default: u64,
    max: u64,
) -> Result<(u64, u64), ApiError> {
    let n = num("PageNumber", number, 1, u32::MAX as u64)?.unwrap_or(1);
    let s = num("PageSize", size, 1, max)?.unwrap_or(default);
    Ok((n, s))
}

/// One page of a list and the total.
pub(crate) fn paginate<T>(items: Vec<T>, number: u64, size: u64) -> (Vec<T>, u64) {
    let total = items.len() as u64;
    let skip = ((number - 1) * size) as usize;
    (items.into_iter().skip(skip).take(size as usize).collect(), total)
}

/// `Tag.N.Key` / `Tag.N.Value` as input.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TagInput {
    #[serde(rename = "Key", default, deserialize_with = "lenient::opt_string")]
    key: Option<String>,
    #[serde(rename = "Value", default, deserialize_with = "lenient::opt_string")]
    value: Option<String>,
}

/// Validates and converts input tags (1-20; keys 1-64 characters, not `aliyun`/`acs:`).
pub(crate) fn tags(input: Vec<TagInput>) -> Result<Vec<Tag>, ApiError> {
    if input.len() > 20 {
        return Err(ApiError::invalid("Tag", "at most 20 tags are allowed"));
    }
    input
        .into_iter()
        .map(|t| {
            let key = t.key.unwrap_or_default();
            if key.is_empty() || key.chars().count() > 64 || key.starts_with("aliyun") || key.starts_with("acs:") {
                return Err(ApiError::invalid("Tag.Key", format!("{key:?} is not a valid tag key")));
            }
            let value = t.value.unwrap_or_default();
            if value.chars().count() > 128 {
                return Err(ApiError::invalid("Tag.Value", "at most 128 characters"));
            }
            Ok(Tag { key, value })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ram;
    use serde_json::json;

    /// Request parameters that end like an ID but name no resource eniplane authorizes.
    const NOT_RESOURCES: &[&str] = &[
        "EnsRegionId",
        "EnsRegionIds",
        "ImageId",
        "DeploymentSetId",
        "LaunchTemplateId",
        "VpdId",
        "VpdVSwitchId",
        "VpdVSwitchIds",
        "EnsServiceId",
    ];

    #[test]
    fn every_action_declares_the_resources_it_touches() {
        for a in ACTIONS {
            let empty = ram::resources(&a.touches, &json!({}), "1").unwrap();
            assert!(!empty.is_empty(), "{} names no resource", a.name);
            let fields = (a.fields)();
            for f in &fields {
                if !(f.ends_with("Id") || f.ends_with("Ids")) || NOT_RESOURCES.contains(f) {
                    continue;
                }
                assert!(
                    a.touches.names.iter().any(|n| n.path == *f),
                    "{}: parameter {f} names resources but is not declared",
                    a.name
                );
            }
            for n in a.touches.names {
                assert!(fields.contains(&n.path), "{}: declares {} it does not take", a.name, n.path);
            }
        }
    }

    #[test]
    fn every_action_listed_once() {
        let mut all: Vec<&str> = names().collect();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(n, all.len());
        assert_eq!(n, 40);
        assert!(find("DetachNetworkInterface").is_some());
        assert!(find("CreateInstance").is_none());
    }

    #[test]
    fn lists_in_every_encoding() {
        assert_eq!(list("X", Some(json!(["a", "b"]))).unwrap(), vec!["a", "b"]);
        assert_eq!(list("X", Some(json!("[\"a\", \"b\"]"))).unwrap(), vec!["a", "b"]);
        assert_eq!(list("X", Some(json!("[\"a\",\"b\"]"))).unwrap(), vec!["a", "b"]);
        assert_eq!(list("X", Some(json!("a,b"))).unwrap(), vec!["a", "b"]);
        assert_eq!(list("X", Some(json!("[bad"))).unwrap_err().code, "InvalidParameter.X");
        let items = |n: usize| Some(json!((0..n).map(|i| format!("i-{i}")).collect::<Vec<_>>()));
        assert_eq!(list("X", items(MAX_LIST_ITEMS)).unwrap().len(), MAX_LIST_ITEMS);
        assert_eq!(list("X", items(MAX_LIST_ITEMS + 1)).unwrap_err().code, "InvalidParameter.X");
    }

    #[test]
    fn scalars_and_pages() {
        assert_eq!(flag("F", &Some("True".into())).unwrap(), Some(true));
        assert_eq!(flag("F", &Some("FALSE".into())).unwrap(), Some(false));
        assert_eq!(flag("F", &Some("yes".into())).unwrap_err().code, "InvalidParameter.F");
        assert_eq!(page(&None, &None, 10, 50).unwrap(), (1, 10));
        assert_eq!(page(&Some("0".into()), &None, 10, 50).unwrap_err().code, "InvalidParameter.PageNumber");
        assert_eq!(page(&None, &Some("51".into()), 10, 50).unwrap_err().code, "InvalidParameter.PageSize");
        assert_eq!(paginate(vec![1, 2, 3, 4, 5], 2, 2), (vec![3, 4], 5));
        assert!(text("Name", &Some("http://x".into()), 1, 128, false).is_err());
        assert!(text("Name", &Some("1abc".into()), 2, 128, true).is_err());
        assert!(text("Name", &Some("abc".into()), 2, 128, true).is_ok());
    }
}
