//! VPCs (ENS networks), subnets (ENS vSwitches) and tags.

use serde::{Deserialize, Serialize};

use crate::Scope;

/// A key/value tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
}

/// A virtual private cloud.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vpc {
    /// `vpc-…` / `n-…`.
    pub id: String,
    /// Owner and region.
    pub scope: Scope,
    /// Display name.
    pub name: String,
    /// Description (ENS).
    #[serde(default)]
    pub description: String,
    /// IPv4 block.
    pub cidr: String,
    /// Whether it is the region's default VPC.
    #[serde(default)]
    pub is_default: bool,
    /// Multicast switch (Tencent).
    #[serde(default)]
    pub enable_multicast: bool,
    /// DNS servers (Tencent).
    #[serde(default)]
    pub dns_servers: Vec<String>,
    /// DHCP domain name (Tencent).
    #[serde(default)]
    pub domain_name: String,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Creation time, Unix ms.
    pub created_at: i64,
}

/// A subnet of a VPC, in one zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subnet {
    /// `subnet-…` / `vsw-…`.
    pub id: String,
    /// Owner and region.
    pub scope: Scope,
    /// Parent VPC.
    pub vpc_id: String,
    /// Zone.
    pub zone: String,
    /// Display name.
    pub name: String,
    /// Description (ENS).
    #[serde(default)]
    pub description: String,
    /// IPv4 block, inside the VPC's.
    pub cidr: String,
    /// Whether it is a default subnet.
    #[serde(default)]
    pub is_default: bool,
    /// Broadcast switch (Tencent).
    #[serde(default)]
    pub enable_broadcast: bool,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Creation time, Unix ms.
    pub created_at: i64,
}
