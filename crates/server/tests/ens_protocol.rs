//! The ENS envelope over HTTP: both signatures, signature mismatch (the old SDK's ':' split),
//! unknown keys, nonce replay, clock skew, version and action checks, missing signature, GET and
//! form bodies, common parameters, unknown parameters, rate limits, policies, body size.

// The shared harness predates a newer clippy lint; keep it out of this target's clippy run.
#[allow(clippy::field_reassign_with_default)]
mod common;
mod ens_support;

use common::{Options, TestServer};
use ens_support::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn both_signatures_succeed_with_the_documented_envelope() {
    let s = TestServer::start().await;
    let a = s.ens("DescribeEnsRegions", &[]).await;
    let b = ok(&a);
    assert_eq!(b["Code"], 0);
    let regions: Vec<&str> =
        b["EnsRegions"]["EnsRegions"].as_array().unwrap().iter().map(|r| r["EnsRegionId"].as_str().unwrap()).collect();
    assert_eq!(regions, vec![REGION, OTHER_REGION]);
    let v1 = s.ens_v1_as(&s.key, "DescribeEnsRegions", &[("EnsRegionId", OTHER_REGION)]).await;
    let regions = &ok(&v1)["EnsRegions"]["EnsRegions"];
    assert_eq!(regions.as_array().unwrap().len(), 1);
    assert_eq!(regions[0]["EnsRegionId"], OTHER_REGION);
    let none = s.ens("DescribeEnsRegions", &[("EnsRegionId", "cn-nowhere-9")]).await;
    assert_eq!(ok(&none)["EnsRegions"]["EnsRegions"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn v1_signature_mismatch_carries_the_string_to_sign() {
    let s = TestServer::start().await;
    let params = v1_params(
        &s.key,
        "DescribeNetworkInterfaces",
        &[("RegionId", "cn-hangzhou"), ("SignatureType", "")],
        "n1",
        &now_iso(),
    );
    let signed = v1_sign("POST", &format!("{}x", s.key.secret), params.clone());
    let a = v1_send(&s, "POST", &signed).await;
    let m = fails(&a, 400, "SignatureDoesNotMatch");
    let server_sts = m.split(':').nth(1).expect("':' then the string to sign");
    assert_eq!(server_sts, eniplane_auth::acs_v1::string_to_sign("POST", &params));
    assert!(server_sts.contains("SignatureType%3D%26"), "empty SignatureType is signed: {server_sts}");
    // a signature for GET sent as POST does not match either
    let signed = v1_sign("GET", &s.key.secret, v1_params(&s.key, "DescribeEnsRegions", &[], "n2", &now_iso()));
    fails(&v1_send(&s, "POST", &signed).await, 400, "SignatureDoesNotMatch");
    // but GET itself works
    let signed = v1_sign("GET", &s.key.secret, v1_params(&s.key, "DescribeEnsRegions", &[], "n3", &now_iso()));
    ok(&v1_send(&s, "GET", &signed).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acs3_mismatch_and_unknown_keys() {
    let s = TestServer::start().await;
    let mut bad = s.key.clone();
    bad.secret.push('x');
    fails(&s.ens_acs3_as(&bad, "DescribeEnsRegions", &[]).await, 400, "SignatureDoesNotMatch");
    let mut unknown = s.key.clone();
    unknown.id = "LTAIunknownkey0000000000".into();
    let m = fails(&s.ens_acs3_as(&unknown, "DescribeEnsRegions", &[]).await, 404, "InvalidAccessKeyId.NotFound");
    assert_eq!(m, "Specified access key is not found.");
    fails(&s.ens_v1_as(&unknown, "DescribeEnsRegions", &[]).await, 404, "InvalidAccessKeyId.NotFound");
    // a tampered query after signing
    let query = vec![("EnsRegionId".to_string(), REGION.to_string())];
    let extra = [("x-acs-action", "DescribeEnsRegions"), ("x-acs-version", "2017-11-10")];
    let signed =
        eniplane_auth::acs3::sign(&s.key.id, &s.key.secret, "POST", &s.host(), &query, &extra, b"", &now_iso(), "t1");
    let a = s.raw("POST", &format!("/?EnsRegionId={OTHER_REGION}"), &signed, Vec::new()).await;
    fails(&a, 400, "SignatureDoesNotMatch");
    // an Authorization header of another scheme
    let headers = vec![
        ("Authorization".to_string(), "Bearer x".to_string()),
        ("x-acs-action".to_string(), "DescribeEnsRegions".to_string()),
    ];
    fails(&s.raw("POST", "/", &headers, Vec::new()).await, 400, "IncompleteSignature");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replayed_nonces_are_refused_for_both_schemes() {
    let s = TestServer::start().await;
    let signed = v1_sign("POST", &s.key.secret, v1_params(&s.key, "DescribeEnsRegions", &[], "same-nonce", &now_iso()));
    ok(&v1_send(&s, "POST", &signed).await);
    let m = fails(&v1_send(&s, "POST", &signed).await, 400, "SignatureNonceUsed");
    assert!(m.contains("nonce"), "{m}");
    let date = now_iso();
    ok(&acs3_with(&s, &s.key, "DescribeEnsRegions", &[], &date, "acs3-nonce").await);
    fails(&acs3_with(&s, &s.key, "DescribeEnsRegions", &[], &date, "acs3-nonce").await, 400, "SignatureNonceUsed");
    // nonces are per key
    let other = s.account("other").await;
    ok(&acs3_with(&s, &other, "DescribeEnsRegions", &[], &date, "acs3-nonce").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expired_and_malformed_timestamps() {
    let s = TestServer::start().await;
    let old = (chrono::Utc::now() - chrono::Duration::minutes(16)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let signed = v1_sign("POST", &s.key.secret, v1_params(&s.key, "DescribeEnsRegions", &[], "e1", &old));
    fails(&v1_send(&s, "POST", &signed).await, 400, "InvalidTimeStamp.Expired");
    fails(&acs3_with(&s, &s.key, "DescribeEnsRegions", &[], &old, "e2").await, 400, "InvalidTimeStamp.Expired");
    let future = (chrono::Utc::now() + chrono::Duration::minutes(16)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    fails(&acs3_with(&s, &s.key, "DescribeEnsRegions", &[], &future, "e3").await, 400, "InvalidTimeStamp.Expired");
    let recent = (chrono::Utc::now() - chrono::Duration::minutes(10)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    ok(&acs3_with(&s, &s.key, "DescribeEnsRegions", &[], &recent, "e4").await);
    let signed = v1_sign("POST", &s.key.secret, v1_params(&s.key, "DescribeEnsRegions", &[], "e5", "yesterday"));
    fails(&v1_send(&s, "POST", &signed).await, 400, "InvalidTimeStamp.Format");
    // a V1 request without a nonce
    let params: Vec<(String, String)> = v1_params(&s.key, "DescribeEnsRegions", &[], "e6", &now_iso())
        .into_iter()
        .filter(|(k, _)| k != "SignatureNonce")
        .collect();
    let m = fails(&v1_send(&s, "POST", &v1_sign("POST", &s.key.secret, params)).await, 400, "MissingParameter");
    assert!(m.contains("SignatureNonce"), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn version_action_and_missing_signature() {
    let s = TestServer::start().await;
    let mut params = v1_params(&s.key, "DescribeEnsRegions", &[], "v1", &now_iso());
    params.iter_mut().filter(|(k, _)| k == "Version").for_each(|(_, v)| *v = "2016-01-01".into());
    let m = fails(&v1_send(&s, "POST", &v1_sign("POST", &s.key.secret, params)).await, 400, "InvalidVersion");
    assert_eq!(m, "Specified parameter Version is not valid.");
    let query: Vec<(String, String)> = Vec::new();
    let extra = [("x-acs-action", "DescribeEnsRegions"), ("x-acs-version", "2014-05-26")];
    let signed =
        eniplane_auth::acs3::sign(&s.key.id, &s.key.secret, "POST", &s.host(), &query, &extra, b"", &now_iso(), "v2");
    fails(&s.raw("POST", "/", &signed, Vec::new()).await, 400, "InvalidVersion");
    fails(&s.ens("DescribeNothing", &[]).await, 404, "InvalidAction.NotFound");
    fails(&s.ens("CreateInstance", &[]).await, 404, "InvalidAction.NotFound");
    let headers = vec![("x-acs-action".to_string(), "DescribeEnsRegions".to_string())];
    let m = fails(&s.raw("POST", "/?Version=2017-11-10", &headers, Vec::new()).await, 400, "MissingParameter");
    assert!(m.contains("Signature"), "{m}");
    fails(
        &s.raw("PUT", "/?Action=DescribeEnsRegions&Version=2017-11-10", &headers, Vec::new()).await,
        404,
        "InvalidAction.NotFound",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn form_body_parameters_are_signed_and_read() {
    let s = TestServer::start().await;
    let net = network(&s).await;
    let mut params = v1_params(&s.key, "DescribeVSwitches", &[], "f1", &now_iso());
    params.push(("VSwitchId".into(), net.vswitch.clone()));
    let signed = v1_sign("POST", &s.key.secret, params);
    let (query, body): (Vec<_>, Vec<_>) = signed.into_iter().partition(|(k, _)| k != "VSwitchId");
    let headers = vec![
        ("Host".to_string(), s.host()),
        ("Content-Type".to_string(), "application/x-www-form-urlencoded".to_string()),
    ];
    let a = s.raw("POST", &format!("/?{}", form(&query)), &headers, form(&body).into_bytes()).await;
    let b = ok(&a);
    assert_eq!(b["TotalCount"], 1);
    assert_eq!(b["VSwitches"]["VSwitch"][0]["VSwitchId"], net.vswitch.as_str());
    // values with spaces (+ on the wire), '*', '~', '/' and non-ASCII
    let name = "a b*~/é";
    ok(&s
        .ens_v1_as(
            &s.key,
            "ModifyVSwitchAttribute",
            &[("VSwitchId", &net.vswitch), ("VSwitchName", &format!("x{name}"))],
        )
        .await);
    let r = s.ens("DescribeVSwitchAttributes", &[("VSwitchId", &net.vswitch)]).await;
    assert_eq!(ok(&r)["VSwitchName"], format!("x{name}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_parameters_and_bad_values() {
    let s = TestServer::start().await;
    let m = fails(&s.ens("DescribeEnsRegions", &[("Foo", "bar")]).await, 400, "InvalidParameter");
    assert!(m.contains("\"Foo\""), "{m}");
    // documented but unimplemented parameters are accepted
    ok(&s.ens("DescribeInstances", &[("OrderByParams", "{}"), ("EnsServiceId", "x"), ("Tags", "[]")]).await);
    // common parameters of the core SDK are not the action's
    ok(&s.ens_v1_as(&s.key, "DescribeEnsRegions", &[("RegionId", "cn-hangzhou"), ("SignatureType", "")]).await);
    let m = fails(
        &s.ens("StopInstance", &[("InstanceId", UNKNOWN_INSTANCE), ("ForceStop", "maybe")]).await,
        400,
        "InvalidParameter.ForceStop",
    );
    assert!(m.starts_with("The specified field ForceStop invalid."), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rate_limits_per_account_and_action() {
    let s = TestServer::start_with(Options {
        rate_limits: true,
        overrides: vec![("ens:DescribeEnsRegions".into(), 3)],
        ..Options::default()
    })
    .await;
    for _ in 0..3 {
        ok(&s.ens("DescribeEnsRegions", &[]).await);
    }
    let m = fails(&s.ens("DescribeEnsRegions", &[]).await, 400, "Throttling.User");
    assert_eq!(m, "Request was denied due to user flow control.");
    ok(&s.ens("DescribeNetworks", &[]).await);
    let other = s.account("other").await;
    ok(&s.ens_acs3_as(&other, "DescribeEnsRegions", &[]).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn policies_allow_and_deny() {
    let s = TestServer::start().await;
    let readonly = key_with_policy(
        &s,
        "ro",
        json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ens:Describe*", "Resource": "*"}]}),
    )
    .await;
    ok(&s.ens_acs3_as(&readonly, "DescribeNetworks", &[]).await);
    let m = fails(&s.ens_acs3_as(&readonly, "CreateSecurityGroup", &[]).await, 400, "NoPermission");
    assert_eq!(m, "Permission denied.");
    let scoped = key_with_policy(
        &s,
        "scoped",
        json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ens:StopInstance", "Resource": "acs:ens:*:*:instance/i-allowed0000000000000"}]}),
    )
    .await;
    fails(&s.ens_acs3_as(&scoped, "StopInstance", &[("InstanceId", UNKNOWN_INSTANCE)]).await, 400, "NoPermission");
    let r = s.ens_acs3_as(&scoped, "StopInstance", &[("InstanceId", "i-allowed0000000000000")]).await;
    fails(&r, 400, "InstanceIdNotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn body_over_one_mebibyte_is_refused_in_the_ens_envelope() {
    let s = TestServer::start().await;
    let headers = vec![
        ("x-acs-action".to_string(), "DescribeEnsRegions".to_string()),
        ("Content-Type".to_string(), "application/x-www-form-urlencoded".to_string()),
    ];
    let a = s.raw("POST", "/", &headers, vec![b'a'; 1024 * 1024 + 1]).await;
    let m = fails(&a, 400, "InvalidParameter");
    assert!(m.contains("exceeds"), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nonce_replayed_after_a_restart_is_still_refused() {
    let s = TestServer::start().await;
    let key = s.key.clone();
    let signed = v1_sign("POST", &key.secret, v1_params(&key, "DescribeEnsRegions", &[], "restart-nonce", &now_iso()));
    // The nonce is durable before the answer comes back: no grace period is needed.
    ok(&v1_send(&s, "POST", &signed).await);
    s.stop_worker();
    let dir = s.dir;
    let s = TestServer::start_in(dir, common::Options::default()).await;
    assert_eq!(s.key.id, key.id, "same account after the restart");
    fails(&v1_send(&s, "POST", &signed).await, 400, "SignatureNonceUsed");
}
