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

/// Receives a submitted write's outcome.
pub type WriteDone = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// A read transaction body.
pub type ReadJob<'a> = &'a mut (dyn FnMut(&mut dyn Tx) -> Outcome + Send);

/// A storage engine. Implementations own their connections, threads and migrations.
pub trait Engine: Send + Sync + 'static {
    /// Short engine name for logs and health (`sqlite`, `postgres`).
    fn name(&self) -> &'static str;
    /// Runs a write transaction to durable commit; the returned future-free call blocks the
    /// calling thread, so the facade calls it off the async runtime.
    fn write(&self, job: WriteJob) -> Result<(), StoreError>;
    /// Queues a write without blocking a thread: the engine calls `done` with the outcome once
    /// the transaction is durable. Only called when [`Engine::supports_submit`]; others are run
    /// with [`Engine::write`] on a blocking thread.
    fn submit(&self, job: WriteJob, done: WriteDone) -> Result<(), StoreError> {
        let _ = (job, done);
        Err(StoreError::Unavailable(format!("{} does not queue writes", self.name())))
    }
    /// Runs a read-only transaction, blocking the calling thread.
    fn read(&self, job: ReadJob<'_>) -> Result<(), StoreError>;
    /// Whether [`Engine::submit`] queues writes without blocking.
    fn supports_submit(&self) -> bool {
        false
    }
    /// Whether reads are short enough (local, CPU-bound) to run on the async runtime's thread.
    fn reads_inline(&self) -> bool;
    /// Checks the engine can serve (for `/healthz`); runs a real query.
    fn health(&self) -> Result<(), StoreError>;
    /// Whether several processes share this engine's database. Then signature nonces and rate
    /// counters must live in the database too ([`Engine::first_use_nonce`],
    /// [`Engine::count_request`]); otherwise the facade keeps them in process memory.
    fn shared(&self) -> bool {
        false
    }
    /// Records a signature nonce for an access key until `expires_at_ms`; `false` when it is
    /// already recorded and unexpired. Only called when [`Engine::shared`].
    fn first_use_nonce(&self, key: &str, nonce: &str, now_ms: i64, expires_at_ms: i64) -> Result<bool, StoreError> {
        let _ = (key, nonce, now_ms, expires_at_ms);
        Err(StoreError::Unavailable(format!("{} keeps no shared nonces", self.name())))
    }
    /// Records a nonce's first use so a not-shared engine can reload it after a restart (the
    /// check itself runs in memory). Default: not kept.
    fn remember_nonce(&self, key: &str, nonce: &str, now_ms: i64, expires_at_ms: i64) -> Result<(), StoreError> {
        let _ = (key, nonce, now_ms, expires_at_ms);
        Ok(())
    }
    /// Nonces recorded by [`Engine::remember_nonce`] that have not expired: (key, nonce, expiry).
    fn remembered_nonces(&self, now_ms: i64) -> Result<Vec<(String, String, i64)>, StoreError> {
        let _ = now_ms;
        Ok(Vec::new())
    }
    /// Counts one request of (account, action) in the current one-second window and returns the
    /// count including it. Only called when [`Engine::shared`].
    fn count_request(&self, account: &str, action: &str) -> Result<u64, StoreError> {
        let _ = (account, action);
        Err(StoreError::Unavailable(format!("{} keeps no shared counters", self.name())))
    }
}

/// The handle every layer above holds. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    engine: Arc<dyn Engine>,
    local: Arc<crate::memory::Local>,
}

type Slot<R, E> = Arc<Mutex<Option<Result<R, E>>>>;

impl Store {
    /// Wraps an engine.
    pub fn new(engine: Arc<dyn Engine>) -> Self {
        let local = crate::memory::Local::default();
        let now = crate::memory::now_ms();
        match engine.remembered_nonces(now) {
            Ok(list) => {
                for (key, nonce, expires) in list {
                    local.first_use_nonce(&key, &nonce, now, expires);
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not reload remembered nonces"),
        }
        Self { engine, local: Arc::new(local) }
    }

    /// Opens (creating when missing) the embedded SQLite store under `dir`.
    pub fn open_sqlite(dir: &std::path::Path) -> Result<Self, StoreError> {
        Ok(Self::new(Arc::new(crate::sqlite::SqliteEngine::open(dir)?)))
    }

    /// Connects to PostgreSQL at `url` and applies migrations (safe when replicas start together).
    /// Blocking; call it outside an async runtime or from a blocking task.
    pub fn open_postgres(url: &str) -> Result<Self, StoreError> {
        Ok(Self::new(Arc::new(crate::postgres::PgEngine::open(url)?)))
    }

    /// PostgreSQL when a database URL is given, else the embedded SQLite store under `dir`.
    /// Blocking, like the engines' constructors.
    pub fn open(dir: &std::path::Path, database_url: Option<&str>) -> Result<Self, StoreError> {
        match database_url {
            Some(url) => off_runtime(|| Self::open_postgres(url)),
            None => Self::open_sqlite(dir),
        }
    }

    /// Whether several replicas may share this store's database.
    pub fn is_shared(&self) -> bool {
        self.engine.shared()
    }

    /// [`Store::health`] for async callers: never blocks the runtime on a remote engine.
    pub async fn check(&self) -> Result<(), StoreError> {
        if self.engine.reads_inline() {
            return self.engine.health();
        }
        let engine = self.engine.clone();
        tokio::task::spawn_blocking(move || engine.health())
            .await
            .unwrap_or_else(|e| Err(StoreError::Unavailable(e.to_string())))
    }

    /// Records a signature nonce for `key` until `expires_at_ms`; `false` when it was already
    /// used and has not expired. In the database when the engine is shared (so replays are
    /// refused across replicas), else in process memory. Callable from sync code on a runtime.
    pub fn first_use_nonce(&self, key: &str, nonce: &str, now_ms: i64, expires_at_ms: i64) -> Result<bool, StoreError> {
        if !self.engine.shared() {
            let first = self.local.first_use_nonce(key, nonce, now_ms, expires_at_ms);
            if first {
                if let Err(e) = self.engine.remember_nonce(key, nonce, now_ms, expires_at_ms) {
                    tracing::warn!(error = %e, "could not record a nonce; a replay after restart would pass");
                }
            }
            return Ok(first);
        }
        off_runtime(|| self.engine.first_use_nonce(key, nonce, now_ms, expires_at_ms))
    }

    /// Counts one request of (account, action) in the current one-second window; returns the
    /// count including it. Shared across replicas when the engine is; callable like
    /// [`Store::first_use_nonce`].
    pub fn count_request(&self, account: &str, action: &str) -> Result<u64, StoreError> {
        if !self.engine.shared() {
            return Ok(self.local.count_request(account, action, crate::memory::now_ms()));
        }
        off_runtime(|| self.engine.count_request(account, action))
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
        if self.engine.supports_submit() {
            let (tx, rx) = tokio::sync::oneshot::channel();
            let done: WriteDone = Box::new(move |r| {
                let _ = tx.send(r);
            });
            let run = match self.engine.submit(job, done) {
                Ok(()) => rx.await.unwrap_or_else(|_| Err(StoreError::Unavailable("writer dropped the job".into()))),
                Err(e) => Err(e),
            };
            return finish(run, slot);
        }
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

/// Runs blocking engine code from wherever the caller is: directly outside a runtime, in
/// `block_in_place` on a multi-threaded runtime, on a scoped thread on a current-thread one.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        Ok(_) => crate::postgres::testing::off_runtime(f),
        Err(_) => f(),
    }
}
