//! The embedded engine: one SQLite file in WAL mode, a single writer thread that group-commits,
//! and a pool of read connections that never wait for the writer.
//!
//! Durability: `synchronous=FULL` in WAL mode, so a commit returns only once the WAL is fsynced.
//! Group commit: the writer drains every queued write job, runs each inside its own SAVEPOINT (a
//! failing job rolls back alone), then pays one COMMIT (one fsync) for the whole batch, and only
//! then answers each caller. No caller is answered before its change is on disk.

mod nonce_log;
mod schema;
mod tx;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;

use parking_lot::Mutex;
use rusqlite::Connection;

use crate::{Engine, Outcome, ReadJob, StoreError, WriteJob};

/// Largest number of write jobs folded into one commit.
const MAX_BATCH: usize = 512;

/// Called with a write's outcome once its batch is durably committed (or failed).
type Done = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

struct Pending {
    job: WriteJob,
    done: Done,
}

/// The SQLite engine.
pub struct SqliteEngine {
    path: PathBuf,
    writer: Mutex<mpsc::Sender<Pending>>,
    readers: Mutex<Vec<Connection>>,
    nonces: nonce_log::NonceLog,
}

pub(crate) fn sql_err(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) =>
        {
            StoreError::Retry(e.to_string())
        }
        other => StoreError::Unavailable(other.to_string()),
    }
}

fn open_conn(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(sql_err)?;
    conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(sql_err)?;
    conn.pragma_update(None, "journal_mode", "WAL").map_err(sql_err)?;
    conn.pragma_update(None, "synchronous", "FULL").map_err(sql_err)?;
    conn.pragma_update(None, "foreign_keys", "OFF").map_err(sql_err)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

impl SqliteEngine {
    /// Opens `dir/eniplane.db`, creating the directory and applying migrations.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Unavailable(format!("{}: {e}", dir.display())))?;
        let path = dir.join("eniplane.db");
        let mut conn = open_conn(&path)?;
        schema::migrate(&mut conn)?;
        let (tx, rx) = mpsc::channel::<Pending>();
        thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx))
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let nonces = nonce_log::NonceLog::open(dir)?;
        Ok(Self { path, writer: Mutex::new(tx), readers: Mutex::new(Vec::new()), nonces })
    }

    /// Where the database file lives.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl SqliteEngine {
    fn enqueue(&self, job: WriteJob, done: Done) -> Result<(), StoreError> {
        self.writer
            .lock()
            .send(Pending { job, done })
            .map_err(|_| StoreError::Unavailable("sqlite writer stopped".into()))
    }
}

impl Engine for SqliteEngine {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn write(&self, job: WriteJob) -> Result<(), StoreError> {
        let (done, wait) = mpsc::sync_channel(1);
        self.enqueue(
            job,
            Box::new(move |r| {
                let _ = done.send(r);
            }),
        )?;
        wait.recv().map_err(|_| StoreError::Unavailable("sqlite writer stopped".into()))?
    }

    fn supports_submit(&self) -> bool {
        true
    }

    fn submit(&self, job: WriteJob, done: Done) -> Result<(), StoreError> {
        // The writer thread answers through `done`; the caller's task never blocks a thread.
        self.enqueue(job, done)
    }

    fn read(&self, job: ReadJob<'_>) -> Result<(), StoreError> {
        let conn = match self.readers.lock().pop() {
            Some(c) => c,
            None => open_conn(&self.path)?,
        };
        let result = run_read(&conn, job);
        if result.is_ok() {
            self.readers.lock().push(conn);
        }
        result
    }

    fn remember_nonce(&self, key: &str, nonce: &str, now_ms: i64, expires_at_ms: i64) -> Result<(), StoreError> {
        let _ = now_ms;
        self.nonces.remember(key, nonce, expires_at_ms)
    }

    fn remembered_nonces(&self, now_ms: i64) -> Result<Vec<(String, String, i64)>, StoreError> {
        self.nonces.unexpired(now_ms)
    }

    fn reads_inline(&self) -> bool {
        true
    }

    fn health(&self) -> Result<(), StoreError> {
        self.read(&mut |tx| tx.pending_transitions().map(|_| true))
    }
}

/// Runs a statement through the prepared-statement cache (the hot path runs these per request).
fn exec(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql).and_then(|mut st| st.execute([])).map(|_| ()).map_err(sql_err)
}

fn run_read(conn: &Connection, job: ReadJob<'_>) -> Result<(), StoreError> {
    exec(conn, "BEGIN DEFERRED")?;
    let mut tx = tx::SqliteTx::new(conn);
    let outcome: Outcome = job(&mut tx);
    let end = exec(conn, "ROLLBACK");
    outcome?;
    end
}

fn writer_loop(conn: Connection, rx: mpsc::Receiver<Pending>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let results = run_batch(&conn, &mut batch);
        for (p, r) in batch.into_iter().zip(results) {
            (p.done)(r);
        }
    }
}

/// Runs a batch in one transaction, each job in its own savepoint; returns one result per job.
fn run_batch(conn: &Connection, batch: &mut [Pending]) -> Vec<Result<(), StoreError>> {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE").map_err(sql_err) {
        return batch.iter().map(|_| Err(e.clone())).collect();
    }
    let mut results = Vec::with_capacity(batch.len());
    for p in batch.iter_mut() {
        results.push(run_in_savepoint(conn, &mut p.job));
    }
    if let Err(e) = conn.execute_batch("COMMIT").map_err(sql_err) {
        let _ = conn.execute_batch("ROLLBACK");
        return batch.iter().map(|_| Err(e.clone())).collect();
    }
    results
}

fn run_in_savepoint(conn: &Connection, job: &mut WriteJob) -> Result<(), StoreError> {
    exec(conn, "SAVEPOINT job")?;
    let outcome = job(&mut tx::SqliteTx::new(conn));
    if !matches!(outcome, Ok(true)) {
        exec(conn, "ROLLBACK TO job")?;
    }
    exec(conn, "RELEASE job")?;
    outcome.map(|_| ())
}
