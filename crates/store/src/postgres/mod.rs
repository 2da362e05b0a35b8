//! The shared engine: PostgreSQL, for several `eniplane serve` replicas on one database.
//!
//! Write transactions run at SERIALIZABLE isolation, so the core's read-then-write closures keep
//! every invariant under any interleaving, across replicas. A serialisation failure or deadlock
//! (SQLSTATE 40001 / 40P01) re-runs the whole job on a fresh transaction; a job that failed once
//! is re-run holding session advisory locks on the accounts it touched, taken before its snapshot,
//! so contended retries queue instead of aborting each other forever. Reads run at REPEATABLE
//! READ, READ ONLY. Each transaction commits itself (`synchronous_commit` stays on): a response is
//! sent only after its commit is durable.
//!
//! Connections come from a small bounded pool; a connection found broken is dropped together with
//! every idle one (after an outage they are all dead) and new ones are opened on demand, so a
//! replica recovers by itself when the database returns.

mod pool;
mod schema;
mod shared;
pub mod testing;
mod tx;

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use crate::{Engine, Outcome, ReadJob, StoreError, WriteJob};
use pool::Pool;
pub use shared::PgGuards;
use tx::{Conn, PgTx};

/// How many times a job is re-run after serialisation failures before giving up.
const MAX_ATTEMPTS: u32 = 64;
/// Default number of connections per replica (`ENIPLANE_DATABASE_POOL_SIZE` overrides).
const DEFAULT_POOL: usize = 10;

/// The schema versions this build migrates to, in order (for tests and tools).
pub fn migration_versions() -> Vec<i64> {
    schema::versions()
}

/// Maps a driver error: serialisation failures and deadlocks are retryable, everything else means
/// the database cannot serve this transaction.
pub(crate) fn pg_err(e: postgres::Error) -> StoreError {
    use postgres::error::SqlState;
    match e.code() {
        Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED => {
            StoreError::Retry(e.to_string())
        }
        Some(c) if *c == SqlState::UNIQUE_VIOLATION => StoreError::Conflict(e.to_string()),
        _ => StoreError::Unavailable(match e.as_db_error() {
            Some(db) => format!("{}: {}", db.code().code(), db.message()),
            None => e.to_string(),
        }),
    }
}

/// Whether an error means the connection itself is gone (I/O failure, server shutting down or
/// terminating the session), as opposed to a failed statement on a live connection.
pub(crate) fn is_connection_error(e: &postgres::Error) -> bool {
    match e.code() {
        None => e.is_closed() || e.as_db_error().is_none(),
        Some(c) => {
            let code = c.code();
            code.starts_with("08") || code.starts_with("57P")
        }
    }
}

/// The PostgreSQL engine.
pub struct PgEngine {
    pool: Arc<Pool>,
    /// Connections of the request guards (see [`shared`]): apart, because they commit
    /// asynchronously.
    guard_pool: Arc<Pool>,
    replica: String,
}

enum Attempt {
    /// Finished: committed, rolled back on the job's word, or failed for good.
    Done(Result<(), StoreError>),
    /// Serialisation failure: run the job again.
    Again(StoreError),
    /// `BEGIN` met a connection that died while idle in the pool: nothing ran, use a fresh one.
    Stale(StoreError),
    /// The job panicked: its transaction is abandoned with its connection, which the pool must
    /// not hand out again (closing it makes the server roll the transaction back).
    Panicked(StoreError),
}

/// Runs a job, catching a panic.
fn isolated(job: impl FnOnce() -> Outcome) -> Result<Outcome, StoreError> {
    catch_unwind(AssertUnwindSafe(job)).map_err(|panic| {
        let e = StoreError::from_panic(&*panic);
        tracing::error!(error = %e, "a store job panicked; its transaction is abandoned");
        e
    })
}

impl PgEngine {
    /// Connects to `url` (a libpq-style URL or key=value string), applies migrations under an
    /// advisory lock, and returns the engine.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let size = std::env::var("ENIPLANE_DATABASE_POOL_SIZE")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|n| *n > 0)
            .unwrap_or(DEFAULT_POOL);
        let pool = Arc::new(Pool::new(url, size, "")?);
        let guard_pool = Arc::new(Pool::new(url, (size / 2).max(2), shared::SESSION)?);
        let mut conn = pool.checkout()?;
        let migrated = schema::migrate(&mut conn.client);
        pool.checkin(conn);
        let applied = migrated?;
        let replica = format!("{}-{}", std::process::id(), rand::random::<u32>());
        tracing::info!(applied, replica = %replica, pool = size, "postgres store ready");
        Ok(Self { pool, guard_pool, replica })
    }

    /// This replica's name in `transition_log.completed_by`.
    pub fn replica(&self) -> &str {
        &self.replica
    }

    /// The request guards (nonces, rate windows) on this engine's database and pool.
    pub fn guards(&self) -> PgGuards {
        PgGuards::new(self.guard_pool.clone())
    }

    fn attempt_write(&self, conn: &mut Conn, job: &mut WriteJob, locks: &BTreeSet<String>) -> (Attempt, Vec<String>) {
        for account in locks {
            if let Err(e) = conn.execute("SELECT pg_advisory_lock(hashtext('eniplane.account:' || $1))", &[account]) {
                return (classify(e), Vec::new());
            }
        }
        let attempt = self.write_once(conn, job);
        if !locks.is_empty() && !conn.is_broken() && !matches!(attempt.0, Attempt::Panicked(_)) {
            let _ = conn.batch("SELECT pg_advisory_unlock_all()");
        }
        attempt
    }

    fn write_once(&self, conn: &mut Conn, job: &mut WriteJob) -> (Attempt, Vec<String>) {
        if let Err(e) = conn.batch("BEGIN ISOLATION LEVEL SERIALIZABLE") {
            return (begin_failed(conn, e), Vec::new());
        }
        let mut tx = PgTx::new(conn, &self.replica);
        let outcome = match isolated(|| job(&mut tx)) {
            Ok(outcome) => outcome,
            Err(e) => return (Attempt::Panicked(e), Vec::new()),
        };
        let failed = tx.failed.take();
        let touched: Vec<String> = std::mem::take(&mut tx.accounts).into_iter().collect();
        let commit = matches!(outcome, Ok(true)) && failed.is_none();
        let end = conn.batch(if commit { "COMMIT" } else { "ROLLBACK" });
        let attempt = match (failed, outcome, end) {
            (Some(e @ StoreError::Retry(_)), _, _) | (_, Err(e @ StoreError::Retry(_)), _) => Attempt::Again(e),
            (_, _, Err(e @ StoreError::Retry(_))) => Attempt::Again(e),
            // The job swallowed a failed statement yet asked to commit: nothing was committed.
            (Some(e), Ok(true), _) => Attempt::Done(Err(e)),
            (_, Err(e), _) => Attempt::Done(Err(e)),
            (_, Ok(_), Err(e)) if commit => Attempt::Done(Err(e)),
            (_, Ok(_), _) => Attempt::Done(Ok(())),
        };
        (attempt, touched)
    }

    fn read_once(conn: &mut Conn, job: &mut ReadJob<'_>, replica: &str) -> Attempt {
        if let Err(e) = conn.batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") {
            return begin_failed(conn, e);
        }
        let mut tx = PgTx::new(conn, replica);
        let outcome: Outcome = match isolated(|| job(&mut tx)) {
            Ok(outcome) => outcome,
            Err(e) => return Attempt::Panicked(e),
        };
        let failed = tx.failed.take();
        let end = conn.batch("ROLLBACK");
        match (failed, outcome) {
            (Some(e @ StoreError::Retry(_)), _) | (_, Err(e @ StoreError::Retry(_))) => Attempt::Again(e),
            (_, Err(e)) => Attempt::Done(Err(e)),
            (Some(e), Ok(true)) => Attempt::Done(Err(e)),
            _ => Attempt::Done(end),
        }
    }
}

fn begin_failed(conn: &Conn, e: StoreError) -> Attempt {
    if conn.is_broken() {
        Attempt::Stale(e)
    } else {
        classify(e)
    }
}

fn classify(e: StoreError) -> Attempt {
    match e {
        StoreError::Retry(_) => Attempt::Again(e),
        other => Attempt::Done(Err(other)),
    }
}

/// Randomised exponential backoff before re-running a job.
fn backoff(attempt: u32) {
    let cap = 1u64 << attempt.min(6);
    let ms = rand::random::<u64>() % (cap + 1);
    std::thread::sleep(Duration::from_millis(ms));
}

impl Engine for PgEngine {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn write(&self, mut job: WriteJob) -> Result<(), StoreError> {
        let mut locks = BTreeSet::new();
        let mut stale_retry = true;
        let mut attempt = 0;
        loop {
            let mut conn = self.pool.checkout()?;
            let (result, touched) = self.attempt_write(&mut conn, &mut job, &locks);
            if let Attempt::Panicked(e) = result {
                self.pool.discard(conn);
                return Err(e);
            }
            self.pool.checkin(conn);
            match result {
                // A pooled connection that died while idle (database restarted): try once more
                // on a fresh connection before reporting the database unavailable.
                Attempt::Stale(_) if stale_retry => stale_retry = false,
                Attempt::Stale(e) | Attempt::Panicked(e) => return Err(e),
                Attempt::Done(r) => return r,
                Attempt::Again(e) => {
                    attempt += 1;
                    if attempt >= MAX_ATTEMPTS {
                        return Err(e);
                    }
                    locks.extend(touched);
                    backoff(attempt);
                }
            }
        }
    }

    fn read(&self, job: ReadJob<'_>) -> Result<(), StoreError> {
        let mut job = job;
        let mut stale_retry = true;
        let mut attempt = 0;
        loop {
            let mut conn = self.pool.checkout()?;
            let result = Self::read_once(&mut conn, &mut job, &self.replica);
            if let Attempt::Panicked(e) = result {
                self.pool.discard(conn);
                return Err(e);
            }
            self.pool.checkin(conn);
            match result {
                Attempt::Stale(_) if stale_retry => stale_retry = false,
                Attempt::Stale(e) | Attempt::Panicked(e) => return Err(e),
                Attempt::Done(r) => return r,
                Attempt::Again(e) => {
                    attempt += 1;
                    if attempt >= MAX_ATTEMPTS {
                        return Err(e);
                    }
                    backoff(attempt);
                }
            }
        }
    }

    fn reads_inline(&self) -> bool {
        false
    }

    fn health(&self) -> Result<(), StoreError> {
        self.read(&mut |tx| tx.next_due().map(|_| true))
    }
}
