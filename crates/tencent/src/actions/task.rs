//! `DescribeVpcTaskResult`: the status of an asynchronous action, keyed by its RequestId.

use eniplane_core::model::TaskStatus;
use eniplane_core::ops::task as task_ops;
use serde::{Deserialize, Serialize};

use crate::context::Ctx;
use crate::error::ApiError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DescribeVpcTaskResultRequest {
    #[serde(rename = "TaskId")]
    task_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ResultView {
    resource_id: String,
    status: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeVpcTaskResultResponse {
    status: &'static str,
    output: String,
    result: Vec<ResultView>,
}

fn status(s: TaskStatus) -> &'static str {
    match s {
        TaskStatus::Running => "RUNNING",
        TaskStatus::Success => "SUCCESS",
        TaskStatus::Failed => "FAILED",
    }
}

pub(crate) async fn describe_vpc_task_result(
    ctx: &Ctx,
    r: DescribeVpcTaskResultRequest,
) -> Result<DescribeVpcTaskResultResponse, ApiError> {
    if r.task_id.is_empty() || r.task_id.len() > 64 {
        return Err(ApiError::new(
            "InvalidParameterValue.Malformed",
            "TaskId must be the RequestId of an asynchronous call.",
        ));
    }
    let task = ctx.read(move |tx, env| task_ops::get(tx, &env.scope, &r.task_id)).await?;
    let overall = task.status();
    Ok(DescribeVpcTaskResultResponse {
        status: status(overall),
        output: status(overall).to_string(),
        result: task
            .results
            .iter()
            .map(|r| ResultView { resource_id: r.resource_id.clone(), status: status(r.status) })
            .collect(),
    })
}
