//! Elastic network interfaces: create, modify, delete, attach, detach, migrate, and binding
//! security groups (the Tencent seed action `DisassociateNetworkInterfaceSecurityGroups` and ENS
//! `JoinSecurityGroup`/`LeaveSecurityGroup` run here).

use std::collections::HashSet;

use eniplane_store::Tx;

use super::transitions::{schedule, Step};
use super::{dedup, task, Env};
use crate::error::{Error, Kind, Quota};
use crate::ids::{self, IdKind};
use crate::ipam::{self, Cidr};
use crate::model::{
    Attachment, Eni, EniState, Instance, InstanceState, IpState, PrivateIp, SecurityGroup, Subnet, Tag,
};
use crate::{repo, Cloud};

/// Claim space of the private IPs of a subnet.
pub fn ip_space(subnet_id: &str) -> String {
    format!("ip:{subnet_id}")
}

/// Claim space of MAC addresses (global).
pub const MAC_SPACE: &str = "mac";

/// Input of ENI creation.
#[derive(Debug, Clone, Default)]
pub struct NewEni {
    /// VPC the caller names (Tencent); checked against the subnet's.
    pub vpc_id: Option<String>,
    /// Subnet (ENS vSwitch).
    pub subnet_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Security groups to bind.
    pub security_group_ids: Vec<String>,
    /// A specific primary address.
    pub primary_ip: Option<String>,
    /// Specific secondary addresses.
    pub secondary_ips: Vec<String>,
    /// How many more secondary addresses to pick.
    pub secondary_count: u32,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// Creates a secondary ENI. Tencent ENIs start `Creating` and become `Available` after the
/// transition delay (task opened under the request id); ENS ENIs are `Available` at once.
pub fn create(tx: &mut dyn Tx, env: &Env, input: NewEni) -> Result<Eni, Error> {
    let eni = build(tx, env, input, false)?;
    if eni.state == EniState::Creating {
        task::open(tx, env, "CreateNetworkInterface", std::slice::from_ref(&eni.id))?;
        schedule(tx, env, Step::EniCreated { eni: eni.id.clone() }, true)?;
    }
    Ok(eni)
}

/// Builds, allocates and stores an ENI (primary ENIs are created by instance launch).
pub(crate) fn build(tx: &mut dyn Tx, env: &Env, input: NewEni, primary: bool) -> Result<Eni, Error> {
    let subnet: Subnet = repo::load(tx, &env.scope, &input.subnet_id)?;
    if let Some(vpc) = &input.vpc_id {
        if *vpc != subnet.vpc_id {
            repo::load::<crate::model::Vpc>(tx, &env.scope, vpc)?;
            return Err(Error::VpcMismatch { what: subnet.id.clone(), other: vpc.clone() });
        }
    }
    let groups = load_groups(tx, env, &input.security_group_ids)?;
    if groups.len() > env.catalog.groups_per_eni as usize {
        return Err(Error::QuotaExceeded { quota: Quota::GroupsPerEni, limit: env.catalog.groups_per_eni });
    }
    let wanted = 1 + input.secondary_ips.len() + input.secondary_count as usize;
    if wanted > env.catalog.unattached_ips_per_eni as usize {
        return Err(Error::QuotaExceeded { quota: Quota::IpsPerEni, limit: env.catalog.unattached_ips_per_eni });
    }
    if !primary {
        let in_vpc = repo::list::<Eni>(tx, &env.scope)?.iter().filter(|e| e.vpc_id == subnet.vpc_id).count();
        if in_vpc >= env.catalog.enis_per_vpc as usize {
            return Err(Error::QuotaExceeded { quota: Quota::EnisPerVpc, limit: env.catalog.enis_per_vpc });
        }
    }
    let id = ids::generate(env.cloud(), IdKind::Eni);
    let mut requested: Vec<String> = input.primary_ip.iter().cloned().collect();
    let primary_count = usize::from(input.primary_ip.is_none());
    requested.extend(input.secondary_ips.iter().cloned());
    let addresses = allocate(tx, &subnet, &id, &requested, primary_count + input.secondary_count as usize)?;
    // Specific primary first, then picked primary, then specific and picked secondaries.
    let ordered: Vec<String> = match input.primary_ip {
        Some(_) => addresses.clone(),
        None => {
            let picked = &addresses[requested.len()..];
            let mut v = vec![picked[0].clone()];
            v.extend(addresses[..requested.len()].iter().cloned());
            v.extend(picked[1..].iter().cloned());
            v
        }
    };
    let creating = env.cloud() == Cloud::Tencent && !primary;
    let ip_state = if creating { IpState::Pending } else { IpState::Available };
    let eni = Eni {
        id: id.clone(),
        scope: env.scope.clone(),
        name: input.name,
        description: input.description,
        vpc_id: subnet.vpc_id.clone(),
        subnet_id: subnet.id.clone(),
        zone: subnet.zone.clone(),
        mac: claim_mac(tx, &id)?,
        state: if creating { EniState::Creating } else { EniState::Available },
        primary,
        security_group_ids: groups.iter().map(|g| g.id.clone()).collect(),
        private_ips: ordered
            .into_iter()
            .enumerate()
            .map(|(i, address)| PrivateIp {
                address,
                primary: i == 0,
                description: String::new(),
                state: ip_state,
                created_at: env.now_ms,
            })
            .collect(),
        attachment: None,
        service_managed: false,
        tags: input.tags,
        created_at: env.now_ms,
    };
    repo::create(tx, &eni)?;
    Ok(eni)
}

/// Claims the `requested` addresses and `count` more free ones in `subnet` for `owner`.
/// Returns requested ones first, in order, then the picked ones.
pub(crate) fn allocate(
    tx: &mut dyn Tx,
    subnet: &Subnet,
    owner: &str,
    requested: &[String],
    count: usize,
) -> Result<Vec<String>, Error> {
    let cidr = Cidr::parse("CidrBlock", &subnet.cidr)?;
    let space = ip_space(&subnet.id);
    let mut out = Vec::with_capacity(requested.len() + count);
    for text in requested {
        let ip = ipam::parse_ip("PrivateIpAddress", text)?;
        ipam::check_requestable(&subnet.id, &cidr, ip)?;
        let canonical = ipam::format_ip(ip);
        if out.contains(&canonical) || !tx.claim(&space, &canonical, owner)? {
            return Err(Error::AddressInUse { ip: canonical });
        }
        out.push(canonical);
    }
    if count > 0 {
        let used: HashSet<u32> = tx.claimed(&space)?.iter().filter_map(|(k, _)| ipam::parse_ip("", k).ok()).collect();
        for ip in ipam::pick_free(&subnet.id, &cidr, &used, count)? {
            let text = ipam::format_ip(ip);
            if !tx.claim(&space, &text, owner)? {
                return Err(Error::AddressInUse { ip: text });
            }
            out.push(text);
        }
    }
    Ok(out)
}

fn claim_mac(tx: &mut dyn Tx, owner: &str) -> Result<String, Error> {
    for _ in 0..64 {
        let mac = ipam::random_mac();
        if tx.claim(MAC_SPACE, &mac, owner)? {
            return Ok(mac);
        }
    }
    Err(Error::AddressInUse { ip: "mac address space".into() })
}

/// Releases every address an ENI holds (its IPs and its MAC).
pub(crate) fn release_addresses(tx: &mut dyn Tx, eni: &Eni) -> Result<(), Error> {
    let space = ip_space(&eni.subnet_id);
    for ip in &eni.private_ips {
        tx.release(&space, &ip.address)?;
    }
    tx.release(MAC_SPACE, &eni.mac)?;
    Ok(())
}

fn load_groups(tx: &mut dyn Tx, env: &Env, ids: &[String]) -> Result<Vec<SecurityGroup>, Error> {
    dedup(ids).iter().map(|id| repo::load::<SecurityGroup>(tx, &env.scope, id)).collect()
}

/// Loads ENIs by id; unknown ones fail with [`Error::NotFound`].
pub fn load_all(tx: &mut dyn Tx, env: &Env, ids: &[String]) -> Result<Vec<Eni>, Error> {
    dedup(ids).iter().map(|id| repo::load::<Eni>(tx, &env.scope, id)).collect()
}

/// Every ENI of the caller.
pub fn list(tx: &mut dyn Tx, env: &Env) -> Result<Vec<Eni>, Error> {
    repo::list(tx, &env.scope)
}

/// The ENIs with these ids that exist (unknown ones skipped).
pub fn find_many(tx: &mut dyn Tx, env: &Env, ids: &[String]) -> Result<Vec<Eni>, Error> {
    let mut out = Vec::with_capacity(ids.len());
    for id in dedup(ids) {
        if let Some(e) = repo::find::<Eni>(tx, &env.scope, &id)? {
            out.push(e);
        }
    }
    Ok(out)
}

/// Changes of an ENI's attributes.
#[derive(Debug, Clone, Default)]
pub struct EniChanges {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// Replace the bound groups.
    pub security_group_ids: Option<Vec<String>>,
}

/// Modifies an ENI.
pub fn modify(tx: &mut dyn Tx, env: &Env, id: &str, c: EniChanges) -> Result<Eni, Error> {
    let mut eni: Eni = repo::load(tx, &env.scope, id)?;
    guard_user_change(&eni)?;
    if let Some(v) = c.name {
        eni.name = v;
    }
    if let Some(v) = c.description {
        eni.description = v;
    }
    if let Some(ids) = c.security_group_ids {
        let groups = load_groups(tx, env, &ids)?;
        if groups.len() > env.catalog.groups_per_eni as usize {
            return Err(Error::QuotaExceeded { quota: Quota::GroupsPerEni, limit: env.catalog.groups_per_eni });
        }
        eni.security_group_ids = groups.into_iter().map(|g| g.id).collect();
    }
    repo::save(tx, &eni)?;
    Ok(eni)
}

fn guard_user_change(eni: &Eni) -> Result<(), Error> {
    if eni.service_managed {
        return Err(Error::ServiceManaged { eni: eni.id.clone() });
    }
    if eni.state.is_transitional() {
        return Err(Error::InvalidState { kind: Kind::Eni, id: eni.id.clone(), state: eni.state.name().into() });
    }
    Ok(())
}

/// Starts deleting ENIs (all or none): each must be a secondary, available, unattached ENI.
pub fn delete(tx: &mut dyn Tx, env: &Env, ids: &[String], action: &str) -> Result<Vec<Eni>, Error> {
    let mut enis = load_all(tx, env, ids)?;
    for eni in &enis {
        if eni.service_managed {
            return Err(Error::ServiceManaged { eni: eni.id.clone() });
        }
        if eni.primary {
            return Err(Error::PrimaryEni { id: eni.id.clone() });
        }
        if let Some(a) = &eni.attachment {
            if eni.state != EniState::Deleting {
                return Err(Error::AlreadyAttached { eni: eni.id.clone(), instance: a.instance_id.clone() });
            }
        }
        if eni.state != EniState::Available {
            return Err(Error::InvalidState { kind: Kind::Eni, id: eni.id.clone(), state: eni.state.name().into() });
        }
    }
    let ids: Vec<String> = enis.iter().map(|e| e.id.clone()).collect();
    task::open(tx, env, action, &ids)?;
    for eni in enis.iter_mut() {
        eni.state = EniState::Deleting;
        repo::save(tx, eni)?;
        schedule(tx, env, Step::EniDeleted { eni: eni.id.clone() }, true)?;
    }
    Ok(enis)
}

/// Whether an instance's state lets ENIs be attached or detached, per cloud: Tencent needs
/// RUNNING or STOPPED, ENS needs Stopped.
fn instance_accepts_eni_change(cloud: Cloud, state: InstanceState) -> bool {
    match cloud {
        Cloud::Tencent => matches!(state, InstanceState::Running | InstanceState::Stopped),
        Cloud::Ens => state == InstanceState::Stopped,
    }
}

fn check_instance_state(env: &Env, ins: &Instance) -> Result<(), Error> {
    if !instance_accepts_eni_change(env.cloud(), ins.state) {
        return Err(Error::InvalidState { kind: Kind::Instance, id: ins.id.clone(), state: ins.state.name().into() });
    }
    Ok(())
}

/// ENIs attached (or attaching) to an instance.
pub fn on_instance(tx: &mut dyn Tx, env: &Env, instance_id: &str) -> Result<Vec<Eni>, Error> {
    Ok(list(tx, env)?.into_iter().filter(|e| e.instance_id() == Some(instance_id)).collect())
}

/// Starts attaching a secondary ENI to an instance.
pub fn attach(tx: &mut dyn Tx, env: &Env, eni_id: &str, instance_id: &str, action: &str) -> Result<Eni, Error> {
    let eni = attach_inner(tx, env, eni_id, instance_id)?;
    task::open(tx, env, action, std::slice::from_ref(&eni.id))?;
    Ok(eni)
}

/// Creates a secondary ENI and starts attaching it, under one task (Tencent
/// `CreateAndAttachNetworkInterface`).
pub fn create_and_attach(tx: &mut dyn Tx, env: &Env, input: NewEni, instance_id: &str) -> Result<Eni, Error> {
    repo::load::<Instance>(tx, &env.scope, instance_id)?;
    let mut eni = build(tx, env, input, false)?;
    eni.state = EniState::Available;
    for ip in eni.private_ips.iter_mut() {
        ip.state = IpState::Available;
    }
    repo::save(tx, &eni)?;
    let eni = attach_inner(tx, env, &eni.id, instance_id)?;
    task::open(tx, env, "CreateAndAttachNetworkInterface", std::slice::from_ref(&eni.id))?;
    Ok(eni)
}

fn attach_inner(tx: &mut dyn Tx, env: &Env, eni_id: &str, instance_id: &str) -> Result<Eni, Error> {
    let mut eni: Eni = repo::load(tx, &env.scope, eni_id)?;
    let ins: Instance = repo::load(tx, &env.scope, instance_id)?;
    if eni.service_managed {
        return Err(Error::ServiceManaged { eni: eni.id });
    }
    if eni.primary {
        return Err(Error::PrimaryEni { id: eni.id });
    }
    if let Some(a) = &eni.attachment {
        return Err(Error::AlreadyAttached { eni: eni.id.clone(), instance: a.instance_id.clone() });
    }
    if eni.state != EniState::Available {
        return Err(Error::InvalidState { kind: Kind::Eni, id: eni.id, state: eni.state.name().into() });
    }
    check_instance_state(env, &ins)?;
    if eni.vpc_id != ins.vpc_id {
        return Err(Error::VpcMismatch { what: eni.id, other: ins.id });
    }
    if env.cloud() == Cloud::Tencent {
        if eni.zone != ins.zone {
            return Err(Error::ZoneMismatch { what: eni.id, other: ins.id });
        }
        if eni.security_group_ids.is_empty() {
            return Err(Error::NoSecurityGroup { eni: eni.id });
        }
    }
    let device_index = free_slot(tx, env, &ins)?;
    eni.attachment = Some(Attachment { instance_id: ins.id.clone(), device_index, attached_at: env.now_ms });
    eni.state = EniState::Attaching;
    repo::save(tx, &eni)?;
    schedule(tx, env, Step::EniAttached { eni: eni.id.clone() }, true)?;
    Ok(eni)
}

/// Checks the instance has room for one more ENI and returns the lowest free device index.
fn free_slot(tx: &mut dyn Tx, env: &Env, ins: &Instance) -> Result<u32, Error> {
    let attached = on_instance(tx, env, &ins.id)?;
    let limit = env.catalog.enis_per_instance(env.cloud(), &ins.instance_type);
    if attached.len() >= limit as usize {
        return Err(Error::QuotaExceeded { quota: Quota::EnisPerInstance, limit });
    }
    let used: HashSet<u32> = attached.iter().filter_map(|e| e.attachment.as_ref().map(|a| a.device_index)).collect();
    Ok((1..).find(|i| !used.contains(i)).unwrap_or(1))
}

/// Starts detaching a secondary ENI; `instance_id`, when given, must be where it is attached.
pub fn detach(tx: &mut dyn Tx, env: &Env, eni_id: &str, instance_id: Option<&str>, action: &str) -> Result<Eni, Error> {
    let mut eni: Eni = repo::load(tx, &env.scope, eni_id)?;
    if let Some(want) = instance_id {
        repo::load::<Instance>(tx, &env.scope, want)?;
    }
    if eni.service_managed {
        return Err(Error::ServiceManaged { eni: eni.id });
    }
    if eni.primary {
        return Err(Error::PrimaryEni { id: eni.id });
    }
    if eni.state != EniState::InUse {
        return Err(Error::InvalidState { kind: Kind::Eni, id: eni.id, state: eni.state.name().into() });
    }
    let current = eni.instance_id().unwrap_or_default().to_string();
    if let Some(want) = instance_id {
        if want != current {
            return Err(Error::NotAttached { eni: eni.id, instance: want.into() });
        }
    }
    let ins: Instance = repo::load(tx, &env.scope, &current)?;
    check_instance_state(env, &ins)?;
    eni.state = EniState::Detaching;
    repo::save(tx, &eni)?;
    task::open(tx, env, action, std::slice::from_ref(&eni.id))?;
    schedule(tx, env, Step::EniDetached { eni: eni.id.clone() }, true)?;
    Ok(eni)
}

/// Moves an attached secondary ENI from one instance to another (Tencent).
pub fn migrate(tx: &mut dyn Tx, env: &Env, eni_id: &str, source: &str, destination: &str) -> Result<Eni, Error> {
    let mut eni: Eni = repo::load(tx, &env.scope, eni_id)?;
    let src: Instance = repo::load(tx, &env.scope, source)?;
    let dst: Instance = repo::load(tx, &env.scope, destination)?;
    if eni.primary {
        return Err(Error::PrimaryEni { id: eni.id });
    }
    if eni.state != EniState::InUse {
        return Err(Error::InvalidState { kind: Kind::Eni, id: eni.id, state: eni.state.name().into() });
    }
    if eni.instance_id() != Some(src.id.as_str()) {
        return Err(Error::NotAttached { eni: eni.id, instance: src.id });
    }
    check_instance_state(env, &src)?;
    check_instance_state(env, &dst)?;
    if dst.vpc_id != eni.vpc_id {
        return Err(Error::VpcMismatch { what: eni.id, other: dst.id });
    }
    if dst.zone != eni.zone {
        return Err(Error::ZoneMismatch { what: eni.id, other: dst.id });
    }
    let device_index = free_slot(tx, env, &dst)?;
    eni.attachment = Some(Attachment { instance_id: dst.id.clone(), device_index, attached_at: env.now_ms });
    eni.state = EniState::Attaching;
    repo::save(tx, &eni)?;
    task::open(tx, env, "MigrateNetworkInterface", std::slice::from_ref(&eni.id))?;
    schedule(tx, env, Step::EniAttached { eni: eni.id.clone() }, true)?;
    Ok(eni)
}

/// Binds each group to each ENI (all or nothing); groups already bound stay as they are.
pub fn associate_groups(tx: &mut dyn Tx, env: &Env, eni_ids: &[String], sg_ids: &[String]) -> Result<Vec<Eni>, Error> {
    let mut enis = load_all(tx, env, eni_ids)?;
    let groups = load_groups(tx, env, sg_ids)?;
    for eni in enis.iter_mut() {
        guard_user_change(eni)?;
        for g in &groups {
            if !eni.security_group_ids.contains(&g.id) {
                eni.security_group_ids.push(g.id.clone());
            }
        }
        if eni.security_group_ids.len() > env.catalog.groups_per_eni as usize {
            return Err(Error::QuotaExceeded { quota: Quota::GroupsPerEni, limit: env.catalog.groups_per_eni });
        }
    }
    for eni in &enis {
        repo::save(tx, eni)?;
    }
    Ok(enis)
}

/// Unbinds each group from each ENI where bound (all or nothing). Removing every group is allowed
/// unless `keep_one` (ENS `LeaveSecurityGroup`).
pub fn disassociate_groups(
    tx: &mut dyn Tx,
    env: &Env,
    eni_ids: &[String],
    sg_ids: &[String],
    keep_one: bool,
) -> Result<Vec<Eni>, Error> {
    let mut enis = load_all(tx, env, eni_ids)?;
    let groups: Vec<String> = load_groups(tx, env, sg_ids)?.into_iter().map(|g| g.id).collect();
    for eni in enis.iter_mut() {
        guard_user_change(eni)?;
        eni.security_group_ids.retain(|g| !groups.contains(g));
        if keep_one && eni.security_group_ids.is_empty() {
            return Err(Error::LastSecurityGroup { id: eni.id.clone() });
        }
    }
    for eni in &enis {
        repo::save(tx, eni)?;
    }
    Ok(enis)
}

/// Network quotas of an instance (by instance) or of an ENI (by ENI; its instance's when attached).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// ENIs the instance may hold.
    pub enis: u32,
    /// Private IPs per ENI.
    pub ips_per_eni: u32,
}

/// Quotas for an instance or ENI id.
pub fn limits(tx: &mut dyn Tx, env: &Env, id: &str) -> Result<Limits, Error> {
    if let Some(ins) = repo::find::<Instance>(tx, &env.scope, id)? {
        let q = env.catalog.type_quota(&ins.instance_type);
        return Ok(Limits {
            enis: env.catalog.enis_per_instance(env.cloud(), &ins.instance_type),
            ips_per_eni: q.ips_per_eni,
        });
    }
    let eni: Eni = repo::find(tx, &env.scope, id)?.ok_or_else(|| Error::NotFound { kind: Kind::Eni, id: id.into() })?;
    Ok(Limits { enis: 0, ips_per_eni: ips_quota(tx, env, &eni)? })
}

/// Private IPs an ENI may hold: its instance type's quota when attached, else the unattached one.
pub fn ips_quota(tx: &mut dyn Tx, env: &Env, eni: &Eni) -> Result<u32, Error> {
    match eni.instance_id() {
        Some(i) => {
            let ins: Instance = repo::load(tx, &env.scope, i)?;
            Ok(env.catalog.type_quota(&ins.instance_type).ips_per_eni)
        }
        None => Ok(env.catalog.unattached_ips_per_eni),
    }
}
