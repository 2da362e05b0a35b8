//! Asynchronous task records: opened by an asynchronous operation under its request id, updated
//! as each transition completes.

use eniplane_store::Tx;

use super::Env;
use crate::error::Error;
use crate::model::{Task, TaskResult, TaskStatus};
use crate::repo;

/// Opens a task for `resources`, all running.
pub fn open(tx: &mut dyn Tx, env: &Env, action: &str, resources: &[String]) -> Result<(), Error> {
    let task = Task {
        id: env.request_id.clone(),
        scope: env.scope.clone(),
        action: action.into(),
        results: resources.iter().map(|r| TaskResult { resource_id: r.clone(), status: TaskStatus::Running }).collect(),
        created_at: env.now_ms,
    };
    repo::create(tx, &task)
}

/// Records the outcome of one resource of a task.
pub fn settle(
    tx: &mut dyn Tx,
    scope: &crate::Scope,
    task_id: &str,
    resource: &str,
    status: TaskStatus,
) -> Result<(), Error> {
    let Some(mut task) = repo::find::<Task>(tx, scope, task_id)? else {
        return Ok(());
    };
    let mut changed = false;
    for r in task.results.iter_mut().filter(|r| r.resource_id == resource && r.status == TaskStatus::Running) {
        r.status = status;
        changed = true;
    }
    if changed {
        repo::save(tx, &task)?;
    }
    Ok(())
}

/// Reads a task of the caller.
pub fn get(tx: &mut dyn Tx, scope: &crate::Scope, task_id: &str) -> Result<Task, Error> {
    repo::load(tx, scope, task_id)
}
