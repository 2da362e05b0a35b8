//! Guards that must hold across replicas on one PostgreSQL database: a signature nonce used at
//! one replica is refused at another, and a per-account rate limit counts requests arriving at
//! every replica together. Needs the test database (`ENIPLANE_TEST_DATABASE_URL`; `off` skips).

mod replicas;

use std::time::Duration;

use eniplane_store::postgres::testing::TestSchema;
use replicas::{code, Api, Replica};
use serde_json::json;

const KEY_ID: &str = "AKIDguards0000000000000000000000001";
const SECRET: &str = "guardssecret00000000000000000000001";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonces_and_rate_limits_hold_across_replicas() {
    let Some(db) = TestSchema::create().expect("test database reachable (ENIPLANE_TEST_DATABASE_URL=off skips)") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("eniplane.toml");
    std::fs::write(&config, "[rate_limits.overrides]\n\"vpc:DisassociateNetworkInterfaceSecurityGroups\" = 5\n")
        .unwrap();
    let api = Api::new(KEY_ID, SECRET);
    let extra = ["--config", config.to_str().unwrap()];
    let a = Replica::spawn_with("a", dir.path(), Some(db.url()), &api, &extra).expect("spawn a");
    let b = Replica::spawn_with("b", dir.path(), Some(db.url()), &api, &extra).expect("spawn b");
    for r in [&a, &b] {
        assert!(r.wait_healthy(Duration::from_secs(30)).await, "{} healthy:\n{}", r.name, r.log_tail());
    }

    // A nonce used at replica a is refused at replica b.
    let query = api.ens_v1_query("DescribeEnsRegions", "cross-replica-nonce");
    let (status, body) = api.ens_raw(a.addr, &query).await.unwrap();
    assert_eq!(status, 200, "{body}");
    let (status, body) = api.ens_raw(b.addr, &query).await.unwrap();
    assert_eq!((status, body["Code"].as_str()), (400, Some("SignatureNonceUsed")), "{body}");

    // Five per second per account across both replicas: after five at a, b refuses the sixth in
    // the same second. The window is a calendar second on the database clock, so the burst is
    // started just after a second begins and retried if it still straddled one.
    let seed = json!({"NetworkInterfaceIds": ["eni-00000000"], "SecurityGroupIds": ["sg-00000000"]});
    let mut refused_at_b = false;
    for _ in 0..5 {
        let ms = chrono::Utc::now().timestamp_subsec_millis() as u64;
        tokio::time::sleep(Duration::from_millis(1000 - ms + 30)).await;
        let second = chrono::Utc::now().timestamp();
        for _ in 0..5 {
            let r = api.call(a.addr, "vpc", "DisassociateNetworkInterfaceSecurityGroups", seed.clone()).await.unwrap();
            assert_eq!(code(&r), Some("ResourceNotFound"), "within the rate the call runs: {r}");
        }
        let r = api.call(b.addr, "vpc", "DisassociateNetworkInterfaceSecurityGroups", seed.clone()).await.unwrap();
        if chrono::Utc::now().timestamp() != second {
            continue;
        }
        assert_eq!(code(&r), Some("RequestLimitExceeded"), "the sixth call, at the other replica: {r}");
        refused_at_b = true;
        break;
    }
    assert!(refused_at_b, "no burst fitted in one second");
}
