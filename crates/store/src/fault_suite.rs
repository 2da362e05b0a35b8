//! Conformance checks every engine must pass for request guards and fault isolation: nonces are
//! accepted once until they expire, request windows count per second, a panicking job costs only
//! itself (rolled back, answered [`StoreError::Panicked`], the next write and the rest of its
//! batch commit), and the health check passes afterwards.

use std::time::Duration;

use crate::{NonceDigest, NonceUse, Record, Store, StoreError, Tx};

fn rec(kind: &str, id: &str) -> Record {
    Record { kind: kind.into(), id: id.into(), account: "fault-suite".into(), scope: "s".into(), body: "{}".into() }
}

fn digest() -> NonceDigest {
    rand::random()
}

/// Runs every check.
pub async fn run_all(store: &Store) {
    nonces_are_single_use(store).await;
    request_counts(store).await;
    a_panicking_write_costs_only_itself(store).await;
    a_panicking_job_leaves_its_batch_alone(store).await;
    a_panicking_read_costs_only_itself(store).await;
    store.check().await.expect("healthy after panicking jobs");
}

async fn nonces_are_single_use(store: &Store) {
    let (a, b) = (digest(), digest());
    assert_eq!(store.first_use_nonce(a, 1_000, 2_000).await.unwrap(), NonceUse::First);
    assert_eq!(store.first_use_nonce(a, 1_500, 2_500).await.unwrap(), NonceUse::Replayed, "replayed nonce");
    assert_eq!(store.first_use_nonce(b, 1_500, 2_500).await.unwrap(), NonceUse::First, "digests are apart");
    assert_eq!(store.first_use_nonce(a, 2_000, 3_000).await.unwrap(), NonceUse::First, "usable once expired");
    assert_eq!(store.first_use_nonce(a, 2_999, 4_000).await.unwrap(), NonceUse::Replayed, "and recorded again");
}

async fn request_counts(store: &Store) {
    let s = store.clone();
    tokio::task::spawn_blocking(move || {
        let account = format!("acct-{}", rand::random::<u32>());
        // Retry if the burst straddles a second boundary.
        let mut ok = false;
        for _ in 0..5 {
            let counts: Vec<u64> = (0..5).map(|_| s.count_request(&account, "vpc:X").unwrap()).collect();
            if counts.windows(2).all(|w| w[1] == w[0] + 1) {
                ok = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(ok, "counts rise by one within a second");
        let other = s.count_request(&format!("{account}-b"), "vpc:X").unwrap();
        assert_eq!(other, 1, "another account counts apart");
    })
    .await
    .unwrap();
}

async fn exists(store: &Store, id: &str) -> bool {
    let id = id.to_string();
    store.read(move |tx: &mut dyn Tx| tx.get("fault", &id)).await.unwrap().is_some()
}

async fn a_panicking_write_costs_only_itself(store: &Store) {
    let id = format!("boom-{}", rand::random::<u32>());
    let inserted = id.clone();
    let r = store
        .write(move |tx: &mut dyn Tx| -> Result<(), StoreError> {
            tx.insert(&rec("fault", &inserted))?;
            panic!("a deliberately panicking write job");
        })
        .await;
    assert!(matches!(r, Err(StoreError::Panicked(ref m)) if m.contains("deliberately")), "{r:?}");
    assert!(!exists(store, &id).await, "the panicking job's insert was rolled back");
    let next = format!("after-{}", rand::random::<u32>());
    let n = next.clone();
    store.write(move |tx: &mut dyn Tx| tx.insert(&rec("fault", &n))).await.expect("the next write succeeds");
    assert!(exists(store, &next).await);
}

async fn a_panicking_job_leaves_its_batch_alone(store: &Store) {
    let run = rand::random::<u32>();
    // A slow first job keeps the writer busy while the others queue, so an engine that batches
    // writes takes them as one batch.
    let slow = store.clone();
    let first = tokio::spawn(async move {
        slow.write(move |tx: &mut dyn Tx| {
            std::thread::sleep(Duration::from_millis(100));
            tx.insert(&rec("fault", &format!("batch-{run}-slow")))
        })
        .await
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut jobs = Vec::new();
    for i in 0..16 {
        let s = store.clone();
        jobs.push(tokio::spawn(async move {
            s.write(move |tx: &mut dyn Tx| -> Result<(), StoreError> {
                tx.insert(&rec("fault", &format!("batch-{run}-{i}")))?;
                if i == 7 {
                    panic!("one job of the batch panics");
                }
                Ok(())
            })
            .await
        }));
    }
    first.await.unwrap().expect("the slow job commits");
    for (i, j) in jobs.into_iter().enumerate() {
        let r = j.await.expect("the caller's task itself never panics");
        let present = exists(store, &format!("batch-{run}-{i}")).await;
        if i == 7 {
            assert!(matches!(r, Err(StoreError::Panicked(_))), "{r:?}");
            assert!(!present, "the panicking job left nothing");
        } else {
            assert_eq!(r, Ok(()), "job {i} of the same batch commits");
            assert!(present, "job {i} is there");
        }
    }
}

async fn a_panicking_read_costs_only_itself(store: &Store) {
    let r = store
        .read(|tx: &mut dyn Tx| -> Result<(), StoreError> {
            tx.pending_transitions()?;
            panic!("a deliberately panicking read job");
        })
        .await;
    assert!(matches!(r, Err(StoreError::Panicked(_))), "{r:?}");
    for _ in 0..4 {
        store.read(|tx: &mut dyn Tx| tx.pending_transitions()).await.expect("later reads work");
    }
}
