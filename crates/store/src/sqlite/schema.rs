//! SQLite schema and its embedded, versioned migrations.

use rusqlite::Connection;

use super::sql_err;
use crate::StoreError;

/// Migrations in order; each runs once, inside one transaction with its version row.
const MIGRATIONS: &[(i64, &str)] = &[(
    1,
    "CREATE TABLE records (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        account TEXT NOT NULL,
        scope TEXT NOT NULL,
        body TEXT NOT NULL,
        UNIQUE (kind, id)
    );
    CREATE INDEX records_by_owner ON records (kind, account, scope);
    CREATE TABLE claims (
        space TEXT NOT NULL,
        key TEXT NOT NULL,
        owner TEXT NOT NULL,
        PRIMARY KEY (space, key)
    ) WITHOUT ROWID;
    CREATE TABLE transitions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        due_at_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        resource TEXT NOT NULL,
        payload TEXT NOT NULL
    );
    CREATE INDEX transitions_due ON transitions (due_at_ms);",
)];

/// Brings the schema up to date.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    )
    .map_err(sql_err)?;
    for (version, sql) in MIGRATIONS {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(sql_err)?;
        let done: bool = tx
            .query_row("SELECT EXISTS(SELECT 1 FROM schema_migrations WHERE version = ?1)", [version], |r| r.get(0))
            .map_err(sql_err)?;
        if !done {
            tx.execute_batch(sql).map_err(sql_err)?;
            tx.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, datetime('now'))", [version])
                .map_err(sql_err)?;
        }
        tx.commit().map_err(sql_err)?;
    }
    Ok(())
}
