//! A client for an `eniplane serve` process started by a test: spawn, wait for health, sign
//! Tencent TC3 calls, kill -9.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use eniplane_auth::tc3;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// Keys the spawned server's default account gets.
pub const KEY_ID: &str = "AKIDcrashtest000000000000000000000001";
/// Secret of [`KEY_ID`].
pub const KEY_SECRET: &str = "crash-test-secret-0000000000000001";

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Spawns `eniplane serve` on `port` over `dir` with extra args.
pub fn spawn_server(dir: &Path, port: u16, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_eniplane"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(dir)
        .args(extra)
        .env("ENIPLANE_ROOT_ACCESS_KEY_ID", KEY_ID)
        .env("ENIPLANE_ROOT_ACCESS_KEY_SECRET", KEY_SECRET)
        .env("ENIPLANE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn eniplane")
}

/// Signs and sends Tencent calls to one server.
#[derive(Clone)]
pub struct Remote {
    pub addr: SocketAddr,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Remote {
    /// A client for `127.0.0.1:port`.
    pub fn new(port: u16) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_secs(2)));
        let client = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(64).build(connector);
        Self { addr: format!("127.0.0.1:{port}").parse().unwrap(), client }
    }

    /// Waits until `/healthz` answers 200.
    pub async fn wait_healthy(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            let req =
                hyper::Request::get(format!("http://{}/healthz", self.addr)).body(Full::new(Bytes::new())).unwrap();
            if let Ok(Ok(r)) = tokio::time::timeout(Duration::from_secs(1), self.client.request(req)).await {
                if r.status() == 200 {
                    return true;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// A TC3-signed call; `Err` when the connection failed (server dead), else `Response`.
    pub async fn call(&self, service: &str, action: &str, params: &Value) -> Result<Value, String> {
        let body = serde_json::to_vec(params).unwrap();
        let ts = chrono::Utc::now().timestamp();
        let host = self.addr.to_string();
        let auth = tc3::sign(KEY_ID, KEY_SECRET, service, &host, "POST", "", "application/json", &body, ts);
        let req = hyper::Request::post(format!("http://{host}/"))
            .header("Host", &host)
            .header("Content-Type", "application/json")
            .header("X-TC-Action", action)
            .header("X-TC-Version", "2017-03-12")
            .header("X-TC-Timestamp", ts.to_string())
            .header("X-TC-Region", "ap-guangzhou")
            .header("Authorization", auth)
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let resp = tokio::time::timeout(Duration::from_secs(10), self.client.request(req))
            .await
            .map_err(|_| "timeout".to_string())?
            .map_err(|e| e.to_string())?;
        let bytes = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
        Ok(v["Response"].clone())
    }

    /// A call that must succeed; returns `Response`.
    pub async fn ok(&self, service: &str, action: &str, params: Value) -> Value {
        let r = self.call(service, action, &params).await.expect("transport");
        assert!(r.get("Error").is_none(), "{action} failed: {r}");
        r
    }
}
