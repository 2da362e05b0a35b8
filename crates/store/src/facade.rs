//! The `Store` facade: typed async `read`/`write` over an object-safe engine, the request guards
//! (nonces, rate windows) beside it, and the health check `/healthz` runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::guards::{Guards, NonceDigest, NonceUse, Recorded};
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

/// A storage engine's transactions. Implementations own their connections, threads and
/// migrations. Request guards (nonces, rate windows) are a separate trait, [`Guards`].
///
/// Every engine runs each job isolated: a job that panics is rolled back and answered with
/// [`StoreError::Panicked`], and the engine carries on with every other job.
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
    /// Checks the engine can serve (for `/healthz`): a real read, and the engine's own view of
    /// its writes (the facade adds a real write, [`Store::check`]). Cheap; it is polled.
    fn health(&self) -> Result<(), StoreError>;
}

/// The handle every layer above holds. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    engine: Arc<dyn Engine>,
    guards: Arc<dyn Guards>,
    probe: Arc<Probe>,
}

type Slot<R, E> = Arc<Mutex<Option<Result<R, E>>>>;

/// How long `/healthz` waits for its write probe before calling the store unable to write.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// A probe result younger than this answers further health checks (so polling costs at most
/// one small write per interval, however often `/healthz` is asked).
const PROBE_REUSE: Duration = Duration::from_secs(1);
/// The claim space the write probe claims and releases a key in.
const PROBE_SPACE: &str = "eniplane.health";

/// The last write probe: when it ran and what it found.
#[derive(Default)]
struct Probe {
    last: Mutex<Option<(Instant, Result<(), StoreError>)>>,
    /// Serialises probes, so concurrent health checks share one.
    running: tokio::sync::Mutex<()>,
    key: String,
}

impl Store {
    /// Wraps an engine and the guards requests consult.
    pub fn new(engine: Arc<dyn Engine>, guards: Arc<dyn Guards>) -> Self {
        let probe = Probe { key: format!("{}-{:016x}", std::process::id(), rand::random::<u64>()), ..Probe::default() };
        Self { engine, guards, probe: Arc::new(probe) }
    }

    /// Opens (creating when missing) the embedded SQLite store under `dir`, its nonces made
    /// durable in `dir/nonces/` and reloaded from there.
    pub fn open_sqlite(dir: &std::path::Path) -> Result<Self, StoreError> {
        let engine = crate::sqlite::SqliteEngine::open(dir)?;
        let log = crate::sqlite::nonce_log::NonceLog::open(dir)?;
        let guards = crate::memory::LocalGuards::logged(log, crate::memory::MAX_NONCES)?;
        Ok(Self::new(Arc::new(engine), Arc::new(guards)))
    }

    /// Connects to PostgreSQL at `url` and applies migrations (safe when replicas start together).
    /// Blocking; call it outside an async runtime or from a blocking task.
    pub fn open_postgres(url: &str) -> Result<Self, StoreError> {
        let engine = crate::postgres::PgEngine::open(url)?;
        let guards = engine.guards();
        Ok(Self::new(Arc::new(engine), Arc::new(guards)))
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
        self.guards.shared()
    }

    /// Whether the store can take writes now, for `/healthz`: one real write (a key claimed and
    /// released in one transaction, at most once per [`PROBE_REUSE`], given [`PROBE_TIMEOUT`]),
    /// then the engine's and the guards' own checks (a real read; SQLite: the writer thread runs
    /// and its last batch committed; the nonce log's last group was synced). Never blocks the
    /// runtime on a remote engine.
    pub async fn check(&self) -> Result<(), StoreError> {
        self.probe_write().await?;
        self.guards.health()?;
        if self.engine.reads_inline() {
            return self.engine.health();
        }
        let engine = self.engine.clone();
        tokio::task::spawn_blocking(move || engine.health())
            .await
            .unwrap_or_else(|e| Err(StoreError::Unavailable(e.to_string())))
    }

    async fn probe_write(&self) -> Result<(), StoreError> {
        let fresh = |last: &Option<(Instant, Result<(), StoreError>)>| match last {
            Some((at, r)) if at.elapsed() < PROBE_REUSE => Some(r.clone()),
            _ => None,
        };
        if let Some(r) = fresh(&self.probe.last.lock()) {
            return r;
        }
        let _turn = self.probe.running.lock().await;
        if let Some(r) = fresh(&self.probe.last.lock()) {
            return r;
        }
        let key = self.probe.key.clone();
        let write = self.write(move |tx: &mut dyn Tx| {
            if tx.claim(PROBE_SPACE, &key, "healthz")? {
                tx.release(PROBE_SPACE, &key)?;
            }
            Ok::<_, StoreError>(())
        });
        let r = match tokio::time::timeout(PROBE_TIMEOUT, write).await {
            Ok(r) => r,
            Err(_) => Err(StoreError::Unavailable(format!("a write did not commit within {PROBE_TIMEOUT:?}"))),
        };
        *self.probe.last.lock() = Some((Instant::now(), r.clone()));
        r
    }

    /// Records the first use of a nonce digest until `expires_at_ms` and waits until that record
    /// is durable, so a request acknowledged after this returns [`NonceUse::First`] can never be
    /// replayed, not even after a crash. In the database when the store is shared (a replay sent
    /// to another replica is refused too), else in process memory backed by the nonce log.
    pub async fn first_use_nonce(
        &self,
        nonce: NonceDigest,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> Result<NonceUse, StoreError> {
        let recorded = if self.guards.shared() {
            let guards = self.guards.clone();
            tokio::task::spawn_blocking(move || guards.first_use_nonce(&nonce, now_ms, expires_at_ms))
                .await
                .unwrap_or_else(|e| Err(StoreError::Unavailable(e.to_string())))?
        } else {
            self.guards.first_use_nonce(&nonce, now_ms, expires_at_ms)?
        };
        match recorded {
            Recorded::First(receipt) => receipt.wait().await.map(|()| NonceUse::First),
            Recorded::Replayed => Ok(NonceUse::Replayed),
            Recorded::Full => Ok(NonceUse::Full),
        }
    }

    /// Counts one request of (account, action) in the current one-second window; returns the
    /// count including it. Shared across replicas when the store is. Callable from sync code on
    /// a runtime.
    pub fn count_request(&self, account: &str, action: &str) -> Result<u64, StoreError> {
        let now = crate::memory::now_ms();
        if !self.guards.shared() {
            return self.guards.count_request(account, action, now);
        }
        off_runtime(|| self.guards.count_request(account, action, now))
    }

    /// The engine's short name.
    pub fn engine_name(&self) -> &'static str {
        self.engine.name()
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
