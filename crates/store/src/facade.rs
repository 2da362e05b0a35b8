//! The `Store` facade: typed async `read`/`write` over an object-safe engine.

use std::sync::Arc;

use parking_lot::Mutex;

use crate::{StoreError, Tx};

/// What a transaction body tells the engine: commit (`Ok(true)`), roll back (`Ok(false)`, a
/// business error the caller will report), or fail (`Err`, rolled back; retried by the engine
/// when [`StoreError::Retry`]).
pub type Outcome = Result<bool, StoreError>;

/// A write transaction body. `FnMut` because an engine may run it again after a serialisation
/// conflict; it must not have side effects outside the transaction.
pub type WriteJob = Box<dyn FnMut(&mut dyn Tx) -> Outcome + Send>;

/// A read transaction body.
pub type ReadJob<'a> = &'a mut (dyn FnMut(&mut dyn Tx) -> Outcome + Send);

/// A storage engine. Implementations own their connections, threads and migrations.
pub trait Engine: Send + Sync + 'static {
    /// Short engine name for logs and health (`sqlite`, `postgres`).
    fn name(&self) -> &'static str;
    /// Runs a write transaction to durable commit; the returned future-free call blocks the
    /// calling thread, so the facade calls it off the async runtime.
    fn write(&self, job: WriteJob) -> Result<(), StoreError>;
    /// Runs a read-only transaction, blocking the calling thread.
    fn read(&self, job: ReadJob<'_>) -> Result<(), StoreError>;
    /// Whether reads are short enough (local, CPU-bound) to run on the async runtime's thread.
    fn reads_inline(&self) -> bool;
    /// Checks the engine can serve (for `/healthz`).
    fn health(&self) -> Result<(), StoreError>;
}

/// The handle every layer above holds. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    engine: Arc<dyn Engine>,
}

type Slot<R, E> = Arc<Mutex<Option<Result<R, E>>>>;

impl Store {
    /// Wraps an engine.
    pub fn new(engine: Arc<dyn Engine>) -> Self {
        Self { engine }
    }

    /// Opens (creating when missing) the embedded SQLite store under `dir`.
    pub fn open_sqlite(dir: &std::path::Path) -> Result<Self, StoreError> {
        Ok(Self::new(Arc::new(crate::sqlite::SqliteEngine::open(dir)?)))
    }

    /// The engine's short name.
    pub fn engine_name(&self) -> &'static str {
        self.engine.name()
    }

    /// Health of the underlying engine.
    pub fn health(&self) -> Result<(), StoreError> {
        self.engine.health()
    }

    /// Runs `f` in a write transaction; its `Ok` is committed durably before this returns,
    /// its `Err` rolls everything back.
    pub async fn write<R, E, F>(&self, f: F) -> Result<R, E>
    where
        F: FnMut(&mut dyn Tx) -> Result<R, E> + Send + 'static,
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let engine = self.engine.clone();
        let (job, slot) = wrap(f);
        let run = tokio::task::spawn_blocking(move || engine.write(job)).await;
        finish(run.unwrap_or_else(|e| Err(StoreError::Unavailable(e.to_string()))), slot)
    }

    /// Runs `f` in a read transaction.
    pub async fn read<R, E, F>(&self, f: F) -> Result<R, E>
    where
        F: FnMut(&mut dyn Tx) -> Result<R, E> + Send + 'static,
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        if self.engine.reads_inline() {
            return self.read_blocking(f);
        }
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.read_blocking(f))
            .await
            .unwrap_or_else(|e| Err(StoreError::Unavailable(e.to_string()).into()))
    }

    /// [`Store::write`] for callers outside an async runtime (the CLI).
    pub fn write_blocking<R, E, F>(&self, f: F) -> Result<R, E>
    where
        F: FnMut(&mut dyn Tx) -> Result<R, E> + Send + 'static,
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (job, slot) = wrap(f);
        finish(self.engine.write(job), slot)
    }

    /// [`Store::read`] for callers outside an async runtime.
    pub fn read_blocking<R, E, F>(&self, mut f: F) -> Result<R, E>
    where
        F: FnMut(&mut dyn Tx) -> Result<R, E> + Send,
        R: Send,
        E: From<StoreError> + Send,
    {
        let mut out: Option<Result<R, E>> = None;
        let mut job = |tx: &mut dyn Tx| {
            let r = f(tx);
            let ok = r.is_ok();
            out = Some(r);
            Ok(ok)
        };
        match self.engine.read(&mut job) {
            Ok(()) => out.unwrap_or_else(|| Err(StoreError::Unavailable("read did not run".into()).into())),
            Err(e) => Err(e.into()),
        }
    }
}

fn wrap<R, E, F>(mut f: F) -> (WriteJob, Slot<R, E>)
where
    F: FnMut(&mut dyn Tx) -> Result<R, E> + Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    let slot: Slot<R, E> = Arc::new(Mutex::new(None));
    let out = slot.clone();
    let job: WriteJob = Box::new(move |tx: &mut dyn Tx| {
        let r = f(tx);
        let ok = r.is_ok();
        *out.lock() = Some(r);
        Ok(ok)
    });
    (job, slot)
}

fn finish<R, E: From<StoreError>>(run: Result<(), StoreError>, slot: Slot<R, E>) -> Result<R, E> {
    run.map_err(E::from)?;
    slot.lock().take().unwrap_or_else(|| Err(StoreError::Unavailable("transaction did not run".into()).into()))
}
