//! Per-account, per-action rate limits: 20 requests/s for Associate/Disassociate
//! NetworkInterfaceSecurityGroups; a burst of 20 passes, the next is `RequestLimitExceeded`, and
//! another account (or another action) is not slowed.

mod common;

use std::sync::Arc;

use common::tencent::{ok, Tc3};
use common::{code, Key, Options, TestServer};
use serde_json::json;

/// Sends `n` signed requests at once; returns the error codes (None for success) in order.
async fn burst(s: &Arc<TestServer>, key: &Key, action: &str, body: serde_json::Value, n: usize) -> Vec<Option<String>> {
    // Sign everything first so the requests arrive together.
    let prepared: Vec<_> = (0..n)
        .map(|_| {
            let r = Tc3::post("vpc", action, &body);
            (s.tc3_headers(key, &r), r.body)
        })
        .collect();
    let mut set = tokio::task::JoinSet::new();
    for (i, (headers, body)) in prepared.into_iter().enumerate() {
        let s = s.clone();
        set.spawn(async move {
            let a = s.raw("POST", "/", &headers, body).await;
            (i, code(&a.body["Response"]).map(str::to_string))
        });
    }
    let mut out = vec![None; n];
    while let Some(res) = set.join_next().await {
        let (i, c) = res.unwrap();
        out[i] = c;
    }
    out
}

fn limited(codes: &[Option<String>]) -> usize {
    codes.iter().filter(|c| c.as_deref() == Some("RequestLimitExceeded")).count()
}

/// Checks a burst against a bucket of `rate` per second (burst = rate) that refills one token
/// every `1/rate` s while the burst was in flight: at least `rate` pass, no more than the
/// refills allow, and every other call is throttled (not failed otherwise).
fn assert_bucket(codes: &[Option<String>], rate: usize, took: std::time::Duration) {
    let passed = codes.iter().filter(|c| c.is_none()).count();
    let refills = (took.as_secs_f64() * rate as f64).ceil() as usize;
    assert!(passed >= rate && passed <= rate + refills, "{passed} passed in {took:?} at {rate}/s: {codes:?}");
    assert_eq!(limited(codes), codes.len() - passed, "the rest are throttled: {codes:?}");
    assert!(limited(codes) > 0, "a burst larger than the rate is throttled: {codes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn seed_action_is_limited_to_twenty_per_second_per_account() {
    let s = Arc::new(TestServer::start_with(Options { rate_limits: true, ..Default::default() }).await);
    let net = s.net().await;
    let eni = s.eni(&net, &net.sgs).await;
    let body = json!({"NetworkInterfaceIds": [eni], "SecurityGroupIds": [net.sgs[0]]});

    let started = std::time::Instant::now();
    let codes = burst(&s, &s.key, "DisassociateNetworkInterfaceSecurityGroups", body.clone(), 40).await;
    assert_bucket(&codes, 20, started.elapsed());
    // Calls right after the burst are throttled too (one token comes back every 50 ms), with
    // the common code and a message naming the rate.
    let mut throttled = Vec::new();
    for _ in 0..10 {
        let r = s.vpc("DisassociateNetworkInterfaceSecurityGroups", body.clone()).await;
        if code(&r) == Some("RequestLimitExceeded") {
            throttled.push(r);
        }
    }
    assert!(throttled.len() >= 5, "{} of 10 immediate calls throttled", throttled.len());
    assert!(throttled[0]["Error"]["Message"].as_str().unwrap().contains("20"), "{}", throttled[0]);

    // Another account is not slowed.
    let other = s.account("other").await;
    let onet = s.net_as(&other).await;
    let oeni = s.eni_as(&other, &onet, &onet.sgs).await;
    let obody = json!({"NetworkInterfaceIds": [oeni], "SecurityGroupIds": [onet.sgs[0]]});
    let codes = burst(&s, &other, "DisassociateNetworkInterfaceSecurityGroups", obody, 20).await;
    assert!(codes.iter().all(|c| c.is_none()), "{codes:?}");

    // Another action of the first account is not slowed (Describe allows 100/s).
    let codes = burst(&s, &s.key, "DescribeNetworkInterfaces", json!({}), 30).await;
    assert!(codes.iter().all(|c| c.is_none()), "{codes:?}");

    // The bucket refills: after a second the action works again.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    ok(s.vpc("DisassociateNetworkInterfaceSecurityGroups", body).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn associate_has_its_own_bucket_of_twenty() {
    let s = Arc::new(TestServer::start_with(Options { rate_limits: true, ..Default::default() }).await);
    let net = s.net().await;
    let eni = s.eni(&net, &net.sgs).await;
    let body = json!({"NetworkInterfaceIds": [eni], "SecurityGroupIds": [net.sgs[0]]});
    let started = std::time::Instant::now();
    let codes = burst(&s, &s.key, "AssociateNetworkInterfaceSecurityGroups", body.clone(), 40).await;
    assert_bucket(&codes, 20, started.elapsed());
    // Disassociate is a separate action with its own bucket.
    ok(s.vpc("DisassociateNetworkInterfaceSecurityGroups", body).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn limits_off_by_default_and_overridable() {
    let s = Arc::new(TestServer::start().await);
    let codes = burst(&s, &s.key, "DescribeVpcTaskResult", json!({"TaskId": "x"}), 40).await;
    assert_eq!(limited(&codes), 0, "rate limits are off: {codes:?}");

    let s = Arc::new(
        TestServer::start_with(Options {
            rate_limits: true,
            overrides: vec![("vpc:DescribeVpcs".to_string(), 3)],
            ..Default::default()
        })
        .await,
    );
    let started = std::time::Instant::now();
    let codes = burst(&s, &s.key, "DescribeVpcs", json!({}), 8).await;
    assert_bucket(&codes, 3, started.elapsed());
}
