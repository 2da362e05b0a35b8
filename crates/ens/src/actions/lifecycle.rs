//! Instance lifecycle actions: start, stop and reboot (single and batch, per-instance results for
//! the batches) and release.

use eniplane_api::lenient;
use eniplane_core::ids::IdKind;
use eniplane_core::model::{Instance, Subnet, Vpc};
use eniplane_core::ops::instance::{self as ins_ops, Change};
use eniplane_core::ops::network as net_ops;
use eniplane_core::Error;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{check_id, check_ids, flag, list, required, CodeOnly, Empty};
use crate::context::Ctx;
use crate::error::{from_domain, ApiError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InstanceIdRequest {
    #[serde(rename = "InstanceId", deserialize_with = "lenient::opt_string")]
    id: Option<String>,
    #[serde(rename = "ForceStop", default, deserialize_with = "lenient::opt_string")]
    force_stop: Option<String>,
}

fn instance_id(r: &InstanceIdRequest) -> Result<String, ApiError> {
    let id = r.id.clone().unwrap_or_default();
    check_id("InstanceId", &id, IdKind::Instance)?;
    flag("ForceStop", &r.force_stop)?;
    Ok(id)
}

async fn change_one(ctx: &Ctx, id: String, what: Change, action: &'static str) -> Result<(), ApiError> {
    ctx.write(move |tx, reach| {
        let env = reach.at::<Instance>(tx, &id)?;
        ins_ops::change(tx, &env, std::slice::from_ref(&id), what, action)
    })
    .await?;
    Ok(())
}

/// Stopped → Starting → Running.
pub(crate) async fn start_instance(ctx: &Ctx, r: InstanceIdRequest) -> Result<CodeOnly, ApiError> {
    if r.force_stop.is_some() {
        return Err(ApiError::new("InvalidParameter", "The specified parameter \"ForceStop\" is not valid."));
    }
    change_one(ctx, instance_id(&r)?, Change::Start, "StartInstance").await?;
    Ok(CodeOnly { code: 0 })
}

/// Running → Stopping → Stopped (`ForceStop` accepted; both stop the same way here).
pub(crate) async fn stop_instance(ctx: &Ctx, r: InstanceIdRequest) -> Result<CodeOnly, ApiError> {
    change_one(ctx, instance_id(&r)?, Change::Stop, "StopInstance").await?;
    Ok(CodeOnly { code: 0 })
}

/// Running → Starting → Running.
pub(crate) async fn reboot_instance(ctx: &Ctx, r: InstanceIdRequest) -> Result<CodeOnly, ApiError> {
    change_one(ctx, instance_id(&r)?, Change::Reboot, "RebootInstance").await?;
    Ok(CodeOnly { code: 0 })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InstancesRequest {
    #[serde(rename = "InstanceIds", default)]
    ids: Option<Value>,
    #[serde(rename = "ForceStop", default, deserialize_with = "lenient::opt_string")]
    force_stop: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct InstanceResult {
    instance_id: String,
    code: i64,
    message: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct InstancesResponse {
    instance_responses: Vec<InstanceResult>,
}

/// Batch start/stop: each instance on its own (one bad ID does not stop the others), all in one
/// transaction; the per-instance `Code` is 0 or the HTTP status of the instance's error, whose
/// `Message` is `<ErrorCode>: <message>`.
async fn change_many(
    ctx: &Ctx,
    r: InstancesRequest,
    what: Change,
    action: &'static str,
) -> Result<InstancesResponse, ApiError> {
    let ids = list("InstanceIds", r.ids)?;
    if ids.is_empty() {
        return Err(ApiError::missing("InstanceIds"));
    }
    check_ids("InstanceIds", &ids, IdKind::Instance, 100)?;
    flag("ForceStop", &r.force_stop)?;
    let family = ctx.family;
    let results = ctx
        .write(move |tx, reach| {
            let mut out = Vec::with_capacity(ids.len());
            for (n, id) in ids.iter().enumerate() {
                let outcome = match reach.locate::<Instance>(tx, id)? {
                    None => Err(Error::NotFound { kind: eniplane_core::Kind::Instance, id: id.clone() }),
                    Some(env) => {
                        let env = reach.env_n(&env.scope.region, n);
                        ins_ops::change(tx, &env, std::slice::from_ref(id), what, action).map(|_| ())
                    }
                };
                match outcome {
                    Ok(()) => out.push(InstanceResult { instance_id: id.clone(), code: 0, message: "success".into() }),
                    Err(Error::Store(e)) => return Err(Error::Store(e)),
                    Err(e) => {
                        let mapped = from_domain(e, family);
                        out.push(InstanceResult {
                            instance_id: id.clone(),
                            code: i64::from(mapped.status),
                            message: format!("{}: {}", mapped.code, mapped.message),
                        });
                    }
                }
            }
            Ok(out)
        })
        .await?;
    Ok(InstancesResponse { instance_responses: results })
}

pub(crate) async fn start_instances(ctx: &Ctx, r: InstancesRequest) -> Result<InstancesResponse, ApiError> {
    if r.force_stop.is_some() {
        return Err(ApiError::new("InvalidParameter", "The specified parameter \"ForceStop\" is not valid."));
    }
    change_many(ctx, r, Change::Start, "StartInstances").await
}

pub(crate) async fn stop_instances(ctx: &Ctx, r: InstancesRequest) -> Result<InstancesResponse, ApiError> {
    change_many(ctx, r, Change::Stop, "StopInstances").await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReleaseRequest {
    #[serde(rename = "InstanceId", deserialize_with = "lenient::opt_string")]
    id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ReleaseInstanceResponse {
    resource_type: &'static str,
}

/// Releases a resource by ID: an instance (`i-`, Running or Stopped: `Releasing`, then gone with
/// its primary ENI; secondary ENIs are detached), a network (`n-`) or a vSwitch (`vsw-`).
pub(crate) async fn release_instance(ctx: &Ctx, r: ReleaseRequest) -> Result<ReleaseInstanceResponse, ApiError> {
    let id = r.id.unwrap_or_default();
    required("InstanceId", &id)?;
    let cloud = eniplane_core::Cloud::Ens;
    let kind = if eniplane_core::ids::is_valid(cloud, IdKind::Instance, &id) {
        "instance"
    } else if eniplane_core::ids::is_valid(cloud, IdKind::Vpc, &id) {
        "network"
    } else if eniplane_core::ids::is_valid(cloud, IdKind::Subnet, &id) {
        "vswitch"
    } else {
        return Err(ApiError::invalid("InstanceId", format!("{id} is not a resource this server manages")));
    };
    ctx.write(move |tx, reach| match kind {
        "network" => {
            let env = reach.at::<Vpc>(tx, &id)?;
            net_ops::delete_vpc(tx, &env, &id)
        }
        "vswitch" => {
            let env = reach.at::<Subnet>(tx, &id)?;
            net_ops::delete_subnet(tx, &env, &id)
        }
        _ => {
            let env = reach.at::<Instance>(tx, &id)?;
            ins_ops::change(tx, &env, std::slice::from_ref(&id), Change::Terminate, "ReleaseInstance").map(|_| ())
        }
    })
    .await?;
    Ok(ReleaseInstanceResponse { resource_type: kind })
}

/// Releases a pay-as-you-go instance.
pub(crate) async fn release_post_paid_instance(ctx: &Ctx, r: ReleaseRequest) -> Result<Empty, ApiError> {
    let id = r.id.unwrap_or_default();
    check_id("InstanceId", &id, IdKind::Instance)?;
    change_one(ctx, id, Change::Terminate, "ReleasePostPaidInstance").await?;
    Ok(Empty {})
}
