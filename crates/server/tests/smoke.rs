//! The harness itself works: health, a signed Tencent call, and the ENS envelope.

mod common;

use common::{code, TestServer};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harness_serves_both_dialects() {
    let s = TestServer::start().await;
    let health = s.raw("GET", "/healthz", &[], Vec::new()).await;
    assert_eq!(health.status, 200);
    let r = s.vpc("CreateVpc", json!({"VpcName": "v", "CidrBlock": "10.0.0.0/16"})).await;
    assert!(code(&r).is_none(), "{r}");
    assert!(r["Vpc"]["VpcId"].as_str().unwrap().starts_with("vpc-"));
    let e = s.ens("DescribeEnsRegions", &[]).await;
    assert!(e.body.get("RequestId").is_some(), "{:?}", e.body);
}
