//! Instance actions: RunInstances (each instance with its primary ENI in the vSwitch; `Pending`
//! until it is `Running` after the transition delay), DescribeInstances, attribute changes and
//! DescribeEnsRegions. Start, stop, reboot and release are in `lifecycle.rs`.

use eniplane_api::lenient;
use eniplane_core::ids::IdKind;
use eniplane_core::model::{Instance, Subnet, Vpc};
use eniplane_core::ops::ens;
use eniplane_core::ops::instance::{self as ins_ops, NewInstances};
use eniplane_core::repo;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::eni::wanted_regions;
use super::{
    check_id, check_ids, flag, ids_filter, list, num, page, paginate, required, tags, text, CodeOnly, TagInput,
};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::views::{self, InstanceView};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RunInstancesRequest {
    #[serde(rename = "EnsRegionId", default, deserialize_with = "lenient::opt_string")]
    region: Option<String>,
    #[serde(rename = "InstanceType", default, deserialize_with = "lenient::opt_string")]
    instance_type: Option<String>,
    #[serde(rename = "ImageId", default, deserialize_with = "lenient::opt_string")]
    image_id: Option<String>,
    #[serde(rename = "VSwitchId", default, deserialize_with = "lenient::opt_string")]
    vswitch_id: Option<String>,
    #[serde(rename = "NetWorkId", default, deserialize_with = "lenient::opt_string")]
    network_id: Option<String>,
    #[serde(rename = "SecurityId", default, deserialize_with = "lenient::opt_string")]
    security_id: Option<String>,
    #[serde(rename = "PrivateIpAddress", default, deserialize_with = "lenient::opt_string")]
    private_ip: Option<String>,
    #[serde(rename = "Amount", default, deserialize_with = "lenient::opt_string")]
    amount: Option<String>,
    #[serde(rename = "InstanceName", default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
    #[serde(rename = "HostName", default, deserialize_with = "lenient::opt_string")]
    host_name: Option<String>,
    #[serde(rename = "UniqueSuffix", default, deserialize_with = "lenient::opt_string")]
    unique_suffix: Option<String>,
    #[serde(rename = "InstanceChargeType", default, deserialize_with = "lenient::opt_string")]
    charge_type: Option<String>,
    #[serde(rename = "ScheduleAreaLevel", default, deserialize_with = "lenient::opt_string")]
    schedule_area_level: Option<String>,
    #[serde(rename = "Password", default, deserialize_with = "lenient::opt_string")]
    password: Option<String>,
    #[serde(rename = "KeyPairName", default, deserialize_with = "lenient::opt_string")]
    key_pair_name: Option<String>,
    #[serde(rename = "PasswordInherit", default, deserialize_with = "lenient::opt_string")]
    password_inherit: Option<String>,
    #[serde(rename = "Tag", default)]
    tag: Vec<TagInput>,
    #[serde(rename = "SystemDisk", default)]
    system_disk: Option<Value>,
    #[serde(rename = "DataDisk", default)]
    data_disk: Option<Value>,
    #[serde(rename = "UserData", default, deserialize_with = "lenient::opt_string")]
    user_data: Option<String>,
    // Documented, accepted and ignored: billing, scheduling, IPv6, cloud assistant, templates.
    #[serde(rename = "AutoInstallCloudAssistant", default)]
    _a1: Option<Value>,
    #[serde(rename = "AutoReleaseTime", default)]
    _a2: Option<Value>,
    #[serde(rename = "AutoRenew", default)]
    _a3: Option<Value>,
    #[serde(rename = "AutoUseCoupon", default)]
    _a4: Option<Value>,
    #[serde(rename = "BillingCycle", default)]
    _a5: Option<Value>,
    #[serde(rename = "Carrier", default)]
    _a6: Option<Value>,
    #[serde(rename = "CloudAssistantRegion", default)]
    _a7: Option<Value>,
    #[serde(rename = "DeletionProtection", default)]
    _a8: Option<Value>,
    #[serde(rename = "DeploymentSetId", default)]
    _a9: Option<Value>,
    #[serde(rename = "InstanceChargeStrategy", default)]
    _a10: Option<Value>,
    #[serde(rename = "InternetChargeType", default)]
    _a11: Option<Value>,
    #[serde(rename = "InternetMaxBandwidthOut", default)]
    _a12: Option<Value>,
    #[serde(rename = "IpType", default)]
    _a13: Option<Value>,
    #[serde(rename = "Ipv6AddressCount", default)]
    _a14: Option<Value>,
    #[serde(rename = "LaunchTemplateId", default)]
    _a15: Option<Value>,
    #[serde(rename = "LaunchTemplateName", default)]
    _a16: Option<Value>,
    #[serde(rename = "LaunchTemplateVersion", default)]
    _a17: Option<Value>,
    #[serde(rename = "NetDistrictCode", default)]
    _a18: Option<Value>,
    #[serde(rename = "Period", default)]
    _a19: Option<Value>,
    #[serde(rename = "PeriodUnit", default)]
    _a20: Option<Value>,
    #[serde(rename = "PublicIpIdentification", default)]
    _a21: Option<Value>,
    #[serde(rename = "SchedulingPriceStrategy", default)]
    _a22: Option<Value>,
    #[serde(rename = "SchedulingStrategy", default)]
    _a23: Option<Value>,
    #[serde(rename = "SpotDuration", default)]
    _a24: Option<Value>,
    #[serde(rename = "SpotStrategy", default)]
    _a25: Option<Value>,
    #[serde(rename = "VpdId", default)]
    _a26: Option<Value>,
    #[serde(rename = "VpdVSwitchIds", default)]
    _a27: Option<Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RunInstancesResponse {
    instance_ids: Vec<String>,
    order_id: String,
}

fn json_param(field: &str, v: &Option<Value>) -> Result<(), ApiError> {
    if let Some(Value::String(s)) = v {
        serde_json::from_str::<Value>(s).map_err(|e| ApiError::invalid(field, e))?;
    }
    Ok(())
}

/// Launches `Amount` instances in the vSwitch of the edge region (node-level scheduling).
pub(crate) async fn run_instances(ctx: &Ctx, r: RunInstancesRequest) -> Result<RunInstancesResponse, ApiError> {
    let region = r.region.clone().unwrap_or_default();
    required("EnsRegionId", &region)?;
    let instance_type = r.instance_type.clone().unwrap_or_default();
    required("InstanceType", &instance_type)?;
    let image_id = r.image_id.clone().unwrap_or_default();
    required("ImageId", &image_id)?;
    let vswitch = r.vswitch_id.clone().unwrap_or_default();
    check_id("VSwitchId", &vswitch, IdKind::Subnet)?;
    let network = r.network_id.clone().filter(|s| !s.is_empty());
    if let Some(n) = &network {
        check_id("NetWorkId", n, IdKind::Vpc)?;
    }
    let groups: Vec<String> = r.security_id.clone().filter(|s| !s.is_empty()).into_iter().collect();
    check_ids("SecurityId", &groups, IdKind::SecurityGroup, 1)?;
    let amount = num("Amount", &r.amount, 1, 100)?.unwrap_or(1) as u32;
    let private_ips: Vec<String> = r.private_ip.clone().filter(|s| !s.is_empty()).into_iter().collect();
    if !private_ips.is_empty() && amount != 1 {
        return Err(ApiError::invalid("Amount", "must be 1 when PrivateIpAddress is given"));
    }
    text("InstanceName", &r.name, 2, 128, true)?;
    text("HostName", &r.host_name, 2, 64, false)?;
    let unique = flag("UniqueSuffix", &r.unique_suffix)?.unwrap_or(false);
    let charge = r.charge_type.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| "PostPaid".into());
    if !["PrePaid", "PostPaid"].contains(&charge.as_str()) {
        return Err(ApiError::invalid("InstanceChargeType", format!("{charge} is not PrePaid or PostPaid")));
    }
    if let Some(l) = r.schedule_area_level.as_deref().filter(|s| !s.is_empty()) {
        if !["Big", "Middle", "Small", "Region"].contains(&l) {
            return Err(ApiError::invalid("ScheduleAreaLevel", format!("{l} is not Big, Middle, Small or Region")));
        }
    }
    let inherit = flag("PasswordInherit", &r.password_inherit)?.unwrap_or(false);
    let has_password = r.password.as_deref().is_some_and(|p| !p.is_empty());
    if !has_password && !inherit && r.key_pair_name.as_deref().is_none_or(str::is_empty) {
        return Err(ApiError::missing("Password"));
    }
    if r.user_data.as_deref().is_some_and(|u| u.len() > 16 * 1024 * 4 / 3 + 4) {
        return Err(ApiError::invalid("UserData", "at most 16 KB before Base64 encoding"));
    }
    json_param("SystemDisk", &r.system_disk)?;
    json_param("DataDisk", &r.data_disk)?;
    let base_name = r.name.clone().unwrap_or_default();
    let base_host = r.host_name.clone().unwrap_or_default();
    let input = NewInstances {
        instance_type,
        image_id,
        vpc_id: network.clone().unwrap_or_default(),
        subnet_id: vswitch.clone(),
        security_group_ids: groups,
        count: amount,
        name: if unique { String::new() } else { base_name.clone() },
        host_name: if unique { String::new() } else { base_host.clone() },
        private_ips,
        charge_type: charge,
        tags: tags(r.tag)?,
        ..NewInstances::default()
    };
    let launched = ctx
        .write(move |tx, reach| {
            let env = reach.region(&region)?;
            if let Some(n) = &network {
                repo::load::<Vpc>(tx, &env.scope, n)?;
            }
            repo::load::<Subnet>(tx, &env.scope, &vswitch)?;
            let mut out = ens::run_instances(tx, &env, &reach.groups(), input.clone(), "RunInstances")?;
            for (n, ins) in out.iter_mut().enumerate() {
                if unique {
                    ins.name = if base_name.is_empty() { ins.id.clone() } else { format!("{base_name}{:03}", n + 1) };
                    ins.host_name =
                        if base_host.is_empty() { ins.id.clone() } else { format!("{base_host}{:03}", n + 1) };
                } else if base_name.is_empty() {
                    ins.name = ins.id.clone();
                }
                repo::save(tx, ins)?;
            }
            Ok(out)
        })
        .await?;
    let order = format!("{}", eniplane_core::time::now_ms() % 1_000_000_000_000);
    Ok(RunInstancesResponse { instance_ids: launched.into_iter().map(|i| i.id).collect(), order_id: order })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DescribeInstancesRequest {
    #[serde(rename = "EnsRegionId", default, deserialize_with = "lenient::opt_string")]
    region: Option<String>,
    #[serde(rename = "EnsRegionIds", default)]
    regions: Option<Value>,
    #[serde(rename = "InstanceId", default, deserialize_with = "lenient::opt_string")]
    id: Option<String>,
    #[serde(rename = "InstanceIds", default)]
    ids: Option<Value>,
    #[serde(rename = "InstanceName", default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
    #[serde(rename = "ImageId", default, deserialize_with = "lenient::opt_string")]
    image_id: Option<String>,
    #[serde(rename = "InstanceType", default, deserialize_with = "lenient::opt_string")]
    instance_type: Option<String>,
    #[serde(rename = "IntranetIp", default, deserialize_with = "lenient::opt_string")]
    intranet_ip: Option<String>,
    #[serde(rename = "NetworkId", default, deserialize_with = "lenient::opt_string")]
    network_id: Option<String>,
    #[serde(rename = "VSwitchId", default, deserialize_with = "lenient::opt_string")]
    vswitch_id: Option<String>,
    #[serde(rename = "SecurityGroupId", default, deserialize_with = "lenient::opt_string")]
    security_group_id: Option<String>,
    #[serde(rename = "SearchKey", default, deserialize_with = "lenient::opt_string")]
    search_key: Option<String>,
    #[serde(rename = "Status", default, deserialize_with = "lenient::opt_string")]
    status: Option<String>,
    #[serde(rename = "PageNumber", default, deserialize_with = "lenient::opt_string")]
    page_number: Option<String>,
    #[serde(rename = "PageSize", default, deserialize_with = "lenient::opt_string")]
    page_size: Option<String>,
    // Documented, accepted and ignored.
    #[serde(rename = "EipAddresses", default)]
    _eips: Option<Value>,
    #[serde(rename = "EnsServiceId", default)]
    _service: Option<Value>,
    #[serde(rename = "InstanceResourceType", default)]
    _resource_type: Option<Value>,
    #[serde(rename = "OrderByParams", default)]
    _order: Option<Value>,
    #[serde(rename = "ServiceStatus", default)]
    _service_status: Option<Value>,
    #[serde(rename = "Tags", default)]
    _tags: Option<Value>,
    #[serde(rename = "VpdId", default)]
    _vpd: Option<Value>,
    #[serde(rename = "VpdVSwitchId", default)]
    _vpd_vsw: Option<Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeInstancesResponse {
    code: i64,
    instances: InstanceSet,
    page_number: u64,
    page_size: u64,
    total_count: u64,
}

#[derive(Serialize)]
pub(crate) struct InstanceSet {
    #[serde(rename = "Instance")]
    items: Vec<InstanceView>,
}

fn set(v: &Option<String>) -> Option<String> {
    v.clone().filter(|s| !s.is_empty())
}

pub(crate) async fn describe_instances(
    ctx: &Ctx,
    r: DescribeInstancesRequest,
) -> Result<DescribeInstancesResponse, ApiError> {
    let (number, size) = page(&r.page_number, &r.page_size, 10, 100)?;
    let regions = list("EnsRegionIds", r.regions.clone())?;
    let ids = ids_filter("InstanceIds", r.ids.clone(), r.id.as_deref())?;
    if let Some(s) = set(&r.status) {
        if !["Running", "Stopped", "Expired", "Pending", "Starting", "Stopping", "Releasing"].contains(&s.as_str()) {
            return Err(ApiError::invalid("Status", format!("{s} is not a valid status")));
        }
    }
    let single = r.region.clone();
    let found = ctx
        .read(move |tx, reach| {
            let mut out = Vec::new();
            for region in wanted_regions(&single, regions.clone(), reach.regions()) {
                let env = reach.env(&region);
                for ins in ins_ops::list(tx, &env)? {
                    if ids.is_empty() || ids.contains(&ins.id) {
                        let enis = ins_ops::enis_of(tx, &env, &ins)?;
                        out.push((ins, enis));
                    }
                }
            }
            Ok(out)
        })
        .await?;
    let mut matched: Vec<_> = found
        .into_iter()
        .filter(|(i, enis)| {
            let ips = || enis.iter().flat_map(|e| e.private_ips.iter().map(|p| p.address.clone()));
            let primary_groups = || enis.iter().filter(|e| e.primary).flat_map(|e| e.security_group_ids.iter());
            set(&r.name).is_none_or(|n| i.name == n)
                && set(&r.image_id).is_none_or(|x| i.image_id == x)
                && set(&r.instance_type).is_none_or(|x| i.instance_type == x)
                && set(&r.network_id).is_none_or(|x| i.vpc_id == x)
                && set(&r.vswitch_id).is_none_or(|x| i.subnet_id == x)
                && set(&r.intranet_ip).is_none_or(|x| ips().any(|ip| ip == x))
                && set(&r.security_group_id).is_none_or(|x| primary_groups().any(|g| *g == x))
                && set(&r.status).is_none_or(|x| views::instance_status(i.state) == x)
                && set(&r.search_key)
                    .is_none_or(|k| i.id.contains(&k) || i.name.contains(&k) || ips().any(|ip| ip.contains(&k)))
        })
        .collect();
    matched.sort_by(|a, b| (a.0.created_at, &a.0.id).cmp(&(b.0.created_at, &b.0.id)));
    let (page_items, total) = paginate(matched, number, size);
    Ok(DescribeInstancesResponse {
        code: 0,
        instances: InstanceSet { items: page_items.iter().map(|(i, e)| views::instance(i, e)).collect() },
        page_number: number,
        page_size: size,
        total_count: total,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModifyInstanceAttributeRequest {
    #[serde(rename = "InstanceId", deserialize_with = "lenient::opt_string")]
    id: Option<String>,
    #[serde(rename = "InstanceName", default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
    #[serde(rename = "HostName", default, deserialize_with = "lenient::opt_string")]
    host_name: Option<String>,
    #[serde(rename = "Password", default, deserialize_with = "lenient::opt_string")]
    password: Option<String>,
    #[serde(rename = "UserData", default, deserialize_with = "lenient::opt_string")]
    user_data: Option<String>,
    #[serde(rename = "DeletionProtection", default, deserialize_with = "lenient::opt_string")]
    deletion_protection: Option<String>,
}

/// Renames an instance (name 2-128, host name 2-64); `Password`, `UserData` and
/// `DeletionProtection` are validated and accepted (eniplane keeps no guest state).
pub(crate) async fn modify_instance_attribute(
    ctx: &Ctx,
    r: ModifyInstanceAttributeRequest,
) -> Result<CodeOnly, ApiError> {
    let id = r.id.unwrap_or_default();
    check_id("InstanceId", &id, IdKind::Instance)?;
    text("InstanceName", &r.name, 2, 128, true)?;
    text("HostName", &r.host_name, 2, 64, false)?;
    text("Password", &r.password, 8, 30, false)?;
    if r.user_data.as_deref().is_some_and(|u| u.len() > 16 * 1024 * 4 / 3 + 4) {
        return Err(ApiError::invalid("UserData", "at most 16 KB before Base64 encoding"));
    }
    flag("DeletionProtection", &r.deletion_protection)?;
    let (name, host) = (r.name, r.host_name);
    ctx.write(move |tx, reach| {
        let env = reach.at::<Instance>(tx, &id)?;
        ins_ops::modify(tx, &env, &id, name.clone(), host.clone())
    })
    .await?;
    Ok(CodeOnly { code: 0 })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DescribeEnsRegionsRequest {
    #[serde(rename = "EnsRegionId", default, deserialize_with = "lenient::opt_string")]
    region: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EnsRegionView {
    ens_region_id: String,
    name: String,
    en_name: String,
    area: String,
    province: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeEnsRegionsResponse {
    code: i64,
    ens_regions: EnsRegionSet,
}

#[derive(Serialize)]
pub(crate) struct EnsRegionSet {
    #[serde(rename = "EnsRegions")]
    items: Vec<EnsRegionView>,
}

/// The configured edge zones (one when `EnsRegionId` names one; none when it names no zone).
pub(crate) async fn describe_ens_regions(
    ctx: &Ctx,
    r: DescribeEnsRegionsRequest,
) -> Result<DescribeEnsRegionsResponse, ApiError> {
    let wanted = set(&r.region);
    let items = ctx
        .catalog()
        .ens_regions
        .iter()
        .filter(|z| wanted.as_ref().is_none_or(|w| &z.id == w))
        .map(|z| EnsRegionView {
            ens_region_id: z.id.clone(),
            name: z.name.clone(),
            en_name: z.name.clone(),
            area: z.id.split('-').take(2).collect::<Vec<_>>().join("-"),
            province: String::new(),
        })
        .collect();
    Ok(DescribeEnsRegionsResponse { code: 0, ens_regions: EnsRegionSet { items } })
}
