//! Private IP actions: assign, unassign, migrate between ENIs, change descriptions.

use eniplane_api::lenient;
use eniplane_core::ids::IdKind;
use eniplane_core::ops::private_ip as ip_ops;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::eni::PrivateIpInput;
use super::{check_id, required, Empty};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::views::{self, PrivateIpView};

fn at_most_ten(ips: &[PrivateIpInput]) -> Result<(), ApiError> {
    if ips.len() > 10 {
        return Err(ApiError::new(
            "InvalidParameterValue.LimitExceeded",
            "At most 10 PrivateIpAddresses are allowed per request.",
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssignPrivateIpAddressesRequest {
    #[serde(rename = "NetworkInterfaceId")]
    eni_id: String,
    #[serde(rename = "PrivateIpAddresses", default)]
    private_ips: Vec<PrivateIpInput>,
    #[serde(rename = "SecondaryPrivateIpAddressCount", default, deserialize_with = "lenient::opt_u64")]
    count: Option<u64>,
    #[serde(rename = "QosLevel", default)]
    _qos: Option<IgnoredAny>,
    #[serde(rename = "ClientToken", default)]
    _client_token: Option<IgnoredAny>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AssignPrivateIpAddressesResponse {
    private_ip_address_set: Vec<PrivateIpView>,
}

pub(crate) async fn assign_private_ip_addresses(
    ctx: &Ctx,
    r: AssignPrivateIpAddressesRequest,
) -> Result<AssignPrivateIpAddressesResponse, ApiError> {
    check_id("NetworkInterfaceId", &r.eni_id, IdKind::Eni)?;
    at_most_ten(&r.private_ips)?;
    if r.private_ips.iter().any(|p| p.primary == Some(true)) {
        return Err(ApiError::new(
            "InvalidParameterValue",
            "A primary private IP cannot be assigned; the ENI already has one.",
        ));
    }
    let count = r.count.unwrap_or(0);
    if r.private_ips.is_empty() && count == 0 {
        return Err(ApiError::new("MissingParameter", "Give PrivateIpAddresses or SecondaryPrivateIpAddressCount."));
    }
    if count > 50 {
        return Err(ApiError::new("InvalidParameterValue.Range", "SecondaryPrivateIpAddressCount is out of range."));
    }
    let wanted: Vec<String> = r.private_ips.iter().map(|p| p.address.clone()).collect();
    let eni = r.eni_id;
    let ips = ctx
        .write(move |tx, env| ip_ops::assign(tx, env, &eni, &wanted, count as u32, "AssignPrivateIpAddresses"))
        .await?;
    Ok(AssignPrivateIpAddressesResponse { private_ip_address_set: ips.iter().map(views::private_ip).collect() })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UnassignPrivateIpAddressesRequest {
    #[serde(rename = "NetworkInterfaceId")]
    eni_id: String,
    #[serde(rename = "PrivateIpAddresses", default)]
    private_ips: Vec<PrivateIpInput>,
    #[serde(rename = "InstanceId", default)]
    _instance_id: Option<IgnoredAny>,
}

pub(crate) async fn unassign_private_ip_addresses(
    ctx: &Ctx,
    r: UnassignPrivateIpAddressesRequest,
) -> Result<Empty, ApiError> {
    check_id("NetworkInterfaceId", &r.eni_id, IdKind::Eni)?;
    required("PrivateIpAddresses", &r.private_ips)?;
    at_most_ten(&r.private_ips)?;
    let addrs: Vec<String> = r.private_ips.iter().map(|p| p.address.clone()).collect();
    let eni = r.eni_id;
    ctx.write(move |tx, env| ip_ops::unassign(tx, env, &eni, &addrs, "UnassignPrivateIpAddresses")).await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MigratePrivateIpAddressRequest {
    #[serde(rename = "SourceNetworkInterfaceId")]
    source: String,
    #[serde(rename = "DestinationNetworkInterfaceId")]
    destination: String,
    #[serde(rename = "PrivateIpAddress")]
    address: String,
}

pub(crate) async fn migrate_private_ip_address(
    ctx: &Ctx,
    r: MigratePrivateIpAddressRequest,
) -> Result<Empty, ApiError> {
    check_id("SourceNetworkInterfaceId", &r.source, IdKind::Eni)?;
    check_id("DestinationNetworkInterfaceId", &r.destination, IdKind::Eni)?;
    ctx.write(move |tx, env| ip_ops::migrate(tx, env, &r.source, &r.destination, &r.address)).await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModifyPrivateIpAddressesAttributeRequest {
    #[serde(rename = "NetworkInterfaceId")]
    eni_id: String,
    #[serde(rename = "PrivateIpAddresses", default)]
    private_ips: Vec<PrivateIpInput>,
}

pub(crate) async fn modify_private_ip_addresses_attribute(
    ctx: &Ctx,
    r: ModifyPrivateIpAddressesAttributeRequest,
) -> Result<Empty, ApiError> {
    check_id("NetworkInterfaceId", &r.eni_id, IdKind::Eni)?;
    required("PrivateIpAddresses", &r.private_ips)?;
    at_most_ten(&r.private_ips)?;
    let changes: Vec<(String, String)> =
        r.private_ips.iter().map(|p| (p.address.clone(), p.description.clone().unwrap_or_default())).collect();
    for (_, d) in &changes {
        super::max_len("Description", d, 25)?;
    }
    let eni = r.eni_id;
    ctx.write(move |tx, env| ip_ops::describe_ips(tx, env, &eni, &changes)).await?;
    Ok(Empty {})
}
