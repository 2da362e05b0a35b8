//! Signatures bound to what they authorise, over HTTP in both dialects: TC3 must sign
//! `content-type` and `host`, ACS3 `host` and every `x-acs-*` header, the Tencent legacy form must
//! parse back into exactly its parameters, a parameter may not repeat where the canonical form
//! sorts, and nonces keep their documented shape. Each refusal comes in the dialect's envelope
//! and changes nothing.

mod common;
mod ens_support;

use common::tencent::{err, ok};
use common::{Answer, TestServer};
use eniplane_auth::{acs3, tc3};
use ens_support::{fails, form, now_iso, v1_params, v1_send, v1_sign};
use serde_json::{json, Value};

fn tencent(a: &Answer) -> Value {
    assert_eq!(a.status, 200, "Tencent errors are HTTP 200: {}", String::from_utf8_lossy(&a.raw));
    a.body["Response"].clone()
}

fn message(r: &Value) -> String {
    r["Error"]["Message"].as_str().unwrap_or_default().to_string()
}

/// A TC3 POST to `CreateVpc` whose signature is correct but covers only `signed`.
async fn tc3_signed_over(s: &TestServer, signed: &str) -> Answer {
    let body = serde_json::to_vec(&json!({"VpcName": "unbound", "CidrBlock": "10.9.0.0/16"})).unwrap();
    let ts = chrono::Utc::now().timestamp();
    let date = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let host = s.host();
    let mut canonical = String::new();
    for name in signed.split(';') {
        let value = if name == "host" { host.as_str() } else { "application/json" };
        canonical.push_str(&format!("{name}:{value}\n"));
    }
    let hash = eniplane_auth::sha256_hex(&body);
    let creq = tc3::canonical_request("POST", "/", "", &canonical, signed, &hash);
    let scope = tc3::credential_scope(&date, "vpc");
    let sig = tc3::signature(&s.key.secret, &date, "vpc", &tc3::string_to_sign(&ts.to_string(), &scope, &creq));
    let auth = format!("TC3-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={sig}", s.key.id);
    let headers = vec![
        ("Host".to_string(), host),
        ("Content-Type".to_string(), "application/json".to_string()),
        ("X-TC-Action".to_string(), "CreateVpc".to_string()),
        ("X-TC-Version".to_string(), "2017-03-12".to_string()),
        ("X-TC-Region".to_string(), "ap-guangzhou".to_string()),
        ("X-TC-Timestamp".to_string(), ts.to_string()),
        ("Authorization".to_string(), auth),
    ];
    s.raw("POST", "/", &headers, body).await
}

async fn vpc_count(s: &TestServer) -> u64 {
    ok(s.vpc("DescribeVpcs", json!({})).await)["TotalCount"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc3_requires_content_type_and_host_in_signed_headers() {
    let s = TestServer::start().await;
    let before = vpc_count(&s).await;
    for signed in ["host", "content-type"] {
        let r = tencent(&tc3_signed_over(&s, signed).await);
        err(&r, "AuthFailure.SignatureFailure");
        assert!(message(&r).contains("SignedHeaders must include"), "{r}");
    }
    assert_eq!(vpc_count(&s).await, before, "nothing applied");
    // The same request signed over both works.
    ok(tencent(&tc3_signed_over(&s, "content-type;host").await));
    assert_eq!(vpc_count(&s).await, before + 1);
}

/// An ACS3 `DescribeEnsRegions` signed over `signed` (names as in `extra`), with `extra` headers sent.
async fn acs3_with_headers(s: &TestServer, extra: &[(&str, &str)], drop_from_signed: &[&str]) -> Answer {
    let date = now_iso();
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let mut sent = acs3::sign(&s.key.id, &s.key.secret, "POST", &s.host(), &[], extra, b"", &date, &nonce);
    if !drop_from_signed.is_empty() {
        // Re-sign over fewer headers, still correctly.
        let auth = sent.pop().unwrap();
        assert_eq!(auth.0, "authorization");
        let signed: Vec<String> =
            sent.iter().map(|(n, _)| n.clone()).filter(|n| !drop_from_signed.contains(&n.as_str())).collect();
        let view: Vec<(&str, &str)> = sent.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let hash = eniplane_auth::sha256_hex(b"");
        let creq = acs3::canonical_request("POST", "/", &[], &view, &signed, &hash);
        let sig = acs3::signature(&s.key.secret, &acs3::string_to_sign(&creq));
        let value =
            format!("ACS3-HMAC-SHA256 Credential={},SignedHeaders={},Signature={sig}", s.key.id, signed.join(";"));
        sent.push(("authorization".into(), value));
    }
    s.raw("POST", "/", &sent, Vec::new()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acs3_requires_host_and_every_x_acs_header_signed() {
    let s = TestServer::start().await;
    let base = [("x-acs-action", "DescribeEnsRegions"), ("x-acs-version", "2017-11-10")];
    ens_support::ok(&acs3_with_headers(&s, &base, &[]).await);
    let with_provider = [base[0], base[1], ("x-acs-credentials-provider", "static_ak")];
    ens_support::ok(&acs3_with_headers(&s, &with_provider, &[]).await);
    for left_out in ["host", "x-acs-action", "x-acs-credentials-provider", "x-acs-content-sha256"] {
        let m = fails(&acs3_with_headers(&s, &with_provider, &[left_out]).await, 400, "IncompleteSignature");
        assert!(m.contains(left_out) && m.contains("SignedHeaders"), "{left_out}: {m}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tencent_legacy_refuses_what_it_cannot_bind() {
    let s = TestServer::start().await;
    let before = vpc_count(&s).await;
    // `&` in a value: the SDKs' string to sign could be re-split into other parameters.
    let a = s
        .v1_as(&s.key, "POST", "HmacSHA256", "CreateVpc", &[("VpcName", "a&b"), ("CidrBlock", "10.8.0.0/16")], "501")
        .await;
    let r = tencent(&a);
    err(&r, "AuthFailure.SignatureFailure");
    assert!(message(&r).contains("VpcName") && message(&r).contains("TC3-HMAC-SHA256"), "{r}");
    // A repeated parameter and an underscore name, for both methods.
    for method in ["GET", "POST"] {
        let a = s.v1_as(&s.key, method, "HmacSHA1", "DescribeVpcs", &[("Limit", "1"), ("Limit", "2")], "502").await;
        assert!(message(&tencent(&a)).contains("appears more than once"), "{:?}", a.body);
        let a = s.v1_as(&s.key, method, "HmacSHA1", "DescribeVpcs", &[("Li_mit", "1")], "503").await;
        err(&tencent(&a), "AuthFailure.SignatureFailure");
    }
    assert_eq!(vpc_count(&s).await, before, "nothing applied");
    // The same name through TC3 is fine.
    ok(s.vpc("CreateVpc", json!({"VpcName": "a&b", "CidrBlock": "10.8.0.0/16"})).await);
    // A `=` inside a value parses back unchanged and is accepted.
    let a = s
        .v1_as(&s.key, "POST", "HmacSHA256", "CreateVpc", &[("VpcName", "k=v"), ("CidrBlock", "10.7.0.0/16")], "504")
        .await;
    ok(tencent(&a));
    assert_eq!(vpc_count(&s).await, before + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonce_shapes_are_checked_in_both_dialects() {
    let s = TestServer::start().await;
    for nonce in ["abc", "-5", "1.5", "123456789012345678901", "18446744073709551616"] {
        let a = s.v1_as(&s.key, "POST", "HmacSHA1", "DescribeVpcs", &[], nonce).await;
        let r = tencent(&a);
        err(&r, "InvalidParameterValue");
        assert!(message(&r).contains("Nonce"), "{r}");
    }
    ok(tencent(&s.v1_as(&s.key, "POST", "HmacSHA1", "DescribeVpcs", &[], "0").await));
    ok(tencent(&s.v1_as(&s.key, "GET", "HmacSHA1", "DescribeVpcs", &[], "18446744073709551615").await));

    let long = "n".repeat(eniplane_auth::nonce::ACS_NONCE_MAX_LEN + 1);
    let signed = v1_sign("POST", &s.key.secret, v1_params(&s.key, "DescribeEnsRegions", &[], &long, &now_iso()));
    let m = fails(&v1_send(&s, "POST", &signed).await, 400, "InvalidParameter");
    assert!(m.contains("SignatureNonce must be 1 to 64 bytes"), "{m}");
    let a = ens_support::acs3_with(&s, &s.key, "DescribeEnsRegions", &[], &now_iso(), &long).await;
    let m = fails(&a, 400, "InvalidParameter");
    assert!(m.contains("x-acs-signature-nonce must be 1 to 64 bytes"), "{m}");
    // 64 bytes, control characters included, are fine.
    let edge = format!("\u{1}{}", "n".repeat(eniplane_auth::nonce::ACS_NONCE_MAX_LEN - 1));
    let signed = v1_sign("POST", &s.key.secret, v1_params(&s.key, "DescribeEnsRegions", &[], &edge, &now_iso()));
    ens_support::ok(&v1_send(&s, "POST", &signed).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ens_v1_refuses_a_parameter_given_twice() {
    let s = TestServer::start().await;
    let params = [("EnsRegionId", "cn-beijing-15"), ("EnsRegionId", "cn-hangzhou-14")];
    let signed = v1_sign("POST", &s.key.secret, v1_params(&s.key, "DescribeEnsRegions", &params, "dup-1", &now_iso()));
    let m = fails(&v1_send(&s, "POST", &signed).await, 400, "IncompleteSignature");
    assert!(m.contains("EnsRegionId appears more than once"), "{m}");
    // Once in the query and once in the form body is the same thing.
    let all = v1_sign(
        "POST",
        &s.key.secret,
        v1_params(&s.key, "DescribeEnsRegions", &[("EnsRegionId", "cn-beijing-15")], "dup-2", &now_iso()),
    );
    let body = form(&[("EnsRegionId".to_string(), "cn-hangzhou-14".to_string())]);
    let headers =
        [("Host".to_string(), s.host()), ("Content-Type".to_string(), "application/x-www-form-urlencoded".to_string())];
    let a = s.raw("POST", &format!("/?{}", form(&all)), &headers, body.into_bytes()).await;
    let m = fails(&a, 400, "IncompleteSignature");
    assert!(m.contains("EnsRegionId appears more than once"), "{m}");
}
