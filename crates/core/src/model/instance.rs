//! Instances (Tencent CVM, ENS instances) and their lifecycle states.

use serde::{Deserialize, Serialize};

use super::Tag;
use crate::Scope;

/// Lifecycle of an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InstanceState {
    /// Being created.
    Pending,
    /// Running.
    Running,
    /// Starting up from stopped.
    Starting,
    /// Shutting down.
    Stopping,
    /// Stopped.
    Stopped,
    /// Rebooting.
    Rebooting,
    /// Being destroyed.
    Terminating,
}

impl InstanceState {
    /// Stable name for messages.
    pub fn name(self) -> &'static str {
        match self {
            InstanceState::Pending => "pending",
            InstanceState::Running => "running",
            InstanceState::Starting => "starting",
            InstanceState::Stopping => "stopping",
            InstanceState::Stopped => "stopped",
            InstanceState::Rebooting => "rebooting",
            InstanceState::Terminating => "terminating",
        }
    }
}

/// A virtual machine with a primary ENI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// `ins-…` / `i-…`.
    pub id: String,
    /// Owner and region.
    pub scope: Scope,
    /// Display name.
    pub name: String,
    /// Host name.
    #[serde(default)]
    pub host_name: String,
    /// Zone.
    pub zone: String,
    /// Instance type, e.g. `S5.MEDIUM4`.
    pub instance_type: String,
    /// Image.
    pub image_id: String,
    /// VPC of the primary ENI.
    pub vpc_id: String,
    /// Subnet of the primary ENI.
    pub subnet_id: String,
    /// The primary ENI.
    pub primary_eni_id: String,
    /// Lifecycle state.
    pub state: InstanceState,
    /// Billing mode as given (`POSTPAID_BY_HOUR`, …).
    #[serde(default)]
    pub charge_type: String,
    /// Project (Tencent).
    #[serde(default)]
    pub project_id: i64,
    /// CPU cores.
    pub cpu: u32,
    /// Memory in GiB.
    pub memory_gib: u32,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Last operation name, state and request id (Tencent `LatestOperation*`).
    #[serde(default)]
    pub last_operation: Option<(String, String, String)>,
    /// Creation time, Unix ms.
    pub created_at: i64,
}
