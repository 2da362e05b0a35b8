//! Operations only the ENS world needs. ENS security groups belong to the account, not to an
//! edge region, while networks, vSwitches, ENIs and instances live in one edge region: these
//! functions take the region env of the resource and the env of the account's groups
//! ([`GROUP_REGION`]) separately. They build on the shared operations and keep their rules.

use eniplane_store::Tx;

use super::eni::{self, NewEni};
use super::instance::{self, NewInstances};
use super::network::NewVpc;
use super::{dedup, Env};
use crate::error::{Error, Kind, Quota};
use crate::model::{Eni, Instance, InstanceState, SecurityGroup, Tag, Vpc};
use crate::repo;

/// The scope region under which an account's ENS security groups are stored.
pub const GROUP_REGION: &str = "global";

fn load_groups(tx: &mut dyn Tx, groups: &Env, ids: &[String]) -> Result<Vec<String>, Error> {
    let ids = dedup(ids);
    for id in &ids {
        repo::load::<SecurityGroup>(tx, &groups.scope, id)?;
    }
    if ids.len() > groups.catalog.groups_per_eni as usize {
        return Err(Error::QuotaExceeded { quota: Quota::GroupsPerEni, limit: groups.catalog.groups_per_eni });
    }
    Ok(ids)
}

/// Creates a secondary ENI (Available at once) bound to account-level groups.
pub fn create_eni(tx: &mut dyn Tx, env: &Env, groups: &Env, mut input: NewEni) -> Result<Eni, Error> {
    let bound = load_groups(tx, groups, &input.security_group_ids)?;
    input.security_group_ids = Vec::new();
    let mut created = eni::create(tx, env, input)?;
    created.security_group_ids = bound;
    repo::save(tx, &created)?;
    Ok(created)
}

/// Launches instances whose primary ENIs carry account-level groups.
pub fn run_instances(
    tx: &mut dyn Tx,
    env: &Env,
    groups: &Env,
    mut input: NewInstances,
    action: &str,
) -> Result<Vec<Instance>, Error> {
    let bound = load_groups(tx, groups, &input.security_group_ids)?;
    input.security_group_ids = Vec::new();
    let launched = instance::run(tx, env, input, action)?;
    for ins in &launched {
        let mut primary: Eni = repo::load(tx, &env.scope, &ins.primary_eni_id)?;
        primary.security_group_ids = bound.clone();
        repo::save(tx, &primary)?;
    }
    Ok(launched)
}

/// Input of ENS network creation.
#[derive(Debug, Clone, Default)]
pub struct NewNetwork {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// IPv4 block: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or a subset (down to /28).
    pub cidr: String,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// Creates an ENS network (a VPC in the ENS world).
pub fn create_network(tx: &mut dyn Tx, env: &Env, input: NewNetwork) -> Result<Vpc, Error> {
    let vpc = NewVpc {
        name: input.name,
        description: input.description,
        cidr: input.cidr,
        tags: input.tags,
        ..NewVpc::default()
    };
    super::network::create_vpc(tx, env, vpc)
}

fn guard_eni(eni: &Eni) -> Result<(), Error> {
    if eni.service_managed {
        return Err(Error::ServiceManaged { eni: eni.id.clone() });
    }
    if eni.state.is_transitional() {
        return Err(Error::InvalidState { kind: Kind::Eni, id: eni.id.clone(), state: eni.state.name().into() });
    }
    Ok(())
}

/// Which ENI a Join/Leave acts on: the ENI named, or the primary ENI of the instance named
/// (the instance must be Running or Stopped).
pub enum GroupTarget {
    /// `NetworkInterfaceId`.
    Eni(String),
    /// `InstanceId`.
    Instance(String),
}

fn target_eni(tx: &mut dyn Tx, env: &Env, target: &GroupTarget) -> Result<Eni, Error> {
    match target {
        GroupTarget::Eni(id) => repo::load(tx, &env.scope, id),
        GroupTarget::Instance(id) => {
            let ins: Instance = repo::load(tx, &env.scope, id)?;
            if !matches!(ins.state, InstanceState::Running | InstanceState::Stopped) {
                return Err(Error::InvalidState { kind: Kind::Instance, id: ins.id, state: ins.state.name().into() });
            }
            repo::load(tx, &env.scope, &ins.primary_eni_id)
        }
    }
}

/// Binds an account-level group to an ENI or instance; joining a group already bound is a no-op.
pub fn join_group(tx: &mut dyn Tx, env: &Env, groups: &Env, target: &GroupTarget, sg: &str) -> Result<Eni, Error> {
    repo::load::<SecurityGroup>(tx, &groups.scope, sg)?;
    let mut eni = target_eni(tx, env, target)?;
    guard_eni(&eni)?;
    if !eni.security_group_ids.iter().any(|g| g == sg) {
        eni.security_group_ids.push(sg.to_string());
    }
    let limit = env.catalog.groups_per_eni;
    if eni.security_group_ids.len() > limit as usize {
        return Err(Error::QuotaExceeded { quota: Quota::GroupsPerEni, limit });
    }
    repo::save(tx, &eni)?;
    Ok(eni)
}

/// Unbinds a group from an ENI or instance; at least one group must stay. Leaving a group that
/// is not bound is a no-op.
pub fn leave_group(tx: &mut dyn Tx, env: &Env, groups: &Env, target: &GroupTarget, sg: &str) -> Result<Eni, Error> {
    repo::load::<SecurityGroup>(tx, &groups.scope, sg)?;
    let mut eni = target_eni(tx, env, target)?;
    guard_eni(&eni)?;
    if !eni.security_group_ids.iter().any(|g| g == sg) {
        return Ok(eni);
    }
    eni.security_group_ids.retain(|g| g != sg);
    if eni.security_group_ids.is_empty() {
        let id = match target {
            GroupTarget::Instance(i) => i.clone(),
            GroupTarget::Eni(_) => eni.id.clone(),
        };
        return Err(Error::LastSecurityGroup { id });
    }
    repo::save(tx, &eni)?;
    Ok(eni)
}

/// ENIs of every region env given that carry group `sg`.
pub fn group_users(tx: &mut dyn Tx, regions: &[Env], sg: &str) -> Result<Vec<Eni>, Error> {
    let mut out = Vec::new();
    for env in regions {
        out.extend(
            repo::list::<Eni>(tx, &env.scope)?.into_iter().filter(|e| e.security_group_ids.iter().any(|g| g == sg)),
        );
    }
    Ok(out)
}

/// Deletes an account-level group that no ENI in any region carries and no rule references.
pub fn delete_group(tx: &mut dyn Tx, groups: &Env, regions: &[Env], id: &str) -> Result<(), Error> {
    let sg: SecurityGroup = repo::load(tx, &groups.scope, id)?;
    if let Some(e) = group_users(tx, regions, id)?.first() {
        return Err(Error::InUse { kind: Kind::SecurityGroup, id: sg.id, by: format!("network interface {}", e.id) });
    }
    super::security_group::delete(tx, groups, id)
}
