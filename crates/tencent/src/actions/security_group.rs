//! Security group actions: create (with policies), delete, describe, modify, and policies.

use eniplane_api::lenient;
use eniplane_core::ids::IdKind;
use eniplane_core::model::{Direction, Rule, SecurityGroup};
use eniplane_core::ops::security_group::{self as sg_ops, NewGroup};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::{check_id, describe_query, max_len, tags, Empty, TagInput};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::filters::{self, Filter, Filters};
use crate::views::{self, PolicySetView, SecurityGroupView};

/// `SecurityGroupPolicy` as input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PolicyInput {
    #[serde(rename = "PolicyIndex", default, deserialize_with = "lenient::opt_i64")]
    index: Option<i64>,
    #[serde(rename = "Protocol", default, deserialize_with = "lenient::opt_string")]
    protocol: Option<String>,
    #[serde(rename = "Port", default, deserialize_with = "lenient::opt_string")]
    port: Option<String>,
    #[serde(rename = "CidrBlock", default, deserialize_with = "lenient::opt_string")]
    cidr: Option<String>,
    #[serde(rename = "Ipv6CidrBlock", default, deserialize_with = "lenient::opt_string")]
    ipv6_cidr: Option<String>,
    #[serde(rename = "SecurityGroupId", default, deserialize_with = "lenient::opt_string")]
    peer_group: Option<String>,
    #[serde(rename = "Action", default, deserialize_with = "lenient::opt_string")]
    action: Option<String>,
    #[serde(rename = "PolicyDescription", default, deserialize_with = "lenient::opt_string")]
    description: Option<String>,
    #[serde(rename = "ServiceTemplate", default)]
    _service_template: Option<IgnoredAny>,
    #[serde(rename = "AddressTemplate", default)]
    _address_template: Option<IgnoredAny>,
    #[serde(rename = "ModifyTime", default)]
    _modify_time: Option<IgnoredAny>,
    #[serde(rename = "Priority", default)]
    _priority: Option<IgnoredAny>,
}

/// `SecurityGroupPolicySet` as input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PolicySetInput {
    #[serde(rename = "Version", default, deserialize_with = "lenient::opt_string")]
    version: Option<String>,
    #[serde(rename = "Egress", default)]
    egress: Vec<PolicyInput>,
    #[serde(rename = "Ingress", default)]
    ingress: Vec<PolicyInput>,
    #[serde(rename = "PolicyStatistics", default)]
    _statistics: Option<IgnoredAny>,
}

fn upper(v: &Option<String>) -> String {
    v.clone().unwrap_or_default().trim().to_ascii_uppercase()
}

/// Validates a policy into a rule.
fn rule(p: &PolicyInput) -> Result<Rule, ApiError> {
    let protocol = upper(&p.protocol);
    let protocol = if protocol.is_empty() { "ALL".to_string() } else { protocol };
    if !["TCP", "UDP", "ICMP", "ICMPV6", "ALL", "GRE"].contains(&protocol.as_str()) {
        return Err(ApiError::new("InvalidParameterValue.Range", format!("Protocol `{protocol}` is not supported.")));
    }
    let action = upper(&p.action);
    if action != "ACCEPT" && action != "DROP" {
        return Err(ApiError::new("InvalidParameterValue.Range", "Action must be ACCEPT or DROP."));
    }
    let port = p.port.clone().unwrap_or_else(|| "ALL".into());
    if !port.eq_ignore_ascii_case("all") && !port.split([',', '-']).all(|x| x.trim().parse::<u16>().is_ok()) {
        return Err(ApiError::new(
            "InvalidParameterValue.Range",
            format!("Port `{port}` is not a port, a range or ALL."),
        ));
    }
    let targets =
        [&p.cidr, &p.ipv6_cidr, &p.peer_group].iter().filter(|t| t.as_ref().is_some_and(|v| !v.is_empty())).count();
    if targets > 1 {
        return Err(ApiError::new(
            "InvalidParameter.Coexist",
            "Give only one of CidrBlock, Ipv6CidrBlock and SecurityGroupId.",
        ));
    }
    let cidr = p.cidr.clone().unwrap_or_default();
    if !cidr.is_empty() && cidr.parse::<std::net::Ipv4Addr>().is_err() {
        let (addr, len) = cidr.split_once('/').unwrap_or(("", ""));
        if addr.parse::<std::net::Ipv4Addr>().is_err() || len.parse::<u8>().map_or(true, |l| l > 32) {
            return Err(ApiError::new("InvalidParameterValue.Malformed", format!("CidrBlock `{cidr}` is malformed.")));
        }
    }
    let peer = p.peer_group.clone().unwrap_or_default();
    if !peer.is_empty() {
        check_id("SecurityGroupId", &peer, IdKind::SecurityGroup)?;
    }
    let description = p.description.clone().unwrap_or_default();
    max_len("PolicyDescription", &description, 100)?;
    Ok(Rule {
        protocol,
        port: if port.eq_ignore_ascii_case("all") { "ALL".into() } else { port },
        source_port: String::new(),
        cidr,
        ipv6_cidr: p.ipv6_cidr.clone().unwrap_or_default(),
        peer_group: peer,
        action,
        description,
        priority: 0,
        created_at: 0,
    })
}

fn rules(list: &[PolicyInput]) -> Result<Vec<Rule>, ApiError> {
    list.iter().map(rule).collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateSecurityGroupRequest {
    #[serde(rename = "GroupName")]
    name: String,
    #[serde(rename = "GroupDescription")]
    description: String,
    #[serde(rename = "ProjectId", default, deserialize_with = "lenient::opt_string")]
    project_id: Option<String>,
    #[serde(rename = "Tags", default)]
    tags: Vec<TagInput>,
    #[serde(rename = "SecurityGroupPolicySet", default)]
    policies: Option<PolicySetInput>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateSecurityGroupResponse {
    security_group: SecurityGroupView,
}

async fn create(ctx: &Ctx, r: CreateSecurityGroupRequest) -> Result<CreateSecurityGroupResponse, ApiError> {
    max_len("GroupName", &r.name, 60)?;
    max_len("GroupDescription", &r.description, 100)?;
    let set = r.policies.unwrap_or_default();
    let input = NewGroup {
        name: r.name,
        description: r.description,
        project_id: r.project_id.unwrap_or_default(),
        tags: tags(&r.tags),
        ingress: rules(&set.ingress)?,
        egress: rules(&set.egress)?,
    };
    let sg = ctx.write(move |tx, env| sg_ops::create(tx, env, input.clone())).await?;
    Ok(CreateSecurityGroupResponse { security_group: views::security_group(&sg) })
}

pub(crate) async fn create_security_group(
    ctx: &Ctx,
    r: CreateSecurityGroupRequest,
) -> Result<CreateSecurityGroupResponse, ApiError> {
    if r.policies.is_some() {
        return Err(ApiError::new("UnknownParameter", "The parameter `SecurityGroupPolicySet` is not recognized."));
    }
    create(ctx, r).await
}

pub(crate) async fn create_security_group_with_policies(
    ctx: &Ctx,
    r: CreateSecurityGroupRequest,
) -> Result<CreateSecurityGroupResponse, ApiError> {
    create(ctx, r).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecurityGroupIdRequest {
    #[serde(rename = "SecurityGroupId")]
    id: String,
}

pub(crate) async fn delete_security_group(ctx: &Ctx, r: SecurityGroupIdRequest) -> Result<Empty, ApiError> {
    check_id("SecurityGroupId", &r.id, IdKind::SecurityGroup)?;
    ctx.write(move |tx, env| sg_ops::delete(tx, env, &r.id)).await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DescribeSecurityGroupsRequest {
    #[serde(rename = "SecurityGroupIds", default, deserialize_with = "lenient::string_list")]
    ids: Vec<String>,
    #[serde(rename = "Filters", default)]
    filters: Filters,
    #[serde(rename = "Offset", default, deserialize_with = "lenient::opt_u64")]
    offset: Option<u64>,
    #[serde(rename = "Limit", default, deserialize_with = "lenient::opt_u64")]
    limit: Option<u64>,
    #[serde(rename = "OrderField", default, deserialize_with = "lenient::opt_string")]
    order_field: Option<String>,
    #[serde(rename = "OrderDirection", default, deserialize_with = "lenient::opt_string")]
    order_direction: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeSecurityGroupsResponse {
    security_group_set: Vec<SecurityGroupView>,
    total_count: u64,
}

fn sg_matches(g: &SecurityGroup, f: &Filter) -> bool {
    let any = |have: &str| f.values.iter().any(|v| v == have);
    match f.name.as_str() {
        "security-group-id" => any(&g.id),
        "project-id" => any(&g.project_id),
        "security-group-name" => any(&g.name),
        "tag-key" => f.values.iter().any(|v| g.tags.iter().any(|t| &t.key == v)),
        name => name
            .strip_prefix("tag:")
            .is_some_and(|k| f.values.iter().any(|v| g.tags.iter().any(|t| t.key == k && &t.value == v))),
    }
}

pub(crate) async fn describe_security_groups(
    ctx: &Ctx,
    r: DescribeSecurityGroupsRequest,
) -> Result<DescribeSecurityGroupsResponse, ApiError> {
    let known = ["security-group-id", "project-id", "security-group-name", "tag-key", "tag:"];
    let (offset, limit) =
        describe_query("SecurityGroupIds", &r.ids, IdKind::SecurityGroup, &r.filters, &known, r.offset, r.limit)?;
    let all = ctx.read(|tx, env| sg_ops::list(tx, env)).await?;
    let mut matched: Vec<SecurityGroup> = all
        .into_iter()
        .filter(|g| r.ids.is_empty() || r.ids.contains(&g.id))
        .filter(|g| r.filters.iter().all(|f| sg_matches(g, f)))
        .collect();
    if r.order_field.as_deref() == Some("UpdateTime") {
        matched.sort_by_key(|g| g.updated_at);
    }
    if r.order_direction.as_deref().is_some_and(|d| d.eq_ignore_ascii_case("DESC")) {
        matched.reverse();
    }
    let (page, total) = filters::paginate(matched, offset, limit);
    Ok(DescribeSecurityGroupsResponse {
        security_group_set: page.iter().map(views::security_group).collect(),
        total_count: total,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModifySecurityGroupAttributeRequest {
    #[serde(rename = "SecurityGroupId")]
    id: String,
    #[serde(rename = "GroupName", default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
    #[serde(rename = "GroupDescription", default, deserialize_with = "lenient::opt_string")]
    description: Option<String>,
}

pub(crate) async fn modify_security_group_attribute(
    ctx: &Ctx,
    r: ModifySecurityGroupAttributeRequest,
) -> Result<Empty, ApiError> {
    check_id("SecurityGroupId", &r.id, IdKind::SecurityGroup)?;
    if let Some(n) = &r.name {
        max_len("GroupName", n, 60)?;
    }
    if let Some(d) = &r.description {
        max_len("GroupDescription", d, 100)?;
    }
    ctx.write(move |tx, env| sg_ops::modify(tx, env, &r.id, r.name.clone(), r.description.clone())).await?;
    Ok(Empty {})
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeSecurityGroupPoliciesResponse {
    security_group_policy_set: PolicySetView,
}

pub(crate) async fn describe_security_group_policies(
    ctx: &Ctx,
    r: SecurityGroupIdRequest,
) -> Result<DescribeSecurityGroupPoliciesResponse, ApiError> {
    check_id("SecurityGroupId", &r.id, IdKind::SecurityGroup)?;
    let sg: SecurityGroup = ctx.read(move |tx, env| eniplane_core::repo::load(tx, &env.scope, &r.id)).await?;
    Ok(DescribeSecurityGroupPoliciesResponse { security_group_policy_set: views::policy_set(&sg) })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecurityGroupPoliciesRequest {
    #[serde(rename = "SecurityGroupId")]
    id: String,
    #[serde(rename = "SecurityGroupPolicySet")]
    set: PolicySetInput,
}

impl SecurityGroupPoliciesRequest {
    /// The one direction the request works on.
    fn direction(&self) -> Result<(Direction, &[PolicyInput]), ApiError> {
        match (self.set.ingress.is_empty(), self.set.egress.is_empty()) {
            (false, false) => {
                Err(ApiError::new("InvalidParameter.Coexist", "Ingress and Egress cannot be changed in one request."))
            }
            (true, true) => {
                Err(ApiError::new("MissingParameter", "SecurityGroupPolicySet needs Ingress or Egress policies."))
            }
            (false, true) => Ok((Direction::Ingress, &self.set.ingress)),
            (true, false) => Ok((Direction::Egress, &self.set.egress)),
        }
    }
}

/// Rejects a stale `Version`.
fn check_version(sg: &SecurityGroup, version: &Option<String>) -> Result<(), eniplane_core::Error> {
    match version {
        Some(v) if !v.is_empty() && *v != sg.version.to_string() => Err(eniplane_core::Error::InvalidValue {
            field: "Version".into(),
            reason: format!("version {v} is stale; the group is at {}", sg.version),
        }),
        _ => Ok(()),
    }
}

pub(crate) async fn create_security_group_policies(
    ctx: &Ctx,
    r: SecurityGroupPoliciesRequest,
) -> Result<Empty, ApiError> {
    check_id("SecurityGroupId", &r.id, IdKind::SecurityGroup)?;
    let (direction, list) = r.direction()?;
    let new = rules(list)?;
    let index = list.first().and_then(|p| p.index).filter(|i| *i >= 0).map(|i| i as usize);
    let version = r.set.version.clone();
    ctx.write(move |tx, env| {
        let sg: SecurityGroup = eniplane_core::repo::load(tx, &env.scope, &r.id)?;
        check_version(&sg, &version)?;
        sg_ops::add_rules(tx, env, &r.id, direction, new.clone(), index)
    })
    .await?;
    Ok(Empty {})
}

pub(crate) async fn delete_security_group_policies(
    ctx: &Ctx,
    r: SecurityGroupPoliciesRequest,
) -> Result<Empty, ApiError> {
    check_id("SecurityGroupId", &r.id, IdKind::SecurityGroup)?;
    let (direction, list) = r.direction()?;
    let by_index: Vec<usize> = list.iter().filter_map(|p| p.index).filter(|i| *i >= 0).map(|i| i as usize).collect();
    if !by_index.is_empty() && by_index.len() != list.len() {
        return Err(ApiError::new(
            "InvalidParameter.Coexist",
            "Delete either by PolicyIndex or by policy content, not both.",
        ));
    }
    let matching: Vec<Rule> = if by_index.is_empty() {
        list.iter()
            .map(|p| {
                let mut r = rule(p)?;
                if p.protocol.is_none() {
                    r.protocol.clear();
                }
                if p.port.is_none() {
                    r.port.clear();
                }
                Ok(r)
            })
            .collect::<Result<_, ApiError>>()?
    } else {
        Vec::new()
    };
    let version = r.set.version.clone();
    ctx.write(move |tx, env| {
        let sg: SecurityGroup = eniplane_core::repo::load(tx, &env.scope, &r.id)?;
        check_version(&sg, &version)?;
        if by_index.is_empty() {
            sg_ops::delete_matching_rules(tx, env, &r.id, direction, &matching)
        } else {
            sg_ops::delete_rules_at(tx, env, &r.id, direction, &by_index)
        }
    })
    .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DescribeSecurityGroupLimitsRequest {}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct LimitSetView {
    security_group_limit: u64,
    security_group_policy_limit: u64,
    refered_security_group_limit: u64,
    security_group_instance_limit: u64,
    instance_security_group_limit: u64,
    security_group_extended_policy_limit: u64,
    security_group_refered_cvm_and_eni_limit: u64,
    security_group_refered_svc_limit: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeSecurityGroupLimitsResponse {
    security_group_limit_set: LimitSetView,
}

pub(crate) async fn describe_security_group_limits(
    ctx: &Ctx,
    _r: DescribeSecurityGroupLimitsRequest,
) -> Result<DescribeSecurityGroupLimitsResponse, ApiError> {
    let c = &ctx.svc.catalog;
    Ok(DescribeSecurityGroupLimitsResponse {
        security_group_limit_set: LimitSetView {
            security_group_limit: c.groups_per_region as u64,
            security_group_policy_limit: c.rules_per_group as u64,
            refered_security_group_limit: 10,
            security_group_instance_limit: 2000,
            instance_security_group_limit: c.groups_per_eni as u64,
            security_group_extended_policy_limit: 30000,
            security_group_refered_cvm_and_eni_limit: 2000,
            security_group_refered_svc_limit: 2000,
        },
    })
}
