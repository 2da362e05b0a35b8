//! Policies on access keys in the Tencent dialect: an implicit or explicit deny answers
//! `AuthFailure.UnauthorizedOperation` and changes nothing; `account create --policy` attaches one.

mod common;

use common::tencent::{err, ok};
use common::{Key, Options, TestServer};
use serde_json::json;

async fn vpc_as(s: &TestServer, key: &Key, action: &str, params: serde_json::Value) -> serde_json::Value {
    s.tc3_as(key, "vpc", action, Some("ap-guangzhou"), params).await.body["Response"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_policy_denies_writes_implicitly() {
    let s = TestServer::start().await;
    let policy =
        json!({"version": "2.0", "statement": [{"effect": "allow", "action": ["vpc:Describe*"], "resource": "*"}]});
    let reader = s.account_with_policy("reader", policy).await;
    let listed = ok(vpc_as(&s, &reader, "DescribeVpcs", json!({})).await);
    assert_eq!(listed["TotalCount"], 0);
    let denied = vpc_as(&s, &reader, "CreateVpc", json!({"VpcName": "v", "CidrBlock": "10.0.0.0/16"})).await;
    err(&denied, "AuthFailure.UnauthorizedOperation");
    let after = ok(vpc_as(&s, &reader, "DescribeVpcs", json!({})).await);
    assert_eq!(after["TotalCount"], 0, "a denied request changes nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_deny_of_the_seed_action_wins_over_allow() {
    let s = TestServer::start().await;
    let policy = json!({"version": "2.0", "statement": [
        {"effect": "allow", "action": "vpc:*", "resource": "*"},
        {"effect": "deny", "action": "vpc:DisassociateNetworkInterfaceSecurityGroups", "resource": "*"}
    ]});
    let key = s.account_with_policy("limited", policy).await;
    let r = vpc_as(
        &s,
        &key,
        "DisassociateNetworkInterfaceSecurityGroups",
        json!({"NetworkInterfaceIds": ["eni-12345678"], "SecurityGroupIds": ["sg-12345678"]}),
    )
    .await;
    err(&r, "AuthFailure.UnauthorizedOperation");
    let r = vpc_as(
        &s,
        &key,
        "AssociateNetworkInterfaceSecurityGroups",
        json!({"NetworkInterfaceIds": ["eni-12345678"], "SecurityGroupIds": ["sg-12345678"]}),
    )
    .await;
    err(&r, "ResourceNotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_create_attaches_a_policy_file() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    std::fs::write(
        &policy,
        r#"{"version":"2.0","statement":[{"effect":"allow","action":"vpc:DescribeVpcs","resource":"*"}]}"#,
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_eniplane"))
        .args(["account", "create", "cli-reader", "--data-dir"])
        .arg(data.path())
        .arg("--policy")
        .arg(&policy)
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let key = Key {
        account: v["account_id"].as_str().unwrap().into(),
        id: v["access_key_id"].as_str().unwrap().into(),
        secret: v["access_key_secret"].as_str().unwrap().into(),
    };
    let s = TestServer::start_in(data, Options::default()).await;
    ok(vpc_as(&s, &key, "DescribeVpcs", json!({})).await);
    err(&vpc_as(&s, &key, "DescribeSubnets", json!({})).await, "AuthFailure.UnauthorizedOperation");

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{not json").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_eniplane"))
        .args(["account", "create", "x", "--data-dir"])
        .arg(dir.path().join("d2"))
        .arg("--policy")
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success(), "a malformed policy file is refused");
}

fn create_with_policy(data: &std::path::Path, name: &str, policy: &str) -> std::process::Output {
    let file = data.with_extension(format!("{name}.json"));
    std::fs::write(&file, policy).unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_eniplane"))
        .args(["account", "create", name, "--json", "--data-dir"])
        .arg(data)
        .arg("--policy")
        .arg(&file)
        .env_remove("ENIPLANE_SECRET_KEY")
        .output()
        .unwrap()
}

#[test]
fn account_create_refuses_what_would_not_be_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let cases = [
        (
            r#"{"version":"2.0","statement":[{"effect":"allow","action":"vpc:*","resource":"*","condition":{"ip_equal":{"qcs:ip":"10.0.0.0/8"}}}]}"#,
            "statement 1: condition is not supported",
        ),
        (r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ens:*"}]}"#, "Statement 1: Resource is required"),
        (
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ens:*","Resouce":"*"}]}"#,
            "unknown field `Resouce`",
        ),
        (
            r#"{"version":"2.0","statement":[{"effect":"deny","action":"vpc:*","resource":"qcs::vpc:ap-guangzhou:eni/*"}]}"#,
            "resource \"qcs::vpc:ap-guangzhou:eni/*\" is not valid",
        ),
        (
            r#"{"version":"2.0","principal":{"qcs":["qcs::cam::uin/1:root"]},"statement":[{"effect":"allow","action":"*","resource":"*"}]}"#,
            "principal is not supported",
        ),
    ];
    for (i, (policy, expected)) in cases.iter().enumerate() {
        let out = create_with_policy(&data, &format!("refused{i}"), policy);
        assert!(!out.status.success(), "{policy}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("policy refused") && err.contains(expected), "{policy}\n{err}");
    }
    let out = create_with_policy(
        &data,
        "fine",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","NotAction":"vpc:Delete*","NotResource":"qcs::vpc:::vpc/vpc-keep0000"}]}"#,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_action_is_enforced() {
    let s = TestServer::start().await;
    let policy =
        json!({"Version": "1", "Statement": [{"Effect": "Allow", "NotAction": ["vpc:Create*"], "Resource": "*"}]});
    let key = s.account_with_policy("all-but-create", policy).await;
    ok(vpc_as(&s, &key, "DescribeVpcs", json!({})).await);
    let r = vpc_as(&s, &key, "CreateVpc", json!({"VpcName": "v", "CidrBlock": "10.0.0.0/16"})).await;
    err(&r, "AuthFailure.UnauthorizedOperation");
    // NotAction with Allow grants every other action, of any service.
    ok(s.cvm_as(&key, "DescribeInstances", json!({})).await);
    assert_eq!(ok(vpc_as(&s, &key, "DescribeVpcs", json!({})).await)["TotalCount"], 0, "nothing created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_policy_that_no_longer_passes_denies_everything() {
    let s = TestServer::start().await;
    let allow = json!({"version": "2.0", "statement": [{"effect": "allow", "action": "*", "resource": "*"}]});
    let key = s.account_with_policy("was-fine", allow.clone()).await;
    ok(vpc_as(&s, &key, "DescribeVpcs", json!({})).await);
    // As an older version accepted it: a Deny whose condition would never have been evaluated.
    let conditional = json!({"version": "2.0", "statement": [{"effect": "deny", "action": "vpc:Delete*",
        "resource": "*", "condition": {"bool_equal": {"qcs:secure_transport": "false"}}}]});
    s.store_raw_policies(&key, vec![allow, conditional]).await;
    err(&vpc_as(&s, &key, "DescribeVpcs", json!({})).await, "AuthFailure.UnauthorizedOperation");
    err(
        &vpc_as(&s, &key, "CreateVpc", json!({"VpcName": "v", "CidrBlock": "10.0.0.0/16"})).await,
        "AuthFailure.UnauthorizedOperation",
    );
    // The account's own key is untouched.
    ok(s.vpc("DescribeVpcs", json!({})).await);
}
