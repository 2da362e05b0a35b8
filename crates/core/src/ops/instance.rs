//! Instances: launch with a primary ENI, start, stop, reboot, terminate, rename.

use eniplane_store::Tx;

use super::eni::{build, on_instance, release_addresses, NewEni};
use super::transitions::{schedule, Step};
use super::{dedup, task, Env};
use crate::error::{Error, Kind};
use crate::ids::{self, IdKind};
use crate::model::{Attachment, Eni, EniState, Instance, InstanceState, Subnet, Tag};
use crate::{repo, Scope};

/// Input of instance launch.
#[derive(Debug, Clone, Default)]
pub struct NewInstances {
    /// Zone; must be the subnet's (empty: the subnet's).
    pub zone: String,
    /// Instance type.
    pub instance_type: String,
    /// Image.
    pub image_id: String,
    /// VPC the caller names; checked against the subnet's (empty: the subnet's).
    pub vpc_id: String,
    /// Subnet of the primary ENIs.
    pub subnet_id: String,
    /// Groups of the primary ENIs.
    pub security_group_ids: Vec<String>,
    /// How many.
    pub count: u32,
    /// Name (numbered when several).
    pub name: String,
    /// Host name.
    pub host_name: String,
    /// Specific primary addresses, one per instance.
    pub private_ips: Vec<String>,
    /// Billing mode.
    pub charge_type: String,
    /// Project (Tencent).
    pub project_id: i64,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// CPU cores and GiB of memory read from a type name like `S5.MEDIUM4` (size word, memory).
pub fn shape_of(instance_type: &str) -> (u32, u32) {
    let size = instance_type.split('.').nth(1).unwrap_or("").to_ascii_uppercase();
    let digits_at = size.find(|c: char| c.is_ascii_digit() && !size.starts_with(c)).unwrap_or(size.len());
    // Split after the last character that is not a digit (a char boundary, whatever the text).
    let cut = size.char_indices().rev().find(|(_, c)| !c.is_ascii_digit()).map(|(i, c)| i + c.len_utf8());
    let (word, mem) = size.split_at(cut.unwrap_or(digits_at));
    let cpu = match word {
        "SMALL" => 1,
        "MEDIUM" => 2,
        "LARGE" => 4,
        "2XLARGE" => 8,
        "3XLARGE" => 12,
        "4XLARGE" => 16,
        "6XLARGE" => 24,
        "8XLARGE" => 32,
        _ => 2,
    };
    (cpu, mem.parse().unwrap_or(cpu * 2))
}

/// Launches instances, each with a primary ENI; they become running after the transition delay.
pub fn run(tx: &mut dyn Tx, env: &Env, input: NewInstances, action: &str) -> Result<Vec<Instance>, Error> {
    let subnet: Subnet = repo::load(tx, &env.scope, &input.subnet_id)?;
    if !input.vpc_id.is_empty() && input.vpc_id != subnet.vpc_id {
        repo::load::<crate::model::Vpc>(tx, &env.scope, &input.vpc_id)?;
        return Err(Error::VpcMismatch { what: subnet.id, other: input.vpc_id });
    }
    if !input.zone.is_empty() && input.zone != subnet.zone {
        return Err(Error::ZoneMismatch { what: subnet.id, other: input.zone });
    }
    if !input.private_ips.is_empty() && input.private_ips.len() != input.count as usize {
        return Err(Error::InvalidValue {
            field: "PrivateIpAddresses".into(),
            reason: "one address per instance".into(),
        });
    }
    let (cpu, memory_gib) = shape_of(&input.instance_type);
    let mut out = Vec::with_capacity(input.count as usize);
    for n in 0..input.count as usize {
        let id = ids::generate(env.cloud(), IdKind::Instance);
        let mut eni = build(
            tx,
            env,
            NewEni {
                subnet_id: subnet.id.clone(),
                name: format!("{id}-primary"),
                description: String::new(),
                security_group_ids: dedup(&input.security_group_ids),
                primary_ip: input.private_ips.get(n).cloned(),
                ..NewEni::default()
            },
            true,
        )?;
        eni.state = EniState::InUse;
        eni.attachment = Some(Attachment { instance_id: id.clone(), device_index: 0, attached_at: env.now_ms });
        repo::save(tx, &eni)?;
        let name = match (input.name.is_empty(), input.count) {
            (true, _) => "Unnamed".to_string(),
            (false, 1) => input.name.clone(),
            (false, _) => format!("{}{}", input.name, n + 1),
        };
        let ins = Instance {
            id: id.clone(),
            scope: env.scope.clone(),
            name,
            host_name: if input.host_name.is_empty() { id.clone() } else { input.host_name.clone() },
            zone: subnet.zone.clone(),
            instance_type: input.instance_type.clone(),
            image_id: input.image_id.clone(),
            vpc_id: subnet.vpc_id.clone(),
            subnet_id: subnet.id.clone(),
            primary_eni_id: eni.id.clone(),
            state: InstanceState::Pending,
            charge_type: input.charge_type.clone(),
            project_id: input.project_id,
            cpu,
            memory_gib,
            tags: input.tags.clone(),
            last_operation: Some((action.into(), "OPERATING".into(), env.request_id.clone())),
            created_at: env.now_ms,
        };
        repo::create(tx, &ins)?;
        schedule(tx, env, Step::InstanceRunning { instance: id }, true)?;
        out.push(ins);
    }
    let ids: Vec<String> = out.iter().map(|i| i.id.clone()).collect();
    task::open(tx, env, action, &ids)?;
    Ok(out)
}

/// What a lifecycle change wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Stopped → Starting → Running.
    Start,
    /// Running → Stopping → Stopped.
    Stop,
    /// Running → Rebooting → Running.
    Reboot,
    /// Any settled state → Terminating → gone.
    Terminate,
}

/// Applies a lifecycle change to instances (all or none).
pub fn change(tx: &mut dyn Tx, env: &Env, ids: &[String], what: Change, action: &str) -> Result<Vec<Instance>, Error> {
    let mut list: Vec<Instance> =
        dedup(ids).iter().map(|id| repo::load::<Instance>(tx, &env.scope, id)).collect::<Result<_, _>>()?;
    for ins in &list {
        let ok = match what {
            Change::Start => ins.state == InstanceState::Stopped,
            Change::Stop | Change::Reboot => ins.state == InstanceState::Running,
            Change::Terminate => {
                matches!(ins.state, InstanceState::Running | InstanceState::Stopped)
            }
        };
        if !ok {
            return Err(Error::InvalidState {
                kind: Kind::Instance,
                id: ins.id.clone(),
                state: ins.state.name().into(),
            });
        }
    }
    for ins in list.iter_mut() {
        let (state, step) = match what {
            Change::Start => (InstanceState::Starting, Step::InstanceRunning { instance: ins.id.clone() }),
            Change::Stop => (InstanceState::Stopping, Step::InstanceStopped { instance: ins.id.clone() }),
            Change::Reboot => (InstanceState::Rebooting, Step::InstanceRunning { instance: ins.id.clone() }),
            Change::Terminate => (InstanceState::Terminating, Step::InstanceTerminated { instance: ins.id.clone() }),
        };
        ins.state = state;
        ins.last_operation = Some((action.into(), "OPERATING".into(), env.request_id.clone()));
        repo::save(tx, ins)?;
        schedule(tx, env, step, true)?;
    }
    let ids: Vec<String> = list.iter().map(|i| i.id.clone()).collect();
    task::open(tx, env, action, &ids)?;
    Ok(list)
}

/// Renames an instance.
pub fn modify(
    tx: &mut dyn Tx,
    env: &Env,
    id: &str,
    name: Option<String>,
    host_name: Option<String>,
) -> Result<Instance, Error> {
    let mut ins: Instance = repo::load(tx, &env.scope, id)?;
    if let Some(n) = name {
        ins.name = n;
    }
    if let Some(h) = host_name {
        ins.host_name = h;
    }
    repo::save(tx, &ins)?;
    Ok(ins)
}

/// Every instance of the caller.
pub fn list(tx: &mut dyn Tx, env: &Env) -> Result<Vec<Instance>, Error> {
    repo::list(tx, &env.scope)
}

/// Completes a termination: the primary ENI goes, secondary ENIs are left detached.
pub(crate) fn finish_termination(tx: &mut dyn Tx, scope: &Scope, id: &str) -> Result<bool, Error> {
    let Some(ins) = repo::find::<Instance>(tx, scope, id)? else {
        return Ok(false);
    };
    let enis: Vec<Eni> = repo::list::<Eni>(tx, scope)?.into_iter().filter(|e| e.instance_id() == Some(id)).collect();
    for mut eni in enis {
        if eni.primary {
            release_addresses(tx, &eni)?;
            repo::remove(tx, &eni)?;
        } else {
            eni.attachment = None;
            eni.state = EniState::Available;
            repo::save(tx, &eni)?;
        }
    }
    repo::remove(tx, &ins)?;
    Ok(true)
}

/// ENIs of an instance, primary first.
pub fn enis_of(tx: &mut dyn Tx, env: &Env, ins: &Instance) -> Result<Vec<Eni>, Error> {
    let mut v = on_instance(tx, env, &ins.id)?;
    v.sort_by_key(|e| e.attachment.as_ref().map(|a| a.device_index).unwrap_or(u32::MAX));
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::shape_of;

    #[test]
    fn shapes_of_type_names_and_of_any_text() {
        assert_eq!(shape_of("S5.MEDIUM4"), (2, 4));
        assert_eq!(shape_of("S5.LARGE16"), (4, 16));
        assert_eq!(shape_of("S5.2XLARGE32"), (8, 32));
        // Multi-byte text after the dot once split inside a character and panicked.
        for t in ["S5.MEDIUM4é", "S5.é", "S5.🦀8", "S5.e\u{301}", "S5.数据4", ".", "", "S5.44"] {
            let _ = shape_of(t);
        }
        assert_eq!(shape_of("S5.MEDIUMé4"), (2, 4));
    }
}
