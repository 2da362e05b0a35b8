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
    run_concurrency(store).await;
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

/// The concurrency checks: every engine must keep these invariants under concurrent writers.
pub async fn run_concurrency(store: &Store) {
    quota_holds_under_concurrent_inserts(store).await;
    check_then_act_is_exclusive(store).await;
    racing_claims_pick_distinct_keys(store).await;
    transitions_are_taken_once_under_concurrency(store).await;
    batch_is_all_or_nothing(store).await;
}

/// Count-then-insert (a quota) must never overshoot: phantoms are serialised.
async fn quota_holds_under_concurrent_inserts(store: &Store) {
    const QUOTA: u64 = 5;
    let mut handles = Vec::new();
    for i in 0..16 {
        let s = store.clone();
        handles.push(tokio::spawn(async move {
            s.write(move |tx: &mut dyn Tx| {
                if tx.count("quota-eni", "qa", "s")? >= QUOTA {
                    return Ok::<_, StoreError>(false);
                }
                tx.insert(&rec("quota-eni", &format!("q-{i}"), "qa", "{}"))?;
                Ok(true)
            })
            .await
            .expect("quota write")
        }));
    }
    let mut created = 0;
    for h in handles {
        created += u64::from(h.await.unwrap());
    }
    let stored = store.read(|tx: &mut dyn Tx| tx.count("quota-eni", "qa", "s")).await.unwrap();
    assert_eq!(stored, QUOTA, "quota of {QUOTA} must hold under concurrent inserts");
    assert_eq!(created, QUOTA, "every acknowledged insert is present");
}

/// Many writers try to attach one free resource: exactly one wins (no write skew).
async fn check_then_act_is_exclusive(store: &Store) {
    store.write(|tx: &mut dyn Tx| tx.insert(&rec("slot", "eni-free", "a1", "free"))).await.unwrap();
    let mut handles = Vec::new();
    for i in 0..12 {
        let s = store.clone();
        handles.push(tokio::spawn(async move {
            s.write(move |tx: &mut dyn Tx| {
                let mut r = tx.get("slot", "eni-free")?.expect("slot");
                if r.body != "free" {
                    return Ok::<_, StoreError>(false);
                }
                r.body = format!("ins-{i}");
                tx.update(&r)?;
                tx.insert(&rec("slot-log", &format!("won-{i}"), "a1", "{}"))?;
                Ok(true)
            })
            .await
            .expect("attach")
        }));
    }
    let mut winners = 0;
    for h in handles {
        winners += u32::from(h.await.unwrap());
    }
    assert_eq!(winners, 1, "one resource is attached at most once");
    assert_eq!(store.read(|tx: &mut dyn Tx| tx.count("slot-log", "a1", "s")).await.unwrap(), 1);
}

/// Writers that read the claimed keys and claim the first free one end up with distinct keys,
/// and a key claimed twice at once goes to exactly one of them.
async fn racing_claims_pick_distinct_keys(store: &Store) {
    let mut handles = Vec::new();
    for i in 0..16 {
        let s = store.clone();
        handles.push(tokio::spawn(async move {
            let owner = format!("eni-{i}");
            s.write(move |tx: &mut dyn Tx| {
                let held = tx.claimed("ip:race")?;
                let free = (1..=64).map(|n| format!("10.9.0.{n}")).find(|k| !held.iter().any(|(h, _)| h == k));
                let Some(key) = free else { return Ok::<_, StoreError>(None) };
                if !tx.claim("ip:race", &key, &owner)? {
                    return Err(StoreError::Conflict(key));
                }
                Ok(Some(key))
            })
            .await
        }));
    }
    let mut got = Vec::new();
    for h in handles {
        match h.await.unwrap() {
            Ok(Some(k)) => got.push(k),
            Ok(None) => {}
            Err(e) => eprintln!("claim race: {e}"),
        }
    }
    let held = store.read(|tx: &mut dyn Tx| tx.claimed("ip:race")).await.unwrap();
    assert_eq!(held.len(), got.len(), "every acknowledged claim is held, nothing else");
    got.sort();
    got.dedup();
    assert_eq!(got.len(), held.len(), "no key handed out twice");
    assert!(!got.is_empty());

    let mut handles = Vec::new();
    for i in 0..8 {
        let s = store.clone();
        handles.push(tokio::spawn(async move {
            s.write(move |tx: &mut dyn Tx| tx.claim("mac:race", "20:90:6F:00:00:AA", &format!("eni-{i}"))).await
        }));
    }
    let mut won = 0;
    for h in handles {
        won += u32::from(h.await.unwrap().expect("claim"));
    }
    assert_eq!(won, 1, "a contested key goes to exactly one claimant");
}

/// Workers racing over the same due transitions complete each exactly once.
async fn transitions_are_taken_once_under_concurrency(store: &Store) {
    const N: usize = 40;
    for i in 0..N {
        store
            .write(move |tx: &mut dyn Tx| {
                tx.schedule(&NewTransition {
                    due_at_ms: 5_000,
                    kind: "eni.attach".into(),
                    resource: format!("eni-t{i}"),
                    payload: "{}".into(),
                })
            })
            .await
            .unwrap();
    }
    let mut handles = Vec::new();
    for _ in 0..6 {
        let s = store.clone();
        handles.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            for _ in 0..200 {
                let due = s.read(|tx: &mut dyn Tx| tx.due_transitions(10_000, 16)).await.expect("due");
                if due.is_empty() {
                    break;
                }
                for t in due {
                    let id = t.id;
                    let taken = s
                        .write(move |tx: &mut dyn Tx| {
                            let Some(t) = tx.take_transition(id)? else { return Ok::<_, StoreError>(None) };
                            tx.insert(&rec("done", &format!("t-{}", t.id), "w", "{}"))?;
                            Ok(Some(t.resource))
                        })
                        .await
                        .expect("take");
                    mine.extend(taken);
                }
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    assert_eq!(all.len(), N, "every transition completed once: {all:?}");
    all.sort();
    all.dedup();
    assert_eq!(all.len(), N, "no transition completed twice");
    assert_eq!(store.read(|tx: &mut dyn Tx| tx.pending_transitions()).await.unwrap(), 0);
    assert_eq!(store.read(|tx: &mut dyn Tx| tx.count("done", "w", "s")).await.unwrap(), N as u64);
}

/// A batch of many records and claims is one transaction: a late failure leaves none of it, and
/// concurrent overlapping batches each land whole or not at all.
async fn batch_is_all_or_nothing(store: &Store) {
    let r: Result<(), StoreError> = store
        .write(|tx: &mut dyn Tx| {
            for i in 0..100 {
                tx.insert(&rec("batch", &format!("b-{i}"), "ab", "{}"))?;
                tx.claim("ip:batch", &format!("10.8.0.{i}"), &format!("b-{i}"))?;
            }
            Err(StoreError::Conflict("the 101st item is invalid".into()))
        })
        .await;
    assert!(r.is_err());
    assert_eq!(store.read(|tx: &mut dyn Tx| tx.count("batch", "ab", "s")).await.unwrap(), 0);
    assert_eq!(store.read(|tx: &mut dyn Tx| tx.count_claimed("ip:batch")).await.unwrap(), 0);

    let mut handles = Vec::new();
    for b in 0..6u32 {
        let s = store.clone();
        handles.push(tokio::spawn(async move {
            s.write(move |tx: &mut dyn Tx| {
                // Batches overlap pairwise on keys: 0..20, 10..30, 20..40, …
                for k in (b * 10)..(b * 10 + 20) {
                    if !tx.claim("ip:overlap", &format!("k{k}"), &format!("batch-{b}"))? {
                        return Err(StoreError::Conflict(format!("k{k}")));
                    }
                }
                tx.insert(&rec("overlap", &format!("batch-{b}"), "ab", "{}"))
            })
            .await
            .is_ok()
        }));
    }
    let mut landed = Vec::new();
    for (b, h) in handles.into_iter().enumerate() {
        if h.await.unwrap() {
            landed.push(format!("batch-{b}"));
        }
    }
    let held = store.read(|tx: &mut dyn Tx| tx.claimed("ip:overlap")).await.unwrap();
    assert_eq!(held.len(), landed.len() * 20, "a landed batch holds all its keys, a failed one none");
    for (_, owner) in &held {
        assert!(landed.contains(owner), "{owner} holds keys but failed");
    }
    assert!(!landed.is_empty());
}
