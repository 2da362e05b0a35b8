//! The action table: every supported action once, with its service, documented rate limit,
//! documented business error codes and handler. Each handler takes one typed request and
//! returns one typed response.

mod cvm;
mod eni;
mod private_ip;
mod security_group;
mod task;
mod vpc;

use std::future::Future;
use std::pin::Pin;

use eniplane_core::ids::{self, IdKind};
use eniplane_core::Cloud;
use serde_json::Value;

use crate::context::Ctx;
use crate::error::{ApiError, Service};

type Run = fn(Ctx, Value) -> Pin<Box<dyn Future<Output = Result<Value, ApiError>> + Send>>;

/// One supported action.
pub(crate) struct Action {
    /// Name as in `X-TC-Action`.
    pub name: &'static str,
    /// Service it belongs to.
    pub service: Service,
    /// Documented requests per second per account.
    pub rate: u32,
    /// Documented business error codes (empty: no narrowing).
    pub errors: &'static [&'static str],
    /// Decode, handle, encode.
    pub run: Run,
}

impl Action {
    /// Whether the action takes a `ClientToken` (and so is made idempotent by it).
    pub fn idempotent(&self) -> bool {
        IDEMPOTENT.contains(&self.name)
    }
}

macro_rules! action {
    ($name:literal, $service:ident, $rate:expr, $errors:expr, $handler:path) => {
        Action {
            name: $name,
            service: Service::$service,
            rate: $rate,
            errors: $errors,
            run: |ctx, params| {
                Box::pin(async move {
                    let req = ctx.decode(params)?;
                    let resp = $handler(&ctx, req).await?;
                    ctx.encode(&resp)
                })
            },
        }
    };
}

const ENI_STATE: &[&str] = &[
    "InvalidParameterValue.Malformed",
    "InvalidParameterValue.LimitExceeded",
    "ResourceNotFound",
    "UnsupportedOperation",
    "UnsupportedOperation.InvalidState",
    "LimitExceeded",
];
const SEED: &[&str] = &[
    "InvalidParameterValue.LimitExceeded",
    "InvalidParameterValue.Malformed",
    "ResourceNotFound",
    "UnsupportedOperation",
];
const ATTACH: &[&str] = &[
    "InvalidParameterValue.Malformed",
    "LimitExceeded",
    "ResourceNotFound",
    "UnsupportedOperation",
    "UnsupportedOperation.AttachmentAlreadyExists",
    "UnsupportedOperation.InvalidState",
    "UnsupportedOperation.VpcMismatch",
    "UnsupportedOperation.ZoneMismatch",
];
const ANY: &[&str] = &[];
/// Actions documented with a `ClientToken` parameter.
const IDEMPOTENT: &[&str] = &[
    "CreateNetworkInterface",
    "CreateAndAttachNetworkInterface",
    "AttachNetworkInterface",
    "DetachNetworkInterface",
    "AssignPrivateIpAddresses",
    "RunInstances",
];

static ACTIONS: &[Action] = &[
    action!("CreateNetworkInterface", Vpc, 100, ANY, eni::create_network_interface),
    action!("CreateAndAttachNetworkInterface", Vpc, 100, ANY, eni::create_and_attach_network_interface),
    action!("DeleteNetworkInterface", Vpc, 100, ENI_STATE, eni::delete_network_interface),
    action!("DescribeNetworkInterfaces", Vpc, 100, ANY, eni::describe_network_interfaces),
    action!("ModifyNetworkInterfaceAttribute", Vpc, 100, ANY, eni::modify_network_interface_attribute),
    action!("AttachNetworkInterface", Vpc, 100, ATTACH, eni::attach_network_interface),
    action!("DetachNetworkInterface", Vpc, 100, ENI_STATE, eni::detach_network_interface),
    action!("MigrateNetworkInterface", Vpc, 100, ANY, eni::migrate_network_interface),
    action!("AssociateNetworkInterfaceSecurityGroups", Vpc, 20, SEED, eni::associate_network_interface_security_groups),
    action!(
        "DisassociateNetworkInterfaceSecurityGroups",
        Vpc,
        20,
        SEED,
        eni::disassociate_network_interface_security_groups
    ),
    action!("DescribeNetworkInterfaceLimit", Vpc, 20, ANY, eni::describe_network_interface_limit),
    action!("AssignPrivateIpAddresses", Vpc, 100, ANY, private_ip::assign_private_ip_addresses),
    action!("UnassignPrivateIpAddresses", Vpc, 100, ANY, private_ip::unassign_private_ip_addresses),
    action!("MigratePrivateIpAddress", Vpc, 100, ANY, private_ip::migrate_private_ip_address),
    action!("ModifyPrivateIpAddressesAttribute", Vpc, 100, ANY, private_ip::modify_private_ip_addresses_attribute),
    action!("CreateSecurityGroup", Vpc, 100, ANY, security_group::create_security_group),
    action!("CreateSecurityGroupWithPolicies", Vpc, 100, ANY, security_group::create_security_group_with_policies),
    action!("DeleteSecurityGroup", Vpc, 100, ANY, security_group::delete_security_group),
    action!("DescribeSecurityGroups", Vpc, 100, ANY, security_group::describe_security_groups),
    action!("ModifySecurityGroupAttribute", Vpc, 100, ANY, security_group::modify_security_group_attribute),
    action!("DescribeSecurityGroupPolicies", Vpc, 100, ANY, security_group::describe_security_group_policies),
    action!("CreateSecurityGroupPolicies", Vpc, 100, ANY, security_group::create_security_group_policies),
    action!("DeleteSecurityGroupPolicies", Vpc, 100, ANY, security_group::delete_security_group_policies),
    action!("DescribeSecurityGroupLimits", Vpc, 20, ANY, security_group::describe_security_group_limits),
    action!("CreateVpc", Vpc, 100, ANY, vpc::create_vpc),
    action!("DeleteVpc", Vpc, 100, ANY, vpc::delete_vpc),
    action!("DescribeVpcs", Vpc, 100, ANY, vpc::describe_vpcs),
    action!("ModifyVpcAttribute", Vpc, 100, ANY, vpc::modify_vpc_attribute),
    action!("CreateSubnet", Vpc, 100, ANY, vpc::create_subnet),
    action!("DeleteSubnet", Vpc, 100, ANY, vpc::delete_subnet),
    action!("DescribeSubnets", Vpc, 100, ANY, vpc::describe_subnets),
    action!("ModifySubnetAttribute", Vpc, 100, ANY, vpc::modify_subnet_attribute),
    action!("DescribeVpcTaskResult", Vpc, 20, ANY, task::describe_vpc_task_result),
    action!("RunInstances", Cvm, 10, ANY, cvm::run_instances),
    action!("DescribeInstances", Cvm, 40, ANY, cvm::describe_instances),
    action!("DescribeInstancesStatus", Cvm, 40, ANY, cvm::describe_instances_status),
    action!("StartInstances", Cvm, 10, ANY, cvm::start_instances),
    action!("StopInstances", Cvm, 10, ANY, cvm::stop_instances),
    action!("RebootInstances", Cvm, 10, ANY, cvm::reboot_instances),
    action!("TerminateInstances", Cvm, 10, ANY, cvm::terminate_instances),
    action!("DescribeZones", Cvm, 20, ANY, cvm::describe_zones),
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

/// Checks a list of IDs: at most `max`, each in this cloud's shape for `kind`.
pub(crate) fn check_ids(field: &str, ids: &[String], kind: IdKind, max: usize) -> Result<(), ApiError> {
    if ids.len() > max {
        return Err(ApiError::new(
            "InvalidParameterValue.LimitExceeded",
            format!("{field} has {} items; at most {max} are allowed.", ids.len()),
        ));
    }
    for id in ids {
        check_id(field, id, kind)?;
    }
    Ok(())
}

/// Checks one ID's shape.
pub(crate) fn check_id(field: &str, id: &str, kind: IdKind) -> Result<(), ApiError> {
    if !ids::is_valid(Cloud::Tencent, kind, id) {
        return Err(ApiError::new(
            "InvalidParameterValue.Malformed",
            format!("The value `{id}` of {field} is malformed."),
        ));
    }
    Ok(())
}

/// The checks every VPC Describe makes before it reads: `Ids` and `Filters` not both, at most
/// 100 well-formed IDs, known filter names, a valid Offset/Limit (returned as a page).
pub(crate) fn describe_query(
    ids_field: &str,
    ids: &[String],
    kind: IdKind,
    filters: &crate::filters::Filters,
    known: &[&str],
    offset: Option<u64>,
    limit: Option<u64>,
) -> Result<(usize, usize), ApiError> {
    crate::filters::exclusive(ids, filters)?;
    check_ids(ids_field, ids, kind, 100)?;
    crate::filters::check(filters, known)?;
    crate::filters::page(offset, limit)
}

/// Rejects an empty required list.
pub(crate) fn required<T>(field: &str, items: &[T]) -> Result<(), ApiError> {
    if items.is_empty() {
        return Err(ApiError::new("MissingParameter", format!("The parameter `{field}` is required.")));
    }
    Ok(())
}

/// Rejects a string longer than `max` characters.
pub(crate) fn max_len(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    if value.chars().count() > max {
        return Err(ApiError::new(
            "InvalidParameterValue.TooLong",
            format!("{field} is longer than {max} characters."),
        ));
    }
    Ok(())
}

/// An empty response (only `RequestId`).
#[derive(serde::Serialize)]
pub(crate) struct Empty {}

#[cfg(test)]
mod tests {
    #[test]
    fn every_action_listed_once() {
        let mut names: Vec<&str> = super::names().collect();
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(n, names.len());
        assert!(names.contains(&"DisassociateNetworkInterfaceSecurityGroups"));
    }
}

/// `Tag` as input.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TagInput {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Value", default)]
    pub value: String,
}

/// Converts input tags.
pub(crate) fn tags(t: &[TagInput]) -> Vec<eniplane_core::model::Tag> {
    t.iter().map(|t| eniplane_core::model::Tag { key: t.key.clone(), value: t.value.clone() }).collect()
}
