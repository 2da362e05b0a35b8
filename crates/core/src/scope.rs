//! Where a resource lives: its account, its cloud world and its region.

use serde::{Deserialize, Serialize};

/// The two worlds share the engine and the rules, never the resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cloud {
    /// Resources created through the Tencent Cloud dialect.
    Tencent,
    /// Resources created through the Alibaba Cloud ENS dialect.
    Ens,
}

impl Cloud {
    /// Stable lower-case name used in store scopes.
    pub fn as_str(self) -> &'static str {
        match self {
            Cloud::Tencent => "tencent",
            Cloud::Ens => "ens",
        }
    }
}

/// The owner and partition of a resource. Every lookup is made through a scope, so another
/// account's resource is indistinguishable from a missing one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Scope {
    /// Owning account id.
    pub account: String,
    /// Which world.
    pub cloud: Cloud,
    /// Region (Tencent `ap-guangzhou`, ENS `cn-beijing-15`).
    pub region: String,
}

impl Scope {
    /// Builds a scope.
    pub fn new(account: impl Into<String>, cloud: Cloud, region: impl Into<String>) -> Self {
        Self { account: account.into(), cloud, region: region.into() }
    }

    /// The store partition key, `cloud/region`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.cloud.as_str(), self.region)
    }
}
