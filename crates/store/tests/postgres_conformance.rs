//! Runs the store conformance suite against PostgreSQL, each test in a schema of its own on the
//! test database (`ENIPLANE_TEST_DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/test`;
//! `off` skips), plus checks only a shared engine needs: concurrent migrations, exactly-once
//! transitions across engines (replicas), and recovery after the database connection dies.

use std::sync::Arc;

use eniplane_store::postgres::testing::{off_runtime, TestSchema};
use eniplane_store::{NewTransition, Record, Store, StoreError, Tx};

fn schema() -> Option<TestSchema> {
    let s = TestSchema::create().expect("test database reachable (set ENIPLANE_TEST_DATABASE_URL=off to skip)");
    if s.is_none() {
        eprintln!("ENIPLANE_TEST_DATABASE_URL=off: skipping PostgreSQL test");
    }
    s
}

fn open(url: &str) -> Store {
    let url = url.to_string();
    off_runtime(move || Store::open_postgres(&url)).expect("open postgres store")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_passes_the_conformance_suite() {
    let Some(db) = schema() else { return };
    let store = open(db.url());
    assert_eq!(store.engine_name(), "postgres");
    assert!(store.is_shared());
    eniplane_store::suite::run_all(&store).await;
    eniplane_store::fault_suite::run_all(&store).await;
    store.check().await.expect("healthy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_starting_together_migrate_once() {
    let Some(db) = schema() else { return };
    let url = db.url().to_string();
    let opened = off_runtime(move || {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..6).map(|_| s.spawn(|| Store::open_postgres(&url))).collect();
            handles.into_iter().map(|h| h.join().expect("thread").is_ok()).collect::<Vec<_>>()
        })
    });
    assert!(opened.iter().all(|ok| *ok), "every replica starts: {opened:?}");
    let versions = off_runtime(|| {
        let mut c = db.client().unwrap();
        c.query_one("SELECT COUNT(*) FROM schema_migrations", &[]).unwrap().get::<_, i64>(0)
    });
    assert_eq!(versions, eniplane_store::postgres::migration_versions().len() as i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_complete_each_transition_once() {
    let Some(db) = schema() else { return };
    let replicas: Vec<Store> = (0..3).map(|_| open(db.url())).collect();
    for i in 0..60 {
        replicas[i % 3]
            .write(move |tx: &mut dyn Tx| {
                tx.schedule(&NewTransition {
                    due_at_ms: 1,
                    kind: "k".into(),
                    resource: format!("r{i}"),
                    payload: "{}".into(),
                })
            })
            .await
            .unwrap();
    }
    let taken = Arc::new(parking_lot::Mutex::new(Vec::new()));
    let mut handles = Vec::new();
    for (n, store) in replicas.iter().enumerate() {
        for _ in 0..3 {
            let s = store.clone();
            let taken = taken.clone();
            handles.push(tokio::spawn(async move {
                loop {
                    let due = s.read(|tx: &mut dyn Tx| tx.due_transitions(10, 8)).await.unwrap();
                    if due.is_empty() {
                        break;
                    }
                    for t in due {
                        let id = t.id;
                        let got = s.write(move |tx: &mut dyn Tx| tx.take_transition(id)).await.unwrap();
                        if let Some(t) = got {
                            taken.lock().push((t.id, n));
                        }
                    }
                }
            }));
        }
    }
    for h in handles {
        h.await.unwrap();
    }
    let mut ids: Vec<i64> = taken.lock().iter().map(|(id, _)| *id).collect();
    assert_eq!(ids.len(), 60);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 60, "no transition taken twice");
    let (logged, twice) = off_runtime(|| {
        let mut c = db.client().unwrap();
        let logged: i64 = c.query_one("SELECT COUNT(*) FROM transition_log", &[]).unwrap().get(0);
        let twice: i64 = c
            .query_one("SELECT COUNT(*) FROM (SELECT id FROM transition_log GROUP BY id HAVING COUNT(*) > 1) d", &[])
            .unwrap()
            .get(0);
        (logged, twice)
    });
    assert_eq!((logged, twice), (60, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_recovers_after_its_connections_are_killed() {
    let Some(db) = schema() else { return };
    let store = open(db.url());
    let rec = |id: &str| Record {
        kind: "vpc".into(),
        id: id.into(),
        account: "a".into(),
        scope: "s".into(),
        body: "{}".into(),
    };
    let r1 = rec("vpc-1");
    store.write(move |tx: &mut dyn Tx| tx.insert(&r1)).await.unwrap();
    // Kill every server process serving this schema's connections, as a database restart would.
    let killed = off_runtime(|| {
        let mut c = db.client().unwrap();
        c.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = $1 AND pid <> pg_backend_pid()",
            &[&db.name()],
        )
        .unwrap()
        .len()
    });
    assert!(killed >= 1, "the store had open connections");
    store.check().await.expect("healthy again on a fresh connection");
    let r2 = rec("vpc-2");
    store.write(move |tx: &mut dyn Tx| tx.insert(&r2)).await.expect("writes work again");
    let n = store.read(|tx: &mut dyn Tx| tx.count("vpc", "a", "s")).await.unwrap();
    assert_eq!(n, 2);
    // A broken database URL is an error, not a panic.
    let bad = off_runtime(|| Store::open_postgres("postgres://postgres@127.0.0.1:1/none?connect_timeout=1"));
    assert!(matches!(bad, Err(StoreError::Unavailable(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn health_fails_while_the_database_refuses_writes() {
    let Some(db) = schema() else { return };
    let store = open(db.url());
    store.check().await.expect("healthy");
    // Reads work, writes to the probe's table wait on a lock another session holds.
    let (hold, release) = std::sync::mpsc::channel::<()>();
    let (locked, is_locked) = std::sync::mpsc::channel::<()>();
    let url = db.url().to_string();
    let blocker = std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let mut tx = c.transaction().unwrap();
        tx.batch_execute("LOCK TABLE claims IN EXCLUSIVE MODE").unwrap();
        locked.send(()).unwrap();
        let _ = release.recv();
        tx.rollback().unwrap();
    });
    is_locked.recv().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = store.check().await;
    hold.send(()).unwrap();
    blocker.join().unwrap();
    assert!(r.is_err(), "healthz fails while a write cannot commit");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while store.check().await.is_err() {
        assert!(std::time::Instant::now() < deadline, "healthy again");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
