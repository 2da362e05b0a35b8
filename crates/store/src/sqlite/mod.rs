//! The embedded engine: one SQLite file in WAL mode, a single writer thread that group-commits,
//! and a pool of read connections that never wait for the writer.
//!
//! Durability: `synchronous=FULL` in WAL mode, so a commit returns only once the WAL is fsynced.
//! Group commit: the writer drains every queued write job, runs each inside its own SAVEPOINT (a
//! failing job rolls back alone), then pays one COMMIT (one fsync) for the whole batch, and only
//! then answers each caller. No caller is answered before its change is on disk.

pub(crate) mod nonce_log;
mod schema;
mod tx;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;

use parking_lot::Mutex;
use rusqlite::Connection;

use crate::{files, Engine, Outcome, ReadJob, StoreError, WriteJob};

/// Largest number of write jobs folded into one commit.
const MAX_BATCH: usize = 512;

/// Called with a write's outcome once its batch is durably committed (or failed).
type Done = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

struct Pending {
    job: WriteJob,
    done: Done,
}

/// What the writer thread reports for health.
#[derive(Default)]
struct WriterState {
    stopped: AtomicBool,
    /// Why the last batch could not be committed, if it could not.
    last_commit: Mutex<Option<StoreError>>,
}

/// The SQLite engine.
pub struct SqliteEngine {
    path: PathBuf,
    writer: Mutex<mpsc::Sender<Pending>>,
    readers: Mutex<Vec<Connection>>,
    state: Arc<WriterState>,
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

fn file_err(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("{}: {e}", path.display()))
}

/// The database file and its `-wal`/`-shm` companions.
fn database_files(path: &Path) -> [PathBuf; 3] {
    let with = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [path.to_path_buf(), with("-wal"), with("-shm")]
}

impl SqliteEngine {
    /// Opens `dir/eniplane.db`, creating the directory (0700) and the database (0600), and
    /// applying migrations.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        files::private_dir(dir).map_err(|e| file_err(dir, e))?;
        let path = dir.join("eniplane.db");
        // Created 0600 before SQLite opens it: SQLite gives the -wal and -shm files the mode of
        // the database file. Files from older versions are tightened.
        files::append_private(&path).map_err(|e| file_err(&path, e))?;
        let mut conn = open_conn(&path)?;
        schema::migrate(&mut conn)?;
        for f in database_files(&path) {
            files::restrict(&f).map_err(|e| file_err(&f, e))?;
        }
        let (tx, rx) = mpsc::channel::<Pending>();
        let state = Arc::new(WriterState::default());
        let writer_state = state.clone();
        thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx, &writer_state))
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(Self { path, writer: Mutex::new(tx), readers: Mutex::new(Vec::new()), state })
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
        // A connection whose read failed or panicked is not reused.
        if result.is_ok() {
            self.readers.lock().push(conn);
        }
        result
    }

    fn reads_inline(&self) -> bool {
        true
    }

    fn health(&self) -> Result<(), StoreError> {
        if self.state.stopped.load(Ordering::Relaxed) {
            return Err(StoreError::Unavailable("sqlite writer stopped".into()));
        }
        if let Some(e) = self.state.last_commit.lock().clone() {
            return Err(e);
        }
        self.read(&mut |tx| tx.pending_transitions().map(|_| true))
    }
}

/// Runs a statement through the prepared-statement cache (the hot path runs these per request).
fn exec(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql).and_then(|mut st| st.execute([])).map(|_| ()).map_err(sql_err)
}

/// Runs a job, turning a panic into [`StoreError::Panicked`].
fn isolated(job: impl FnOnce() -> Outcome) -> Outcome {
    catch_unwind(AssertUnwindSafe(job)).unwrap_or_else(|panic| {
        let e = StoreError::from_panic(&*panic);
        tracing::error!(error = %e, "a store job panicked; it was rolled back");
        Err(e)
    })
}

fn run_read(conn: &Connection, job: ReadJob<'_>) -> Result<(), StoreError> {
    exec(conn, "BEGIN DEFERRED")?;
    let mut tx = tx::SqliteTx::new(conn);
    let outcome = isolated(|| job(&mut tx));
    let end = exec(conn, "ROLLBACK");
    outcome?;
    end
}

/// Marks the writer stopped however it ends (a panic included).
struct Stopped<'a>(&'a WriterState);

impl Drop for Stopped<'_> {
    fn drop(&mut self) {
        self.0.stopped.store(true, Ordering::Relaxed);
    }
}

fn writer_loop(conn: Connection, rx: mpsc::Receiver<Pending>, state: &WriterState) {
    let _stopped = Stopped(state);
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let results = match catch_unwind(AssertUnwindSafe(|| run_batch(&conn, &mut batch))) {
            Ok((results, commit)) => {
                *state.last_commit.lock() = commit.err();
                results
            }
            Err(panic) => {
                // The engine itself (not a job) panicked: nothing of the batch is committed.
                let _ = conn.execute_batch("ROLLBACK");
                let e = StoreError::from_panic(&*panic);
                tracing::error!(error = %e, "the sqlite writer panicked outside a job; batch rolled back");
                batch.iter().map(|_| Err(e.clone())).collect()
            }
        };
        for (p, r) in batch.into_iter().zip(results) {
            (p.done)(r);
        }
    }
}

/// Runs a batch in one transaction, each job in its own savepoint; returns one result per job
/// and whether the engine could commit the batch (jobs failing on their own do not count).
fn run_batch(conn: &Connection, batch: &mut [Pending]) -> (Vec<Result<(), StoreError>>, Result<(), StoreError>) {
    let n = batch.len();
    let all = |e: &StoreError| vec![Err(e.clone()); n];
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE").map_err(sql_err) {
        return (all(&e), Err(e));
    }
    let mut results = Vec::with_capacity(batch.len());
    for p in batch.iter_mut() {
        match run_in_savepoint(conn, &mut p.job) {
            Ok(r) => results.push(r),
            Err(e) => {
                // A savepoint could not be rolled back: the batch may hold a failed job's writes,
                // so none of it is committed.
                let _ = conn.execute_batch("ROLLBACK");
                tracing::error!(error = %e, "a write batch was rolled back whole");
                return (all(&e), Err(e));
            }
        }
    }
    if let Err(e) = conn.execute_batch("COMMIT").map_err(sql_err) {
        let _ = conn.execute_batch("ROLLBACK");
        return (all(&e), Err(e));
    }
    (results, Ok(()))
}

/// Runs one job in a savepoint: its result, or `Err` when the savepoint itself failed (then the
/// whole batch must roll back).
fn run_in_savepoint(conn: &Connection, job: &mut WriteJob) -> Result<Result<(), StoreError>, StoreError> {
    exec(conn, "SAVEPOINT job")?;
    let outcome = isolated(|| job(&mut tx::SqliteTx::new(conn)));
    if !matches!(outcome, Ok(true)) {
        exec(conn, "ROLLBACK TO job")?;
    }
    exec(conn, "RELEASE job")?;
    Ok(outcome.map(|_| ()))
}
