//! Regression test for a signed `RunInstances` with a non-ASCII `InstanceType`, which used to panic
//! the SQLite writer thread and leave every later write of every tenant answering `InternalError`,
//! transitions stopped and `/healthz` still 200. The panic itself is fixed; the store now also runs
//! every job isolated (deliberately panicking jobs on both engines: `eniplane_store::fault_suite`),
//! and this test checks over HTTP that after such requests every tenant's next write, the
//! transition worker and `/healthz` carry on.

mod common;

use common::tencent::{ok, ZONE};
use common::{code, TestServer};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_panics_in_the_store_costs_only_itself() {
    let s = TestServer::start().await;
    let net = s.net().await;
    for bad_type in ["S5.ÄÄ", "S5.MEDIUM4ñ", "Ω.Ω"] {
        let r = s
            .cvm(
                "RunInstances",
                json!({
                    "Placement": {"Zone": ZONE},
                    "InstanceType": bad_type,
                    "ImageId": "img-eb30mz89",
                    "VirtualPrivateCloud": {"VpcId": net.vpc, "SubnetId": net.subnet},
                }),
            )
            .await;
        // Launched (the type is now read at a char boundary), refused, or — were a panic still
        // reachable — answered InternalError: never a dropped connection.
        let c = code(&r).unwrap_or("none");
        assert!(matches!(c, "none" | "InternalError") || c.starts_with("InvalidParameter"), "{bad_type}: {r}");
        assert!(r["RequestId"].as_str().is_some_and(|id| !id.is_empty()), "{r}");
    }
    // Every tenant still writes.
    let other = s.account("other").await;
    ok(s.vpc_as(&other, "CreateVpc", json!({"VpcName": "after", "CidrBlock": "10.9.0.0/16"})).await);
    ok(s.vpc("CreateSecurityGroup", json!({"GroupName": "after", "GroupDescription": "d"})).await);
    // The transition worker still completes transitions (the instance reaches RUNNING).
    let instance = s.instance(&net).await;
    assert!(instance.starts_with("ins-"), "{instance}");
    let health = s.raw("GET", "/healthz", &[], Vec::new()).await;
    assert_eq!(health.status, 200, "{}", String::from_utf8_lossy(&health.raw));
}
