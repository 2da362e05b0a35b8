//! The request guards several replicas must share besides records: signature nonces and
//! per-second request counters, each a single autocommit statement on a pool of their own.
//!
//! Nonces live in a logged table keyed by their 16-byte digest, so a replay is refused by every
//! replica, and after a replica is killed. The guards' connections commit with
//! `synchronous_commit = off`: the insert is visible to every session at once and survives any
//! replica crash, and it is flushed to disk with the next synchronous commit after it — at the
//! latest the commit of the request's own change, which comes later in the WAL. So the nonce of
//! every acknowledged write is durable even across a database crash; only a read-only request's
//! nonce (no effect to repeat) can be lost, if the database itself crashes within its WAL
//! writer's delay. This spares read-only requests a disk flush each. Rate counters stay UNLOGGED
//! (a database crash only forgets the current second's counts).

use std::sync::Arc;

use super::pool::Pool;
use super::tx::Conn;
use crate::guards::{Guards, NonceDigest, Receipt, Recorded};
use crate::StoreError;

/// Session settings of the guards' connections (see the module docs).
pub(super) const SESSION: &str = "SET synchronous_commit = off";

/// Roughly one call in this many also sweeps expired nonces.
const SWEEP_EVERY: u32 = 512;
/// Most expired nonces one sweep deletes (so a sweep stays a short statement).
const SWEEP_LIMIT: i64 = 10_000;

/// The guards of the PostgreSQL engine.
pub struct PgGuards {
    pool: Arc<Pool>,
}

impl PgGuards {
    pub(super) fn new(pool: Arc<Pool>) -> Self {
        Self { pool }
    }
}

impl Guards for PgGuards {
    fn shared(&self) -> bool {
        true
    }

    fn first_use_nonce(&self, nonce: &NonceDigest, now_ms: i64, expires_at_ms: i64) -> Result<Recorded, StoreError> {
        let first = self.pool.with_conn(|c| first_use_nonce(c, nonce, now_ms, expires_at_ms))?;
        Ok(if first { Recorded::First(Receipt::durable()) } else { Recorded::Replayed })
    }

    fn count_request(&self, account: &str, action: &str, _now_ms: i64) -> Result<u64, StoreError> {
        self.pool.with_conn(|c| count_request(c, account, action))
    }

    fn health(&self) -> Result<(), StoreError> {
        // Nonces are ordinary rows: the store's write probe covers them.
        Ok(())
    }
}

/// Records `nonce` until `expires_at_ms`; `false` when it is already recorded and unexpired. An
/// expired entry is overwritten in the same statement.
fn first_use_nonce(c: &mut Conn, nonce: &NonceDigest, now_ms: i64, expires_at_ms: i64) -> Result<bool, StoreError> {
    if rand::random::<u32>() < u32::MAX / SWEEP_EVERY {
        c.execute(
            "DELETE FROM nonces WHERE digest IN
               (SELECT digest FROM nonces WHERE expires_at_ms <= $1 LIMIT $2)",
            &[&now_ms, &SWEEP_LIMIT],
        )?;
    }
    let digest: &[u8] = nonce;
    let rows = c.query(
        "INSERT INTO nonces (digest, expires_at_ms) VALUES ($1, $2)
         ON CONFLICT (digest) DO UPDATE SET expires_at_ms = EXCLUDED.expires_at_ms
         WHERE nonces.expires_at_ms <= $3
         RETURNING 1",
        &[&digest, &expires_at_ms, &now_ms],
    )?;
    Ok(!rows.is_empty())
}

/// Counts one request of (account, action) in the current wall-clock second of the database's
/// clock (so replicas with skewed clocks agree on the window); returns the count including it.
fn count_request(c: &mut Conn, account: &str, action: &str) -> Result<u64, StoreError> {
    let rows = c.query(
        "INSERT INTO rate_windows AS w (account, action, window_s, n)
         VALUES ($1, $2, floor(extract(epoch FROM clock_timestamp()))::bigint, 1)
         ON CONFLICT (account, action) DO UPDATE
         SET n = CASE WHEN w.window_s = EXCLUDED.window_s THEN w.n + 1 ELSE 1 END,
             window_s = EXCLUDED.window_s
         RETURNING n",
        &[&account, &action],
    )?;
    Ok(rows.first().map(|r| r.get::<_, i64>(0)).unwrap_or(1).max(0) as u64)
}
