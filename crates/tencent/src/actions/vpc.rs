//! VPC and subnet actions.

use eniplane_api::lenient;
use eniplane_core::ids::IdKind;
use eniplane_core::model::{Subnet, Vpc};
use eniplane_core::ops::network::{self as net_ops, NewSubnet, NewVpc, SubnetChanges, VpcChanges};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::{check_id, describe_query, max_len, tags, Empty, TagInput};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::filters::{self, Filter, Filters};
use crate::views::{self, SubnetView, VpcView};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateVpcRequest {
    #[serde(rename = "VpcName")]
    name: String,
    #[serde(rename = "CidrBlock", default, deserialize_with = "lenient::opt_string")]
    cidr: Option<String>,
    #[serde(rename = "EnableMulticast", default, deserialize_with = "lenient::opt_bool")]
    enable_multicast: Option<bool>,
    #[serde(rename = "DnsServers", default, deserialize_with = "lenient::string_list")]
    dns_servers: Vec<String>,
    #[serde(rename = "DomainName", default, deserialize_with = "lenient::opt_string")]
    domain_name: Option<String>,
    #[serde(rename = "Tags", default)]
    tags: Vec<TagInput>,
    #[serde(rename = "StackType", default)]
    _stack_type: Option<IgnoredAny>,
    #[serde(rename = "Ipv6CidrBlock", default)]
    _ipv6: Option<IgnoredAny>,
    #[serde(rename = "AddressType", default)]
    _address_type: Option<IgnoredAny>,
    #[serde(rename = "EnableRouteVpcPublish", default)]
    _publish: Option<IgnoredAny>,
    #[serde(rename = "EnableRouteVpcPublishIpv6", default)]
    _publish6: Option<IgnoredAny>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateVpcResponse {
    vpc: VpcView,
}

pub(crate) async fn create_vpc(ctx: &Ctx, r: CreateVpcRequest) -> Result<CreateVpcResponse, ApiError> {
    max_len("VpcName", &r.name, 60)?;
    if r.dns_servers.len() > 4 {
        return Err(ApiError::new("InvalidParameterValue.LimitExceeded", "At most 4 DnsServers are allowed."));
    }
    let input = NewVpc {
        name: r.name,
        description: String::new(),
        cidr: r.cidr.ok_or_else(|| ApiError::new("MissingParameter", "The parameter `CidrBlock` is required."))?,
        enable_multicast: r.enable_multicast.unwrap_or(false),
        dns_servers: r.dns_servers,
        domain_name: r.domain_name.unwrap_or_default(),
        tags: tags(&r.tags),
    };
    let vpc = ctx.write(move |tx, env| net_ops::create_vpc(tx, env, input.clone())).await?;
    Ok(CreateVpcResponse { vpc: views::vpc(&vpc) })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VpcIdRequest {
    #[serde(rename = "VpcId")]
    id: String,
}

pub(crate) async fn delete_vpc(ctx: &Ctx, r: VpcIdRequest) -> Result<Empty, ApiError> {
    check_id("VpcId", &r.id, IdKind::Vpc)?;
    ctx.write(move |tx, env| net_ops::delete_vpc(tx, env, &r.id)).await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DescribeVpcsRequest {
    #[serde(rename = "VpcIds", default, deserialize_with = "lenient::string_list")]
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
pub(crate) struct DescribeVpcsResponse {
    total_count: u64,
    vpc_set: Vec<VpcView>,
}

fn vpc_matches(v: &Vpc, f: &Filter) -> bool {
    let any = |have: &str| f.values.iter().any(|x| x == have);
    match f.name.as_str() {
        "vpc-name" => f.values.iter().any(|x| v.name.contains(x.as_str())),
        "is-default" => f.values.iter().any(|x| filters::truthy(x) == v.is_default),
        "vpc-id" => any(&v.id),
        "cidr-block" => any(&v.cidr),
        "tag-key" => f.values.iter().any(|x| v.tags.iter().any(|t| &t.key == x)),
        name => name
            .strip_prefix("tag:")
            .is_some_and(|k| f.values.iter().any(|x| v.tags.iter().any(|t| t.key == k && &t.value == x))),
    }
}

pub(crate) async fn describe_vpcs(ctx: &Ctx, r: DescribeVpcsRequest) -> Result<DescribeVpcsResponse, ApiError> {
    let known = ["vpc-name", "is-default", "vpc-id", "cidr-block", "tag-key", "tag:"];
    let (offset, limit) = describe_query("VpcIds", &r.ids, IdKind::Vpc, &r.filters, &known, r.offset, r.limit)?;
    let all = ctx.read(|tx, env| net_ops::list_vpcs(tx, env)).await?;
    let matched: Vec<Vpc> = all
        .into_iter()
        .filter(|v| r.ids.is_empty() || r.ids.contains(&v.id))
        .filter(|v| r.filters.iter().all(|f| vpc_matches(v, f)))
        .collect();
    let (page, total) = filters::paginate(matched, offset, limit);
    Ok(DescribeVpcsResponse { total_count: total, vpc_set: page.iter().map(views::vpc).collect() })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModifyVpcAttributeRequest {
    #[serde(rename = "VpcId")]
    id: String,
    #[serde(rename = "VpcName", default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
    #[serde(rename = "EnableMulticast", default, deserialize_with = "lenient::opt_bool")]
    enable_multicast: Option<bool>,
    #[serde(rename = "DnsServers", default, deserialize_with = "lenient::opt_string_list")]
    dns_servers: Option<Vec<String>>,
    #[serde(rename = "DomainName", default, deserialize_with = "lenient::opt_string")]
    domain_name: Option<String>,
    #[serde(rename = "EnableRouteVpcPublish", default)]
    _publish: Option<IgnoredAny>,
    #[serde(rename = "EnableCdcPublish", default)]
    _cdc: Option<IgnoredAny>,
    #[serde(rename = "EnableRouteVpcPublishIpv6", default)]
    _publish6: Option<IgnoredAny>,
}

pub(crate) async fn modify_vpc_attribute(ctx: &Ctx, r: ModifyVpcAttributeRequest) -> Result<Empty, ApiError> {
    check_id("VpcId", &r.id, IdKind::Vpc)?;
    if let Some(n) = &r.name {
        max_len("VpcName", n, 60)?;
    }
    let changes = VpcChanges {
        name: r.name,
        description: None,
        enable_multicast: r.enable_multicast,
        dns_servers: r.dns_servers,
        domain_name: r.domain_name,
    };
    let id = r.id;
    ctx.write(move |tx, env| net_ops::modify_vpc(tx, env, &id, changes.clone())).await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateSubnetRequest {
    #[serde(rename = "VpcId")]
    vpc_id: String,
    #[serde(rename = "SubnetName")]
    name: String,
    #[serde(rename = "CidrBlock", default, deserialize_with = "lenient::opt_string")]
    cidr: Option<String>,
    #[serde(rename = "Zone")]
    zone: String,
    #[serde(rename = "Tags", default)]
    tags: Vec<TagInput>,
    #[serde(rename = "StackType", default)]
    _stack_type: Option<IgnoredAny>,
    #[serde(rename = "Ipv6CidrBlock", default)]
    _ipv6: Option<IgnoredAny>,
    #[serde(rename = "CdcId", default)]
    _cdc: Option<IgnoredAny>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateSubnetResponse {
    subnet: SubnetView,
}

pub(crate) async fn create_subnet(ctx: &Ctx, r: CreateSubnetRequest) -> Result<CreateSubnetResponse, ApiError> {
    check_id("VpcId", &r.vpc_id, IdKind::Vpc)?;
    max_len("SubnetName", &r.name, 60)?;
    let input = NewSubnet {
        vpc_id: r.vpc_id,
        name: r.name,
        description: String::new(),
        cidr: r.cidr.ok_or_else(|| ApiError::new("MissingParameter", "The parameter `CidrBlock` is required."))?,
        zone: r.zone,
        tags: tags(&r.tags),
    };
    let (subnet, free) = ctx
        .write(move |tx, env| {
            let s = net_ops::create_subnet(tx, env, input.clone())?;
            let free = net_ops::available_ips(tx, &s)?;
            Ok((s, free))
        })
        .await?;
    Ok(CreateSubnetResponse { subnet: views::subnet(&subnet, free) })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubnetIdRequest {
    #[serde(rename = "SubnetId")]
    id: String,
}

pub(crate) async fn delete_subnet(ctx: &Ctx, r: SubnetIdRequest) -> Result<Empty, ApiError> {
    check_id("SubnetId", &r.id, IdKind::Subnet)?;
    ctx.write(move |tx, env| net_ops::delete_subnet(tx, env, &r.id)).await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DescribeSubnetsRequest {
    #[serde(rename = "SubnetIds", default, deserialize_with = "lenient::string_list")]
    ids: Vec<String>,
    #[serde(rename = "Filters", default)]
    filters: Filters,
    #[serde(rename = "Offset", default, deserialize_with = "lenient::opt_u64")]
    offset: Option<u64>,
    #[serde(rename = "Limit", default, deserialize_with = "lenient::opt_u64")]
    limit: Option<u64>,
    #[serde(rename = "MaxResults", default)]
    _max_results: Option<IgnoredAny>,
    #[serde(rename = "NextToken", default)]
    _next_token: Option<IgnoredAny>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeSubnetsResponse {
    total_count: u64,
    subnet_set: Vec<SubnetView>,
}

fn subnet_matches(s: &Subnet, f: &Filter) -> bool {
    let any = |have: &str| f.values.iter().any(|x| x == have);
    match f.name.as_str() {
        "subnet-id" => any(&s.id),
        "vpc-id" => any(&s.vpc_id),
        "cidr-block" => any(&s.cidr),
        "is-default" => f.values.iter().any(|x| filters::truthy(x) == s.is_default),
        "is-remote-vpc-snat" => f.values.iter().any(|x| !filters::truthy(x)),
        "subnet-name" => any(&s.name),
        "zone" => any(&s.zone),
        "tag-key" => f.values.iter().any(|x| s.tags.iter().any(|t| &t.key == x)),
        "cdc-id" => false,
        "is-cdc-subnet" => any("0"),
        name => name
            .strip_prefix("tag:")
            .is_some_and(|k| f.values.iter().any(|x| s.tags.iter().any(|t| t.key == k && &t.value == x))),
    }
}

const SUBNET_FILTERS: &[&str] = &[
    "subnet-id",
    "vpc-id",
    "cidr-block",
    "is-default",
    "is-remote-vpc-snat",
    "subnet-name",
    "zone",
    "tag-key",
    "tag:",
    "cdc-id",
    "is-cdc-subnet",
];

pub(crate) async fn describe_subnets(
    ctx: &Ctx,
    r: DescribeSubnetsRequest,
) -> Result<DescribeSubnetsResponse, ApiError> {
    let (offset, limit) =
        describe_query("SubnetIds", &r.ids, IdKind::Subnet, &r.filters, SUBNET_FILTERS, r.offset, r.limit)?;
    let ids = r.ids.clone();
    let filters_in = r.filters.clone();
    let (page, total) = ctx
        .read(move |tx, env| {
            let matched: Vec<Subnet> = net_ops::list_subnets(tx, env)?
                .into_iter()
                .filter(|s| ids.is_empty() || ids.contains(&s.id))
                .filter(|s| filters_in.iter().all(|f| subnet_matches(s, f)))
                .collect();
            let (page, total) = filters::paginate(matched, offset, limit);
            let with_free = page
                .into_iter()
                .map(|s| net_ops::available_ips(tx, &s).map(|n| (s, n)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((with_free, total))
        })
        .await?;
    Ok(DescribeSubnetsResponse {
        total_count: total,
        subnet_set: page.iter().map(|(s, n)| views::subnet(s, *n)).collect(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModifySubnetAttributeRequest {
    #[serde(rename = "SubnetId")]
    id: String,
    #[serde(rename = "SubnetName", default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
    #[serde(rename = "EnableBroadcast", default, deserialize_with = "lenient::opt_bool")]
    enable_broadcast: Option<bool>,
}

pub(crate) async fn modify_subnet_attribute(ctx: &Ctx, r: ModifySubnetAttributeRequest) -> Result<Empty, ApiError> {
    check_id("SubnetId", &r.id, IdKind::Subnet)?;
    if let Some(n) = &r.name {
        max_len("SubnetName", n, 60)?;
    }
    let changes = SubnetChanges { name: r.name, description: None, enable_broadcast: r.enable_broadcast };
    let id = r.id;
    ctx.write(move |tx, env| net_ops::modify_subnet(tx, env, &id, changes.clone())).await?;
    Ok(Empty {})
}
