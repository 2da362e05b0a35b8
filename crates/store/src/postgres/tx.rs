//! The PostgreSQL implementation of the store's transaction primitives.
//!
//! A [`PgTx`] runs inside a transaction the engine opened. PostgreSQL aborts a transaction at its
//! first failed statement, so the first error is remembered: later primitives return it at once,
//! and the engine reads it after the job (a serialisation failure makes it re-run the job even
//! when the core swallowed the error and asked for a rollback).

use std::collections::{BTreeSet, HashMap};

use postgres::types::ToSql;
use postgres::{Client, Row, Statement};

use super::pg_err;
use crate::{NewTransition, Record, StoreError, Transition, Tx};

/// One completion in this many also prunes `transition_log` rows older than a day.
const LOG_PRUNE_EVERY: i64 = 1024;

/// A connection with its prepared statements.
pub(super) struct Conn {
    pub(super) client: Client,
    /// Whether it came from the idle list (it may have died while idle) rather than fresh.
    pub(super) reused: bool,
    /// A statement met a dead connection; the pool must not hand it out again.
    pub(super) broken: bool,
    statements: HashMap<&'static str, Statement>,
}

impl Conn {
    pub(super) fn new(client: Client) -> Self {
        Self { client, reused: false, broken: false, statements: HashMap::new() }
    }

    fn statement(&mut self, sql: &'static str) -> Result<Statement, StoreError> {
        if let Some(st) = self.statements.get(sql) {
            return Ok(st.clone());
        }
        let st = match self.client.prepare(sql) {
            Ok(st) => st,
            Err(e) => return Err(self.fail(e)),
        };
        self.statements.insert(sql, st.clone());
        Ok(st)
    }

    pub(super) fn query(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, StoreError> {
        let st = self.statement(sql)?;
        let r = self.client.query(&st, params);
        r.map_err(|e| self.fail(e))
    }

    pub(super) fn execute(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, StoreError> {
        let st = self.statement(sql)?;
        let r = self.client.execute(&st, params);
        r.map_err(|e| self.fail(e))
    }

    /// `BEGIN`, `COMMIT` and other plain commands.
    pub(super) fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        let r = self.client.batch_execute(sql);
        r.map_err(|e| self.fail(e))
    }

    /// Maps an error, noting whether it means the connection is gone.
    pub(super) fn fail(&mut self, e: postgres::Error) -> StoreError {
        if super::is_connection_error(&e) {
            self.broken = true;
        }
        pg_err(e)
    }

    /// Whether the pool must drop this connection.
    pub(super) fn is_broken(&self) -> bool {
        self.broken || self.client.is_closed()
    }
}

/// A transaction already opened on `conn` by the engine.
pub(super) struct PgTx<'c> {
    conn: &'c mut Conn,
    replica: &'c str,
    /// The first error a statement met; the transaction is aborted from then on.
    pub(super) failed: Option<StoreError>,
    /// Accounts this transaction touched, so a retry can serialise on them up front.
    pub(super) accounts: BTreeSet<String>,
}

impl<'c> PgTx<'c> {
    pub(super) fn new(conn: &'c mut Conn, replica: &'c str) -> Self {
        Self { conn, replica, failed: None, accounts: BTreeSet::new() }
    }

    fn run<T>(&mut self, f: impl FnOnce(&mut Conn) -> Result<T, StoreError>) -> Result<T, StoreError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let r = f(self.conn);
        if let Err(e) = &r {
            self.failed = Some(e.clone());
        }
        r
    }

    fn touch(&mut self, account: &str) {
        if !account.is_empty() && !self.accounts.contains(account) {
            self.accounts.insert(account.to_string());
        }
    }
}

fn record(kind: &str, row: &Row) -> Record {
    Record { kind: kind.to_string(), id: row.get(0), account: row.get(1), scope: row.get(2), body: row.get(3) }
}

fn transition(row: &Row) -> Transition {
    Transition { id: row.get(0), due_at_ms: row.get(1), kind: row.get(2), resource: row.get(3), payload: row.get(4) }
}

fn count(rows: Vec<Row>) -> u64 {
    rows.first().map(|r| r.get::<_, i64>(0)).unwrap_or(0).max(0) as u64
}

impl Tx for PgTx<'_> {
    fn get(&mut self, kind: &str, id: &str) -> Result<Option<Record>, StoreError> {
        let rows = self.run(|c| {
            c.query("SELECT id, account, scope, body FROM records WHERE kind = $1 AND id = $2", &[&kind, &id])
        })?;
        let found = rows.first().map(|r| record(kind, r));
        if let Some(r) = &found {
            self.touch(&r.account);
        }
        Ok(found)
    }

    fn list(&mut self, kind: &str, account: &str, scope: &str) -> Result<Vec<Record>, StoreError> {
        self.touch(account);
        let rows = self.run(|c| {
            c.query(
                "SELECT id, account, scope, body FROM records
                 WHERE kind = $1 AND account = $2 AND scope = $3 ORDER BY seq",
                &[&kind, &account, &scope],
            )
        })?;
        Ok(rows.iter().map(|r| record(kind, r)).collect())
    }

    fn count(&mut self, kind: &str, account: &str, scope: &str) -> Result<u64, StoreError> {
        self.touch(account);
        let rows = self.run(|c| {
            c.query(
                "SELECT COUNT(*) FROM records WHERE kind = $1 AND account = $2 AND scope = $3",
                &[&kind, &account, &scope],
            )
        })?;
        Ok(count(rows))
    }

    fn insert(&mut self, rec: &Record) -> Result<(), StoreError> {
        self.touch(&rec.account);
        let n = self.run(|c| {
            c.execute(
                "INSERT INTO records (kind, id, account, scope, body) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (kind, id) DO NOTHING",
                &[&rec.kind, &rec.id, &rec.account, &rec.scope, &rec.body],
            )
        })?;
        match n {
            0 => Err(StoreError::Conflict(format!("{}/{}", rec.kind, rec.id))),
            _ => Ok(()),
        }
    }

    fn update(&mut self, rec: &Record) -> Result<(), StoreError> {
        self.touch(&rec.account);
        let n = self.run(|c| {
            c.execute(
                "UPDATE records SET body = $3, account = $4, scope = $5 WHERE kind = $1 AND id = $2",
                &[&rec.kind, &rec.id, &rec.body, &rec.account, &rec.scope],
            )
        })?;
        match n {
            0 => Err(StoreError::NotFound(format!("{}/{}", rec.kind, rec.id))),
            _ => Ok(()),
        }
    }

    fn delete(&mut self, kind: &str, id: &str) -> Result<bool, StoreError> {
        let n = self.run(|c| c.execute("DELETE FROM records WHERE kind = $1 AND id = $2", &[&kind, &id]))?;
        Ok(n > 0)
    }

    fn claim(&mut self, space: &str, key: &str, owner: &str) -> Result<bool, StoreError> {
        let n = self.run(|c| {
            c.execute(
                "INSERT INTO claims (space, key, owner) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[&space, &key, &owner],
            )
        })?;
        Ok(n > 0)
    }

    fn release(&mut self, space: &str, key: &str) -> Result<(), StoreError> {
        self.run(|c| c.execute("DELETE FROM claims WHERE space = $1 AND key = $2", &[&space, &key]))?;
        Ok(())
    }

    fn claimed(&mut self, space: &str) -> Result<Vec<(String, String)>, StoreError> {
        let rows = self.run(|c| c.query("SELECT key, owner FROM claims WHERE space = $1 ORDER BY key", &[&space]))?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn count_claimed(&mut self, space: &str) -> Result<u64, StoreError> {
        let rows = self.run(|c| c.query("SELECT COUNT(*) FROM claims WHERE space = $1", &[&space]))?;
        Ok(count(rows))
    }

    fn schedule(&mut self, t: &NewTransition) -> Result<i64, StoreError> {
        let rows = self.run(|c| {
            c.query(
                "INSERT INTO transitions (due_at_ms, kind, resource, payload) VALUES ($1, $2, $3, $4) RETURNING id",
                &[&t.due_at_ms, &t.kind, &t.resource, &t.payload],
            )
        })?;
        rows.first().map(|r| r.get(0)).ok_or_else(|| StoreError::Unavailable("insert returned no id".into()))
    }

    fn take_transition(&mut self, id: i64) -> Result<Option<Transition>, StoreError> {
        // The row lock is the lease: a transition locked by a live transaction elsewhere is
        // skipped (that replica is completing it); if that replica dies, its transaction aborts,
        // the lock goes, and a later round here takes the row.
        let replica = self.replica;
        let rows = self.run(|c| {
            c.query(
                "WITH taken AS (
                    DELETE FROM transitions
                    WHERE id = (SELECT id FROM transitions WHERE id = $1 FOR UPDATE SKIP LOCKED)
                    RETURNING id, due_at_ms, kind, resource, payload
                 ), logged AS (
                    INSERT INTO transition_log (id, kind, resource, completed_by)
                    SELECT id, kind, resource, $2 FROM taken
                 )
                 SELECT id, due_at_ms, kind, resource, payload FROM taken",
                &[&id, &replica],
            )
        })?;
        if id % LOG_PRUNE_EVERY == 0 {
            // The log exists to audit exactly-once completion; a day of it is plenty.
            self.run(|c| c.execute("DELETE FROM transition_log WHERE completed_at < now() - interval '1 day'", &[]))?;
        }
        Ok(rows.first().map(transition))
    }

    fn due_transitions(&mut self, now_ms: i64, limit: u32) -> Result<Vec<Transition>, StoreError> {
        let limit = i64::from(limit);
        let rows = self.run(|c| {
            c.query(
                "SELECT id, due_at_ms, kind, resource, payload FROM transitions
                 WHERE due_at_ms <= $1 ORDER BY due_at_ms, id LIMIT $2",
                &[&now_ms, &limit],
            )
        })?;
        Ok(rows.iter().map(transition).collect())
    }

    fn next_due(&mut self) -> Result<Option<i64>, StoreError> {
        let rows = self.run(|c| c.query("SELECT MIN(due_at_ms) FROM transitions", &[]))?;
        Ok(rows.first().and_then(|r| r.get::<_, Option<i64>>(0)))
    }

    fn pending_transitions(&mut self) -> Result<u64, StoreError> {
        let rows = self.run(|c| c.query("SELECT COUNT(*) FROM transitions", &[]))?;
        Ok(count(rows))
    }
}
