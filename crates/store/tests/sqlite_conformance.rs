//! Runs the store conformance suite against the embedded SQLite engine.

use eniplane_store::{NonceUse, Store, Tx};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = eniplane_store::Store::open_sqlite(dir.path()).unwrap();
    eniplane_store::suite::run_all(&store).await;
    eniplane_store::fault_suite::run_all(&store).await;
}

#[tokio::test]
async fn sqlite_data_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = eniplane_store::Store::open_sqlite(dir.path()).unwrap();
        store
            .write(|tx: &mut dyn eniplane_store::Tx| {
                tx.insert(&eniplane_store::Record {
                    kind: "vpc".into(),
                    id: "vpc-1".into(),
                    account: "a".into(),
                    scope: "s".into(),
                    body: "{}".into(),
                })
            })
            .await
            .unwrap();
    }
    let store = eniplane_store::Store::open_sqlite(dir.path()).unwrap();
    let got = store.read(|tx: &mut dyn eniplane_store::Tx| tx.get("vpc", "vpc-1")).await.unwrap();
    assert!(got.is_some());
}

#[tokio::test]
async fn sqlite_remembers_nonces_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let now = chrono_free_now_ms();
    let (n1, n2, old) = ([1u8; 16], [2u8; 16], [3u8; 16]);
    {
        let store = Store::open_sqlite(dir.path()).unwrap();
        assert_eq!(store.first_use_nonce(n1, now, now + 60_000).await.unwrap(), NonceUse::First);
        assert_eq!(store.first_use_nonce(n1, now, now + 60_000).await.unwrap(), NonceUse::Replayed);
        assert_eq!(store.first_use_nonce(old, now, now + 1).await.unwrap(), NonceUse::First);
        // No clean shutdown: the store is leaked, as kill -9 would leave it.
        std::mem::forget(store);
    }
    let store = Store::open_sqlite(dir.path()).unwrap();
    let again = |d| store.first_use_nonce(d, now + 10, now + 60_000);
    assert_eq!(again(n1).await.unwrap(), NonceUse::Replayed, "a replay after a crash is refused");
    assert_eq!(again(n2).await.unwrap(), NonceUse::First);
    assert_eq!(again(old).await.unwrap(), NonceUse::First, "expired nonces are forgotten");
}

#[tokio::test]
async fn sqlite_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let store = Store::open_sqlite(&dir).unwrap();
    store.write(|tx: &mut dyn Tx| tx.claim("s", "k", "o")).await.unwrap();
    assert_eq!(store.first_use_nonce([9; 16], 0, i64::MAX / 2).await.unwrap(), NonceUse::First);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700, "data dir");
    assert_eq!(mode(&dir.join("nonces")), 0o700, "nonce log dir");
    let mut files = vec![dir.join("eniplane.db"), dir.join("eniplane.db-wal"), dir.join("eniplane.db-shm")];
    files.extend(std::fs::read_dir(dir.join("nonces")).unwrap().map(|e| e.unwrap().path()));
    assert!(files.len() > 3, "a nonce segment exists");
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    drop(store);
    // Files left readable by an older version are tightened at the next start.
    for f in &files {
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let _store = Store::open_sqlite(&dir).unwrap();
    for f in files.iter().filter(|f| f.exists()) {
        assert_eq!(mode(f), 0o600, "tightened: {}", f.display());
    }
}

fn chrono_free_now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// Polls the health check until it reports `healthy` (or `timeout` passes).
async fn health_becomes(store: &Store, healthy: bool, timeout: std::time::Duration) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    while std::time::Instant::now() < deadline {
        if store.check().await.is_ok() == healthy {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_fails_while_the_store_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(dir.path()).unwrap();
    store.check().await.expect("healthy");
    // Another process holding the write lock: reads still work, writes cannot commit.
    let blocker = rusqlite::Connection::open(dir.path().join("eniplane.db")).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    assert!(store.read(|tx: &mut dyn Tx| tx.pending_transitions()).await.is_ok(), "reads still work");
    let unhealthy = health_becomes(&store, false, std::time::Duration::from_secs(15)).await;
    blocker.execute_batch("COMMIT").unwrap();
    assert!(unhealthy, "healthz fails while writes cannot commit");
    assert!(health_becomes(&store, true, std::time::Duration::from_secs(30)).await, "and recovers");
}
