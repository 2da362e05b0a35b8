//! Security group actions: create (with `Permissions`), delete, describe, modify, rule
//! authorize/revoke in both directions, and Join/Leave by instance or ENI. ENS security groups
//! belong to the account, not to an edge region; ENIs of any region may carry them.

use eniplane_api::lenient;
use eniplane_core::ids::IdKind;
use eniplane_core::ipam;
use eniplane_core::model::{Direction, Eni, Instance, Rule, SecurityGroup};
use eniplane_core::ops::ens::{self, GroupTarget};
use eniplane_core::ops::security_group::{self as sg_ops, NewGroup};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{check_id, num, objects, page, paginate, text, Empty};
use crate::context::{Ctx, Reach};
use crate::error::ApiError;
use crate::views::{self, Permissions, SecurityGroupView};

/// One rule of `CreateSecurityGroup.Permissions`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PermissionInput {
    #[serde(rename = "Direction", default, deserialize_with = "lenient::opt_string")]
    direction: Option<String>,
    #[serde(rename = "IpProtocol", default, deserialize_with = "lenient::opt_string")]
    protocol: Option<String>,
    #[serde(rename = "Policy", default, deserialize_with = "lenient::opt_string")]
    policy: Option<String>,
    #[serde(rename = "PortRange", default, deserialize_with = "lenient::opt_string")]
    port_range: Option<String>,
    #[serde(rename = "Priority", default, deserialize_with = "lenient::opt_string")]
    priority: Option<String>,
    #[serde(rename = "SourceCidrIp", default, deserialize_with = "lenient::opt_string")]
    source_cidr: Option<String>,
    #[serde(rename = "DestCidrIp", default, deserialize_with = "lenient::opt_string")]
    dest_cidr: Option<String>,
    #[serde(rename = "SourcePortRange", default, deserialize_with = "lenient::opt_string")]
    source_port_range: Option<String>,
    #[serde(rename = "Ipv6SourceCidrIp", default, deserialize_with = "lenient::opt_string")]
    ipv6_source: Option<String>,
    #[serde(rename = "Ipv6DestCidrIp", default, deserialize_with = "lenient::opt_string")]
    ipv6_dest: Option<String>,
    #[serde(rename = "Description", default, deserialize_with = "lenient::opt_string")]
    description: Option<String>,
}

const PROTOCOLS: &[&str] = &["tcp", "udp", "icmp", "gre", "all"];

/// Checks `IpProtocol` (any case of tcp/udp/icmp/gre/all) and keeps it as sent.
fn protocol(field: &str, v: &Option<String>) -> Result<String, ApiError> {
    let p = v.clone().filter(|p| !p.is_empty()).ok_or_else(|| ApiError::missing(field))?;
    if !PROTOCOLS.contains(&p.to_ascii_lowercase().as_str()) {
        return Err(ApiError::invalid(field, format!("{p} is not tcp, udp, icmp, gre or all")));
    }
    Ok(p)
}

/// Checks a port range: `a/b` with 1 <= a <= b <= 65535 for tcp/udp, `-1/-1` otherwise.
fn port_range(field: &str, v: &Option<String>, protocol: &str, required: bool) -> Result<String, ApiError> {
    let Some(p) = v.clone().filter(|p| !p.is_empty()) else {
        return if required { Err(ApiError::missing(field)) } else { Ok(String::new()) };
    };
    let bad = || ApiError::invalid(field, format!("{p} is not a valid port range for {protocol}"));
    let (a, b) = p.split_once('/').ok_or_else(bad)?;
    let (a, b): (i64, i64) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
    let ok = match protocol.to_ascii_lowercase().as_str() {
        "tcp" | "udp" => (1..=65535).contains(&a) && (a..=65535).contains(&b),
        _ => a == -1 && b == -1,
    };
    if !ok {
        return Err(bad());
    }
    Ok(p)
}

/// Checks an IPv4 address or CIDR block.
fn cidr(field: &str, v: &Option<String>, required: bool) -> Result<String, ApiError> {
    let Some(c) = v.clone().filter(|c| !c.is_empty()) else {
        return if required { Err(ApiError::missing(field)) } else { Ok(String::new()) };
    };
    let ok = if c.contains('/') { ipam::Cidr::parse(field, &c).is_ok() } else { ipam::parse_ip(field, &c).is_ok() };
    if !ok {
        return Err(ApiError::invalid(field, format!("{c} is not an IPv4 address or CIDR block")));
    }
    Ok(c)
}

/// Checks `Policy` (accept/drop in any case; default `accept`).
fn policy(v: &Option<String>) -> Result<String, ApiError> {
    match v.as_deref().filter(|p| !p.is_empty()) {
        None => Ok("accept".into()),
        Some(p) if ["accept", "drop"].contains(&p.to_ascii_lowercase().as_str()) => Ok(p.to_string()),
        Some(p) => Err(ApiError::invalid("Policy", format!("{p} is not accept or drop"))),
    }
}

fn priority(v: &Option<String>) -> Result<i64, ApiError> {
    Ok(num("Priority", v, 1, 100)?.unwrap_or(1) as i64)
}

fn permission(p: &PermissionInput) -> Result<(Direction, Rule), ApiError> {
    let direction = match p.direction.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("ingress") => Direction::Ingress,
        Some("egress") => Direction::Egress,
        None | Some("") => return Err(ApiError::missing("Permissions.Direction")),
        Some(other) => {
            return Err(ApiError::invalid("Permissions.Direction", format!("{other} is not ingress or egress")))
        }
    };
    let proto = protocol("Permissions.IpProtocol", &p.protocol)?;
    let port = port_range("Permissions.PortRange", &p.port_range, &proto, true)?;
    let source_port = port_range("Permissions.SourcePortRange", &p.source_port_range, &proto, false)?;
    let (peer, peer6) = match direction {
        Direction::Ingress => (&p.source_cidr, &p.ipv6_source),
        Direction::Egress => (&p.dest_cidr, &p.ipv6_dest),
    };
    let peer = cidr("Permissions.CidrIp", peer, false)?;
    text("Permissions.Description", &p.description, 2, 256, false)?;
    let rule = Rule {
        protocol: proto,
        port,
        source_port,
        cidr: peer,
        ipv6_cidr: peer6.clone().unwrap_or_default(),
        peer_group: String::new(),
        action: policy(&p.policy)?,
        description: p.description.clone().unwrap_or_default(),
        priority: num("Permissions.Priority", &p.priority, 1, 100)?
            .ok_or_else(|| ApiError::missing("Permissions.Priority"))? as i64,
        created_at: 0,
    };
    Ok((direction, rule))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateSecurityGroupRequest {
    #[serde(rename = "SecurityGroupName", default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
    #[serde(rename = "Description", default, deserialize_with = "lenient::opt_string")]
    description: Option<String>,
    #[serde(rename = "Permissions", default)]
    permissions: Option<Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateSecurityGroupResponse {
    security_group_id: String,
}

pub(crate) async fn create_security_group(
    ctx: &Ctx,
    r: CreateSecurityGroupRequest,
) -> Result<CreateSecurityGroupResponse, ApiError> {
    text("SecurityGroupName", &r.name, 2, 128, true)?;
    text("Description", &r.description, 2, 256, false)?;
    let perms: Vec<PermissionInput> = objects("Permissions", r.permissions)?;
    if perms.len() > 200 {
        return Err(ApiError::invalid("Permissions", "at most 200 rules are allowed"));
    }
    let mut input = NewGroup {
        name: r.name.unwrap_or_default(),
        description: r.description.unwrap_or_default(),
        ..NewGroup::default()
    };
    for p in &perms {
        let (d, rule) = permission(p)?;
        match d {
            Direction::Ingress => input.ingress.push(rule),
            Direction::Egress => input.egress.push(rule),
        }
    }
    let sg = ctx.write(move |tx, reach| sg_ops::create(tx, &reach.groups(), input.clone())).await?;
    Ok(CreateSecurityGroupResponse { security_group_id: sg.id })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecurityGroupIdRequest {
    #[serde(rename = "SecurityGroupId", deserialize_with = "lenient::opt_string")]
    id: Option<String>,
}

fn group_id(v: Option<String>) -> Result<String, ApiError> {
    let id = v.unwrap_or_default();
    check_id("SecurityGroupId", &id, IdKind::SecurityGroup)?;
    Ok(id)
}

/// Deletes a group that no ENI (in any region) carries.
pub(crate) async fn delete_security_group(ctx: &Ctx, r: SecurityGroupIdRequest) -> Result<Empty, ApiError> {
    let id = group_id(r.id)?;
    ctx.write(move |tx, reach| ens::delete_group(tx, &reach.groups(), &reach.all(), &id)).await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DescribeSecurityGroupsRequest {
    #[serde(rename = "SecurityGroupId", default, deserialize_with = "lenient::opt_string")]
    id: Option<String>,
    #[serde(rename = "SecurityGroupName", default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
    #[serde(rename = "PageNumber", default, deserialize_with = "lenient::opt_string")]
    page_number: Option<String>,
    #[serde(rename = "PageSize", default, deserialize_with = "lenient::opt_string")]
    page_size: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeSecurityGroupsResponse {
    security_groups: SecurityGroupSet,
    page_number: u64,
    page_size: u64,
    total_count: u64,
}

#[derive(Serialize)]
pub(crate) struct SecurityGroupSet {
    #[serde(rename = "SecurityGroup")]
    items: Vec<SecurityGroupView>,
}

/// ENIs of the account (every region) and the instances whose primary ENI carries `sg`.
fn users(
    tx: &mut dyn eniplane_store::Tx,
    reach: &Reach,
    sg: &str,
) -> Result<(Vec<String>, Vec<String>), eniplane_core::Error> {
    let enis: Vec<Eni> = ens::group_users(tx, &reach.all(), sg)?;
    let instances = enis.iter().filter(|e| e.primary).filter_map(|e| e.instance_id().map(str::to_string)).collect();
    Ok((instances, enis.into_iter().map(|e| e.id).collect()))
}

pub(crate) async fn describe_security_groups(
    ctx: &Ctx,
    r: DescribeSecurityGroupsRequest,
) -> Result<DescribeSecurityGroupsResponse, ApiError> {
    let (number, size) = page(&r.page_number, &r.page_size, 10, 50)?;
    let (id, name) = (r.id.filter(|s| !s.is_empty()), r.name.filter(|s| !s.is_empty()));
    let items = ctx
        .read(move |tx, reach| {
            let groups: Vec<SecurityGroup> = sg_ops::list(tx, &reach.groups())?
                .into_iter()
                .filter(|g| id.as_ref().is_none_or(|i| &g.id == i) && name.as_ref().is_none_or(|n| &g.name == n))
                .collect();
            let (page_items, total) = paginate(groups, number, size);
            let mut out = Vec::with_capacity(page_items.len());
            for g in &page_items {
                let (instances, enis) = users(tx, reach, &g.id)?;
                out.push(views::security_group(g, instances, enis));
            }
            Ok((out, total))
        })
        .await?;
    Ok(DescribeSecurityGroupsResponse {
        security_groups: SecurityGroupSet { items: items.0 },
        page_number: number,
        page_size: size,
        total_count: items.1,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeSecurityGroupAttributeResponse {
    security_group_id: String,
    security_group_name: String,
    description: String,
    permissions: Permissions,
}

pub(crate) async fn describe_security_group_attribute(
    ctx: &Ctx,
    r: SecurityGroupIdRequest,
) -> Result<DescribeSecurityGroupAttributeResponse, ApiError> {
    let id = group_id(r.id)?;
    let sg: SecurityGroup =
        ctx.read(move |tx, reach| eniplane_core::repo::load(tx, &reach.groups().scope, &id)).await?;
    Ok(DescribeSecurityGroupAttributeResponse {
        permissions: views::permissions(&sg),
        security_group_id: sg.id,
        security_group_name: sg.name,
        description: sg.description,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModifySecurityGroupAttributeRequest {
    #[serde(rename = "SecurityGroupId", deserialize_with = "lenient::opt_string")]
    id: Option<String>,
    #[serde(rename = "SecurityGroupName", default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
    #[serde(rename = "Description", default, deserialize_with = "lenient::opt_string")]
    description: Option<String>,
}

pub(crate) async fn modify_security_group_attribute(
    ctx: &Ctx,
    r: ModifySecurityGroupAttributeRequest,
) -> Result<Empty, ApiError> {
    let id = group_id(r.id)?;
    text("SecurityGroupName", &r.name, 2, 128, true)?;
    text("Description", &r.description, 2, 256, false)?;
    let (name, description) = (r.name, r.description);
    ctx.write(move |tx, reach| sg_ops::modify(tx, &reach.groups(), &id, name.clone(), description.clone())).await?;
    Ok(Empty {})
}

/// Authorize/Revoke, ingress (`SourceCidrIp`) or egress (`DestCidrIp`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleRequest {
    #[serde(rename = "SecurityGroupId", deserialize_with = "lenient::opt_string")]
    id: Option<String>,
    #[serde(rename = "IpProtocol", default, deserialize_with = "lenient::opt_string")]
    protocol: Option<String>,
    #[serde(rename = "PortRange", default, deserialize_with = "lenient::opt_string")]
    port_range: Option<String>,
    #[serde(rename = "SourceCidrIp", default, deserialize_with = "lenient::opt_string")]
    source_cidr: Option<String>,
    #[serde(rename = "DestCidrIp", default, deserialize_with = "lenient::opt_string")]
    dest_cidr: Option<String>,
    #[serde(rename = "Policy", default, deserialize_with = "lenient::opt_string")]
    policy: Option<String>,
    #[serde(rename = "Priority", default, deserialize_with = "lenient::opt_string")]
    priority: Option<String>,
    #[serde(rename = "SourcePortRange", default, deserialize_with = "lenient::opt_string")]
    source_port_range: Option<String>,
}

fn rule_of(r: &RuleRequest, d: Direction) -> Result<(String, Rule), ApiError> {
    let id = group_id(r.id.clone())?;
    let proto = protocol("IpProtocol", &r.protocol)?;
    let port = port_range("PortRange", &r.port_range, &proto, true)?;
    let source_port = port_range("SourcePortRange", &r.source_port_range, &proto, false)?;
    let peer = match d {
        Direction::Ingress => {
            if r.dest_cidr.is_some() {
                return Err(ApiError::new("InvalidParameter", "The specified parameter \"DestCidrIp\" is not valid."));
            }
            cidr("SourceCidrIp", &r.source_cidr, true)?
        }
        Direction::Egress => {
            if r.source_cidr.is_some() {
                return Err(ApiError::new(
                    "InvalidParameter",
                    "The specified parameter \"SourceCidrIp\" is not valid.",
                ));
            }
            cidr("DestCidrIp", &r.dest_cidr, true)?
        }
    };
    let rule = Rule {
        protocol: proto,
        port,
        source_port,
        cidr: peer,
        action: policy(&r.policy)?,
        priority: priority(&r.priority)?,
        ..Rule::default()
    };
    Ok((id, rule))
}

async fn authorize(ctx: &Ctx, r: RuleRequest, d: Direction) -> Result<Empty, ApiError> {
    let (id, rule) = rule_of(&r, d)?;
    ctx.write(move |tx, reach| sg_ops::add_rules(tx, &reach.groups(), &id, d, vec![rule.clone()], None)).await?;
    Ok(Empty {})
}

async fn revoke(ctx: &Ctx, r: RuleRequest, d: Direction) -> Result<Empty, ApiError> {
    let (id, rule) = rule_of(&r, d)?;
    ctx.write(move |tx, reach| sg_ops::delete_matching_rules(tx, &reach.groups(), &id, d, std::slice::from_ref(&rule)))
        .await?;
    Ok(Empty {})
}

pub(crate) async fn authorize_security_group(ctx: &Ctx, r: RuleRequest) -> Result<Empty, ApiError> {
    authorize(ctx, r, Direction::Ingress).await
}

pub(crate) async fn authorize_security_group_egress(ctx: &Ctx, r: RuleRequest) -> Result<Empty, ApiError> {
    authorize(ctx, r, Direction::Egress).await
}

pub(crate) async fn revoke_security_group(ctx: &Ctx, r: RuleRequest) -> Result<Empty, ApiError> {
    revoke(ctx, r, Direction::Ingress).await
}

pub(crate) async fn revoke_security_group_egress(ctx: &Ctx, r: RuleRequest) -> Result<Empty, ApiError> {
    revoke(ctx, r, Direction::Egress).await
}

/// Join/Leave: `SecurityGroupId` and exactly one of `InstanceId` / `NetworkInterfaceId`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MembershipRequest {
    #[serde(rename = "SecurityGroupId", deserialize_with = "lenient::opt_string")]
    id: Option<String>,
    #[serde(rename = "InstanceId", default, deserialize_with = "lenient::opt_string")]
    instance_id: Option<String>,
    #[serde(rename = "NetworkInterfaceId", default, deserialize_with = "lenient::opt_string")]
    eni_id: Option<String>,
}

fn target(r: &MembershipRequest) -> Result<GroupTarget, ApiError> {
    let instance = r.instance_id.clone().filter(|s| !s.is_empty());
    let eni = r.eni_id.clone().filter(|s| !s.is_empty());
    match (instance, eni) {
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "NetworkInterfaceId",
            "InstanceId and NetworkInterfaceId cannot be specified together",
        )),
        (Some(i), None) => {
            check_id("InstanceId", &i, IdKind::Instance)?;
            Ok(GroupTarget::Instance(i))
        }
        (None, Some(e)) => {
            check_id("NetworkInterfaceId", &e, IdKind::Eni)?;
            Ok(GroupTarget::Eni(e))
        }
        (None, None) => Err(ApiError::missing("InstanceId")),
    }
}

async fn membership(ctx: &Ctx, r: MembershipRequest, join: bool) -> Result<Empty, ApiError> {
    let id = group_id(r.id.clone())?;
    let t = target(&r)?;
    ctx.write(move |tx, reach| {
        let env = match &t {
            GroupTarget::Eni(e) => reach.at::<Eni>(tx, e)?,
            GroupTarget::Instance(i) => reach.at::<Instance>(tx, i)?,
        };
        if join {
            ens::join_group(tx, &env, &reach.groups(), &t, &id)
        } else {
            ens::leave_group(tx, &env, &reach.groups(), &t, &id)
        }
    })
    .await?;
    Ok(Empty {})
}

pub(crate) async fn join_security_group(ctx: &Ctx, r: MembershipRequest) -> Result<Empty, ApiError> {
    membership(ctx, r, true).await
}

pub(crate) async fn leave_security_group(ctx: &Ctx, r: MembershipRequest) -> Result<Empty, ApiError> {
    membership(ctx, r, false).await
}
