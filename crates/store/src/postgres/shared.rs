//! State several replicas must share besides records: signature nonces and per-second request
//! counters. Both live in UNLOGGED tables (no WAL, lost on a database crash, which only forgets
//! recently seen nonces and the current second's counts) and are single autocommit statements.

use super::tx::Conn;
use crate::StoreError;

/// Roughly one call in this many also sweeps expired nonces.
const SWEEP_EVERY: u32 = 512;

/// Records `nonce` for `key` until `expires_at_ms`; `false` when it is already recorded and
/// unexpired. An expired entry is overwritten in the same statement.
pub(super) fn first_use_nonce(
    c: &mut Conn,
    key: &str,
    nonce: &str,
    now_ms: i64,
    expires_at_ms: i64,
) -> Result<bool, StoreError> {
    if rand::random::<u32>() < u32::MAX / SWEEP_EVERY {
        c.execute("DELETE FROM nonces WHERE expires_at_ms <= $1", &[&now_ms])?;
    }
    let rows = c.query(
        "INSERT INTO nonces (key, nonce, expires_at_ms) VALUES ($1, $2, $3)
         ON CONFLICT (key, nonce) DO UPDATE SET expires_at_ms = EXCLUDED.expires_at_ms
         WHERE nonces.expires_at_ms <= $4
         RETURNING 1",
        &[&key, &nonce, &expires_at_ms, &now_ms],
    )?;
    Ok(!rows.is_empty())
}

/// Counts one request of (account, action) in the current wall-clock second of the database's
/// clock (so replicas with skewed clocks agree on the window); returns the count including it.
pub(super) fn count_request(c: &mut Conn, account: &str, action: &str) -> Result<u64, StoreError> {
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
