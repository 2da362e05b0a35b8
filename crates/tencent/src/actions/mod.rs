//! The action table: every supported action once, with its service, documented rate limit,
//! documented business error codes, the resources it touches (for authorization, see
//! [`crate::cam`]) and handler. Each handler takes one typed request and returns one typed
//! response.

mod cvm;
mod eni;
mod private_ip;
mod security_group;
mod task;
mod vpc;

use std::future::Future;
use std::pin::Pin;

use eniplane_api::resources::{many, one, Named};
use eniplane_core::ids::{self, IdKind};
use eniplane_core::Cloud;
use serde_json::Value;

use crate::cam::{Res, Touches};
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
    /// The resources it touches.
    pub touches: Touches,
    /// Decode, handle, encode.
    pub run: Run,
    /// The typed request's parameter names (for the declaration test).
    #[cfg(test)]
    pub fields: fn() -> Vec<&'static str>,
}

impl Action {
    /// Whether the action takes a `ClientToken` (and so is made idempotent by it).
    pub fn idempotent(&self) -> bool {
        IDEMPOTENT.contains(&self.name)
    }
}

/// `action!(name, service, rate, errors, on-type, named-parameters, handler)`.
macro_rules! action {
    ($name:literal, $service:ident, $rate:expr, $errors:expr, $on:ident, $names:expr, $handler:path) => {
        Action {
            name: $name,
            service: Service::$service,
            rate: $rate,
            errors: $errors,
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

// Parameters naming resources, shared by several actions.
type Names = &'static [Named<Res>];
const NONE: Names = &[];
const ENI: Names = &[one("NetworkInterfaceId", Res::Eni)];
const ENIS: Names = &[many("NetworkInterfaceIds", Res::Eni)];
const ENI_ON_INSTANCE: Names = &[one("NetworkInterfaceId", Res::Eni), one("InstanceId", Res::Instance)];
const ENIS_AND_GROUPS: Names = &[many("NetworkInterfaceIds", Res::Eni), many("SecurityGroupIds", Res::SecurityGroup)];
const ENI_AND_GROUPS: Names = &[one("NetworkInterfaceId", Res::Eni), many("SecurityGroupIds", Res::SecurityGroup)];
const NEW_ENI: Names =
    &[one("VpcId", Res::Vpc), one("SubnetId", Res::Subnet), many("SecurityGroupIds", Res::SecurityGroup)];
const NEW_ATTACHED_ENI: Names = &[
    one("VpcId", Res::Vpc),
    one("SubnetId", Res::Subnet),
    one("InstanceId", Res::Instance),
    many("SecurityGroupIds", Res::SecurityGroup),
];
const MIGRATED_ENI: Names = &[
    one("NetworkInterfaceId", Res::Eni),
    one("SourceInstanceId", Res::Instance),
    one("DestinationInstanceId", Res::Instance),
];
const LIMIT_OF: Names = &[one("InstanceId", Res::InstanceOrEni)];
const MIGRATED_IP: Names = &[one("SourceNetworkInterfaceId", Res::Eni), one("DestinationNetworkInterfaceId", Res::Eni)];
const GROUP: Names = &[one("SecurityGroupId", Res::SecurityGroup)];
const GROUPS: Names = &[many("SecurityGroupIds", Res::SecurityGroup)];
const VPC: Names = &[one("VpcId", Res::Vpc)];
const VPCS: Names = &[many("VpcIds", Res::Vpc)];
const SUBNET: Names = &[one("SubnetId", Res::Subnet)];
const SUBNETS: Names = &[many("SubnetIds", Res::Subnet)];
const INSTANCES: Names = &[many("InstanceIds", Res::Instance)];
const NEW_INSTANCES: Names = &[
    one("VirtualPrivateCloud.VpcId", Res::Vpc),
    one("VirtualPrivateCloud.SubnetId", Res::Subnet),
    many("SecurityGroupIds", Res::SecurityGroup),
];

static ACTIONS: &[Action] = &[
    action!("CreateNetworkInterface", Vpc, 100, ANY, Eni, NEW_ENI, eni::create_network_interface),
    action!(
        "CreateAndAttachNetworkInterface",
        Vpc,
        100,
        ANY,
        Eni,
        NEW_ATTACHED_ENI,
        eni::create_and_attach_network_interface
    ),
    action!("DeleteNetworkInterface", Vpc, 100, ENI_STATE, Eni, ENI, eni::delete_network_interface),
    action!("DescribeNetworkInterfaces", Vpc, 100, ANY, Eni, ENIS, eni::describe_network_interfaces),
    action!(
        "ModifyNetworkInterfaceAttribute",
        Vpc,
        100,
        ANY,
        Eni,
        ENI_AND_GROUPS,
        eni::modify_network_interface_attribute
    ),
    action!("AttachNetworkInterface", Vpc, 100, ATTACH, Eni, ENI_ON_INSTANCE, eni::attach_network_interface),
    action!("DetachNetworkInterface", Vpc, 100, ENI_STATE, Eni, ENI_ON_INSTANCE, eni::detach_network_interface),
    action!("MigrateNetworkInterface", Vpc, 100, ANY, Eni, MIGRATED_ENI, eni::migrate_network_interface),
    action!(
        "AssociateNetworkInterfaceSecurityGroups",
        Vpc,
        20,
        SEED,
        Eni,
        ENIS_AND_GROUPS,
        eni::associate_network_interface_security_groups
    ),
    action!(
        "DisassociateNetworkInterfaceSecurityGroups",
        Vpc,
        20,
        SEED,
        Eni,
        ENIS_AND_GROUPS,
        eni::disassociate_network_interface_security_groups
    ),
    action!(
        "DescribeNetworkInterfaceLimit",
        Vpc,
        20,
        ANY,
        InstanceOrEni,
        LIMIT_OF,
        eni::describe_network_interface_limit
    ),
    action!("AssignPrivateIpAddresses", Vpc, 100, ANY, Eni, ENI, private_ip::assign_private_ip_addresses),
    action!(
        "UnassignPrivateIpAddresses",
        Vpc,
        100,
        ANY,
        Eni,
        ENI_ON_INSTANCE,
        private_ip::unassign_private_ip_addresses
    ),
    action!("MigratePrivateIpAddress", Vpc, 100, ANY, Eni, MIGRATED_IP, private_ip::migrate_private_ip_address),
    action!(
        "ModifyPrivateIpAddressesAttribute",
        Vpc,
        100,
        ANY,
        Eni,
        ENI,
        private_ip::modify_private_ip_addresses_attribute
    ),
    action!("CreateSecurityGroup", Vpc, 100, ANY, SecurityGroup, NONE, security_group::create_security_group),
    action!(
        "CreateSecurityGroupWithPolicies",
        Vpc,
        100,
        ANY,
        SecurityGroup,
        NONE,
        security_group::create_security_group_with_policies
    ),
    action!("DeleteSecurityGroup", Vpc, 100, ANY, SecurityGroup, GROUP, security_group::delete_security_group),
    action!("DescribeSecurityGroups", Vpc, 100, ANY, SecurityGroup, GROUPS, security_group::describe_security_groups),
    action!(
        "ModifySecurityGroupAttribute",
        Vpc,
        100,
        ANY,
        SecurityGroup,
        GROUP,
        security_group::modify_security_group_attribute
    ),
    action!(
        "DescribeSecurityGroupPolicies",
        Vpc,
        100,
        ANY,
        SecurityGroup,
        GROUP,
        security_group::describe_security_group_policies
    ),
    action!(
        "CreateSecurityGroupPolicies",
        Vpc,
        100,
        ANY,
        SecurityGroup,
        GROUP,
        security_group::create_security_group_policies
    ),
    action!(
        "DeleteSecurityGroupPolicies",
        Vpc,
        100,
        ANY,
        SecurityGroup,
        GROUP,
        security_group::delete_security_group_policies
    ),
    action!(
        "DescribeSecurityGroupLimits",
        Vpc,
        20,
        ANY,
        SecurityGroup,
        NONE,
        security_group::describe_security_group_limits
    ),
    action!("CreateVpc", Vpc, 100, ANY, Vpc, NONE, vpc::create_vpc),
    action!("DeleteVpc", Vpc, 100, ANY, Vpc, VPC, vpc::delete_vpc),
    action!("DescribeVpcs", Vpc, 100, ANY, Vpc, VPCS, vpc::describe_vpcs),
    action!("ModifyVpcAttribute", Vpc, 100, ANY, Vpc, VPC, vpc::modify_vpc_attribute),
    action!("CreateSubnet", Vpc, 100, ANY, Subnet, VPC, vpc::create_subnet),
    action!("DeleteSubnet", Vpc, 100, ANY, Subnet, SUBNET, vpc::delete_subnet),
    action!("DescribeSubnets", Vpc, 100, ANY, Subnet, SUBNETS, vpc::describe_subnets),
    action!("ModifySubnetAttribute", Vpc, 100, ANY, Subnet, SUBNET, vpc::modify_subnet_attribute),
    action!("DescribeVpcTaskResult", Vpc, 20, ANY, Account, NONE, task::describe_vpc_task_result),
    action!("RunInstances", Cvm, 10, ANY, Instance, NEW_INSTANCES, cvm::run_instances),
    action!("DescribeInstances", Cvm, 40, ANY, Instance, INSTANCES, cvm::describe_instances),
    action!("DescribeInstancesStatus", Cvm, 40, ANY, Instance, INSTANCES, cvm::describe_instances_status),
    action!("StartInstances", Cvm, 10, ANY, Instance, INSTANCES, cvm::start_instances),
    action!("StopInstances", Cvm, 10, ANY, Instance, INSTANCES, cvm::stop_instances),
    action!("RebootInstances", Cvm, 10, ANY, Instance, INSTANCES, cvm::reboot_instances),
    action!("TerminateInstances", Cvm, 10, ANY, Instance, INSTANCES, cvm::terminate_instances),
    action!("DescribeZones", Cvm, 20, ANY, Account, NONE, cvm::describe_zones),
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
    crate::filters::check(filters, known, crate::filters::VPC_FILTER_VALUES)?;
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
    use super::*;
    use crate::cam::{self, Place};

    /// Request parameters that end like an ID but name no resource eniplane authorizes.
    const NOT_RESOURCES: &[&str] = &[
        "ImageId",
        "TaskId",
        "ProjectId",
        "CdcId",
        "HpcClusterId",
        "DedicatedClusterId",
        "DisasterRecoverGroupIds",
        "ChcIds",
        "AddressId",
    ];

    #[test]
    fn every_action_declares_the_resources_it_touches() {
        let place = Place { service: "vpc", region: "ap-guangzhou", account: "1" };
        for a in ACTIONS {
            let empty = cam::resources(&a.touches, &serde_json::json!({}), &place).unwrap();
            assert!(!empty.is_empty(), "{} names no resource", a.name);
            let fields = (a.fields)();
            assert!(!fields.is_empty() || a.name.starts_with("Describe"), "{}: no request fields", a.name);
            for f in fields {
                if !(f.ends_with("Id") || f.ends_with("Ids")) || NOT_RESOURCES.contains(&f) {
                    continue;
                }
                assert!(
                    a.touches.names.iter().any(|n| n.path == f),
                    "{}: parameter {f} names resources but is not declared",
                    a.name
                );
            }
            for n in a.touches.names {
                let top = n.path.split('.').next().unwrap_or_default();
                assert!((a.fields)().contains(&top), "{}: declares {} it does not take", a.name, n.path);
            }
        }
    }

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
