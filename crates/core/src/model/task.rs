//! Asynchronous task records (read by Tencent `DescribeVpcTaskResult`) and accounts with keys.

use eniplane_auth::secrets::SealedSecret;
use serde::{Deserialize, Serialize};

use crate::Scope;

/// Overall status of an asynchronous task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskStatus {
    /// Some transition is still pending.
    Running,
    /// Every resource finished.
    Success,
    /// Some resource failed.
    Failed,
}

/// Per-resource outcome of a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskResult {
    /// The resource.
    pub resource_id: String,
    /// Its status.
    pub status: TaskStatus,
}

/// An asynchronous task, keyed by the request id that started it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// The starting request's id.
    pub id: String,
    /// Owner.
    pub scope: Scope,
    /// The action that started it.
    pub action: String,
    /// Per-resource results.
    pub results: Vec<TaskResult>,
    /// Creation time, Unix ms.
    pub created_at: i64,
}

impl Task {
    /// Status derived from the per-resource results.
    pub fn status(&self) -> TaskStatus {
        if self.results.iter().any(|r| r.status == TaskStatus::Failed) {
            TaskStatus::Failed
        } else if self.results.iter().any(|r| r.status == TaskStatus::Running) {
            TaskStatus::Running
        } else {
            TaskStatus::Success
        }
    }
}

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// 12-digit id.
    pub id: String,
    /// Display name, unique.
    pub name: String,
    /// Creation time, Unix ms.
    pub created_at: i64,
}

/// An access key pair that signs requests for an account, in every dialect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    /// Key id (Tencent `SecretId`, Alibaba `AccessKeyId`).
    pub id: String,
    /// Secret (Tencent `SecretKey`, Alibaba `AccessKeySecret`), sealed under the server's secret
    /// key, which is kept outside the store; only the credential cache opens it.
    pub secret: SealedSecret,
    /// Owning account.
    pub account_id: String,
    /// Optional policy documents limiting what this key may do (JSON).
    #[serde(default)]
    pub policies: Vec<serde_json::Value>,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// A disabled key signs nothing (its requests answer the dialect's disabled-key error).
    #[serde(default)]
    pub disabled: bool,
}
