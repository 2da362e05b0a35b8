//! Network and vSwitch actions. A network lives in one edge region (`EnsRegionId`); its
//! vSwitches are in the same region, which is also their zone.

use eniplane_api::lenient;
use eniplane_core::ids::IdKind;
use eniplane_core::model::{Eni, Instance, Subnet, Vpc};
use eniplane_core::ops::ens::{self, NewNetwork};
use eniplane_core::ops::network::{self as net_ops, NewSubnet, SubnetChanges, VpcChanges};
use eniplane_core::repo;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::eni::wanted_regions;
use super::{check_id, flag, ids_filter, list, page, paginate, required, tags, text, Empty, TagInput};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::views::{self, NetworkAttributeView, NetworkView, VSwitchAttributesView, VSwitchView};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateNetworkRequest {
    #[serde(rename = "CidrBlock", deserialize_with = "lenient::opt_string")]
    cidr: Option<String>,
    #[serde(rename = "EnsRegionId", deserialize_with = "lenient::opt_string")]
    region: Option<String>,
    #[serde(rename = "NetworkName", default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
    #[serde(rename = "Description", default, deserialize_with = "lenient::opt_string")]
    description: Option<String>,
    #[serde(rename = "EnableIpv6", default, deserialize_with = "lenient::opt_string")]
    enable_ipv6: Option<String>,
    #[serde(rename = "Ipv6Isp", default, deserialize_with = "lenient::opt_string")]
    _ipv6_isp: Option<String>,
    #[serde(rename = "Tag", default)]
    tag: Vec<TagInput>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateNetworkResponse {
    network_id: String,
}

pub(crate) async fn create_network(ctx: &Ctx, r: CreateNetworkRequest) -> Result<CreateNetworkResponse, ApiError> {
    let cidr = r.cidr.unwrap_or_default();
    required("CidrBlock", &cidr)?;
    let region = r.region.unwrap_or_default();
    required("EnsRegionId", &region)?;
    text("NetworkName", &r.name, 2, 128, true)?;
    text("Description", &r.description, 2, 256, true)?;
    flag("EnableIpv6", &r.enable_ipv6)?;
    let input = NewNetwork {
        name: r.name.unwrap_or_default(),
        description: r.description.unwrap_or_default(),
        cidr,
        tags: tags(r.tag)?,
    };
    let n = ctx.write(move |tx, reach| ens::create_network(tx, &reach.region(&region)?, input.clone())).await?;
    Ok(CreateNetworkResponse { network_id: n.id })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NetworkIdRequest {
    #[serde(rename = "NetworkId", deserialize_with = "lenient::opt_string")]
    id: Option<String>,
}

fn network_id(v: Option<String>) -> Result<String, ApiError> {
    let id = v.unwrap_or_default();
    check_id("NetworkId", &id, IdKind::Vpc)?;
    Ok(id)
}

fn vswitch_id(v: Option<String>) -> Result<String, ApiError> {
    let id = v.unwrap_or_default();
    check_id("VSwitchId", &id, IdKind::Subnet)?;
    Ok(id)
}

/// Deletes a network with no vSwitch and no ENI.
pub(crate) async fn delete_network(ctx: &Ctx, r: NetworkIdRequest) -> Result<Empty, ApiError> {
    let id = network_id(r.id)?;
    ctx.write(move |tx, reach| {
        let env = reach.at::<Vpc>(tx, &id)?;
        net_ops::delete_vpc(tx, &env, &id)
    })
    .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DescribeNetworksRequest {
    #[serde(rename = "EnsRegionId", default, deserialize_with = "lenient::opt_string")]
    region: Option<String>,
    #[serde(rename = "EnsRegionIds", default)]
    regions: Option<Value>,
    #[serde(rename = "NetworkId", default, deserialize_with = "lenient::opt_string")]
    id: Option<String>,
    #[serde(rename = "NetworkIds", default)]
    ids: Option<Value>,
    #[serde(rename = "NetworkName", default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
    #[serde(rename = "PageNumber", default, deserialize_with = "lenient::opt_string")]
    page_number: Option<String>,
    #[serde(rename = "PageSize", default, deserialize_with = "lenient::opt_string")]
    page_size: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeNetworksResponse {
    networks: NetworkSet,
    page_number: u64,
    page_size: u64,
    total_count: u64,
}

#[derive(Serialize)]
pub(crate) struct NetworkSet {
    #[serde(rename = "Network")]
    items: Vec<NetworkView>,
}

pub(crate) async fn describe_networks(
    ctx: &Ctx,
    r: DescribeNetworksRequest,
) -> Result<DescribeNetworksResponse, ApiError> {
    let (number, size) = page(&r.page_number, &r.page_size, 10, 50)?;
    let regions = list("EnsRegionIds", r.regions)?;
    let ids = ids_filter("NetworkIds", r.ids, r.id.as_deref())?;
    let (single, name) = (r.region, r.name.filter(|s| !s.is_empty()));
    let (items, total) = ctx
        .read(move |tx, reach| {
            let mut found: Vec<(Vpc, Vec<String>)> = Vec::new();
            for region in wanted_regions(&single, regions.clone(), reach.regions()) {
                let env = reach.env(&region);
                let subnets = net_ops::list_subnets(tx, &env)?;
                for n in net_ops::list_vpcs(tx, &env)? {
                    if (ids.is_empty() || ids.contains(&n.id)) && name.as_ref().is_none_or(|x| &n.name == x) {
                        let vsw = subnets.iter().filter(|s| s.vpc_id == n.id).map(|s| s.id.clone()).collect();
                        found.push((n, vsw));
                    }
                }
            }
            found.sort_by(|a, b| (a.0.created_at, &a.0.id).cmp(&(b.0.created_at, &b.0.id)));
            Ok(paginate(found, number, size))
        })
        .await?;
    Ok(DescribeNetworksResponse {
        networks: NetworkSet { items: items.into_iter().map(|(n, v)| views::network(&n, v)).collect() },
        page_number: number,
        page_size: size,
        total_count: total,
    })
}

pub(crate) async fn describe_network_attribute(
    ctx: &Ctx,
    r: NetworkIdRequest,
) -> Result<NetworkAttributeView, ApiError> {
    let id = network_id(r.id)?;
    let (n, vsw, instances, enis) = ctx
        .read(move |tx, reach| {
            let env = reach.at::<Vpc>(tx, &id)?;
            let n: Vpc = repo::load(tx, &env.scope, &id)?;
            let vsw = net_ops::list_subnets(tx, &env)?.into_iter().filter(|s| s.vpc_id == id).map(|s| s.id).collect();
            let instances =
                repo::list::<Instance>(tx, &env.scope)?.into_iter().filter(|i| i.vpc_id == id).map(|i| i.id).collect();
            let enis =
                repo::list::<Eni>(tx, &env.scope)?.into_iter().filter(|e| e.vpc_id == id).map(|e| e.id).collect();
            Ok((n, vsw, instances, enis))
        })
        .await?;
    Ok(views::network_attribute(&n, vsw, instances, enis))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModifyNetworkAttributeRequest {
    #[serde(rename = "NetworkId", deserialize_with = "lenient::opt_string")]
    id: Option<String>,
    #[serde(rename = "NetworkName", default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
    #[serde(rename = "Description", default, deserialize_with = "lenient::opt_string")]
    description: Option<String>,
}

pub(crate) async fn modify_network_attribute(ctx: &Ctx, r: ModifyNetworkAttributeRequest) -> Result<Empty, ApiError> {
    let id = network_id(r.id)?;
    text("NetworkName", &r.name, 2, 128, true)?;
    text("Description", &r.description, 2, 256, true)?;
    let changes = VpcChanges { name: r.name, description: r.description, ..VpcChanges::default() };
    ctx.write(move |tx, reach| {
        let env = reach.at::<Vpc>(tx, &id)?;
        net_ops::modify_vpc(tx, &env, &id, changes.clone())
    })
    .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateVSwitchRequest {
    #[serde(rename = "CidrBlock", deserialize_with = "lenient::opt_string")]
    cidr: Option<String>,
    #[serde(rename = "EnsRegionId", deserialize_with = "lenient::opt_string")]
    region: Option<String>,
    #[serde(rename = "NetworkId", default, deserialize_with = "lenient::opt_string")]
    network_id: Option<String>,
    #[serde(rename = "VSwitchName", default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
    #[serde(rename = "Description", default, deserialize_with = "lenient::opt_string")]
    description: Option<String>,
    #[serde(rename = "Ipv6CidrBlock", default, deserialize_with = "lenient::opt_string")]
    _ipv6: Option<String>,
    #[serde(rename = "Tag", default)]
    tag: Vec<TagInput>,
}

#[derive(Serialize)]
pub(crate) struct CreateVSwitchResponse {
    #[serde(rename = "VSwitchId")]
    vswitch_id: String,
}

/// Creates a vSwitch in the network, in the edge region given (the network must be there).
pub(crate) async fn create_vswitch(ctx: &Ctx, r: CreateVSwitchRequest) -> Result<CreateVSwitchResponse, ApiError> {
    let cidr = r.cidr.unwrap_or_default();
    required("CidrBlock", &cidr)?;
    let region = r.region.unwrap_or_default();
    required("EnsRegionId", &region)?;
    let vpc_id = network_id(r.network_id)?;
    text("VSwitchName", &r.name, 2, 128, true)?;
    text("Description", &r.description, 2, 256, true)?;
    let input = NewSubnet {
        vpc_id,
        name: r.name.unwrap_or_default(),
        description: r.description.unwrap_or_default(),
        cidr,
        zone: region.clone(),
        tags: tags(r.tag)?,
    };
    let s = ctx.write(move |tx, reach| net_ops::create_subnet(tx, &reach.region(&region)?, input.clone())).await?;
    Ok(CreateVSwitchResponse { vswitch_id: s.id })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VSwitchIdRequest {
    #[serde(rename = "VSwitchId", deserialize_with = "lenient::opt_string")]
    id: Option<String>,
}

/// Deletes a vSwitch with no instance and no ENI.
pub(crate) async fn delete_vswitch(ctx: &Ctx, r: VSwitchIdRequest) -> Result<Empty, ApiError> {
    let id = vswitch_id(r.id)?;
    ctx.write(move |tx, reach| {
        let env = reach.at::<Subnet>(tx, &id)?;
        net_ops::delete_subnet(tx, &env, &id)
    })
    .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DescribeVSwitchesRequest {
    #[serde(rename = "EnsRegionId", default, deserialize_with = "lenient::opt_string")]
    region: Option<String>,
    #[serde(rename = "EnsRegionIds", default)]
    regions: Option<Value>,
    #[serde(rename = "NetworkId", default, deserialize_with = "lenient::opt_string")]
    network_id: Option<String>,
    #[serde(rename = "VSwitchId", default, deserialize_with = "lenient::opt_string")]
    id: Option<String>,
    #[serde(rename = "VSwitchIds", default)]
    ids: Option<Value>,
    #[serde(rename = "VSwitchName", default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
    #[serde(rename = "EnableIpv6", default, deserialize_with = "lenient::opt_string")]
    enable_ipv6: Option<String>,
    #[serde(rename = "PageNumber", default, deserialize_with = "lenient::opt_string")]
    page_number: Option<String>,
    #[serde(rename = "PageSize", default, deserialize_with = "lenient::opt_string")]
    page_size: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeVSwitchesResponse {
    #[serde(rename = "VSwitches")]
    vswitches: VSwitchSet,
    page_number: u64,
    page_size: u64,
    total_count: u64,
}

#[derive(Serialize)]
pub(crate) struct VSwitchSet {
    #[serde(rename = "VSwitch")]
    items: Vec<VSwitchView>,
}

/// Lists vSwitches; `EnableIpv6=true` matches none (eniplane assigns no IPv6 blocks).
pub(crate) async fn describe_vswitches(
    ctx: &Ctx,
    r: DescribeVSwitchesRequest,
) -> Result<DescribeVSwitchesResponse, ApiError> {
    let (number, size) = page(&r.page_number, &r.page_size, 10, 50)?;
    let regions = list("EnsRegionIds", r.regions)?;
    let ids = ids_filter("VSwitchIds", r.ids, r.id.as_deref())?;
    let ipv6_only = flag("EnableIpv6", &r.enable_ipv6)? == Some(true);
    let (single, name, network) = (r.region, r.name.filter(|s| !s.is_empty()), r.network_id.filter(|s| !s.is_empty()));
    let (items, total) = ctx
        .read(move |tx, reach| {
            let mut found: Vec<(Subnet, u64)> = Vec::new();
            for region in wanted_regions(&single, regions.clone(), reach.regions()) {
                for s in net_ops::list_subnets(tx, &reach.env(&region))? {
                    if !ipv6_only
                        && (ids.is_empty() || ids.contains(&s.id))
                        && name.as_ref().is_none_or(|x| &s.name == x)
                        && network.as_ref().is_none_or(|x| &s.vpc_id == x)
                    {
                        let free = net_ops::available_ips(tx, &s)?;
                        found.push((s, free));
                    }
                }
            }
            found.sort_by(|a, b| (a.0.created_at, &a.0.id).cmp(&(b.0.created_at, &b.0.id)));
            Ok(paginate(found, number, size))
        })
        .await?;
    Ok(DescribeVSwitchesResponse {
        vswitches: VSwitchSet { items: items.iter().map(|(s, f)| views::vswitch(s, *f)).collect() },
        page_number: number,
        page_size: size,
        total_count: total,
    })
}

pub(crate) async fn describe_vswitch_attributes(
    ctx: &Ctx,
    r: VSwitchIdRequest,
) -> Result<VSwitchAttributesView, ApiError> {
    let id = vswitch_id(r.id)?;
    let (s, free, instances, enis) = ctx
        .read(move |tx, reach| {
            let env = reach.at::<Subnet>(tx, &id)?;
            let s: Subnet = repo::load(tx, &env.scope, &id)?;
            let free = net_ops::available_ips(tx, &s)?;
            let instances = repo::list::<Instance>(tx, &env.scope)?
                .into_iter()
                .filter(|i| i.subnet_id == id)
                .map(|i| i.id)
                .collect();
            let enis =
                repo::list::<Eni>(tx, &env.scope)?.into_iter().filter(|e| e.subnet_id == id).map(|e| e.id).collect();
            Ok((s, free, instances, enis))
        })
        .await?;
    Ok(views::vswitch_attributes(&s, free, instances, enis))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModifyVSwitchAttributeRequest {
    #[serde(rename = "VSwitchId", deserialize_with = "lenient::opt_string")]
    id: Option<String>,
    #[serde(rename = "VSwitchName", default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
    #[serde(rename = "Description", default, deserialize_with = "lenient::opt_string")]
    description: Option<String>,
    #[serde(rename = "EnableIPv6", default, deserialize_with = "lenient::opt_string")]
    enable_ipv6: Option<String>,
    #[serde(rename = "Ipv6CidrBlock", default, deserialize_with = "lenient::opt_string")]
    _ipv6: Option<String>,
}

pub(crate) async fn modify_vswitch_attribute(ctx: &Ctx, r: ModifyVSwitchAttributeRequest) -> Result<Empty, ApiError> {
    let id = vswitch_id(r.id)?;
    text("VSwitchName", &r.name, 2, 128, true)?;
    text("Description", &r.description, 2, 256, false)?;
    flag("EnableIPv6", &r.enable_ipv6)?;
    let changes = SubnetChanges { name: r.name, description: r.description, enable_broadcast: None };
    ctx.write(move |tx, reach| {
        let env = reach.at::<Subnet>(tx, &id)?;
        net_ops::modify_subnet(tx, &env, &id, changes.clone())
    })
    .await?;
    Ok(Empty {})
}
