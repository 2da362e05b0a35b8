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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_action_and_code() {
    let s = TestServer::start().await;
    let r = s.vpc("CreateVpc", json!({"VpcName": "v", "CidrBlock": "10.0.0.0/16"})).await;
    assert!(code(&r).is_none(), "{r}");
    let r = s.vpc("DeleteVpc", json!({"VpcId": "vpc-00000000"})).await;
    assert_eq!(code(&r), Some("ResourceNotFound"));
    s.ens("NoSuchAction", &[]).await;
    let m = s.raw("GET", "/metrics", &[], Vec::new()).await;
    assert_eq!(m.status, 200);
    let text = String::from_utf8(m.raw).unwrap();
    assert!(
        text.contains(r#"eniplane_requests_total{dialect="tencent",action="CreateVpc",code="Success"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"eniplane_requests_total{dialect="tencent",action="DeleteVpc",code="ResourceNotFound"} 1"#));
    assert!(text.contains(r#"eniplane_requests_total{dialect="ens",action="unknown",code="InvalidAction.NotFound"} 1"#));
    assert!(text.contains("eniplane_pending_transitions 0"));
}
