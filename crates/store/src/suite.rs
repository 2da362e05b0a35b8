//! The store conformance suite: every engine must pass these, run from each engine's tests.

use crate::{NewTransition, Record, Store, StoreError, Tx};

fn rec(kind: &str, id: &str, account: &str, body: &str) -> Record {
    Record { kind: kind.into(), id: id.into(), account: account.into(), scope: "s".into(), body: body.into() }
}

/// Runs every conformance check against `store`, which must be empty.
pub async fn run_all(store: &Store) {
    records_round_trip(store).await;
    failed_transaction_leaves_nothing(store).await;
    claims_are_unique(store).await;
    transitions_are_taken_once(store).await;
    concurrent_writers_keep_counts(store).await;
}

async fn records_round_trip(store: &Store) {
    store
        .write(|tx: &mut dyn Tx| {
            tx.insert(&rec("vpc", "vpc-1", "a1", "{\"n\":1}"))?;
            tx.insert(&rec("vpc", "vpc-2", "a1", "{\"n\":2}"))?;
            tx.insert(&rec("vpc", "vpc-3", "a2", "{}"))?;
            Ok::<_, StoreError>(())
        })
        .await
        .expect("insert");
    let dup = store.write(|tx: &mut dyn Tx| tx.insert(&rec("vpc", "vpc-1", "a1", "{}"))).await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "duplicate insert must conflict: {dup:?}");
    let listed = store.read(|tx: &mut dyn Tx| tx.list("vpc", "a1", "s")).await.expect("list");
    assert_eq!(listed.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["vpc-1", "vpc-2"]);
    assert_eq!(store.read(|tx: &mut dyn Tx| tx.count("vpc", "a1", "s")).await.unwrap(), 2);
    store.write(|tx: &mut dyn Tx| tx.update(&rec("vpc", "vpc-2", "a1", "{\"n\":22}"))).await.expect("update");
    let got = store.read(|tx: &mut dyn Tx| tx.get("vpc", "vpc-2")).await.unwrap().unwrap();
    assert_eq!(got.body, "{\"n\":22}");
    let missing = store.write(|tx: &mut dyn Tx| tx.update(&rec("vpc", "vpc-9", "a1", "{}"))).await;
    assert!(matches!(missing, Err(StoreError::NotFound(_))));
    assert!(store.write(|tx: &mut dyn Tx| tx.delete("vpc", "vpc-3")).await.unwrap());
    assert!(!store.write(|tx: &mut dyn Tx| tx.delete("vpc", "vpc-3")).await.unwrap());
}

async fn failed_transaction_leaves_nothing(store: &Store) {
    let r: Result<(), StoreError> = store
        .write(|tx: &mut dyn Tx| {
            tx.insert(&rec("eni", "eni-x", "a1", "{}"))?;
            tx.claim("ip:subnet-1", "10.0.0.9", "eni-x")?;
            Err(StoreError::Conflict("business rule".into()))
        })
        .await;
    assert!(r.is_err());
    assert!(store.read(|tx: &mut dyn Tx| tx.get("eni", "eni-x")).await.unwrap().is_none());
    assert!(store.read(|tx: &mut dyn Tx| tx.claimed("ip:subnet-1")).await.unwrap().is_empty());
}

async fn claims_are_unique(store: &Store) {
    assert!(store.write(|tx: &mut dyn Tx| tx.claim("mac", "20:90:6F:00:00:01", "eni-1")).await.unwrap());
    assert!(!store.write(|tx: &mut dyn Tx| tx.claim("mac", "20:90:6F:00:00:01", "eni-2")).await.unwrap());
    let held = store.read(|tx: &mut dyn Tx| tx.claimed("mac")).await.unwrap();
    assert_eq!(held, vec![("20:90:6F:00:00:01".to_string(), "eni-1".to_string())]);
    assert_eq!(store.read(|tx: &mut dyn Tx| tx.count_claimed("mac")).await.unwrap(), 1);
    store.write(|tx: &mut dyn Tx| tx.release("mac", "20:90:6F:00:00:01")).await.unwrap();
    assert!(store.write(|tx: &mut dyn Tx| tx.claim("mac", "20:90:6F:00:00:01", "eni-2")).await.unwrap());
}

async fn transitions_are_taken_once(store: &Store) {
    let id = store
        .write(|tx: &mut dyn Tx| {
            tx.schedule(&NewTransition {
                due_at_ms: 1_000,
                kind: "eni.attach".into(),
                resource: "eni-1".into(),
                payload: "{}".into(),
            })
        })
        .await
        .unwrap();
    assert_eq!(store.read(|tx: &mut dyn Tx| tx.next_due()).await.unwrap(), Some(1_000));
    assert!(store.read(|tx: &mut dyn Tx| tx.due_transitions(999, 10)).await.unwrap().is_empty());
    let due = store.read(|tx: &mut dyn Tx| tx.due_transitions(1_000, 10)).await.unwrap();
    assert_eq!(due.len(), 1);
    let first = store.write(move |tx: &mut dyn Tx| tx.take_transition(id)).await.unwrap();
    assert_eq!(first.map(|t| t.resource), Some("eni-1".to_string()));
    let second = store.write(move |tx: &mut dyn Tx| tx.take_transition(id)).await.unwrap();
    assert!(second.is_none(), "a transition is completed exactly once");
    assert_eq!(store.read(|tx: &mut dyn Tx| tx.pending_transitions()).await.unwrap(), 0);
}

async fn concurrent_writers_keep_counts(store: &Store) {
    store.write(|tx: &mut dyn Tx| tx.insert(&rec("counter", "c", "", "0"))).await.unwrap();
    let mut handles = Vec::new();
    for _ in 0..8 {
        let s = store.clone();
        handles.push(tokio::spawn(async move {
            for _ in 0..25 {
                s.write(|tx: &mut dyn Tx| {
                    let mut r = tx.get("counter", "c")?.expect("counter");
                    let n: u64 = r.body.parse().unwrap_or(0);
                    r.body = (n + 1).to_string();
                    tx.update(&r)
                })
                .await
                .expect("increment");
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let r = store.read(|tx: &mut dyn Tx| tx.get("counter", "c")).await.unwrap().unwrap();
    assert_eq!(r.body, "200", "no lost updates under concurrent writers");
}
