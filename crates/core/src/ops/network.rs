//! VPCs (ENS networks) and subnets (ENS vSwitches): create, modify, delete, list.

use eniplane_store::Tx;

use super::Env;
use crate::error::{Error, Kind, Quota};
use crate::ids::{self, IdKind};
use crate::ipam::Cidr;
use crate::model::{Eni, Instance, Subnet, Tag, Vpc};
use crate::{repo, Cloud};

/// Input of VPC creation.
#[derive(Debug, Clone, Default)]
pub struct NewVpc {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// IPv4 block.
    pub cidr: String,
    /// Multicast.
    pub enable_multicast: bool,
    /// DNS servers.
    pub dns_servers: Vec<String>,
    /// Domain name.
    pub domain_name: String,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// Creates a VPC. Its block must be private and at most /28. Tencent also caps the widest
/// block at /12 (/16 inside 192.168.0.0/16); an ENS network may span a whole private range.
pub fn create_vpc(tx: &mut dyn Tx, env: &Env, input: NewVpc) -> Result<Vpc, Error> {
    let cidr = Cidr::parse("CidrBlock", &input.cidr)?;
    let widest = match env.cloud() {
        Cloud::Tencent if Cidr::parse("", "192.168.0.0/16")?.covers(&cidr) => 16,
        Cloud::Tencent => 12,
        Cloud::Ens => 0,
    };
    if !cidr.is_private() || cidr.prefix < widest || cidr.prefix > 28 {
        return Err(Error::InvalidValue {
            field: "CidrBlock".into(),
            reason: format!("{} must be a private block between /{} and /28", input.cidr, widest.max(8)),
        });
    }
    let limit = env.catalog.vpcs_per_region;
    if repo::count::<Vpc>(tx, &env.scope)? >= limit as u64 {
        return Err(Error::QuotaExceeded { quota: Quota::VpcsPerRegion, limit });
    }
    let vpc = Vpc {
        id: ids::generate(env.cloud(), IdKind::Vpc),
        scope: env.scope.clone(),
        name: input.name,
        description: input.description,
        cidr: cidr.to_string(),
        is_default: false,
        enable_multicast: input.enable_multicast,
        dns_servers: input.dns_servers,
        domain_name: input.domain_name,
        tags: input.tags,
        created_at: env.now_ms,
    };
    repo::create(tx, &vpc)?;
    Ok(vpc)
}

/// Changes of a VPC's attributes; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct VpcChanges {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// Multicast.
    pub enable_multicast: Option<bool>,
    /// DNS servers.
    pub dns_servers: Option<Vec<String>>,
    /// Domain name.
    pub domain_name: Option<String>,
}

/// Modifies a VPC.
pub fn modify_vpc(tx: &mut dyn Tx, env: &Env, id: &str, c: VpcChanges) -> Result<Vpc, Error> {
    let mut vpc: Vpc = repo::load(tx, &env.scope, id)?;
    if let Some(v) = c.name {
        vpc.name = v;
    }
    if let Some(v) = c.description {
        vpc.description = v;
    }
    if let Some(v) = c.enable_multicast {
        vpc.enable_multicast = v;
    }
    if let Some(v) = c.dns_servers {
        vpc.dns_servers = v;
    }
    if let Some(v) = c.domain_name {
        vpc.domain_name = v;
    }
    repo::save(tx, &vpc)?;
    Ok(vpc)
}

/// Deletes an empty VPC (no subnets, ENIs or instances).
pub fn delete_vpc(tx: &mut dyn Tx, env: &Env, id: &str) -> Result<(), Error> {
    let vpc: Vpc = repo::load(tx, &env.scope, id)?;
    if let Some(s) = repo::list::<Subnet>(tx, &env.scope)?.into_iter().find(|s| s.vpc_id == vpc.id) {
        return Err(Error::InUse { kind: Kind::Vpc, id: vpc.id, by: format!("subnet {}", s.id) });
    }
    if let Some(e) = repo::list::<Eni>(tx, &env.scope)?.into_iter().find(|e| e.vpc_id == vpc.id) {
        return Err(Error::InUse { kind: Kind::Vpc, id: vpc.id, by: format!("network interface {}", e.id) });
    }
    repo::remove(tx, &vpc)
}

/// Every VPC of the caller.
pub fn list_vpcs(tx: &mut dyn Tx, env: &Env) -> Result<Vec<Vpc>, Error> {
    repo::list(tx, &env.scope)
}

/// Input of subnet creation.
#[derive(Debug, Clone, Default)]
pub struct NewSubnet {
    /// Parent VPC.
    pub vpc_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// IPv4 block inside the VPC's.
    pub cidr: String,
    /// Zone (ENS: the region itself).
    pub zone: String,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// Creates a subnet: inside its VPC's block, /16 to /29 (ENS) or /28 (Tencent), no overlap with
/// a sibling, in a zone of the region.
pub fn create_subnet(tx: &mut dyn Tx, env: &Env, input: NewSubnet) -> Result<Subnet, Error> {
    let vpc: Vpc = repo::load(tx, &env.scope, &input.vpc_id)?;
    if !env.catalog.has_zone(env.cloud(), &env.scope.region, &input.zone) {
        return Err(Error::InvalidValue { field: "Zone".into(), reason: format!("unknown zone {}", input.zone) });
    }
    let cidr = Cidr::parse("CidrBlock", &input.cidr)?;
    let vpc_cidr = Cidr::parse("CidrBlock", &vpc.cidr)?;
    if !vpc_cidr.covers(&cidr) {
        return Err(Error::CidrConflict { cidr: input.cidr, reason: format!("outside {} of {}", vpc.cidr, vpc.id) });
    }
    if cidr.prefix < 16 || cidr.prefix > 29 {
        return Err(Error::InvalidValue {
            field: "CidrBlock".into(),
            reason: format!("{} must be between /16 and /29", input.cidr),
        });
    }
    let siblings: Vec<Subnet> =
        repo::list::<Subnet>(tx, &env.scope)?.into_iter().filter(|s| s.vpc_id == vpc.id).collect();
    let limit = env.catalog.subnets_per_vpc;
    if siblings.len() as u64 >= limit as u64 {
        return Err(Error::QuotaExceeded { quota: Quota::SubnetsPerVpc, limit });
    }
    for s in &siblings {
        if Cidr::parse("CidrBlock", &s.cidr)?.overlaps(&cidr) {
            return Err(Error::CidrConflict { cidr: input.cidr, reason: format!("overlaps {} ({})", s.id, s.cidr) });
        }
    }
    let subnet = Subnet {
        id: ids::generate(env.cloud(), IdKind::Subnet),
        scope: env.scope.clone(),
        vpc_id: vpc.id,
        zone: input.zone,
        name: input.name,
        description: input.description,
        cidr: cidr.to_string(),
        is_default: false,
        enable_broadcast: false,
        tags: input.tags,
        created_at: env.now_ms,
    };
    repo::create(tx, &subnet)?;
    Ok(subnet)
}

/// Changes of a subnet's attributes.
#[derive(Debug, Clone, Default)]
pub struct SubnetChanges {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// Broadcast.
    pub enable_broadcast: Option<bool>,
}

/// Modifies a subnet.
pub fn modify_subnet(tx: &mut dyn Tx, env: &Env, id: &str, c: SubnetChanges) -> Result<Subnet, Error> {
    let mut s: Subnet = repo::load(tx, &env.scope, id)?;
    if let Some(v) = c.name {
        s.name = v;
    }
    if let Some(v) = c.description {
        s.description = v;
    }
    if let Some(v) = c.enable_broadcast {
        s.enable_broadcast = v;
    }
    repo::save(tx, &s)?;
    Ok(s)
}

/// Deletes a subnet that holds no ENI and no instance.
pub fn delete_subnet(tx: &mut dyn Tx, env: &Env, id: &str) -> Result<(), Error> {
    let s: Subnet = repo::load(tx, &env.scope, id)?;
    if let Some(i) = repo::list::<Instance>(tx, &env.scope)?.into_iter().find(|i| i.subnet_id == s.id) {
        return Err(Error::InUse { kind: Kind::Subnet, id: s.id, by: format!("instance {}", i.id) });
    }
    if let Some(e) = repo::list::<Eni>(tx, &env.scope)?.into_iter().find(|e| e.subnet_id == s.id) {
        return Err(Error::InUse { kind: Kind::Subnet, id: s.id, by: format!("network interface {}", e.id) });
    }
    repo::remove(tx, &s)
}

/// Every subnet of the caller.
pub fn list_subnets(tx: &mut dyn Tx, env: &Env) -> Result<Vec<Subnet>, Error> {
    repo::list(tx, &env.scope)
}

/// Addresses still free in a subnet.
pub fn available_ips(tx: &mut dyn Tx, s: &Subnet) -> Result<u64, Error> {
    let cidr = Cidr::parse("CidrBlock", &s.cidr)?;
    let used = tx.count_claimed(&super::eni::ip_space(&s.id))?;
    Ok(cidr.usable().saturating_sub(used))
}
