//! The admin API over HTTP: the token guard (missing, wrong, wrong scheme: 401 with a JSON
//! error), unknown endpoints and methods, `GET /_eniplane/actions` and its filters, the same API
//! on the `/metrics` listener, `/readyz`, and the CLI twins (`eniplane admin actions` over HTTP
//! and HTTPS with the token from the data directory, `eniplane actions` offline).

mod common;

use common::{Options, TestServer};
use eniplane::config::{MetricsGuard, TlsSource, Transport};
use serde_json::Value;

const TOKEN: &str = "admin-api-test-token";

fn with_token() -> Options {
    Options { admin_token: Some(TOKEN.into()), ..Options::default() }
}

fn assert_error(a: &common::Answer, status: u16, code: &str) {
    assert_eq!(a.status, status, "{:?}", String::from_utf8_lossy(&a.raw));
    assert!(a.content_type.starts_with("application/json"), "{}", a.content_type);
    assert_eq!(a.body["error"]["code"], code, "{}", a.body);
    assert!(a.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", a.body);
}

#[tokio::test]
async fn the_token_guards_every_admin_path() {
    let s = TestServer::start_with(with_token()).await;
    for path in ["/_eniplane/actions", "/_eniplane/nothing-here", "/_eniplane", "/_eniplane/"] {
        assert_error(&s.admin_as(None, "GET", path, None).await, 401, "Unauthorized");
        assert_error(&s.admin_as(Some("wrong"), "GET", path, None).await, 401, "Unauthorized");
        assert_error(&s.admin_as(Some(&format!("{TOKEN}x")), "GET", path, None).await, 401, "Unauthorized");
    }
    let basic = [("Authorization".to_string(), format!("Basic {TOKEN}"))];
    let a = s.raw("GET", "/_eniplane/actions", &basic, Vec::new()).await;
    assert_error(&a, 401, "Unauthorized");
    let a = s.admin_as(None, "GET", "/_eniplane/actions", None).await;
    assert!(String::from_utf8_lossy(&a.raw).contains("Bearer"), "the error says how to authenticate");

    let ok = s.admin_as(Some(TOKEN), "GET", "/_eniplane/actions", None).await;
    assert_eq!(ok.status, 200);
    let lower = [("Authorization".to_string(), format!("bearer {TOKEN}"))];
    assert_eq!(s.raw("GET", "/_eniplane/actions", &lower, Vec::new()).await.status, 200, "the scheme is case-blind");
    assert_error(&s.admin_as(Some(TOKEN), "GET", "/_eniplane/nothing-here", None).await, 404, "NotFound");
    assert_error(&s.admin_as(Some(TOKEN), "POST", "/_eniplane/actions", None).await, 405, "MethodNotAllowed");
}

#[tokio::test]
async fn actions_lists_both_dialects_and_filters() {
    let s = TestServer::start().await;
    let all = s.admin("GET", "/_eniplane/actions", None).await;
    assert_eq!(all.status, 200);
    let actions = all.body["actions"].as_array().unwrap();
    let tencent = eniplane_tencent::action_names().count();
    let ens = eniplane_ens::action_names().count();
    assert_eq!(actions.len(), tencent + ens);
    assert_eq!(all.body["total"], tencent + ens);
    for a in actions {
        for key in ["name", "dialect", "service", "version"] {
            assert!(a[key].as_str().is_some_and(|v| !v.is_empty()), "{key} in {a}");
        }
    }
    let has =
        |d: &str, s: &str, n: &str| actions.iter().any(|a| a["dialect"] == d && a["service"] == s && a["name"] == n);
    assert!(has("tencent", "vpc", "AttachNetworkInterface"));
    assert!(has("tencent", "cvm", "RunInstances"));
    assert!(has("ens", "ens", "AttachNetworkInterface"));

    let cvm = s.admin("GET", "/_eniplane/actions?dialect=tencent&service=cvm", None).await;
    let cvm = cvm.body["actions"].as_array().unwrap().clone();
    assert!(!cvm.is_empty() && cvm.iter().all(|a| a["service"] == "cvm"), "{cvm:?}");
    let only_ens = s.admin("GET", "/_eniplane/actions?dialect=ens", None).await;
    assert_eq!(only_ens.body["total"], ens);
    assert_error(&s.admin("GET", "/_eniplane/actions?dialect=aws", None).await, 400, "BadRequest");
    assert_error(&s.admin("GET", "/_eniplane/actions?colour=red", None).await, 400, "BadRequest");
}

#[tokio::test]
async fn a_generated_token_is_saved_in_the_data_dir_and_works() {
    let s = TestServer::start().await;
    let saved = std::fs::read_to_string(s.dir.path().join("admin.token")).unwrap();
    assert_eq!(saved.trim(), s.admin_token);
    assert_eq!(s.admin_token.len(), 64);
    assert_eq!(s.admin("GET", "/_eniplane/actions", None).await.status, 200);
}

#[tokio::test]
async fn the_metrics_listener_serves_the_admin_api_too() {
    let transport = Transport {
        metrics: MetricsGuard { listen: Some("127.0.0.1:0".parse().unwrap()), token: None },
        ..Transport::default()
    };
    let s = TestServer::start_with(Options { transport, ..with_token() }).await;
    let side = s.metrics_addr.expect("a metrics listener");
    let get = |token: Option<&'static str>| async move {
        let mut req = hyper::Request::get(format!("http://{side}/_eniplane/actions"));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
        let resp = client.request(req.body(http_body_util::Full::new(bytes::Bytes::new())).unwrap()).await.unwrap();
        resp.status().as_u16()
    };
    assert_eq!(get(Some(TOKEN)).await, 200);
    assert_eq!(get(None).await, 401);
    assert_eq!(s.admin("GET", "/_eniplane/actions", None).await.status, 200, "and on the main port");
}

#[tokio::test]
async fn readyz_answers_when_the_store_does() {
    let s = TestServer::start().await;
    let a = s.raw("GET", "/readyz", &[], Vec::new()).await;
    assert_eq!((a.status, String::from_utf8_lossy(&a.raw).as_ref()), (200, "ready"));
    assert_eq!(s.raw("GET", "/healthz", &[], Vec::new()).await.status, 200);
}

/// Runs the `eniplane` binary with `args`; (exit success, stdout, stderr).
async fn cli(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_eniplane"))
        .args(args)
        .env_remove("ENIPLANE_ADMIN_TOKEN")
        .env_remove("ENIPLANE_SERVER")
        .envs(env.iter().copied())
        .output()
        .await
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_twins_list_what_the_server_lists() {
    let s = TestServer::start().await;
    let server = format!("http://{}", s.addr);
    let data = s.dir.path().to_str().unwrap().to_string();
    let from_api: Value = s.admin("GET", "/_eniplane/actions", None).await.body;

    let (ok, out, err) = cli(&["admin", "actions", "--server", &server, "--data-dir", &data, "--json"], &[]).await;
    assert!(ok, "{err}");
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), from_api, "token read from the data dir");
    let (ok, out, err) = cli(&["actions", "--json"], &[]).await;
    assert!(ok, "{err}");
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), from_api, "offline, the same list");

    let env = [("ENIPLANE_ADMIN_TOKEN", s.admin_token.as_str()), ("ENIPLANE_SERVER", server.as_str())];
    let (ok, out, err) = cli(&["admin", "actions", "--dialect", "ens"], &env).await;
    assert!(ok, "{err}");
    assert!(out.contains("ens      ens      2017-11-10  AttachNetworkInterface"), "{out}");
    assert!(!out.contains("tencent "), "{out}");

    let (ok, _, err) = cli(&["admin", "actions", "--server", &server, "--admin-token", "wrong"], &[]).await;
    assert!(!ok);
    assert!(err.contains("401") && err.contains("Unauthorized"), "{err}");
    let empty = tempfile::tempdir().unwrap();
    let (ok, _, err) =
        cli(&["admin", "actions", "--server", &server, "--data-dir", empty.path().to_str().unwrap()], &[]).await;
    assert!(!ok);
    assert!(err.contains("no admin token"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_twin_speaks_https_trusting_the_self_signed_ca() {
    let s = TestServer::start_with(Options { transport: s_tls(), ..Options::default() }).await;
    let data = s.dir.path().to_str().unwrap().to_string();
    for host in ["127.0.0.1", "localhost"] {
        let server = format!("https://{host}:{}", s.addr.port());
        let (ok, out, err) = cli(&["admin", "actions", "--server", &server, "--data-dir", &data], &[]).await;
        assert!(ok, "{host}: {err}");
        assert!(out.contains("AttachNetworkInterface"), "{out}");
    }
    let server = format!("https://127.0.0.1:{}", s.addr.port());
    let token = s.admin_token.clone();
    let other = TestServer::start_with(Options { transport: s_tls(), ..Options::default() }).await;
    let foreign = other.dir.path().join("tls/ca.pem");
    let args = ["admin", "actions", "--server", &server, "--admin-token", &token, "--ca", foreign.to_str().unwrap()];
    let (ok, _, err) = cli(&args, &[]).await;
    assert!(!ok, "another server's CA is not trusted");
    assert!(err.contains("TLS"), "{err}");
    let empty = tempfile::tempdir().unwrap();
    let args = [
        "admin",
        "actions",
        "--server",
        &server,
        "--admin-token",
        &token,
        "--data-dir",
        empty.path().to_str().unwrap(),
    ];
    let (ok, _, err) = cli(&args, &[]).await;
    assert!(!ok, "no CA under that data dir");
    assert!(err.contains("reading the CA"), "{err}");
}

fn s_tls() -> Transport {
    Transport { tls: Some(TlsSource::SelfSigned), ..Transport::default() }
}
