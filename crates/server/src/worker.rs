//! The transition worker: completes due asynchronous transitions (attach, detach, start, …),
//! each in its own transaction and exactly once, and picks up pending ones after a restart.

use std::sync::Arc;
use std::time::Duration;

use eniplane_core::ops::transitions;
use eniplane_core::{time, Error};
use eniplane_store::{Store, Tx};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// How often the worker looks for due transitions when idle.
const POLL: Duration = Duration::from_millis(25);
/// Most transitions taken per round.
const BATCH: u32 = 256;

/// A running worker.
pub struct Worker {
    stop: Arc<Notify>,
    task: JoinHandle<()>,
}

impl Worker {
    /// Asks the worker to stop after its current round.
    pub fn signal(&self) {
        self.stop.notify_one();
    }

    /// Stops the worker and waits, at most `grace`, for its current round to commit; returns
    /// whether it finished in time. Transitions it did not complete stay pending in the store and
    /// are completed by the next start (or another replica).
    pub async fn stop(self, grace: Duration) -> bool {
        self.signal();
        tokio::time::timeout(grace, self.task).await.is_ok()
    }
}

/// Starts the worker.
pub fn spawn(store: Store) -> Worker {
    let stop = Arc::new(Notify::new());
    let stopped = stop.clone();
    let task = tokio::spawn(async move {
        loop {
            let ran = match run_due(&store).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "transition worker round failed");
                    0
                }
            };
            if ran as u32 >= BATCH {
                continue;
            }
            tokio::select! {
                _ = stopped.notified() => break,
                _ = tokio::time::sleep(pause(&store).await) => {}
            }
        }
    });
    Worker { stop, task }
}

/// How long to wait before the next round: until the earliest pending transition is due, at
/// most [`POLL`] (new transitions scheduled meanwhile are found by the next poll).
async fn pause(store: &Store) -> Duration {
    let next = store.read(|tx: &mut dyn Tx| Ok::<_, Error>(tx.next_due()?)).await.ok().flatten();
    match next {
        Some(due) => {
            let wait = (due - time::now_ms()).clamp(1, POLL.as_millis() as i64);
            Duration::from_millis(wait as u64)
        }
        None => POLL,
    }
}

/// Completes every transition due now; returns how many it completed.
pub async fn run_due(store: &Store) -> Result<usize, Error> {
    let now = time::now_ms();
    let due = store.read(move |tx: &mut dyn Tx| Ok::<_, Error>(tx.due_transitions(now, BATCH)?)).await?;
    let mut handles = Vec::with_capacity(due.len());
    for t in due {
        let s = store.clone();
        let id = t.id;
        handles.push(tokio::spawn(
            async move { s.write(move |tx: &mut dyn Tx| transitions::complete(tx, id, now)).await },
        ));
    }
    let mut done = 0;
    for h in handles {
        match h.await {
            Ok(Ok(true)) => done += 1,
            Ok(Ok(false)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "transition failed"),
            Err(e) => tracing::warn!(error = %e, "transition task panicked"),
        }
    }
    Ok(done)
}
