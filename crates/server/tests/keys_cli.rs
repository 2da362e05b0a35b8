//! `eniplane account list|show` and `eniplane key create|list|disable|enable|delete` against the
//! data directory of a running server: a new key signs at once in both dialects; a disabled key
//! is refused with each dialect's error (Tencent `AuthFailure.SecretIdNotFound`, ENS
//! `InvalidAccessKeyId.Inactive`) within the credential cache's lifetime and works again once
//! enabled; a deleted key is unknown; secrets show only when asked for.

mod common;

use std::time::Duration;

use common::{code, Key, TestServer};
use eniplane_api::credentials::CACHE_TTL;
use serde_json::{json, Value};

/// Runs `eniplane ARGS --data-dir DIR`; (exit success, stdout, stderr).
async fn cli(s: &TestServer, args: &[&str]) -> (bool, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_eniplane"))
        .args(args)
        .arg("--data-dir")
        .arg(s.dir.path())
        .env_remove("ENIPLANE_DATABASE_URL")
        .output()
        .await
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

async fn cli_json(s: &TestServer, args: &[&str]) -> Value {
    let (ok, out, err) = cli(s, args).await;
    assert!(ok, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

async fn tencent_code(s: &TestServer, k: &Key) -> Option<String> {
    code(&s.tc3_as(k, "vpc", "DescribeVpcs", Some("ap-guangzhou"), json!({})).await.body["Response"])
        .map(str::to_string)
}

async fn ens_answer(s: &TestServer, k: &Key) -> (u16, Option<String>) {
    let a = s.ens_acs3_as(k, "DescribeEnsRegions", &[]).await;
    (a.status, a.body["Code"].as_str().map(str::to_string))
}

/// Polls until `f` holds, for longer than the credential cache keeps a key.
async fn eventually<F, Fut>(s: &TestServer, what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    assert!(s.wait_until(CACHE_TTL + Duration::from_secs(5), &mut f).await, "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_created_disabled_enabled_and_deleted_while_the_server_runs() {
    let s = TestServer::start().await;
    let accounts = cli_json(&s, &["account", "list", "--json"]).await;
    let names: Vec<&str> = accounts.as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["default", "tester"]);
    let tester = accounts.as_array().unwrap().iter().find(|a| a["name"] == "tester").unwrap();
    assert_eq!((tester["keys"].as_u64(), tester["enabled_keys"].as_u64()), (Some(1), Some(1)));
    assert_eq!(tester["account_id"], s.key.account.as_str());

    let made = cli_json(&s, &["key", "create", "tester", "--json"]).await;
    let key = Key {
        account: s.key.account.clone(),
        id: made["access_key_id"].as_str().unwrap().into(),
        secret: made["access_key_secret"].as_str().unwrap().into(),
    };
    assert_eq!((made["account"].as_str(), made["status"].as_str()), (Some("tester"), Some("enabled")));
    assert_eq!(tencent_code(&s, &key).await, None, "a new key signs at once");
    assert_eq!(ens_answer(&s, &key).await, (200, None));

    let listed = cli_json(&s, &["key", "list", "tester", "--json"]).await;
    let ids: Vec<&str> = listed.as_array().unwrap().iter().map(|k| k["access_key_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [s.key.id.as_str(), key.id.as_str()]);
    let (_, text, _) = cli(&s, &["account", "show", "tester"]).await;
    assert!(text.contains(&key.id) && !text.contains(&key.secret), "no secret unless asked: {text}");
    let shown = cli_json(&s, &["account", "show", "tester", "--show-secret", "--json"]).await;
    let secrets: Vec<&str> =
        shown["keys"].as_array().unwrap().iter().map(|k| k["access_key_secret"].as_str().unwrap()).collect();
    assert_eq!(secrets, [s.key.secret.as_str(), key.secret.as_str()]);

    let (ok, out, err) = cli(&s, &["key", "disable", &key.id]).await;
    assert!(ok && out.contains("disabled"), "{err}");
    eventually(&s, "Tencent refuses the disabled key", || async {
        tencent_code(&s, &key).await.as_deref() == Some("AuthFailure.SecretIdNotFound")
    })
    .await;
    assert_eq!(ens_answer(&s, &key).await, (400, Some("InvalidAccessKeyId.Inactive".into())));
    assert_eq!(tencent_code(&s, &s.key).await, None, "the account's other key still signs");
    let listed = cli_json(&s, &["key", "list", "tester", "--json"]).await;
    assert_eq!(listed[1]["status"], "disabled");

    assert!(cli(&s, &["key", "enable", &key.id]).await.0);
    eventually(&s, "the enabled key signs again", || async { tencent_code(&s, &key).await.is_none() }).await;
    assert_eq!(ens_answer(&s, &key).await, (200, None));

    let (ok, out, err) = cli(&s, &["key", "delete", &key.id]).await;
    assert!(ok && out.contains("deleted"), "{err}");
    eventually(&s, "the deleted key is unknown", || async {
        tencent_code(&s, &key).await.as_deref() == Some("AuthFailure.SecretIdNotFound")
    })
    .await;
    assert_eq!(ens_answer(&s, &key).await, (404, Some("InvalidAccessKeyId.NotFound".into())));
    let (ok, _, err) = cli(&s, &["key", "delete", &key.id]).await;
    assert!(!ok && err.contains("not found"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_with_a_policy_may_do_only_what_it_allows() {
    let s = TestServer::start().await;
    let policy = s.dir.path().join("p.json");
    let doc =
        json!({"version": "2.0", "statement": [{"effect": "allow", "action": ["vpc:DescribeVpcs"], "resource": "*"}]});
    std::fs::write(&policy, doc.to_string()).unwrap();
    let made = cli_json(&s, &["key", "create", "tester", "--policy", policy.to_str().unwrap(), "--json"]).await;
    assert_eq!(made["policies"], 1);
    let key = Key {
        account: s.key.account.clone(),
        id: made["access_key_id"].as_str().unwrap().into(),
        secret: made["access_key_secret"].as_str().unwrap().into(),
    };
    assert_eq!(tencent_code(&s, &key).await, None);
    let r = s.tc3_as(&key, "vpc", "DescribeSecurityGroups", Some("ap-guangzhou"), json!({})).await;
    assert_eq!(code(&r.body["Response"]), Some("AuthFailure.UnauthorizedOperation"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mistakes_are_errors_that_say_what_is_wrong() {
    let s = TestServer::start().await;
    let (ok, _, err) = cli(&s, &["account", "show", "nobody"]).await;
    assert!(!ok && err.contains("no account named nobody"), "{err}");
    let (ok, _, err) = cli(&s, &["key", "create", "nobody"]).await;
    assert!(!ok && err.contains("no account named nobody"), "{err}");
    let (ok, _, err) = cli(&s, &["key", "disable", "AKIDnosuchkey"]).await;
    assert!(!ok && err.contains("not found"), "{err}");
    let empty = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_eniplane"))
        .args(["account", "list", "--data-dir"])
        .arg(empty.path().join("typo"))
        .env_remove("ENIPLANE_DATABASE_URL")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no store in"), "{:?}", out);
    assert!(!empty.path().join("typo").exists(), "a wrong --data-dir is not created");
}
