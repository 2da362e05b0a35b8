//! Access-key secrets at rest: the store holds them sealed (never the secret bytes), plain-text
//! secrets left by older versions are sealed at the next start without losing a key, a wrong key
//! is refused at start with a clear message, and PostgreSQL replicas given one key through the
//! environment all verify signatures. The PostgreSQL test needs the test database
//! (`ENIPLANE_TEST_DATABASE_URL`; `off` skips).

mod common;
mod replicas;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::tencent::ok;
use common::{Options, TestServer};
use eniplane_auth::secrets::SecretKey;
use eniplane_core::model::AccessKey;
use eniplane_store::postgres::testing::TestSchema;
use eniplane_store::{Record, Tx};
use serde_json::json;

/// Every file under `dir` except the harness's own note of the test key, and whether any of them
/// contains `needle`.
fn store_files_contain(dir: &Path, needle: &[u8]) -> bool {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n != "tester.key") {
                let bytes = std::fs::read(&path).unwrap();
                if bytes.windows(needle.len()).any(|w| w == needle) {
                    return true;
                }
            }
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_never_holds_a_secret() {
    let s = TestServer::start().await;
    let key = s.account("sealed").await;
    ok(s.vpc_as(&key, "DescribeVpcs", json!({})).await);
    let id = key.id.clone();
    let stored = s.svc.store.read(move |tx: &mut dyn Tx| eniplane_core::repo::access_key(tx, &id)).await.unwrap();
    let stored: AccessKey = stored.expect("stored key");
    assert!(stored.secret.is_sealed());
    assert!(!format!("{stored:?}").contains(&key.secret), "Debug of a key shows no secret");
    // Give the SQLite writer its group commit, then read every file of the data directory.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(store_files_contain(s.dir.path(), key.id.as_bytes()), "the scan sees the key's record");
    assert!(!store_files_contain(s.dir.path(), key.secret.as_bytes()), "no file holds the secret");
    assert!(!store_files_contain(s.dir.path(), s.key.secret.as_bytes()), "nor the default test key's");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(s.dir.path().join("secret.key")).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_text_secrets_of_an_older_version_are_sealed_at_the_next_start() {
    let s = TestServer::start().await;
    let key = s.account("legacy").await;
    // Rewrite the key as an older version stored it (plain secret), and forget which key sealed
    // the store, as a store from before sealing would be.
    let (id, secret) = (key.id.clone(), key.secret.clone());
    s.svc
        .store
        .write(move |tx: &mut dyn Tx| {
            let mut rec: Record = tx.get("access_key", &id)?.expect("record");
            let mut body: serde_json::Value = serde_json::from_str(&rec.body).unwrap();
            body["secret"] = json!(secret);
            rec.body = body.to_string();
            tx.update(&rec)?;
            tx.delete("secret_key_check", "check")?;
            Ok::<_, eniplane_store::StoreError>(())
        })
        .await
        .unwrap();
    s.svc.credentials.forget(&key.id);
    // Still usable as it is (logged), before the restart seals it.
    ok(s.vpc_as(&key, "DescribeVpcs", json!({})).await);
    s.stop_worker();
    let s = TestServer::start_in(s.dir, Options::default()).await;
    let id = key.id.clone();
    let stored = s.svc.store.read(move |tx: &mut dyn Tx| eniplane_core::repo::access_key(tx, &id)).await.unwrap();
    assert!(stored.expect("key kept").secret.is_sealed(), "sealed by the restart");
    ok(s.vpc_as(&key, "DescribeVpcs", json!({})).await);
    ok(s.vpc("DescribeVpcs", json!({})).await);
    // A plain secret written beside a check record (an older binary still running against the
    // store) is sealed by the next start too, and the check record written above is found.
    let other = s.account("late").await;
    let id = other.id.clone();
    let plain = other.secret.clone();
    s.svc
        .store
        .write(move |tx: &mut dyn Tx| {
            let mut rec: Record = tx.get("access_key", &id)?.expect("record");
            let mut body: serde_json::Value = serde_json::from_str(&rec.body).unwrap();
            body["secret"] = json!(plain);
            rec.body = body.to_string();
            tx.update(&rec)
        })
        .await
        .unwrap();
    s.stop_worker();
    let s = TestServer::start_in(s.dir, Options::default()).await;
    let id = other.id.clone();
    let stored = s.svc.store.read(move |tx: &mut dyn Tx| eniplane_core::repo::access_key(tx, &id)).await.unwrap();
    assert!(stored.expect("key kept").secret.is_sealed());
    ok(s.vpc_as(&key, "DescribeVpcs", json!({})).await);
    ok(s.vpc_as(&other, "DescribeVpcs", json!({})).await);
}

fn eniplane(args: &[&str], data: &Path, env_key: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_eniplane"));
    cmd.args(args).arg("--data-dir").arg(data).env_remove("ENIPLANE_SECRET_KEY").env_remove("ENIPLANE_DATABASE_URL");
    if let Some(k) = env_key {
        cmd.env("ENIPLANE_SECRET_KEY", k);
    }
    cmd.stdin(Stdio::null()).output().expect("run eniplane")
}

#[test]
fn a_wrong_key_is_refused_at_start_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let first = eniplane(&["account", "create", "first", "--json"], &data, None);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let key_file = data.join("secret.key");
    let right = SecretKey::from_base64(&std::fs::read_to_string(&key_file).unwrap()).unwrap();

    // Another key file in the data directory.
    let wrong = SecretKey::generate();
    std::fs::write(&key_file, wrong.to_base64().expose()).unwrap();
    let out = eniplane(&["account", "create", "second"], &data, None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not the one this store's access-key secrets are sealed with"), "{err}");
    assert!(err.contains(&wrong.fingerprint()) && err.contains(&right.fingerprint()), "{err}");

    // `serve` refuses too, and exits instead of serving.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let out = eniplane(&["serve", "--listen", &listen], &data, Some(wrong.to_base64().expose()));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("ENIPLANE_SECRET_KEY (fingerprint"), "{out:?}");

    // A key that is not a key at all.
    let bad = dir.path().join("bad.key");
    std::fs::write(&bad, "hello").unwrap();
    let out = eniplane(&["account", "create", "third", "--secret-key-file", bad.to_str().unwrap()], &data, None);
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.key: not a secret key"), "{out:?}");

    // The right key, from a file given by flag, works again; nothing was lost.
    let shared = dir.path().join("shared.key");
    std::fs::write(&shared, right.to_base64().expose()).unwrap();
    let out = eniplane(&["account", "create", "fourth", "--secret-key-file", shared.to_str().unwrap()], &data, None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_replicas_given_one_key_by_environment_verify_signatures() {
    let Some(db) = TestSchema::create().expect("test database reachable (ENIPLANE_TEST_DATABASE_URL=off skips)") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = replicas::Api::new("AKIDsealedroot000000000000000000001", "sealedrootsecret0000000000000001");
    let a = replicas::Replica::spawn("a", dir.path(), db.url(), &root, 50).expect("spawn a");
    assert!(a.wait_healthy(Duration::from_secs(30)).await, "a healthy:\n{}", a.log_tail());
    // A tenant created from an admin host that has only the database URL and the key.
    let out = Command::new(env!("CARGO_BIN_EXE_eniplane"))
        .args(["account", "create", "tenant", "--json", "--database-url", db.url(), "--data-dir"])
        .arg(dir.path().join("admin"))
        .env("ENIPLANE_SECRET_KEY", replicas::SECRET_KEY)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tenant = replicas::Api::new(v["access_key_id"].as_str().unwrap(), v["access_key_secret"].as_str().unwrap());
    let b = replicas::Replica::spawn("b", dir.path(), db.url(), &root, 50).expect("spawn b");
    assert!(b.wait_healthy(Duration::from_secs(30)).await, "b healthy:\n{}", b.log_tail());
    for r in [&a, &b] {
        tenant.ok(r.addr, "vpc", "DescribeVpcs", json!({})).await;
        root.ok(r.addr, "vpc", "DescribeVpcs", json!({})).await;
    }
    // A replica started with its own key (the data directory default) does not start.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = Command::new(env!("CARGO_BIN_EXE_eniplane"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", db.url(), "--data-dir"])
        .arg(dir.path().join("stray"))
        .env_remove("ENIPLANE_SECRET_KEY")
        .env("ENIPLANE_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("every replica of one database needs the same key"), "{err}");
}
