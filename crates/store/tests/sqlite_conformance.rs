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
