//! Security groups and their rules.

use serde::{Deserialize, Serialize};

use super::Tag;
use crate::Scope;

/// Which way a rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    /// Inbound.
    Ingress,
    /// Outbound.
    Egress,
}

/// One rule. Fields are the union of what both clouds express; empty means unset.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Rule {
    /// `TCP`, `UDP`, `ICMP`, `ALL`, …
    pub protocol: String,
    /// Destination port or range (`22`, `80,443`, `1/200`, `ALL`).
    pub port: String,
    /// Source port range (ENS).
    #[serde(default)]
    pub source_port: String,
    /// Peer IPv4 block.
    pub cidr: String,
    /// Peer IPv6 block.
    #[serde(default)]
    pub ipv6_cidr: String,
    /// Peer security group.
    #[serde(default)]
    pub peer_group: String,
    /// `ACCEPT` / `DROP` (ENS `Accept` / `Drop`).
    pub action: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Priority (ENS 1-100); Tencent orders by position.
    #[serde(default)]
    pub priority: i64,
    /// When it was added, Unix ms.
    #[serde(default)]
    pub created_at: i64,
}

/// A security group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityGroup {
    /// `sg-…`.
    pub id: String,
    /// Owner and region.
    pub scope: Scope,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Project (Tencent), `"0"` by default.
    pub project_id: String,
    /// Whether it is the default group.
    #[serde(default)]
    pub is_default: bool,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Inbound rules in order.
    pub ingress: Vec<Rule>,
    /// Outbound rules in order.
    pub egress: Vec<Rule>,
    /// Bumped on every rule change (Tencent `Version`).
    pub version: u64,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// Last change, Unix ms.
    pub updated_at: i64,
}

impl SecurityGroup {
    /// The rules of one direction.
    pub fn rules(&self, d: Direction) -> &Vec<Rule> {
        match d {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }

    /// The rules of one direction, mutable.
    pub fn rules_mut(&mut self, d: Direction) -> &mut Vec<Rule> {
        match d {
            Direction::Ingress => &mut self.ingress,
            Direction::Egress => &mut self.egress,
        }
    }
}
