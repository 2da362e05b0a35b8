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
use std::time::Duration;

use crate::{Engine, Outcome, ReadJob, StoreError, WriteJob};
use pool::Pool;
use tx::{Conn, PgTx};

/// How many times a job is re-run after serialisation failures before giving up.
const MAX_ATTEMPTS: u32 = 64;
/// Default number of connections per replica (`ENIPLANE_DATABASE_POOL_SIZE` overrides).
const DEFAULT_POOL: usize = 10;

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
    pool: Pool,
    replica: String,
}

enum Attempt {
    /// Finished: committed, rolled back on the job's word, or failed for good.
    Done(Result<(), StoreError>),
    /// Serialisation failure: run the job again.
    Again(StoreError),
    /// `BEGIN` met a connection that died while idle in the pool: nothing ran, use a fresh one.
    Stale(StoreError),
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
        let pool = Pool::new(url, size)?;
        let mut conn = pool.checkout()?;
        let migrated = schema::migrate(&mut conn.client);
        pool.checkin(conn);
        let applied = migrated?;
        let replica = format!("{}-{}", std::process::id(), rand::random::<u32>());
        tracing::info!(applied, replica = %replica, pool = size, "postgres store ready");
        Ok(Self { pool, replica })
    }

    /// This replica's name in `transition_log.completed_by`.
    pub fn replica(&self) -> &str {
        &self.replica
    }

    fn attempt_write(&self, conn: &mut Conn, job: &mut WriteJob, locks: &BTreeSet<String>) -> (Attempt, Vec<String>) {
        for account in locks {
            if let Err(e) = conn.execute("SELECT pg_advisory_lock(hashtext('eniplane.account:' || $1))", &[account]) {
                return (classify(e), Vec::new());
            }
        }
        let attempt = self.write_once(conn, job);
        if !locks.is_empty() && !conn.is_broken() {
            let _ = conn.batch("SELECT pg_advisory_unlock_all()");
        }
        attempt
    }

    fn write_once(&self, conn: &mut Conn, job: &mut WriteJob) -> (Attempt, Vec<String>) {
        if let Err(e) = conn.batch("BEGIN ISOLATION LEVEL SERIALIZABLE") {
            return (begin_failed(conn, e), Vec::new());
        }
        let mut tx = PgTx::new(conn, &self.replica);
        let outcome = job(&mut tx);
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
        let outcome: Outcome = job(&mut tx);
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
            self.pool.checkin(conn);
            match result {
                // A pooled connection that died while idle (database restarted): try once more
                // on a fresh connection before reporting the database unavailable.
                Attempt::Stale(_) if stale_retry => stale_retry = false,
                Attempt::Stale(e) => return Err(e),
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
            self.pool.checkin(conn);
            match result {
                Attempt::Stale(_) if stale_retry => stale_retry = false,
                Attempt::Stale(e) => return Err(e),
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

    fn shared(&self) -> bool {
        true
    }

    fn first_use_nonce(&self, key: &str, nonce: &str, now_ms: i64, expires_at_ms: i64) -> Result<bool, StoreError> {
        self.with_conn(|c| shared::first_use_nonce(c, key, nonce, now_ms, expires_at_ms))
    }

    fn count_request(&self, account: &str, action: &str) -> Result<u64, StoreError> {
        self.with_conn(|c| shared::count_request(c, account, action))
    }
}

impl PgEngine {
    /// Runs one autocommit call on a pooled connection, retrying once when a connection that
    /// sat idle in the pool turns out to be dead (the call then never reached the database).
    fn with_conn<T>(&self, mut f: impl FnMut(&mut Conn) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut stale_retry = true;
        loop {
            let mut conn = self.pool.checkout()?;
            let was_idle = conn.reused;
            let r = f(&mut conn);
            let broken = conn.is_broken();
            self.pool.checkin(conn);
            match r {
                Err(StoreError::Unavailable(_)) if broken && was_idle && stale_retry => stale_retry = false,
                other => return other,
            }
        }
    }
}
