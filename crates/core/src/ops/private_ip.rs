//! Secondary private IPs of an ENI: assign, unassign, migrate between ENIs, describe.

use eniplane_store::Tx;

use super::eni::{allocate, ip_space, ips_quota};
use super::transitions::{schedule, Step};
use super::{task, Env};
use crate::error::{Error, Kind, Quota};
use crate::model::{Eni, IpState, PrivateIp, Subnet};
use crate::{ipam, repo};

fn guard(eni: &Eni) -> Result<(), Error> {
    if eni.service_managed {
        return Err(Error::ServiceManaged { eni: eni.id.clone() });
    }
    if eni.state.is_transitional() {
        return Err(Error::InvalidState { kind: Kind::Eni, id: eni.id.clone(), state: eni.state.name().into() });
    }
    Ok(())
}

/// Assigns the `requested` addresses plus `count` picked ones as secondary IPs (pending until the
/// transition completes). Returns the new addresses.
pub fn assign(
    tx: &mut dyn Tx,
    env: &Env,
    eni_id: &str,
    requested: &[String],
    count: u32,
    action: &str,
) -> Result<Vec<PrivateIp>, Error> {
    let mut eni: Eni = repo::load(tx, &env.scope, eni_id)?;
    guard(&eni)?;
    let limit = ips_quota(tx, env, &eni)?;
    if eni.private_ips.len() + requested.len() + count as usize > limit as usize {
        return Err(Error::QuotaExceeded { quota: Quota::IpsPerEni, limit });
    }
    let subnet: Subnet = repo::load(tx, &env.scope, &eni.subnet_id)?;
    let got = allocate(tx, &subnet, &eni.id, requested, count as usize)?;
    let new: Vec<PrivateIp> = got
        .iter()
        .map(|a| PrivateIp {
            address: a.clone(),
            primary: false,
            description: String::new(),
            state: IpState::Pending,
            created_at: env.now_ms,
        })
        .collect();
    eni.private_ips.extend(new.iter().cloned());
    repo::save(tx, &eni)?;
    task::open(tx, env, action, std::slice::from_ref(&eni.id))?;
    schedule(tx, env, Step::IpsReady { eni: eni.id.clone(), ips: got }, true)?;
    Ok(new)
}

fn canonical(text: &str) -> Result<String, Error> {
    ipam::parse_ip("PrivateIpAddress", text).map(ipam::format_ip)
}

/// Starts releasing secondary IPs of an ENI (never the primary one).
pub fn unassign(tx: &mut dyn Tx, env: &Env, eni_id: &str, addresses: &[String], action: &str) -> Result<(), Error> {
    let mut eni: Eni = repo::load(tx, &env.scope, eni_id)?;
    guard(&eni)?;
    let wanted: Vec<String> = addresses.iter().map(|a| canonical(a)).collect::<Result<_, _>>()?;
    for a in &wanted {
        match eni.private_ips.iter().find(|p| &p.address == a) {
            None => return Err(Error::IpNotOnEni { ip: a.clone(), eni: eni.id.clone() }),
            Some(p) if p.primary => return Err(Error::PrimaryIp { ip: a.clone() }),
            Some(p) if p.state != IpState::Available => {
                return Err(Error::InvalidState {
                    kind: Kind::PrivateIp,
                    id: a.clone(),
                    state: format!("{:?}", p.state).to_lowercase(),
                })
            }
            Some(_) => {}
        }
    }
    for p in eni.private_ips.iter_mut().filter(|p| wanted.contains(&p.address)) {
        p.state = IpState::Deleting;
    }
    repo::save(tx, &eni)?;
    task::open(tx, env, action, std::slice::from_ref(&eni.id))?;
    schedule(tx, env, Step::IpsRemoved { eni: eni.id.clone(), ips: wanted }, true)?;
    Ok(())
}

/// Moves a secondary IP from one ENI to another in the same subnet.
pub fn migrate(tx: &mut dyn Tx, env: &Env, source: &str, destination: &str, address: &str) -> Result<(), Error> {
    if source == destination {
        return Err(Error::InvalidValue {
            field: "DestinationNetworkInterfaceId".into(),
            reason: "the destination is the source network interface".into(),
        });
    }
    let mut src: Eni = repo::load(tx, &env.scope, source)?;
    let mut dst: Eni = repo::load(tx, &env.scope, destination)?;
    guard(&src)?;
    guard(&dst)?;
    let ip = canonical(address)?;
    let Some(pos) = src.private_ips.iter().position(|p| p.address == ip) else {
        return Err(Error::IpNotOnEni { ip, eni: src.id });
    };
    if src.private_ips[pos].primary {
        return Err(Error::PrimaryIp { ip });
    }
    if src.private_ips[pos].state != IpState::Available {
        let state = format!("{:?}", src.private_ips[pos].state).to_lowercase();
        return Err(Error::InvalidState { kind: Kind::PrivateIp, id: ip, state });
    }
    if src.subnet_id != dst.subnet_id {
        return Err(Error::VpcMismatch { what: src.id, other: dst.id });
    }
    let limit = ips_quota(tx, env, &dst)?;
    if dst.private_ips.len() + 1 > limit as usize {
        return Err(Error::QuotaExceeded { quota: Quota::IpsPerEni, limit });
    }
    let mut moved = src.private_ips.remove(pos);
    moved.state = IpState::Migrating;
    dst.private_ips.push(moved);
    let space = ip_space(&src.subnet_id);
    tx.release(&space, &ip)?;
    tx.claim(&space, &ip, &dst.id)?;
    repo::save(tx, &src)?;
    repo::save(tx, &dst)?;
    task::open(tx, env, "MigratePrivateIpAddress", std::slice::from_ref(&dst.id))?;
    schedule(tx, env, Step::IpsReady { eni: dst.id.clone(), ips: vec![ip] }, true)?;
    Ok(())
}

/// Sets descriptions of IPs on an ENI.
pub fn describe_ips(tx: &mut dyn Tx, env: &Env, eni_id: &str, changes: &[(String, String)]) -> Result<Eni, Error> {
    let mut eni: Eni = repo::load(tx, &env.scope, eni_id)?;
    for (addr, description) in changes {
        let a = canonical(addr)?;
        let Some(p) = eni.private_ips.iter_mut().find(|p| p.address == a) else {
            return Err(Error::IpNotOnEni { ip: a, eni: eni.id.clone() });
        };
        p.description = description.clone();
    }
    repo::save(tx, &eni)?;
    Ok(eni)
}
