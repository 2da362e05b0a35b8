//! Due transitions: the second half of every asynchronous operation. An operation moves a
//! resource into a transitional state and schedules a [`Step`] in the same transaction; a worker
//! later completes it with [`complete`], in its own transaction, exactly once.

use eniplane_store::{NewTransition, Transition, Tx};
use serde::{Deserialize, Serialize};

use super::Env;
use crate::error::Error;
use crate::model::{Eni, EniState, Instance, InstanceState, IpState, TaskStatus};
use crate::{repo, Scope};

/// What completes when a transition falls due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step")]
pub enum Step {
    /// Creating → Available.
    EniCreated { eni: String },
    /// Attaching → InUse.
    EniAttached { eni: String },
    /// Detaching → Available, attachment cleared.
    EniDetached { eni: String },
    /// Deleting → gone, addresses released.
    EniDeleted { eni: String },
    /// Pending / Migrating IPs → Available.
    IpsReady { eni: String, ips: Vec<String> },
    /// Deleting IPs → gone, released.
    IpsRemoved { eni: String, ips: Vec<String> },
    /// Pending / Starting / Rebooting → Running.
    InstanceRunning { instance: String },
    /// Stopping → Stopped.
    InstanceStopped { instance: String },
    /// Terminating → gone with its primary ENI; secondary ENIs detached.
    InstanceTerminated { instance: String },
}

impl Step {
    fn name(&self) -> &'static str {
        match self {
            Step::EniCreated { .. } => "eni.created",
            Step::EniAttached { .. } => "eni.attached",
            Step::EniDetached { .. } => "eni.detached",
            Step::EniDeleted { .. } => "eni.deleted",
            Step::IpsReady { .. } => "ip.ready",
            Step::IpsRemoved { .. } => "ip.removed",
            Step::InstanceRunning { .. } => "instance.running",
            Step::InstanceStopped { .. } => "instance.stopped",
            Step::InstanceTerminated { .. } => "instance.terminated",
        }
    }

    fn resource(&self) -> &str {
        match self {
            Step::EniCreated { eni }
            | Step::EniAttached { eni }
            | Step::EniDetached { eni }
            | Step::EniDeleted { eni }
            | Step::IpsReady { eni, .. }
            | Step::IpsRemoved { eni, .. } => eni,
            Step::InstanceRunning { instance }
            | Step::InstanceStopped { instance }
            | Step::InstanceTerminated { instance } => instance,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Payload {
    scope: Scope,
    task: Option<String>,
    step: Step,
}

/// Schedules `step` to complete after the transition delay; `task` names the task it settles.
pub fn schedule(tx: &mut dyn Tx, env: &Env, step: Step, task: bool) -> Result<(), Error> {
    let payload = Payload { scope: env.scope.clone(), task: task.then(|| env.request_id.clone()), step };
    let body = serde_json::to_string(&payload).map_err(|e| eniplane_store::StoreError::Corrupt(e.to_string()))?;
    tx.schedule(&NewTransition {
        due_at_ms: env.due(),
        kind: payload.step.name().into(),
        resource: payload.step.resource().into(),
        payload: body,
    })?;
    Ok(())
}

/// Takes transition `id` (if no other worker did) and applies it. Returns whether it ran.
pub fn complete(tx: &mut dyn Tx, id: i64, now_ms: i64) -> Result<bool, Error> {
    let Some(t) = tx.take_transition(id)? else {
        return Ok(false);
    };
    apply(tx, &t, now_ms)?;
    Ok(true)
}

fn apply(tx: &mut dyn Tx, t: &Transition, now_ms: i64) -> Result<(), Error> {
    let p: Payload = serde_json::from_str(&t.payload)
        .map_err(|e| eniplane_store::StoreError::Corrupt(format!("transition {}: {e}", t.id)))?;
    let ok = run_step(tx, &p.scope, &p.step, now_ms)?;
    if let Some(task) = &p.task {
        let status = if ok { TaskStatus::Success } else { TaskStatus::Failed };
        super::task::settle(tx, &p.scope, task, p.step.resource(), status)?;
    }
    Ok(())
}

/// Applies a step; `false` when its resource vanished meanwhile.
fn run_step(tx: &mut dyn Tx, scope: &Scope, step: &Step, now_ms: i64) -> Result<bool, Error> {
    match step {
        Step::EniCreated { eni } => with_eni(tx, scope, eni, |e| {
            if e.state == EniState::Creating {
                e.state = EniState::Available;
            }
            for ip in e.private_ips.iter_mut() {
                ip.state = IpState::Available;
            }
        }),
        Step::EniAttached { eni } => with_eni(tx, scope, eni, |e| {
            if e.state == EniState::Attaching {
                e.state = EniState::InUse;
                if let Some(a) = e.attachment.as_mut() {
                    a.attached_at = now_ms;
                }
            }
        }),
        Step::EniDetached { eni } => with_eni(tx, scope, eni, |e| {
            if e.state == EniState::Detaching {
                e.state = EniState::Available;
                e.attachment = None;
            }
        }),
        Step::EniDeleted { eni } => {
            let Some(e) = repo::find::<Eni>(tx, scope, eni)? else {
                return Ok(false);
            };
            super::eni::release_addresses(tx, &e)?;
            repo::remove(tx, &e)?;
            Ok(true)
        }
        Step::IpsReady { eni, ips } => with_eni(tx, scope, eni, |e| {
            for ip in e.private_ips.iter_mut().filter(|p| ips.contains(&p.address)) {
                ip.state = IpState::Available;
            }
        }),
        Step::IpsRemoved { eni, ips } => {
            let Some(mut e) = repo::find::<Eni>(tx, scope, eni)? else {
                return Ok(false);
            };
            // Only addresses still on this ENI and being deleted go; each was claimed by this ENI
            // (claims follow the address when it moves), so releasing it is exact.
            let (gone, kept): (Vec<_>, Vec<_>) =
                e.private_ips.drain(..).partition(|p| ips.contains(&p.address) && p.state == IpState::Deleting);
            e.private_ips = kept;
            let space = super::eni::ip_space(&e.subnet_id);
            for ip in &gone {
                tx.release(&space, &ip.address)?;
            }
            repo::save(tx, &e)?;
            Ok(true)
        }
        Step::InstanceRunning { instance } => with_instance(tx, scope, instance, |i| {
            if matches!(i.state, InstanceState::Pending | InstanceState::Starting | InstanceState::Rebooting) {
                i.state = InstanceState::Running;
                set_last_operation_result(i, "SUCCESS");
            }
        }),
        Step::InstanceStopped { instance } => with_instance(tx, scope, instance, |i| {
            if i.state == InstanceState::Stopping {
                i.state = InstanceState::Stopped;
                set_last_operation_result(i, "SUCCESS");
            }
        }),
        Step::InstanceTerminated { instance } => super::instance::finish_termination(tx, scope, instance),
    }
}

fn set_last_operation_result(i: &mut Instance, result: &str) {
    if let Some(op) = i.last_operation.as_mut() {
        op.1 = result.into();
    }
}

fn with_eni(tx: &mut dyn Tx, scope: &Scope, id: &str, f: impl FnOnce(&mut Eni)) -> Result<bool, Error> {
    let Some(mut e) = repo::find::<Eni>(tx, scope, id)? else {
        return Ok(false);
    };
    f(&mut e);
    repo::save(tx, &e)?;
    Ok(true)
}

fn with_instance(tx: &mut dyn Tx, scope: &Scope, id: &str, f: impl FnOnce(&mut Instance)) -> Result<bool, Error> {
    let Some(mut i) = repo::find::<Instance>(tx, scope, id)? else {
        return Ok(false);
    };
    f(&mut i);
    repo::save(tx, &i)?;
    Ok(true)
}
