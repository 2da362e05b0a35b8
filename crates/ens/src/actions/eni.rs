//! ENI actions: create, delete, describe, attach, detach (the seed action), modify, and
//! assigning/unassigning secondary private IPs. ENIs live in the edge region of their vSwitch;
//! actions that name an ENI find it in whichever region of the account holds it.

use std::collections::BTreeMap;

use eniplane_api::lenient;
use eniplane_core::ids::IdKind;
use eniplane_core::model::{Eni, Instance};
use eniplane_core::ops::eni::{self as eni_ops, EniChanges, NewEni};
use eniplane_core::ops::{ens, private_ip};
use eniplane_core::{repo, Error};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{check_id, check_ids, ids_filter, list, page, paginate, required, text, Empty};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::views::{self, EniView};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateNetworkInterfaceRequest {
    #[serde(rename = "SecurityGroupIds", default)]
    security_group_ids: Option<Value>,
    #[serde(rename = "VSwitchId", default, deserialize_with = "lenient::opt_string")]
    vswitch_id: Option<String>,
    #[serde(rename = "Name", default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
    #[serde(rename = "Description", default, deserialize_with = "lenient::opt_string")]
    description: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct CreateNetworkInterfaceResponse {
    #[serde(rename = "NetworkInterfaceIds")]
    ids: Vec<String>,
}

pub(crate) async fn create_network_interface(
    ctx: &Ctx,
    r: CreateNetworkInterfaceRequest,
) -> Result<CreateNetworkInterfaceResponse, ApiError> {
    let groups = list("SecurityGroupIds", r.security_group_ids)?;
    if groups.is_empty() {
        return Err(ApiError::missing("SecurityGroupIds"));
    }
    check_ids("SecurityGroupIds", &groups, IdKind::SecurityGroup, 5)?;
    let vsw = r.vswitch_id.unwrap_or_default();
    check_id("VSwitchId", &vsw, IdKind::Subnet)?;
    text("Name", &r.name, 1, 128, false)?;
    text("Description", &r.description, 1, 256, false)?;
    let input = NewEni {
        subnet_id: vsw.clone(),
        name: r.name.unwrap_or_default(),
        description: r.description.unwrap_or_default(),
        security_group_ids: groups,
        ..NewEni::default()
    };
    let eni = ctx
        .write(move |tx, reach| {
            let env = reach.at::<eniplane_core::model::Subnet>(tx, &vsw)?;
            ens::create_eni(tx, &env, &reach.groups(), input.clone())
        })
        .await?;
    Ok(CreateNetworkInterfaceResponse { ids: vec![eni.id] })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeleteNetworkInterfacesRequest {
    #[serde(rename = "NetworkInterfaceIds", default)]
    ids: Option<Value>,
}

/// Deletes Available secondary ENIs, all or none; each becomes `Deleting`, then disappears.
pub(crate) async fn delete_network_interfaces(ctx: &Ctx, r: DeleteNetworkInterfacesRequest) -> Result<Empty, ApiError> {
    let ids = list("NetworkInterfaceIds", r.ids)?;
    if ids.is_empty() {
        return Err(ApiError::missing("NetworkInterfaceIds"));
    }
    check_ids("NetworkInterfaceIds", &ids, IdKind::Eni, 100)?;
    ctx.write(move |tx, reach| {
        let mut by_region: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for id in &ids {
            let env = reach.at::<Eni>(tx, id)?;
            by_region.entry(env.scope.region).or_default().push(id.clone());
        }
        for (n, (region, group)) in by_region.iter().enumerate() {
            eni_ops::delete(tx, &reach.env_n(region, n), group, "DeleteNetworkInterfaces")?;
        }
        Ok(())
    })
    .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DescribeNetworkInterfacesRequest {
    #[serde(rename = "EnsRegionId", default, deserialize_with = "lenient::opt_string")]
    ens_region_id: Option<String>,
    #[serde(rename = "EnsRegionIds", default)]
    ens_region_ids: Option<Value>,
    #[serde(rename = "InstanceId", default, deserialize_with = "lenient::opt_string")]
    instance_id: Option<String>,
    #[serde(rename = "Ipv6Address", default)]
    ipv6_address: Option<Value>,
    #[serde(rename = "NetworkId", default, deserialize_with = "lenient::opt_string")]
    network_id: Option<String>,
    #[serde(rename = "NetworkInterfaceId", default, deserialize_with = "lenient::opt_string")]
    id: Option<String>,
    #[serde(rename = "NetworkInterfaceIds", default)]
    ids: Option<Value>,
    #[serde(rename = "NetworkInterfaceName", default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
    #[serde(rename = "PrimaryIpAddress", default, deserialize_with = "lenient::opt_string")]
    primary_ip: Option<String>,
    #[serde(rename = "SecurityGroupId", default, deserialize_with = "lenient::opt_string")]
    security_group_id: Option<String>,
    #[serde(rename = "Status", default, deserialize_with = "lenient::opt_string")]
    status: Option<String>,
    #[serde(rename = "Type", default, deserialize_with = "lenient::opt_string")]
    kind: Option<String>,
    #[serde(rename = "VSwitchId", default, deserialize_with = "lenient::opt_string")]
    vswitch_id: Option<String>,
    #[serde(rename = "PageNumber", default, deserialize_with = "lenient::opt_string")]
    page_number: Option<String>,
    #[serde(rename = "PageSize", default, deserialize_with = "lenient::opt_string")]
    page_size: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeNetworkInterfacesResponse {
    network_interface_sets: NetworkInterfaceSets,
    page_number: u64,
    page_size: u64,
    total_count: u64,
}

#[derive(Serialize)]
pub(crate) struct NetworkInterfaceSets {
    #[serde(rename = "NetworkInterfaceSet")]
    items: Vec<EniView>,
}

/// Regions a Describe* request covers: `EnsRegionId` and `EnsRegionIds`, or all configured.
pub(crate) fn wanted_regions(single: &Option<String>, many: Vec<String>, all: Vec<String>) -> Vec<String> {
    let mut wanted: Vec<String> = single.iter().filter(|s| !s.is_empty()).cloned().collect();
    wanted.extend(many);
    if wanted.is_empty() {
        return all;
    }
    all.into_iter().filter(|r| wanted.contains(r)).collect()
}

fn is_set(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

pub(crate) async fn describe_network_interfaces(
    ctx: &Ctx,
    r: DescribeNetworkInterfacesRequest,
) -> Result<DescribeNetworkInterfacesResponse, ApiError> {
    let (number, size) = page(&r.page_number, &r.page_size, 50, 100)?;
    let region_list = list("EnsRegionIds", r.ens_region_ids)?;
    let ids = ids_filter("NetworkInterfaceIds", r.ids, r.id.as_deref())?;
    let ipv6 = list("Ipv6Address", r.ipv6_address)?;
    if let Some(s) = is_set(&r.status) {
        if !["Available", "Attaching", "InUse", "Detaching", "Deleting"].contains(&s) {
            return Err(ApiError::invalid("Status", format!("{s} is not a valid status")));
        }
    }
    if let Some(t) = is_set(&r.kind) {
        if !["Primary", "Secondary"].contains(&t) {
            return Err(ApiError::invalid("Type", format!("{t} is not Primary or Secondary")));
        }
    }
    let single = r.ens_region_id.clone();
    let by_id = ids.clone();
    let all = ctx
        .read(move |tx, reach| {
            let mut out = Vec::new();
            for region in wanted_regions(&single, region_list.clone(), reach.regions()) {
                let env = reach.env(&region);
                // Point lookups when ids are given; a whole-region scan only otherwise.
                out.extend(if by_id.is_empty() {
                    eni_ops::list(tx, &env)?
                } else {
                    eni_ops::find_many(tx, &env, &by_id)?
                });
            }
            Ok(out)
        })
        .await?;
    let mut matched: Vec<Eni> = all
        .into_iter()
        .filter(|e| {
            (ids.is_empty() || ids.contains(&e.id))
                && ipv6.is_empty()
                && is_set(&r.instance_id).is_none_or(|i| e.instance_id() == Some(i))
                && is_set(&r.network_id).is_none_or(|n| e.vpc_id == n)
                && is_set(&r.vswitch_id).is_none_or(|v| e.subnet_id == v)
                && is_set(&r.name).is_none_or(|n| e.name == n)
                && is_set(&r.primary_ip).is_none_or(|ip| e.primary_ip() == ip)
                && is_set(&r.security_group_id).is_none_or(|g| e.security_group_ids.iter().any(|x| x == g))
                && is_set(&r.status).is_none_or(|s| views::eni_status(e.state) == s)
                && is_set(&r.kind).is_none_or(|t| views::eni_type(e) == t)
        })
        .collect();
    matched.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let (page_items, total) = paginate(matched, number, size);
    Ok(DescribeNetworkInterfacesResponse {
        network_interface_sets: NetworkInterfaceSets { items: page_items.iter().map(views::eni).collect() },
        page_number: number,
        page_size: size,
        total_count: total,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AttachNetworkInterfaceRequest {
    #[serde(rename = "InstanceId", deserialize_with = "lenient::opt_string")]
    instance_id: Option<String>,
    #[serde(rename = "NetworkInterfaceId", deserialize_with = "lenient::opt_string")]
    eni_id: Option<String>,
}

/// Starts attaching an Available secondary ENI to a Stopped instance of the same edge region and
/// network (at most 10 ENIs per instance); the ENI is `Attaching`, then `InUse`.
pub(crate) async fn attach_network_interface(ctx: &Ctx, r: AttachNetworkInterfaceRequest) -> Result<Empty, ApiError> {
    let instance_id = r.instance_id.unwrap_or_default();
    let eni_id = r.eni_id.unwrap_or_default();
    check_id("InstanceId", &instance_id, IdKind::Instance)?;
    check_id("NetworkInterfaceId", &eni_id, IdKind::Eni)?;
    ctx.write(move |tx, reach| {
        let env = reach.at::<Eni>(tx, &eni_id)?;
        if repo::find::<Instance>(tx, &env.scope, &instance_id)?.is_none() {
            if let Some(other) = reach.locate::<Instance>(tx, &instance_id)? {
                return Err(Error::ZoneMismatch {
                    what: format!("instance {instance_id} in {}", other.scope.region),
                    other: format!("network interface {eni_id} in {}", env.scope.region),
                });
            }
        }
        eni_ops::attach(tx, &env, &eni_id, &instance_id, "AttachNetworkInterface")
    })
    .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DetachNetworkInterfaceRequest {
    #[serde(rename = "NetworkInterfaceId", deserialize_with = "lenient::opt_string")]
    eni_id: Option<String>,
}

/// The seed action: starts detaching an InUse secondary ENI from its Stopped instance; returns at
/// once, the ENI is `Detaching` for the transition delay, then `Available` with no instance.
pub(crate) async fn detach_network_interface(ctx: &Ctx, r: DetachNetworkInterfaceRequest) -> Result<Empty, ApiError> {
    let eni_id = r.eni_id.unwrap_or_default();
    check_id("NetworkInterfaceId", &eni_id, IdKind::Eni)?;
    ctx.write(move |tx, reach| {
        let env = reach.at::<Eni>(tx, &eni_id)?;
        eni_ops::detach(tx, &env, &eni_id, None, "DetachNetworkInterface")
    })
    .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModifyNetworkInterfaceAttributeRequest {
    #[serde(rename = "NetworkInterfaceId", deserialize_with = "lenient::opt_string")]
    eni_id: Option<String>,
    #[serde(rename = "NetworkInterfaceName", default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
    #[serde(rename = "Description", default, deserialize_with = "lenient::opt_string")]
    description: Option<String>,
}

pub(crate) async fn modify_network_interface_attribute(
    ctx: &Ctx,
    r: ModifyNetworkInterfaceAttributeRequest,
) -> Result<Empty, ApiError> {
    let eni_id = r.eni_id.unwrap_or_default();
    check_id("NetworkInterfaceId", &eni_id, IdKind::Eni)?;
    text("NetworkInterfaceName", &r.name, 1, 128, false)?;
    text("Description", &r.description, 1, 256, false)?;
    let changes = EniChanges { name: r.name, description: r.description, security_group_ids: None };
    ctx.write(move |tx, reach| {
        let env = reach.at::<Eni>(tx, &eni_id)?;
        eni_ops::modify(tx, &env, &eni_id, changes.clone())
    })
    .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssignPrivateIpAddressesRequest {
    #[serde(rename = "NetworkInterfaceId", deserialize_with = "lenient::opt_string")]
    eni_id: Option<String>,
    #[serde(rename = "VSwitchId", default, deserialize_with = "lenient::opt_string")]
    vswitch_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AssignedSet {
    network_interface_id: String,
    private_ip_set: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AssignPrivateIpAddressesResponse {
    assigned_private_ip_addresses_set: AssignedSet,
}

/// Assigns one secondary private IP from the ENI's vSwitch (`VSwitchId`, when given, must be it).
pub(crate) async fn assign_private_ip_addresses(
    ctx: &Ctx,
    r: AssignPrivateIpAddressesRequest,
) -> Result<AssignPrivateIpAddressesResponse, ApiError> {
    let eni_id = r.eni_id.unwrap_or_default();
    check_id("NetworkInterfaceId", &eni_id, IdKind::Eni)?;
    let vsw = r.vswitch_id.filter(|v| !v.is_empty());
    if let Some(v) = &vsw {
        check_id("VSwitchId", v, IdKind::Subnet)?;
    }
    let id = eni_id.clone();
    let ips = ctx
        .write(move |tx, reach| {
            let env = reach.at::<Eni>(tx, &id)?;
            if let Some(v) = &vsw {
                let eni: Eni = repo::load(tx, &env.scope, &id)?;
                if &eni.subnet_id != v {
                    repo::load::<eniplane_core::model::Subnet>(tx, &env.scope, v)?;
                    return Err(Error::InvalidValue {
                        field: "VSwitchId".into(),
                        reason: format!("{v} is not the vSwitch of {id}"),
                    });
                }
            }
            private_ip::assign(tx, &env, &id, &[], 1, "AssignPrivateIpAddresses")
        })
        .await?;
    Ok(AssignPrivateIpAddressesResponse {
        assigned_private_ip_addresses_set: AssignedSet {
            network_interface_id: eni_id,
            private_ip_set: ips.into_iter().map(|p| p.address).collect(),
        },
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UnassignPrivateIpAddressesRequest {
    #[serde(rename = "NetworkInterfaceId", deserialize_with = "lenient::opt_string")]
    eni_id: Option<String>,
    #[serde(rename = "PrivateIpAddress", default)]
    addresses: Option<Value>,
}

pub(crate) async fn unassign_private_ip_addresses(
    ctx: &Ctx,
    r: UnassignPrivateIpAddressesRequest,
) -> Result<Empty, ApiError> {
    let eni_id = r.eni_id.unwrap_or_default();
    check_id("NetworkInterfaceId", &eni_id, IdKind::Eni)?;
    let addresses = list("PrivateIpAddress", r.addresses)?;
    if addresses.is_empty() {
        return Err(ApiError::missing("PrivateIpAddress"));
    }
    for a in &addresses {
        required("PrivateIpAddress", a)?;
        if a.parse::<std::net::Ipv4Addr>().is_err() {
            return Err(ApiError::invalid("PrivateIpAddress", format!("{a} is not an IPv4 address")));
        }
    }
    ctx.write(move |tx, reach| {
        let env = reach.at::<Eni>(tx, &eni_id)?;
        private_ip::unassign(tx, &env, &eni_id, &addresses, "UnassignPrivateIpAddresses")
    })
    .await?;
    Ok(Empty {})
}
