//! What the operator configures: regions and zones per cloud, instance-type quotas and limits.
//! Defaults are sane for a newcomer; the server loads overrides from its config file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Cloud;

/// Per-instance-type network quotas (Tencent `DescribeNetworkInterfaceLimit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeQuota {
    /// ENIs an instance of this type can hold, the primary included.
    pub enis: u32,
    /// Private IPs per ENI.
    pub ips_per_eni: u32,
}

/// A region and its zones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    /// Region id.
    pub id: String,
    /// Zones in it (ENS: the region is its own zone).
    pub zones: Vec<String>,
    /// Display name.
    #[serde(default)]
    pub name: String,
}

/// The operator's catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Catalog {
    /// Tencent regions.
    pub tencent_regions: Vec<Region>,
    /// ENS edge regions.
    pub ens_regions: Vec<Region>,
    /// Quotas by instance type (upper-cased key); unknown types use `default_type`.
    pub instance_types: BTreeMap<String, TypeQuota>,
    /// Quotas for an instance type not listed.
    pub default_type: TypeQuota,
    /// Private IPs on an ENI that is not attached (Tencent `eni-max-private-ips`).
    pub unattached_ips_per_eni: u32,
    /// Security groups one ENI may carry.
    pub groups_per_eni: u32,
    /// Security groups per account and region.
    pub groups_per_region: u32,
    /// Rules (each direction) per security group.
    pub rules_per_group: u32,
    /// VPCs per account and region.
    pub vpcs_per_region: u32,
    /// Subnets per VPC.
    pub subnets_per_vpc: u32,
    /// ENIs per VPC.
    pub enis_per_vpc: u32,
    /// ENIs one ENS instance may hold.
    pub ens_enis_per_instance: u32,
}

fn region(id: &str, name: &str, zones: &[&str]) -> Region {
    Region { id: id.into(), name: name.into(), zones: zones.iter().map(|z| z.to_string()).collect() }
}

impl Default for Catalog {
    fn default() -> Self {
        let mut types = BTreeMap::new();
        for (t, enis, ips) in [
            ("S5.SMALL1", 2, 6),
            ("S5.SMALL2", 2, 6),
            ("S5.MEDIUM2", 2, 10),
            ("S5.MEDIUM4", 2, 10),
            ("S5.LARGE8", 3, 10),
            ("S5.2XLARGE16", 4, 10),
            ("S5.4XLARGE32", 4, 20),
            ("S5.8XLARGE64", 8, 20),
            ("SA2.MEDIUM4", 2, 10),
            ("SA2.LARGE8", 3, 10),
        ] {
            types.insert(t.to_string(), TypeQuota { enis, ips_per_eni: ips });
        }
        Self {
            tencent_regions: vec![
                region("ap-guangzhou", "South China (Guangzhou)", &["ap-guangzhou-3", "ap-guangzhou-4"]),
                region("ap-shanghai", "East China (Shanghai)", &["ap-shanghai-2", "ap-shanghai-3"]),
            ],
            ens_regions: vec![
                region("cn-beijing-15", "Beijing Unicom 15", &["cn-beijing-15"]),
                region("cn-hangzhou-14", "Hangzhou Telecom 14", &["cn-hangzhou-14"]),
            ],
            instance_types: types,
            default_type: TypeQuota { enis: 4, ips_per_eni: 10 },
            unattached_ips_per_eni: 20,
            groups_per_eni: 5,
            groups_per_region: 50,
            rules_per_group: 100,
            vpcs_per_region: 20,
            subnets_per_vpc: 100,
            enis_per_vpc: 1000,
            ens_enis_per_instance: 10,
        }
    }
}

impl Catalog {
    /// The regions of a cloud.
    pub fn regions(&self, cloud: Cloud) -> &[Region] {
        match cloud {
            Cloud::Tencent => &self.tencent_regions,
            Cloud::Ens => &self.ens_regions,
        }
    }

    /// A region of a cloud by id.
    pub fn region(&self, cloud: Cloud, id: &str) -> Option<&Region> {
        self.regions(cloud).iter().find(|r| r.id == id)
    }

    /// Whether `zone` belongs to `region` of `cloud`.
    pub fn has_zone(&self, cloud: Cloud, region: &str, zone: &str) -> bool {
        self.region(cloud, region).is_some_and(|r| r.zones.iter().any(|z| z == zone))
    }

    /// Quotas for an instance type; any plausible type is accepted.
    pub fn type_quota(&self, instance_type: &str) -> TypeQuota {
        self.instance_types.get(&instance_type.to_ascii_uppercase()).copied().unwrap_or(self.default_type)
    }

    /// ENIs an instance may hold in a cloud.
    pub fn enis_per_instance(&self, cloud: Cloud, instance_type: &str) -> u32 {
        match cloud {
            Cloud::Tencent => self.type_quota(instance_type).enis,
            Cloud::Ens => self.ens_enis_per_instance,
        }
    }
}
