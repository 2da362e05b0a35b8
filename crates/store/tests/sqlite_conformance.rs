//! Runs the store conformance suite against the embedded SQLite engine.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = eniplane_store::Store::open_sqlite(dir.path()).unwrap();
    eniplane_store::suite::run_all(&store).await;
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
    {
        let store = eniplane_store::Store::open_sqlite(dir.path()).unwrap();
        assert!(store.first_use_nonce("key", "n1", now, now + 60_000).unwrap());
        assert!(!store.first_use_nonce("key", "n1", now, now + 60_000).unwrap());
        assert!(store.first_use_nonce("key", "old", now, now + 1).unwrap());
    }
    let store = eniplane_store::Store::open_sqlite(dir.path()).unwrap();
    assert!(!store.first_use_nonce("key", "n1", now + 10, now + 60_000).unwrap(), "a replay after restart is refused");
    assert!(store.first_use_nonce("key", "n2", now + 10, now + 60_000).unwrap());
    assert!(store.first_use_nonce("key", "old", now + 10, now + 60_000).unwrap(), "expired nonces are forgotten");
}

fn chrono_free_now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}
