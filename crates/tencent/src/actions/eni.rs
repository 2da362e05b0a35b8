//! ENI actions: create, create-and-attach, delete, describe, modify, attach, detach, migrate,
//! security group association (the seed action) and quota lookup.

use eniplane_api::lenient;
use eniplane_core::ids::IdKind;
use eniplane_core::model::Eni;
use eniplane_core::ops::eni::{self as eni_ops, EniChanges, NewEni};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::{check_id, check_ids, describe_query, max_len, required, tags, Empty, TagInput};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::filters::{self, Filter, Filters};
use crate::views::{self, EniView};

/// `PrivateIpAddressSpecification` as input.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PrivateIpInput {
    #[serde(rename = "PrivateIpAddress")]
    pub address: String,
    #[serde(rename = "Primary", default, deserialize_with = "lenient::opt_bool")]
    pub primary: Option<bool>,
    #[serde(rename = "Description", default, deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    #[serde(rename = "PublicIpAddress", default)]
    _public_ip: Option<IgnoredAny>,
    #[serde(rename = "AddressId", default)]
    _address_id: Option<IgnoredAny>,
    #[serde(rename = "IsWanIpBlocked", default)]
    _blocked: Option<IgnoredAny>,
    #[serde(rename = "State", default)]
    _state: Option<IgnoredAny>,
    #[serde(rename = "QosLevel", default)]
    _qos: Option<IgnoredAny>,
}

/// Splits requested addresses into (primary, secondaries); at most one primary.
fn split_ips(ips: &[PrivateIpInput]) -> Result<(Option<String>, Vec<String>), ApiError> {
    if ips.len() > 10 {
        return Err(ApiError::new(
            "InvalidParameterValue.LimitExceeded",
            "At most 10 PrivateIpAddresses are allowed per request.",
        ));
    }
    let primaries: Vec<&PrivateIpInput> = ips.iter().filter(|p| p.primary == Some(true)).collect();
    if primaries.len() > 1 {
        return Err(ApiError::new("InvalidParameterValue", "Only one private IP may be marked Primary."));
    }
    let primary = primaries.first().map(|p| p.address.clone());
    let secondary = ips.iter().filter(|p| p.primary != Some(true)).map(|p| p.address.clone()).collect();
    Ok((primary, secondary))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateNetworkInterfaceRequest {
    #[serde(rename = "VpcId")]
    vpc_id: String,
    #[serde(rename = "NetworkInterfaceName")]
    name: String,
    #[serde(rename = "SubnetId")]
    subnet_id: String,
    #[serde(rename = "NetworkInterfaceDescription", default, deserialize_with = "lenient::opt_string")]
    description: Option<String>,
    #[serde(rename = "SecurityGroupIds", default, deserialize_with = "lenient::string_list")]
    security_group_ids: Vec<String>,
    #[serde(rename = "PrivateIpAddresses", default)]
    private_ips: Vec<PrivateIpInput>,
    #[serde(rename = "SecondaryPrivateIpAddressCount", default, deserialize_with = "lenient::opt_u64")]
    secondary_count: Option<u64>,
    #[serde(rename = "Tags", default)]
    tags: Vec<TagInput>,
    #[serde(rename = "QosLevel", default)]
    _qos: Option<IgnoredAny>,
    #[serde(rename = "Ipv6Addresses", default)]
    _ipv6: Option<IgnoredAny>,
    #[serde(rename = "Ipv6AddressCount", default)]
    _ipv6_count: Option<IgnoredAny>,
    #[serde(rename = "TrunkingFlag", default)]
    _trunking: Option<IgnoredAny>,
    #[serde(rename = "IsRdma", default)]
    _rdma: Option<IgnoredAny>,
    #[serde(rename = "ClientToken", default)]
    _client_token: Option<IgnoredAny>,
    #[serde(rename = "TerminationProtection", default)]
    _termination: Option<IgnoredAny>,
    #[serde(rename = "TrafficProtection", default)]
    _traffic: Option<IgnoredAny>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateNetworkInterfaceResponse {
    network_interface: EniView,
}

#[allow(clippy::too_many_arguments)]
fn new_eni(
    vpc_id: &str,
    subnet_id: &str,
    name: &str,
    description: Option<String>,
    groups: &[String],
    ips: &[PrivateIpInput],
    count: Option<u64>,
    tag_input: &[TagInput],
) -> Result<NewEni, ApiError> {
    check_id("VpcId", vpc_id, IdKind::Vpc)?;
    check_id("SubnetId", subnet_id, IdKind::Subnet)?;
    check_ids("SecurityGroupIds", groups, IdKind::SecurityGroup, 100)?;
    max_len("NetworkInterfaceName", name, 60)?;
    let description = description.unwrap_or_default();
    max_len("NetworkInterfaceDescription", &description, 60)?;
    let (primary_ip, secondary_ips) = split_ips(ips)?;
    let count = count.unwrap_or(0);
    if count > 50 {
        return Err(ApiError::new("InvalidParameterValue.Range", "SecondaryPrivateIpAddressCount is out of range."));
    }
    Ok(NewEni {
        vpc_id: Some(vpc_id.to_string()),
        subnet_id: subnet_id.to_string(),
        name: name.to_string(),
        description,
        security_group_ids: groups.to_vec(),
        primary_ip,
        secondary_ips,
        secondary_count: count as u32,
        tags: tags(tag_input),
    })
}

pub(crate) async fn create_network_interface(
    ctx: &Ctx,
    r: CreateNetworkInterfaceRequest,
) -> Result<CreateNetworkInterfaceResponse, ApiError> {
    let input = new_eni(
        &r.vpc_id,
        &r.subnet_id,
        &r.name,
        r.description,
        &r.security_group_ids,
        &r.private_ips,
        r.secondary_count,
        &r.tags,
    )?;
    let eni = ctx.write(move |tx, env| eni_ops::create(tx, env, input.clone())).await?;
    Ok(CreateNetworkInterfaceResponse { network_interface: views::eni(&eni) })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateAndAttachNetworkInterfaceRequest {
    #[serde(rename = "VpcId")]
    vpc_id: String,
    #[serde(rename = "NetworkInterfaceName")]
    name: String,
    #[serde(rename = "SubnetId")]
    subnet_id: String,
    #[serde(rename = "InstanceId")]
    instance_id: String,
    #[serde(rename = "NetworkInterfaceDescription", default, deserialize_with = "lenient::opt_string")]
    description: Option<String>,
    #[serde(rename = "SecurityGroupIds", default, deserialize_with = "lenient::string_list")]
    security_group_ids: Vec<String>,
    #[serde(rename = "PrivateIpAddresses", default)]
    private_ips: Vec<PrivateIpInput>,
    #[serde(rename = "SecondaryPrivateIpAddressCount", default, deserialize_with = "lenient::opt_u64")]
    secondary_count: Option<u64>,
    #[serde(rename = "Tags", default)]
    tags: Vec<TagInput>,
    #[serde(rename = "QosLevel", default)]
    _qos: Option<IgnoredAny>,
    #[serde(rename = "Ipv6Addresses", default)]
    _ipv6: Option<IgnoredAny>,
    #[serde(rename = "Ipv6AddressCount", default)]
    _ipv6_count: Option<IgnoredAny>,
    #[serde(rename = "AttachType", default)]
    _attach_type: Option<IgnoredAny>,
    #[serde(rename = "IsRdma", default)]
    _rdma: Option<IgnoredAny>,
    #[serde(rename = "ClientToken", default)]
    _client_token: Option<IgnoredAny>,
    #[serde(rename = "TerminationProtection", default)]
    _termination: Option<IgnoredAny>,
    #[serde(rename = "TrafficProtection", default)]
    _traffic: Option<IgnoredAny>,
}

/// Creates the ENI available at once and starts attaching it, in one transaction.
pub(crate) async fn create_and_attach_network_interface(
    ctx: &Ctx,
    r: CreateAndAttachNetworkInterfaceRequest,
) -> Result<CreateNetworkInterfaceResponse, ApiError> {
    check_id("InstanceId", &r.instance_id, IdKind::Instance)?;
    let input = new_eni(
        &r.vpc_id,
        &r.subnet_id,
        &r.name,
        r.description,
        &r.security_group_ids,
        &r.private_ips,
        r.secondary_count,
        &r.tags,
    )?;
    let instance = r.instance_id.clone();
    let eni = ctx.write(move |tx, env| eni_ops::create_and_attach(tx, env, input.clone(), &instance)).await?;
    Ok(CreateNetworkInterfaceResponse { network_interface: views::eni(&eni) })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeleteNetworkInterfaceRequest {
    #[serde(rename = "NetworkInterfaceId")]
    id: String,
}

pub(crate) async fn delete_network_interface(ctx: &Ctx, r: DeleteNetworkInterfaceRequest) -> Result<Empty, ApiError> {
    check_id("NetworkInterfaceId", &r.id, IdKind::Eni)?;
    let ids = vec![r.id];
    ctx.write(move |tx, env| eni_ops::delete(tx, env, &ids, "DeleteNetworkInterface")).await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DescribeNetworkInterfacesRequest {
    #[serde(rename = "NetworkInterfaceIds", default, deserialize_with = "lenient::string_list")]
    ids: Vec<String>,
    #[serde(rename = "Filters", default)]
    filters: Filters,
    #[serde(rename = "Offset", default, deserialize_with = "lenient::opt_u64")]
    offset: Option<u64>,
    #[serde(rename = "Limit", default, deserialize_with = "lenient::opt_u64")]
    limit: Option<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeNetworkInterfacesResponse {
    network_interface_set: Vec<EniView>,
    total_count: u64,
}

const ENI_FILTERS: &[&str] = &[
    "vpc-id",
    "subnet-id",
    "network-interface-id",
    "attachment.instance-id",
    "groups.security-group-id",
    "network-interface-name",
    "network-interface-description",
    "address-ip",
    "ip-exact-match",
    "tag-key",
    "tag:",
    "is-primary",
    "eni-type",
    "eni-qos",
    "address-ipv6",
    "public-address-ip",
    "address-type",
    "termination-protection",
    "traffic-protection",
];

fn eni_matches(e: &Eni, f: &Filter, exact_ip: bool) -> bool {
    let any = |have: &[&str]| f.values.iter().any(|v| have.contains(&v.as_str()));
    match f.name.as_str() {
        "vpc-id" => any(&[&e.vpc_id]),
        "subnet-id" => any(&[&e.subnet_id]),
        "network-interface-id" => any(&[&e.id]),
        "attachment.instance-id" => any(&[e.instance_id().unwrap_or("")]),
        "groups.security-group-id" => f.values.iter().any(|v| e.security_group_ids.contains(v)),
        "network-interface-name" => any(&[&e.name]),
        "network-interface-description" => any(&[&e.description]),
        "address-ip" => {
            let ips: Vec<&str> = e.private_ips.iter().map(|p| p.address.as_str()).collect();
            if f.values.len() == 1 && !exact_ip {
                ips.iter().any(|ip| ip.ends_with(f.values[0].as_str()))
            } else {
                f.values.iter().any(|v| ips.contains(&v.as_str()))
            }
        }
        "ip-exact-match" => true,
        "tag-key" => f.values.iter().any(|v| e.tags.iter().any(|t| &t.key == v)),
        "is-primary" => f.values.first().map(|v| filters::truthy(v) == e.primary).unwrap_or(true),
        "eni-type" => any(&[if e.primary { "1" } else { "0" }]),
        "eni-qos" => any(&["DEFAULT"]),
        "termination-protection" | "traffic-protection" => any(&["false"]),
        "address-ipv6" | "public-address-ip" | "address-type" => false,
        name => match name.strip_prefix("tag:") {
            Some(key) => f.values.iter().any(|v| e.tags.iter().any(|t| t.key == key && &t.value == v)),
            None => false,
        },
    }
}

pub(crate) async fn describe_network_interfaces(
    ctx: &Ctx,
    r: DescribeNetworkInterfacesRequest,
) -> Result<DescribeNetworkInterfacesResponse, ApiError> {
    let (offset, limit) =
        describe_query("NetworkInterfaceIds", &r.ids, IdKind::Eni, &r.filters, ENI_FILTERS, r.offset, r.limit)?;
    let exact_ip = r
        .filters
        .iter()
        .find(|f| f.name == "ip-exact-match")
        .and_then(|f| f.values.first())
        .is_some_and(|v| filters::truthy(v));
    let ids = r.ids;
    let list = ctx
        .read(move |tx, env| if ids.is_empty() { eni_ops::list(tx, env) } else { eni_ops::find_many(tx, env, &ids) })
        .await?;
    let matched: Vec<Eni> =
        list.into_iter().filter(|e| r.filters.iter().all(|f| eni_matches(e, f, exact_ip))).collect();
    let (page, total) = filters::paginate(matched, offset, limit);
    Ok(DescribeNetworkInterfacesResponse {
        network_interface_set: page.iter().map(views::eni).collect(),
        total_count: total,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModifyNetworkInterfaceAttributeRequest {
    #[serde(rename = "NetworkInterfaceId")]
    id: String,
    #[serde(rename = "NetworkInterfaceName", default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
    #[serde(rename = "NetworkInterfaceDescription", default, deserialize_with = "lenient::opt_string")]
    description: Option<String>,
    #[serde(rename = "SecurityGroupIds", default, deserialize_with = "lenient::opt_string_list")]
    security_group_ids: Option<Vec<String>>,
    #[serde(rename = "TrunkingFlag", default)]
    _trunking: Option<IgnoredAny>,
}

pub(crate) async fn modify_network_interface_attribute(
    ctx: &Ctx,
    r: ModifyNetworkInterfaceAttributeRequest,
) -> Result<Empty, ApiError> {
    check_id("NetworkInterfaceId", &r.id, IdKind::Eni)?;
    if let Some(n) = &r.name {
        max_len("NetworkInterfaceName", n, 60)?;
    }
    if let Some(d) = &r.description {
        max_len("NetworkInterfaceDescription", d, 60)?;
    }
    if let Some(g) = &r.security_group_ids {
        check_ids("SecurityGroupIds", g, IdKind::SecurityGroup, 100)?;
    }
    let changes = EniChanges { name: r.name, description: r.description, security_group_ids: r.security_group_ids };
    let id = r.id;
    ctx.write(move |tx, env| eni_ops::modify(tx, env, &id, changes.clone())).await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AttachNetworkInterfaceRequest {
    #[serde(rename = "NetworkInterfaceId")]
    eni_id: String,
    #[serde(rename = "InstanceId")]
    instance_id: String,
    #[serde(rename = "AttachType", default, deserialize_with = "lenient::opt_u64")]
    attach_type: Option<u64>,
    #[serde(rename = "ClientToken", default)]
    _client_token: Option<IgnoredAny>,
}

pub(crate) async fn attach_network_interface(ctx: &Ctx, r: AttachNetworkInterfaceRequest) -> Result<Empty, ApiError> {
    check_id("NetworkInterfaceId", &r.eni_id, IdKind::Eni)?;
    check_id("InstanceId", &r.instance_id, IdKind::Instance)?;
    if r.attach_type.is_some_and(|t| t > 1) {
        return Err(ApiError::new("InvalidParameterValue.Range", "AttachType must be 0 or 1."));
    }
    ctx.write(move |tx, env| eni_ops::attach(tx, env, &r.eni_id, &r.instance_id, "AttachNetworkInterface")).await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DetachNetworkInterfaceRequest {
    #[serde(rename = "NetworkInterfaceId")]
    eni_id: String,
    #[serde(rename = "InstanceId")]
    instance_id: String,
    #[serde(rename = "ClientToken", default)]
    _client_token: Option<IgnoredAny>,
}

pub(crate) async fn detach_network_interface(ctx: &Ctx, r: DetachNetworkInterfaceRequest) -> Result<Empty, ApiError> {
    check_id("NetworkInterfaceId", &r.eni_id, IdKind::Eni)?;
    check_id("InstanceId", &r.instance_id, IdKind::Instance)?;
    ctx.write(move |tx, env| eni_ops::detach(tx, env, &r.eni_id, Some(&r.instance_id), "DetachNetworkInterface"))
        .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MigrateNetworkInterfaceRequest {
    #[serde(rename = "NetworkInterfaceId")]
    eni_id: String,
    #[serde(rename = "SourceInstanceId")]
    source: String,
    #[serde(rename = "DestinationInstanceId")]
    destination: String,
    #[serde(rename = "AttachType", default)]
    _attach_type: Option<IgnoredAny>,
}

pub(crate) async fn migrate_network_interface(ctx: &Ctx, r: MigrateNetworkInterfaceRequest) -> Result<Empty, ApiError> {
    check_id("NetworkInterfaceId", &r.eni_id, IdKind::Eni)?;
    check_id("SourceInstanceId", &r.source, IdKind::Instance)?;
    check_id("DestinationInstanceId", &r.destination, IdKind::Instance)?;
    ctx.write(move |tx, env| eni_ops::migrate(tx, env, &r.eni_id, &r.source, &r.destination)).await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NetworkInterfaceSecurityGroupsRequest {
    #[serde(rename = "NetworkInterfaceIds", default, deserialize_with = "lenient::string_list")]
    eni_ids: Vec<String>,
    #[serde(rename = "SecurityGroupIds", default, deserialize_with = "lenient::string_list")]
    sg_ids: Vec<String>,
}

impl NetworkInterfaceSecurityGroupsRequest {
    fn validate(&self) -> Result<(), ApiError> {
        required("NetworkInterfaceIds", &self.eni_ids)?;
        required("SecurityGroupIds", &self.sg_ids)?;
        check_ids("NetworkInterfaceIds", &self.eni_ids, IdKind::Eni, 100)?;
        check_ids("SecurityGroupIds", &self.sg_ids, IdKind::SecurityGroup, 100)
    }
}

pub(crate) async fn associate_network_interface_security_groups(
    ctx: &Ctx,
    r: NetworkInterfaceSecurityGroupsRequest,
) -> Result<Empty, ApiError> {
    r.validate()?;
    ctx.write(move |tx, env| eni_ops::associate_groups(tx, env, &r.eni_ids, &r.sg_ids)).await?;
    Ok(Empty {})
}

/// The seed action: unbinds every listed group from every listed ENI where bound, as one
/// transaction (any error leaves everything unchanged); removing all groups is allowed.
pub(crate) async fn disassociate_network_interface_security_groups(
    ctx: &Ctx,
    r: NetworkInterfaceSecurityGroupsRequest,
) -> Result<Empty, ApiError> {
    r.validate()?;
    ctx.write(move |tx, env| eni_ops::disassociate_groups(tx, env, &r.eni_ids, &r.sg_ids, false)).await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DescribeNetworkInterfaceLimitRequest {
    #[serde(rename = "InstanceId")]
    id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeNetworkInterfaceLimitResponse {
    eni_quantity: i64,
    eni_private_ip_address_quantity: i64,
    extend_eni_quantity: i64,
    extend_eni_private_ip_address_quantity: i64,
    sub_eni_quantity: i64,
    sub_eni_private_ip_address_quantity: i64,
}

pub(crate) async fn describe_network_interface_limit(
    ctx: &Ctx,
    r: DescribeNetworkInterfaceLimitRequest,
) -> Result<DescribeNetworkInterfaceLimitResponse, ApiError> {
    let valid = eniplane_core::ids::is_valid(eniplane_core::Cloud::Tencent, IdKind::Instance, &r.id)
        || eniplane_core::ids::is_valid(eniplane_core::Cloud::Tencent, IdKind::Eni, &r.id);
    if !valid {
        return Err(ApiError::new(
            "InvalidParameterValue.Malformed",
            format!("The value `{}` of InstanceId is malformed.", r.id),
        ));
    }
    let limits = ctx.read(move |tx, env| eni_ops::limits(tx, env, &r.id)).await?;
    Ok(DescribeNetworkInterfaceLimitResponse {
        eni_quantity: limits.enis as i64,
        eni_private_ip_address_quantity: limits.ips_per_eni as i64,
        extend_eni_quantity: 0,
        extend_eni_private_ip_address_quantity: 0,
        sub_eni_quantity: 0,
        sub_eni_private_ip_address_quantity: 0,
    })
}
