//! PostgreSQL schema and its embedded, versioned migrations, safe when replicas start together.
//!
//! Every replica runs [`migrate`] at start-up. The whole run is one transaction that first takes
//! a transaction-scoped advisory lock keyed by the current schema, so simultaneous starts queue
//! behind each other and each migration is applied exactly once.

use postgres::Client;

use super::pg_err;
use crate::StoreError;

/// Migrations in order; each runs once, recorded in `schema_migrations`.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE records (
        seq BIGSERIAL NOT NULL,
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        account TEXT NOT NULL,
        scope TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (kind, id)
    );
    CREATE INDEX records_by_owner ON records (kind, account, scope, seq);
    CREATE TABLE claims (
        space TEXT NOT NULL,
        key TEXT NOT NULL,
        owner TEXT NOT NULL,
        PRIMARY KEY (space, key)
    );
    CREATE TABLE transitions (
        id BIGSERIAL PRIMARY KEY,
        due_at_ms BIGINT NOT NULL,
        kind TEXT NOT NULL,
        resource TEXT NOT NULL,
        payload TEXT NOT NULL
    );
    CREATE INDEX transitions_due ON transitions (due_at_ms, id);
    CREATE TABLE transition_log (
        id BIGINT NOT NULL,
        kind TEXT NOT NULL,
        resource TEXT NOT NULL,
        completed_by TEXT NOT NULL,
        completed_at TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE INDEX transition_log_by_id ON transition_log (id);
    CREATE INDEX transition_log_by_time ON transition_log (completed_at);
    CREATE UNLOGGED TABLE nonces (
        key TEXT NOT NULL,
        nonce TEXT NOT NULL,
        expires_at_ms BIGINT NOT NULL,
        PRIMARY KEY (key, nonce)
    );
    CREATE INDEX nonces_by_expiry ON nonces (expires_at_ms);
    CREATE UNLOGGED TABLE rate_windows (
        account TEXT NOT NULL,
        action TEXT NOT NULL,
        window_s BIGINT NOT NULL,
        n BIGINT NOT NULL,
        PRIMARY KEY (account, action)
    );",
    ),
    (
        2,
        // Nonces become durable and fixed-size: a logged table keyed by the 16-byte digest of
        // (scheme, access key, nonce). The old UNLOGGED table held them in clear; its entries
        // (at most one signature window's worth) are dropped.
        "DROP TABLE nonces;
    CREATE TABLE nonces (
        digest BYTEA PRIMARY KEY CHECK (length(digest) = 16),
        expires_at_ms BIGINT NOT NULL
    );
    CREATE INDEX nonces_by_expiry ON nonces (expires_at_ms);",
    ),
];

/// The versions of [`MIGRATIONS`].
pub(super) fn versions() -> Vec<i64> {
    MIGRATIONS.iter().map(|(v, _)| *v).collect()
}

/// Brings the schema up to date; returns how many migrations this call applied.
pub(super) fn migrate(client: &mut Client) -> Result<usize, StoreError> {
    let mut tx = client.transaction().map_err(pg_err)?;
    tx.execute("SELECT pg_advisory_xact_lock(hashtext('eniplane.migrate:' || current_schema()))", &[])
        .map_err(pg_err)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )
    .map_err(pg_err)?;
    let mut applied = 0;
    for (version, sql) in MIGRATIONS {
        let done: bool = tx
            .query_one("SELECT EXISTS(SELECT 1 FROM schema_migrations WHERE version = $1)", &[version])
            .map_err(pg_err)?
            .get(0);
        if !done {
            tx.batch_execute(sql).map_err(pg_err)?;
            tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[version]).map_err(pg_err)?;
            applied += 1;
        }
    }
    tx.commit().map_err(pg_err)?;
    Ok(applied)
}
