//! The SQLite implementation of the store's transaction primitives.

use rusqlite::{params, Connection, OptionalExtension};

use super::sql_err;
use crate::{NewTransition, Record, StoreError, Transition, Tx};

/// A transaction already opened on `conn` by the engine.
pub(super) struct SqliteTx<'c> {
    conn: &'c Connection,
}

impl<'c> SqliteTx<'c> {
    pub(super) fn new(conn: &'c Connection) -> Self {
        Self { conn }
    }
}

fn record(kind: &str, row: &rusqlite::Row<'_>) -> rusqlite::Result<Record> {
    Ok(Record { kind: kind.to_string(), id: row.get(0)?, account: row.get(1)?, scope: row.get(2)?, body: row.get(3)? })
}

fn transition(row: &rusqlite::Row<'_>) -> rusqlite::Result<Transition> {
    Ok(Transition {
        id: row.get(0)?,
        due_at_ms: row.get(1)?,
        kind: row.get(2)?,
        resource: row.get(3)?,
        payload: row.get(4)?,
    })
}

impl Tx for SqliteTx<'_> {
    fn get(&mut self, kind: &str, id: &str) -> Result<Option<Record>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT id, account, scope, body FROM records WHERE kind = ?1 AND id = ?2")
            .map_err(sql_err)?;
        st.query_row(params![kind, id], |r| record(kind, r)).optional().map_err(sql_err)
    }

    fn list(&mut self, kind: &str, account: &str, scope: &str) -> Result<Vec<Record>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT id, account, scope, body FROM records
                 WHERE kind = ?1 AND account = ?2 AND scope = ?3 ORDER BY rowid",
            )
            .map_err(sql_err)?;
        let rows = st.query_map(params![kind, account, scope], |r| record(kind, r)).map_err(sql_err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(sql_err)
    }

    fn count(&mut self, kind: &str, account: &str, scope: &str) -> Result<u64, StoreError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM records WHERE kind = ?1 AND account = ?2 AND scope = ?3")
            .map_err(sql_err)?;
        st.query_row(params![kind, account, scope], |r| r.get::<_, i64>(0)).map(|n| n as u64).map_err(sql_err)
    }

    fn insert(&mut self, rec: &Record) -> Result<(), StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "INSERT INTO records (kind, id, account, scope, body) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (kind, id) DO NOTHING",
            )
            .map_err(sql_err)?;
        match st.execute(params![rec.kind, rec.id, rec.account, rec.scope, rec.body]).map_err(sql_err)? {
            0 => Err(StoreError::Conflict(format!("{}/{}", rec.kind, rec.id))),
            _ => Ok(()),
        }
    }

    fn update(&mut self, rec: &Record) -> Result<(), StoreError> {
        let mut st = self
            .conn
            .prepare_cached("UPDATE records SET body = ?3, account = ?4, scope = ?5 WHERE kind = ?1 AND id = ?2")
            .map_err(sql_err)?;
        match st.execute(params![rec.kind, rec.id, rec.body, rec.account, rec.scope]).map_err(sql_err)? {
            0 => Err(StoreError::NotFound(format!("{}/{}", rec.kind, rec.id))),
            _ => Ok(()),
        }
    }

    fn delete(&mut self, kind: &str, id: &str) -> Result<bool, StoreError> {
        let mut st = self.conn.prepare_cached("DELETE FROM records WHERE kind = ?1 AND id = ?2").map_err(sql_err)?;
        Ok(st.execute(params![kind, id]).map_err(sql_err)? > 0)
    }

    fn claim(&mut self, space: &str, key: &str, owner: &str) -> Result<bool, StoreError> {
        let mut st = self
            .conn
            .prepare_cached("INSERT INTO claims (space, key, owner) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING")
            .map_err(sql_err)?;
        Ok(st.execute(params![space, key, owner]).map_err(sql_err)? > 0)
    }

    fn release(&mut self, space: &str, key: &str) -> Result<(), StoreError> {
        let mut st = self.conn.prepare_cached("DELETE FROM claims WHERE space = ?1 AND key = ?2").map_err(sql_err)?;
        st.execute(params![space, key]).map_err(sql_err)?;
        Ok(())
    }

    fn claimed(&mut self, space: &str) -> Result<Vec<(String, String)>, StoreError> {
        let mut st = self.conn.prepare_cached("SELECT key, owner FROM claims WHERE space = ?1").map_err(sql_err)?;
        let rows = st.query_map(params![space], |r| Ok((r.get(0)?, r.get(1)?))).map_err(sql_err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(sql_err)
    }

    fn count_claimed(&mut self, space: &str) -> Result<u64, StoreError> {
        let mut st = self.conn.prepare_cached("SELECT COUNT(*) FROM claims WHERE space = ?1").map_err(sql_err)?;
        st.query_row(params![space], |r| r.get::<_, i64>(0)).map(|n| n as u64).map_err(sql_err)
    }

    fn schedule(&mut self, t: &NewTransition) -> Result<i64, StoreError> {
        let mut st = self
            .conn
            .prepare_cached("INSERT INTO transitions (due_at_ms, kind, resource, payload) VALUES (?1, ?2, ?3, ?4)")
            .map_err(sql_err)?;
        st.execute(params![t.due_at_ms, t.kind, t.resource, t.payload]).map_err(sql_err)?;
        Ok(self.conn.last_insert_rowid())
    }

    fn take_transition(&mut self, id: i64) -> Result<Option<Transition>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached("DELETE FROM transitions WHERE id = ?1 RETURNING id, due_at_ms, kind, resource, payload")
            .map_err(sql_err)?;
        st.query_row(params![id], transition).optional().map_err(sql_err)
    }

    fn due_transitions(&mut self, now_ms: i64, limit: u32) -> Result<Vec<Transition>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT id, due_at_ms, kind, resource, payload FROM transitions
                 WHERE due_at_ms <= ?1 ORDER BY due_at_ms, id LIMIT ?2",
            )
            .map_err(sql_err)?;
        let rows = st.query_map(params![now_ms, limit], transition).map_err(sql_err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(sql_err)
    }

    fn next_due(&mut self) -> Result<Option<i64>, StoreError> {
        let mut st = self.conn.prepare_cached("SELECT MIN(due_at_ms) FROM transitions").map_err(sql_err)?;
        st.query_row([], |r| r.get::<_, Option<i64>>(0)).map_err(sql_err)
    }

    fn pending_transitions(&mut self) -> Result<u64, StoreError> {
        let mut st = self.conn.prepare_cached("SELECT COUNT(*) FROM transitions").map_err(sql_err)?;
        st.query_row([], |r| r.get::<_, i64>(0)).map(|n| n as u64).map_err(sql_err)
    }
}
