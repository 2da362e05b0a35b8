//! The request log of a real `eniplane serve`: one line per request with the RequestId the client
//! got, the account, dialect, service, action, code, status and latency, in JSON or text (without
//! colours when stderr is not a terminal), and never a secret, a signature or a token. Also what
//! the first start prints: the default key as `export` lines.

mod replicas;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use replicas::{code, Api, Replica};
use serde_json::{json, Value};

const KEY_ID: &str = "AKIDrequestlogtest000000000000000001";
const KEY_SECRET: &str = "request-log-secret-00000000000000001";

/// A GET with optional bearer token; (status, body).
async fn get(at: SocketAddr, path: &str, token: Option<&str>) -> (u16, Value) {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut req = hyper::Request::get(format!("http://{at}{path}"));
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    let resp = client.request(req.body(Full::new(Bytes::new())).unwrap()).await.unwrap();
    let status = resp.status().as_u16();
    let raw = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&raw).unwrap_or(Value::Null))
}

/// The request lines of a JSON log.
fn request_lines(log: &str) -> Vec<Value> {
    log.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["target"] == eniplane::log::REQUEST_TARGET)
        .collect()
}

async fn wait_for_lines(server: &Replica, n: usize) -> (String, Vec<Value>) {
    for _ in 0..100 {
        let text = std::fs::read_to_string(&server.log).unwrap_or_default();
        let lines = request_lines(&text);
        if lines.len() >= n {
            return (text, lines);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let text = std::fs::read_to_string(&server.log).unwrap_or_default();
    let lines = request_lines(&text);
    (text, lines)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_request_lines_name_every_request_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let api = Api::new(KEY_ID, KEY_SECRET);
    let env = [("ENIPLANE_LOG", "info")];
    let server = Replica::spawn_env("log", dir.path(), None, &api, &["--log-format", "json"], &env).expect("spawn");
    assert!(server.wait_healthy(Duration::from_secs(20)).await, "server did not start: {}", server.log_tail());
    let at = server.addr;

    let printed = std::fs::read_to_string(&server.out).unwrap();
    assert!(printed.contains(&format!("export ENIPLANE_ACCESS_KEY_ID={KEY_ID}\n")), "{printed}");
    assert!(printed.contains(&format!("export ENIPLANE_ACCESS_KEY_SECRET={KEY_SECRET}\n")), "{printed}");
    let account = printed.split_once("Created the default account default (").and_then(|(_, r)| r.split_once(')'));
    let account = account.map(|(id, _)| id.to_string()).unwrap_or_else(|| panic!("account id in {printed}"));
    assert!(printed.contains("export ENIPLANE_ADMIN_TOKEN="), "{printed}");
    let admin_token = std::fs::read_to_string(dir.path().join("log/admin.token")).unwrap().trim().to_string();

    let vpcs = api.ok(at, "vpc", "DescribeVpcs", json!({})).await;
    let instances = api.ok(at, "cvm", "DescribeInstances", json!({})).await;
    let forged = Api::new(KEY_ID, "not-the-secret").call(at, "vpc", "DescribeVpcs", json!({})).await.unwrap();
    assert_eq!(code(&forged), Some("AuthFailure.SignatureFailure"));
    let (status, ens) = api
        .ens_raw(at, &api.ens_v1_query("DescribeEnsRegions", &uuid::Uuid::new_v4().simple().to_string()))
        .await
        .unwrap();
    assert_eq!(status, 200, "{ens}");
    let (status, _) = get(at, "/_eniplane/actions", Some(&admin_token)).await;
    assert_eq!(status, 200);
    let (status, _) = get(at, "/_eniplane/actions", None).await;
    assert_eq!(status, 401);

    let (log, lines) = wait_for_lines(&server, 6).await;
    assert_eq!(lines.len(), 6, "one line per API and admin request (probes are not logged at info): {log}");
    let field = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    let expect = [
        ("tencent", "vpc", "DescribeVpcs", "Success", 200, Some(&vpcs)),
        ("tencent", "cvm", "DescribeInstances", "Success", 200, Some(&instances)),
        ("tencent", "vpc", "DescribeVpcs", "AuthFailure.SignatureFailure", 200, Some(&forged)),
        ("ens", "ens", "DescribeEnsRegions", "Success", 200, None),
        ("admin", "-", "/_eniplane/actions", "Success", 200, None),
        ("admin", "-", "/_eniplane/actions", "Unauthorized", 401, None),
    ];
    for (line, (dialect, service, action, answer, status, response)) in lines.iter().zip(expect) {
        assert_eq!(field(line, "dialect"), dialect, "{line}");
        assert_eq!(field(line, "service"), service, "{line}");
        assert_eq!(field(line, "action"), action, "{line}");
        assert_eq!(field(line, "code"), answer, "{line}");
        assert_eq!(line["status"], status, "{line}");
        assert_eq!(line["level"], "INFO");
        assert!(line["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{line}");
        assert!(line["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')), "{line}");
        if let Some(r) = response {
            assert_eq!(field(line, "request_id"), r["RequestId"].as_str().unwrap(), "{line}");
        }
    }
    assert_eq!(field(&lines[0], "account"), account);
    assert_eq!(field(&lines[2], "account"), "-", "a forged signature names no account");
    assert_eq!(field(&lines[3], "account"), account);
    assert_eq!(field(&lines[3], "request_id"), ens["RequestId"].as_str().unwrap());
    for secret in [KEY_SECRET, "not-the-secret", admin_token.as_str(), "TC3-HMAC-SHA256", "Signature="] {
        assert!(!log.contains(secret), "{secret:?} must not be logged: {log}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_request_lines_have_no_colours_off_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let api = Api::new(KEY_ID, KEY_SECRET);
    let env = [("ENIPLANE_LOG", "info")];
    let server = Replica::spawn_env("text", dir.path(), None, &api, &["--log-format", "text"], &env).expect("spawn");
    assert!(server.wait_healthy(Duration::from_secs(20)).await, "server did not start: {}", server.log_tail());
    let r = api.ok(server.addr, "vpc", "DescribeVpcs", json!({})).await;
    let request_id = r["RequestId"].as_str().unwrap().to_string();
    let mut line = None;
    for _ in 0..100 {
        let text = std::fs::read_to_string(&server.log).unwrap_or_default();
        line = text.lines().find(|l| l.contains(&request_id)).map(str::to_string);
        if line.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let line = line.expect("a line with the RequestId");
    for part in [" INFO ", "eniplane::request", "dialect=\"tencent\"", "action=\"DescribeVpcs\"", "code=\"Success\""] {
        assert!(line.contains(part), "{part} in {line}");
    }
    let all = std::fs::read_to_string(&server.log).unwrap();
    assert!(!all.contains('\u{1b}'), "no ANSI escapes in a log that is not a terminal: {all:?}");
}
