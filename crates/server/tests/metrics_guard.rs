//! `/metrics` behind a bearer token, or on a listener of its own (then absent from the main port).

mod common;

use std::time::Duration;

use common::wire::{request, Wire};
use common::{code, Options, TestServer};
use eniplane::config::{MetricsGuard, Transport};
use serde_json::json;

fn guarded(metrics: MetricsGuard) -> Options {
    Options { transport: Transport { metrics, ..Transport::default() }, ..Options::default() }
}

const SOON: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metrics_token_is_required_when_set() {
    let s = TestServer::start_with(guarded(MetricsGuard { token: Some("t0ken-1".into()), listen: None })).await;
    let none = s.raw("GET", "/metrics", &[], Vec::new()).await;
    assert_eq!(none.status, 401);
    assert!(!String::from_utf8_lossy(&none.raw).contains("eniplane_requests_total"));
    for wrong in ["Bearer t0ken-2", "Bearer t0ken-", "Basic t0ken-1", "t0ken-1"] {
        let r = s.raw("GET", "/metrics", &[("Authorization".into(), wrong.into())], Vec::new()).await;
        assert_eq!(r.status, 401, "{wrong}");
    }
    let ok = s.raw("GET", "/metrics", &[("Authorization".into(), "Bearer t0ken-1".into())], Vec::new()).await;
    assert_eq!(ok.status, 200);
    assert!(String::from_utf8_lossy(&ok.raw).contains("# TYPE eniplane_requests_total counter"));
    assert_eq!(s.raw("GET", "/healthz", &[], Vec::new()).await.status, 200, "/healthz stays open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_on_their_own_listener_leave_the_main_port() {
    let s = TestServer::start_with(guarded(MetricsGuard { token: None, listen: Some("127.0.0.1:0".parse().unwrap()) }))
        .await;
    let side = s.metrics_addr.expect("a metrics listener");
    assert_ne!(side, s.addr);
    let r = s.vpc("CreateVpc", json!({"VpcName": "v", "CidrBlock": "10.0.0.0/16"})).await;
    assert!(code(&r).is_none(), "{r}");
    assert_eq!(s.raw("GET", "/metrics", &[], Vec::new()).await.status, 404, "not on the main port");

    let mut w = Wire::connect(side).await;
    w.send(&request("GET", "/metrics", &[], b"")).await.unwrap();
    let m = w.reply(SOON).await.expect("metrics answer");
    assert_eq!(m.status, 200);
    assert!(
        m.text().contains(r#"eniplane_requests_total{dialect="tencent",action="CreateVpc",code="Success"} 1"#),
        "the side listener reports the main port's requests: {}",
        m.text()
    );
    w.send(&request("POST", "/", &[("X-TC-Action", "DescribeVpcs")], b"{}")).await.unwrap();
    assert_eq!(w.reply(SOON).await.expect("answer").status, 404, "no API on the metrics listener");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_and_own_listener_together() {
    let s = TestServer::start_with(guarded(MetricsGuard {
        token: Some("abc".into()),
        listen: Some("127.0.0.1:0".parse().unwrap()),
    }))
    .await;
    let side = s.metrics_addr.unwrap();
    let mut w = Wire::connect(side).await;
    w.send(&request("GET", "/metrics", &[], b"")).await.unwrap();
    let r = w.reply(SOON).await.unwrap();
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").is_some_and(|v| v.starts_with("Bearer")));
    w.send(&request("GET", "/metrics", &[("Authorization", "bearer abc")], b"")).await.unwrap();
    assert_eq!(w.reply(SOON).await.unwrap().status, 200, "the scheme is case-insensitive");
}
