//! Elastic network interfaces, their private IPs and attachment.

use serde::{Deserialize, Serialize};

use super::Tag;
use crate::Scope;

/// Lifecycle of an ENI. Attached ENIs are `InUse`; the transitional states last for the
/// configured transition delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EniState {
    /// Being created.
    Creating,
    /// Ready and not attached.
    Available,
    /// Being attached.
    Attaching,
    /// Attached to an instance.
    InUse,
    /// Being detached.
    Detaching,
    /// Being deleted.
    Deleting,
}

impl EniState {
    /// Stable name for messages.
    pub fn name(self) -> &'static str {
        match self {
            EniState::Creating => "creating",
            EniState::Available => "available",
            EniState::Attaching => "attaching",
            EniState::InUse => "in use",
            EniState::Detaching => "detaching",
            EniState::Deleting => "deleting",
        }
    }

    /// Whether an asynchronous change is under way.
    pub fn is_transitional(self) -> bool {
        matches!(self, EniState::Creating | EniState::Attaching | EniState::Detaching | EniState::Deleting)
    }
}

/// Lifecycle of a private IP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IpState {
    /// Being assigned.
    Pending,
    /// Assigned.
    Available,
    /// Moving to another ENI.
    Migrating,
    /// Being released.
    Deleting,
}

/// A private IPv4 address on an ENI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivateIp {
    /// Dotted address.
    pub address: String,
    /// Whether it is the ENI's primary address.
    pub primary: bool,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Lifecycle.
    pub state: IpState,
    /// When it was assigned, Unix ms.
    #[serde(default)]
    pub created_at: i64,
}

/// Where an ENI is attached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// Instance.
    pub instance_id: String,
    /// Device index on the instance (0 = primary).
    pub device_index: u32,
    /// When it was attached, Unix ms.
    pub attached_at: i64,
}

/// An elastic network interface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Eni {
    /// `eni-…`.
    pub id: String,
    /// Owner and region.
    pub scope: Scope,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: String,
    /// VPC.
    pub vpc_id: String,
    /// Subnet.
    pub subnet_id: String,
    /// Zone of the subnet.
    pub zone: String,
    /// MAC address, unique.
    pub mac: String,
    /// Lifecycle.
    pub state: EniState,
    /// Primary ENI of an instance (never attached/detached/deleted by users).
    pub primary: bool,
    /// Bound security groups, in order.
    pub security_group_ids: Vec<String>,
    /// Private IPs; the first is the primary one.
    pub private_ips: Vec<PrivateIp>,
    /// Where it is attached, also while attaching/detaching.
    pub attachment: Option<Attachment>,
    /// Managed by a service, not changeable by users (ENS `EniServiceManaged`).
    #[serde(default)]
    pub service_managed: bool,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Creation time, Unix ms.
    pub created_at: i64,
}

impl Eni {
    /// The primary private IP address.
    pub fn primary_ip(&self) -> &str {
        self.private_ips.iter().find(|p| p.primary).map(|p| p.address.as_str()).unwrap_or("")
    }

    /// The instance it is attached to, if any.
    pub fn instance_id(&self) -> Option<&str> {
        self.attachment.as_ref().map(|a| a.instance_id.as_str())
    }
}
