//! The transition worker: completes due asynchronous transitions (attach, detach, start, …),
//! each in its own transaction and exactly once, and picks up pending ones after a restart.
//!
//! A transition that fails (or panics: the store rolls the job back and answers
//! `StoreError::Panicked`) is logged and backed off — retried after 1 s, then 2 s, 4 s … at most
//! every 5 minutes — while the worker carries on with every other transition.

use std::collections::{HashMap, HashSet};
use std::future::Future;
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
/// First pause before a failed transition is tried again.
const FIRST_BACKOFF_MS: i64 = 1_000;
/// Longest pause between tries of a failing transition.
const MAX_BACKOFF_MS: i64 = 300_000;
/// Most failing transitions remembered; past it a failure is simply retried next round.
const MAX_BACKED_OFF: usize = 4_096;

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
        let mut backoff = Backoff::default();
        loop {
            let ran = match run_due_with(&store, &mut backoff, complete).await {
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

/// The real completion: the core's `transitions::complete` in one write.
async fn complete(store: Store, id: i64, now: i64) -> Result<bool, Error> {
    store.write(move |tx: &mut dyn Tx| transitions::complete(tx, id, now)).await
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

/// Transitions that failed: how often, and not before when they are tried again.
#[derive(Default)]
pub struct Backoff {
    failing: HashMap<i64, (u32, i64)>,
}

impl Backoff {
    fn waiting(&self, id: i64, now: i64) -> bool {
        self.failing.get(&id).is_some_and(|(_, retry_at)| *retry_at > now)
    }

    fn failed(&mut self, id: i64, now: i64) -> i64 {
        if self.failing.len() >= MAX_BACKED_OFF && !self.failing.contains_key(&id) {
            return 0;
        }
        let entry = self.failing.entry(id).or_insert((0, now));
        let pause = FIRST_BACKOFF_MS.saturating_mul(1 << entry.0.min(20)).min(MAX_BACKOFF_MS);
        *entry = (entry.0.saturating_add(1), now.saturating_add(pause));
        pause
    }

    /// How many transitions are being held back.
    pub fn len(&self) -> usize {
        self.failing.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.failing.is_empty()
    }
}

/// Completes every transition due now, except failing ones still backing off, with `complete`;
/// returns how many it completed.
pub async fn run_due_with<C, F>(store: &Store, backoff: &mut Backoff, complete: C) -> Result<usize, Error>
where
    C: Fn(Store, i64, i64) -> F,
    F: Future<Output = Result<bool, Error>> + Send + 'static,
{
    let now = time::now_ms();
    // Ask for enough rows that backed-off transitions cannot crowd out the others.
    let limit = BATCH.saturating_add(u32::try_from(backoff.len()).unwrap_or(u32::MAX));
    let due = store.read(move |tx: &mut dyn Tx| Ok::<_, Error>(tx.due_transitions(now, limit)?)).await?;
    if !backoff.is_empty() {
        // Forget failures that are no longer pending (completed elsewhere, or gone).
        let pending: HashSet<i64> = due.iter().map(|t| t.id).collect();
        backoff.failing.retain(|id, _| pending.contains(id));
    }
    let mut handles = Vec::with_capacity(due.len());
    for t in due.into_iter().filter(|t| !backoff.waiting(t.id, now)).take(BATCH as usize) {
        handles.push((t.id, t.kind, tokio::spawn(complete(store.clone(), t.id, now))));
    }
    let mut done = 0;
    for (id, kind, h) in handles {
        let failure = match h.await {
            Ok(Ok(true)) => {
                backoff.failing.remove(&id);
                done += 1;
                continue;
            }
            Ok(Ok(false)) => continue,
            Ok(Err(e)) => e.to_string(),
            Err(e) => format!("the completing task panicked: {e}"),
        };
        let pause = backoff.failed(id, now);
        tracing::warn!(transition = id, kind = %kind, error = %failure, retry_in_ms = pause, "transition failed");
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use eniplane_store::{NewTransition, StoreError};

    use super::*;

    type Completion = std::pin::Pin<Box<dyn Future<Output = Result<bool, Error>> + Send>>;

    async fn schedule(store: &Store, kind: &str) -> i64 {
        let t = NewTransition { due_at_ms: 0, kind: kind.into(), resource: "r".into(), payload: "{}".into() };
        store.write(move |tx: &mut dyn Tx| tx.schedule(&t)).await.unwrap()
    }

    /// Takes the transition, panicking inside the store job for `panic_in_job` and in the task
    /// itself for `panic_in_task`.
    fn completer(
        panic_in_job: i64,
        panic_in_task: i64,
        calls: Arc<AtomicUsize>,
    ) -> impl Fn(Store, i64, i64) -> Completion {
        move |store, id, _now| {
            let calls = calls.clone();
            Box::pin(async move {
                calls.fetch_add(1, Ordering::SeqCst);
                assert_ne!(id, panic_in_task, "a transition whose task panics");
                store
                    .write(move |tx: &mut dyn Tx| {
                        let taken = tx.take_transition(id)?.is_some();
                        assert_ne!(id, panic_in_job, "a transition whose store job panics");
                        Ok::<_, StoreError>(taken)
                    })
                    .await
                    .map_err(Error::from)
            })
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_transition_is_backed_off_and_the_rest_complete() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_sqlite(dir.path()).unwrap();
        let in_job = schedule(&store, "boom.job").await;
        let good = schedule(&store, "fine").await;
        let in_task = schedule(&store, "boom.task").await;
        let calls = Arc::new(AtomicUsize::new(0));
        let complete = completer(in_job, in_task, calls.clone());
        let mut backoff = Backoff::default();

        assert_eq!(run_due_with(&store, &mut backoff, &complete).await.unwrap(), 1, "the good one completes");
        assert_eq!(backoff.len(), 2, "both panicking transitions are backed off");
        assert_eq!(calls.swap(0, Ordering::SeqCst), 3);
        let pending = store.read(|tx: &mut dyn Tx| tx.pending_transitions()).await.unwrap();
        assert_eq!(pending, 2, "the panicking job's take was rolled back");

        // Backing off: the next round does not try them again, yet new transitions complete.
        let later = schedule(&store, "fine").await;
        assert_eq!(run_due_with(&store, &mut backoff, &complete).await.unwrap(), 1);
        assert_eq!(calls.swap(0, Ordering::SeqCst), 1, "only the new one was tried");
        let left = store.read(|tx: &mut dyn Tx| tx.due_transitions(i64::MAX, 10)).await.unwrap();
        let left: Vec<i64> = left.iter().map(|t| t.id).collect();
        assert_eq!(left, vec![in_job, in_task], "{good} and {later} are done");
        store.check().await.expect("the store still takes writes");
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let mut b = Backoff::default();
        let pauses: Vec<i64> = (0..12).map(|_| b.failed(1, 0)).collect();
        assert_eq!(&pauses[..4], &[1_000, 2_000, 4_000, 8_000]);
        assert_eq!(*pauses.last().unwrap(), MAX_BACKOFF_MS);
        assert!(b.waiting(1, MAX_BACKOFF_MS - 1) && !b.waiting(1, MAX_BACKOFF_MS));
        for id in 2..(MAX_BACKED_OFF as i64 + 10) {
            b.failed(id, 0);
        }
        assert_eq!(b.len(), MAX_BACKED_OFF, "bounded");
    }
}
