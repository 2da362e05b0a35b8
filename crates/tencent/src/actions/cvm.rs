//! CVM instance actions: launch, describe, status, start, stop, reboot, terminate, zones.

use eniplane_api::lenient;
use eniplane_core::ids::IdKind;
use eniplane_core::model::{Eni, Instance};
use eniplane_core::ops::instance::{self as ins_ops, Change, NewInstances};
use eniplane_core::Cloud;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::{check_ids, required, Empty, TagInput};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::filters::{self, Filter, Filters};
use crate::views::{self, InstanceView};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlacementInput {
    #[serde(rename = "Zone", default, deserialize_with = "lenient::opt_string")]
    zone: Option<String>,
    #[serde(rename = "ProjectId", default, deserialize_with = "lenient::opt_i64")]
    project_id: Option<i64>,
    #[serde(rename = "HostIds", default)]
    _host_ids: Option<IgnoredAny>,
    #[serde(rename = "DedicatedResourcePackTenancy", default)]
    _tenancy: Option<IgnoredAny>,
    #[serde(rename = "DedicatedResourcePackIds", default)]
    _packs: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VpcInput {
    #[serde(rename = "VpcId")]
    vpc_id: String,
    #[serde(rename = "SubnetId")]
    subnet_id: String,
    #[serde(rename = "PrivateIpAddresses", default, deserialize_with = "lenient::string_list")]
    private_ips: Vec<String>,
    #[serde(rename = "AsVpcGateway", default)]
    _gateway: Option<IgnoredAny>,
    #[serde(rename = "Ipv6AddressCount", default)]
    _ipv6: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TagSpecificationInput {
    #[serde(rename = "ResourceType", default)]
    _resource_type: Option<IgnoredAny>,
    #[serde(rename = "Tags", default)]
    tags: Vec<TagInput>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RunInstancesRequest {
    #[serde(rename = "InstanceChargeType", default, deserialize_with = "lenient::opt_string")]
    charge_type: Option<String>,
    #[serde(rename = "Placement", default)]
    placement: Option<PlacementInput>,
    #[serde(rename = "InstanceType", default, deserialize_with = "lenient::opt_string")]
    instance_type: Option<String>,
    #[serde(rename = "ImageId", default, deserialize_with = "lenient::opt_string")]
    image_id: Option<String>,
    #[serde(rename = "VirtualPrivateCloud", default)]
    vpc: Option<VpcInput>,
    #[serde(rename = "InstanceCount", default, deserialize_with = "lenient::opt_u64")]
    count: Option<u64>,
    #[serde(rename = "InstanceName", default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
    #[serde(rename = "SecurityGroupIds", default, deserialize_with = "lenient::string_list")]
    security_group_ids: Vec<String>,
    #[serde(rename = "HostName", default, deserialize_with = "lenient::opt_string")]
    host_name: Option<String>,
    #[serde(rename = "TagSpecification", default)]
    tag_specification: Vec<TagSpecificationInput>,
    #[serde(rename = "DryRun", default, deserialize_with = "lenient::opt_bool")]
    dry_run: Option<bool>,
    #[serde(rename = "InstanceChargePrepaid", default)]
    _prepaid: Option<IgnoredAny>,
    #[serde(rename = "SystemDisk", default)]
    _system_disk: Option<IgnoredAny>,
    #[serde(rename = "DataDisks", default)]
    _data_disks: Option<IgnoredAny>,
    #[serde(rename = "InternetAccessible", default)]
    _internet: Option<IgnoredAny>,
    #[serde(rename = "MinCount", default)]
    _min_count: Option<IgnoredAny>,
    #[serde(rename = "LoginSettings", default)]
    _login: Option<IgnoredAny>,
    #[serde(rename = "EnhancedService", default)]
    _enhanced: Option<IgnoredAny>,
    #[serde(rename = "ClientToken", default)]
    _client_token: Option<IgnoredAny>,
    #[serde(rename = "ActionTimer", default)]
    _timer: Option<IgnoredAny>,
    #[serde(rename = "DisasterRecoverGroupIds", default)]
    _drg: Option<IgnoredAny>,
    #[serde(rename = "InstanceMarketOptions", default)]
    _market: Option<IgnoredAny>,
    #[serde(rename = "UserData", default)]
    _user_data: Option<IgnoredAny>,
    #[serde(rename = "Metadata", default)]
    _metadata: Option<IgnoredAny>,
    #[serde(rename = "CpuTopology", default)]
    _cpu_topology: Option<IgnoredAny>,
    #[serde(rename = "CamRoleName", default)]
    _cam_role: Option<IgnoredAny>,
    #[serde(rename = "HpcClusterId", default)]
    _hpc: Option<IgnoredAny>,
    #[serde(rename = "LaunchTemplate", default)]
    _launch_template: Option<IgnoredAny>,
    #[serde(rename = "DedicatedClusterId", default)]
    _dedicated: Option<IgnoredAny>,
    #[serde(rename = "ChcIds", default)]
    _chc: Option<IgnoredAny>,
    #[serde(rename = "PartitionNumber", default)]
    _partition: Option<IgnoredAny>,
    #[serde(rename = "DisableApiTermination", default)]
    _disable_termination: Option<IgnoredAny>,
    #[serde(rename = "EnableJumboFrame", default)]
    _jumbo: Option<IgnoredAny>,
    #[serde(rename = "NetworkInterfaces", default)]
    _network_interfaces: Option<IgnoredAny>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RunInstancesResponse {
    instance_id_set: Vec<String>,
}

pub(crate) async fn run_instances(ctx: &Ctx, r: RunInstancesRequest) -> Result<RunInstancesResponse, ApiError> {
    let placement = r.placement.unwrap_or_default();
    let zone = placement
        .zone
        .ok_or_else(|| ApiError::new("MissingParameter", "The parameter `Placement.Zone` is required."))?;
    if !ctx.svc.catalog.has_zone(Cloud::Tencent, &ctx.env.scope.region, &zone) {
        return Err(ApiError::new(
            "InvalidZone.MismatchRegion",
            format!("The zone `{zone}` does not exist in this region."),
        ));
    }
    let instance_type = r
        .instance_type
        .ok_or_else(|| ApiError::new("MissingParameter", "The parameter `InstanceType` is required."))?;
    if !instance_type.contains('.') {
        return Err(ApiError::new(
            "InvalidInstanceType.Malformed",
            format!("The InstanceType `{instance_type}` is malformed."),
        ));
    }
    let image_id =
        r.image_id.ok_or_else(|| ApiError::new("MissingParameter", "The parameter `ImageId` is required."))?;
    if !image_id.starts_with("img-") || image_id.len() < 8 {
        return Err(ApiError::new("InvalidImageId.Malformed", format!("The ImageId `{image_id}` is malformed.")));
    }
    let vpc =
        r.vpc.ok_or_else(|| ApiError::new("MissingParameter", "The parameter `VirtualPrivateCloud` is required."))?;
    let count = r.count.unwrap_or(1);
    if !(1..=100).contains(&count) {
        return Err(ApiError::new("InvalidParameterValue.Range", "InstanceCount must be between 1 and 100."));
    }
    let name = r.name.unwrap_or_default();
    if name.len() > 128 {
        return Err(ApiError::new("InvalidInstanceName.TooLong", "InstanceName exceeds 128 bytes."));
    }
    check_ids("SecurityGroupIds", &r.security_group_ids, IdKind::SecurityGroup, 100).map_err(|e| {
        if e.code.ends_with("Malformed") {
            ApiError::new("InvalidSgId.Malformed", e.message)
        } else {
            e
        }
    })?;
    if !eniplane_core::ids::is_valid(Cloud::Tencent, IdKind::Vpc, &vpc.vpc_id) {
        return Err(ApiError::new(
            "InvalidParameterValue.VpcIdMalformed",
            format!("The VPC ID `{}` is invalid.", vpc.vpc_id),
        ));
    }
    if !eniplane_core::ids::is_valid(Cloud::Tencent, IdKind::Subnet, &vpc.subnet_id) {
        return Err(ApiError::new(
            "InvalidParameterValue.SubnetIdMalformed",
            format!("The subnet ID `{}` is invalid.", vpc.subnet_id),
        ));
    }
    let input = NewInstances {
        zone,
        instance_type,
        image_id,
        vpc_id: vpc.vpc_id,
        subnet_id: vpc.subnet_id,
        security_group_ids: r.security_group_ids,
        count: count as u32,
        name,
        host_name: r.host_name.unwrap_or_default(),
        private_ips: vpc.private_ips,
        charge_type: r.charge_type.unwrap_or_else(|| "POSTPAID_BY_HOUR".into()),
        project_id: placement.project_id.unwrap_or(0),
        tags: r.tag_specification.iter().flat_map(|t| super::tags(&t.tags)).collect(),
    };
    if r.dry_run == Some(true) {
        // Validate everything inside a transaction that is then rolled back.
        let err = ctx
            .write(move |tx, env| {
                ins_ops::run(tx, env, input.clone(), "RunInstances")?;
                Err::<(), _>(eniplane_core::Error::InvalidValue { field: "DryRun".into(), reason: "dry run".into() })
            })
            .await
            .unwrap_err();
        return Err(if err.message.contains("dry run") {
            ApiError::new(
                "DryRunOperation",
                "DryRun Operation. The request would have succeeded, but the DryRun parameter was used.",
            )
        } else {
            err
        });
    }
    let list = ctx.write(move |tx, env| ins_ops::run(tx, env, input.clone(), "RunInstances")).await?;
    Ok(RunInstancesResponse { instance_id_set: list.into_iter().map(|i| i.id).collect() })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DescribeInstancesRequest {
    #[serde(rename = "InstanceIds", default, deserialize_with = "lenient::string_list")]
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
pub(crate) struct DescribeInstancesResponse {
    total_count: i64,
    instance_set: Vec<InstanceView>,
}

const INSTANCE_FILTERS: &[&str] = &[
    "zone",
    "project-id",
    "host-id",
    "vpc-id",
    "subnet-id",
    "instance-id",
    "security-group-id",
    "instance-name",
    "instance-charge-type",
    "private-ip-address",
    "public-ip-address",
    "tag-key",
    "tag-value",
    "tag:",
    "instance-state",
];

fn instance_matches(i: &Instance, primary: Option<&Eni>, f: &Filter) -> bool {
    let any = |have: &str| f.values.iter().any(|x| x == have);
    match f.name.as_str() {
        "zone" => any(&i.zone),
        "project-id" => any(&i.project_id.to_string()),
        "vpc-id" => any(&i.vpc_id),
        "subnet-id" => any(&i.subnet_id),
        "instance-id" => any(&i.id),
        "security-group-id" => primary.is_some_and(|e| f.values.iter().any(|v| e.security_group_ids.contains(v))),
        "instance-name" => any(&i.name),
        "instance-charge-type" => any(&i.charge_type),
        "private-ip-address" => primary.is_some_and(|e| any(e.primary_ip())),
        "instance-state" => any(views::instance_state(i.state)),
        "tag-key" => f.values.iter().any(|v| i.tags.iter().any(|t| &t.key == v)),
        "tag-value" => f.values.iter().any(|v| i.tags.iter().any(|t| &t.value == v)),
        "host-id" | "public-ip-address" => false,
        name => name
            .strip_prefix("tag:")
            .is_some_and(|k| f.values.iter().any(|v| i.tags.iter().any(|t| t.key == k && &t.value == v))),
    }
}

fn check_instance_ids(ids: &[String]) -> Result<(), ApiError> {
    check_ids("InstanceIds", ids, IdKind::Instance, 100).map_err(|e| {
        if e.code.ends_with("Malformed") {
            ApiError::new("InvalidInstanceId.Malformed", e.message)
        } else {
            e
        }
    })
}

async fn load_with_primary(ctx: &Ctx, ids: Vec<String>) -> Result<Vec<(Instance, Option<Eni>)>, ApiError> {
    ctx.read(move |tx, env| {
        let instances: Vec<Instance> = ins_ops::list(tx, env)?;
        let enis: Vec<Eni> = eniplane_core::ops::eni::list(tx, env)?;
        Ok(instances
            .into_iter()
            .filter(|i| ids.is_empty() || ids.contains(&i.id))
            .map(|i| {
                let primary = enis.iter().find(|e| e.id == i.primary_eni_id).cloned();
                (i, primary)
            })
            .collect())
    })
    .await
}

pub(crate) async fn describe_instances(
    ctx: &Ctx,
    r: DescribeInstancesRequest,
) -> Result<DescribeInstancesResponse, ApiError> {
    filters::exclusive(&r.ids, &r.filters)?;
    check_instance_ids(&r.ids)?;
    filters::check(&r.filters, INSTANCE_FILTERS, filters::CVM_FILTER_VALUES)
        .map_err(|e| ApiError::new("InvalidFilter", e.message))?;
    if r.filters.iter().any(|f| f.values.len() > 5) {
        return Err(ApiError::new("InvalidFilterValue.LimitExceeded", "At most 5 Values per filter are allowed."));
    }
    let (offset, limit) = filters::page(r.offset, r.limit)?;
    let all = load_with_primary(ctx, r.ids.clone()).await?;
    let matched: Vec<(Instance, Option<Eni>)> =
        all.into_iter().filter(|(i, e)| r.filters.iter().all(|f| instance_matches(i, e.as_ref(), f))).collect();
    let (page, total) = filters::paginate(matched, offset, limit);
    Ok(DescribeInstancesResponse {
        total_count: total as i64,
        instance_set: page.iter().map(|(i, e)| views::instance(i, e.as_ref())).collect(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DescribeInstancesStatusRequest {
    #[serde(rename = "InstanceIds", default, deserialize_with = "lenient::string_list")]
    ids: Vec<String>,
    #[serde(rename = "Offset", default, deserialize_with = "lenient::opt_u64")]
    offset: Option<u64>,
    #[serde(rename = "Limit", default, deserialize_with = "lenient::opt_u64")]
    limit: Option<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct StatusView {
    instance_id: String,
    instance_state: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeInstancesStatusResponse {
    total_count: i64,
    instance_status_set: Vec<StatusView>,
}

pub(crate) async fn describe_instances_status(
    ctx: &Ctx,
    r: DescribeInstancesStatusRequest,
) -> Result<DescribeInstancesStatusResponse, ApiError> {
    check_instance_ids(&r.ids)?;
    let (offset, limit) = filters::page(r.offset, r.limit)?;
    let ids = r.ids;
    let all = ctx
        .read(move |tx, env| {
            Ok(ins_ops::list(tx, env)?
                .into_iter()
                .filter(|i| ids.is_empty() || ids.contains(&i.id))
                .collect::<Vec<_>>())
        })
        .await?;
    let (page, total) = filters::paginate(all, offset, limit);
    Ok(DescribeInstancesStatusResponse {
        total_count: total as i64,
        instance_status_set: page
            .iter()
            .map(|i| StatusView { instance_id: i.id.clone(), instance_state: views::instance_state(i.state) })
            .collect(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InstanceIdsRequest {
    #[serde(rename = "InstanceIds", default, deserialize_with = "lenient::string_list")]
    ids: Vec<String>,
    #[serde(rename = "StopType", default)]
    _stop_type: Option<IgnoredAny>,
    #[serde(rename = "StoppedMode", default)]
    _stopped_mode: Option<IgnoredAny>,
    #[serde(rename = "ForceStop", default)]
    _force_stop: Option<IgnoredAny>,
    #[serde(rename = "ForceReboot", default)]
    _force_reboot: Option<IgnoredAny>,
    #[serde(rename = "ReleaseAddress", default)]
    _release_address: Option<IgnoredAny>,
    #[serde(rename = "ReleasePrepaidDataDisks", default)]
    _release_disks: Option<IgnoredAny>,
}

async fn change(ctx: &Ctx, r: InstanceIdsRequest, what: Change, action: &'static str) -> Result<Empty, ApiError> {
    required("InstanceIds", &r.ids)?;
    check_instance_ids(&r.ids)?;
    let ids = r.ids;
    ctx.write(move |tx, env| ins_ops::change(tx, env, &ids, what, action)).await?;
    Ok(Empty {})
}

pub(crate) async fn start_instances(ctx: &Ctx, r: InstanceIdsRequest) -> Result<Empty, ApiError> {
    change(ctx, r, Change::Start, "StartInstances").await
}

pub(crate) async fn stop_instances(ctx: &Ctx, r: InstanceIdsRequest) -> Result<Empty, ApiError> {
    change(ctx, r, Change::Stop, "StopInstances").await
}

pub(crate) async fn reboot_instances(ctx: &Ctx, r: InstanceIdsRequest) -> Result<Empty, ApiError> {
    change(ctx, r, Change::Reboot, "RebootInstances").await
}

pub(crate) async fn terminate_instances(ctx: &Ctx, r: InstanceIdsRequest) -> Result<Empty, ApiError> {
    change(ctx, r, Change::Terminate, "TerminateInstances").await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DescribeZonesRequest {}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ZoneView {
    zone: String,
    zone_name: String,
    zone_id: String,
    zone_state: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeZonesResponse {
    total_count: i64,
    zone_set: Vec<ZoneView>,
}

pub(crate) async fn describe_zones(ctx: &Ctx, _r: DescribeZonesRequest) -> Result<DescribeZonesResponse, ApiError> {
    let region = ctx.svc.catalog.region(Cloud::Tencent, &ctx.env.scope.region);
    let zones: Vec<ZoneView> = region
        .map(|r| {
            r.zones
                .iter()
                .enumerate()
                .map(|(n, z)| ZoneView {
                    zone: z.clone(),
                    zone_name: format!("{} Zone {}", r.name, z.rsplit('-').next().unwrap_or("")),
                    zone_id: format!("{}", 100_000 + n as u64 + 1),
                    zone_state: "AVAILABLE",
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(DescribeZonesResponse { total_count: zones.len() as i64, zone_set: zones })
}
