//! Harness for tests that drive real `eniplane serve` child processes (on a shared database or
//! the embedded store): the processes, a TC3-signing client that can talk to any of them, and a
//! TCP proxy that can cut a replica off its database and restore it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use eniplane_auth::{acs_v1, tc3};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use parking_lot::Mutex;
use serde_json::Value;
use tokio::task::AbortHandle;

/// The error code of a Tencent `Response`, if any.
pub fn code(resp: &Value) -> Option<&str> {
    resp.get("Error").and_then(|e| e.get("Code")).and_then(|c| c.as_str())
}

/// A signing client for the default account every replica creates from the environment.
#[derive(Clone)]
pub struct Api {
    pub id: String,
    pub secret: String,
    http: Client<HttpConnector, Full<Bytes>>,
}

impl Api {
    pub fn new(id: &str, secret: &str) -> Self {
        Self { id: id.into(), secret: secret.into(), http: Client::builder(TokioExecutor::new()).build_http() }
    }

    /// A TC3-signed call in ap-guangzhou; `Err` when no HTTP answer came back.
    pub async fn call(&self, at: SocketAddr, service: &str, action: &str, params: Value) -> Result<Value, String> {
        let body = serde_json::to_vec(&params).map_err(|e| e.to_string())?;
        let ts = chrono::Utc::now().timestamp();
        let host = at.to_string();
        let auth = tc3::sign(&self.id, &self.secret, service, &host, "POST", "", "application/json", &body, ts);
        let req = hyper::Request::builder()
            .method("POST")
            .uri(format!("http://{host}/"))
            .header("Host", &host)
            .header("Content-Type", "application/json")
            .header("X-TC-Action", action)
            .header("X-TC-Version", "2017-03-12")
            .header("X-TC-Timestamp", ts.to_string())
            .header("X-TC-Region", "ap-guangzhou")
            .header("Authorization", auth)
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let send = async {
            let resp = self.http.request(req).await.map_err(|e| e.to_string())?;
            let raw = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
            serde_json::from_slice::<Value>(&raw).map_err(|e| e.to_string())
        };
        match tokio::time::timeout(Duration::from_secs(20), send).await {
            Ok(Ok(v)) => Ok(v["Response"].clone()),
            Ok(Err(e)) => Err(e),
            Err(_) => Err("timed out".into()),
        }
    }
}

impl Api {
    /// An RPC V1 (HMAC-SHA1) signed ENS query for `action` with this key and `nonce`, every
    /// parameter (the signature included) in it, for [`Api::ens_raw`].
    pub fn ens_v1_query(&self, action: &str, nonce: &str) -> String {
        let mut params: Vec<(String, String)> = [
            ("Action", action),
            ("Version", "2017-11-10"),
            ("Format", "JSON"),
            ("AccessKeyId", self.id.as_str()),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", nonce),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        params.push(("Timestamp".into(), chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()));
        let signature = acs_v1::sign(&self.secret, &acs_v1::string_to_sign("POST", &params));
        params.push(("Signature".into(), signature));
        form_urlencoded::Serializer::new(String::new()).extend_pairs(params.iter()).finish()
    }

    /// Sends an already signed ENS RPC request (`query` holds every parameter, the signature
    /// included); returns the HTTP status and the JSON body.
    pub async fn ens_raw(&self, at: SocketAddr, query: &str) -> Result<(u16, Value), String> {
        let req = hyper::Request::post(format!("http://{at}/?{query}"))
            .header("Host", at.to_string())
            .body(Full::new(Bytes::new()))
            .map_err(|e| e.to_string())?;
        let resp = self.http.request(req).await.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let raw = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok((status, serde_json::from_slice(&raw).map_err(|e| e.to_string())?))
    }

    /// A call that must succeed; returns `Response`.
    pub async fn ok(&self, at: SocketAddr, service: &str, action: &str, params: Value) -> Value {
        let r = self.call(at, service, action, params).await.expect("transport");
        assert!(code(&r).is_none(), "{action} failed: {r}");
        r
    }
}

/// One `eniplane serve` child process.
pub struct Replica {
    pub name: String,
    pub addr: SocketAddr,
    child: Child,
    /// Its stderr (the log).
    pub log: std::path::PathBuf,
    /// Its stdout (what a first start prints).
    pub out: std::path::PathBuf,
}

/// The key every replica seals access-key secrets with (replicas of one database must share it).
pub const SECRET_KEY: &str = "cmVwbGljYXMtc2hhcmUtdGhpcy10ZXN0LWtleS0zMmI=";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0)
}

impl Replica {
    /// Starts a replica on `database_url` with the test account's keys as the root keys.
    pub fn spawn(name: &str, dir: &Path, database_url: &str, api: &Api, delay_ms: i64) -> std::io::Result<Self> {
        Self::spawn_with(name, dir, Some(database_url), api, &["--transition-delay-ms", &delay_ms.to_string()])
    }

    /// Starts a server on `database_url`, or on the embedded store in `dir/<name>` (so a process
    /// started again with the same name finds the same data), with extra `serve` flags.
    pub fn spawn_with(
        name: &str,
        dir: &Path,
        database_url: Option<&str>,
        api: &Api,
        extra: &[&str],
    ) -> std::io::Result<Self> {
        Self::spawn_env(name, dir, database_url, api, extra, &[])
    }

    /// [`Replica::spawn_with`] with extra environment variables (over `ENIPLANE_LOG=warn` and
    /// the root keys).
    pub fn spawn_env(
        name: &str,
        dir: &Path,
        database_url: Option<&str>,
        api: &Api,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> std::io::Result<Self> {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("address");
        let log = dir.join(format!("{name}.log"));
        let out = dir.join(format!("{name}.out"));
        let store: Vec<&str> = database_url.map(|u| vec!["--database-url", u]).unwrap_or_default();
        let child = Command::new(env!("CARGO_BIN_EXE_eniplane"))
            .args(["serve", "--listen", &addr.to_string()])
            .args(&store)
            .arg("--data-dir")
            .arg(dir.join(name))
            .args(extra)
            .env("ENIPLANE_ROOT_ACCESS_KEY_ID", &api.id)
            .env("ENIPLANE_ROOT_ACCESS_KEY_SECRET", &api.secret)
            .env("ENIPLANE_SECRET_KEY", SECRET_KEY)
            .env("ENIPLANE_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(std::fs::File::create(&out)?)
            .stderr(std::fs::File::create(&log)?)
            .spawn()?;
        Ok(Self { name: name.into(), addr, child, log, out })
    }

    /// Sends SIGTERM (a graceful stop).
    pub fn sigterm(&self) {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        assert!(status.is_ok_and(|s| s.success()), "kill -TERM failed");
    }

    /// Waits up to `timeout` for the process to exit; its status, or `None` if it still runs.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }

    /// `/healthz` status, `None` when the replica does not answer.
    pub async fn health_status(&self) -> Option<u16> {
        self.status("/healthz").await
    }

    /// The status a GET of `path` answers, `None` when the replica does not answer.
    pub async fn status(&self, path: &str) -> Option<u16> {
        let client: Client<HttpConnector, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
        let req = hyper::Request::get(format!("http://{}{path}", self.addr)).body(Full::new(Bytes::new())).ok()?;
        let resp = tokio::time::timeout(Duration::from_secs(20), client.request(req)).await.ok()?.ok()?;
        Some(resp.status().as_u16())
    }

    /// Waits until `/healthz` answers 200.
    pub async fn wait_healthy(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            if self.health_status().await == Some(200) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// SIGKILL: no shutdown, no chance to finish anything.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops the replica.
    pub fn stop(&mut self) {
        self.kill9();
    }

    /// The end of the replica's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A TCP proxy in front of the database that can drop every connection and refuse new ones.
pub struct Proxy {
    pub port: u16,
    target: u16,
    tasks: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Proxy {
    /// Listens on a free port and forwards to `127.0.0.1:target`.
    pub async fn start(target: u16) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let p = Self { port, target, tasks: Arc::default() };
        p.serve(listener);
        p
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let (tasks, target) = (self.tasks.clone(), self.target);
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let forward = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(("127.0.0.1", target)).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tasks.lock().push(forward.abort_handle());
            }
        });
        self.tasks.lock().push(accept.abort_handle());
    }

    /// Closes the listener and every forwarded connection, as a database outage would.
    pub fn stop(&self) {
        for t in self.tasks.lock().drain(..) {
            t.abort();
        }
    }

    /// Listens again on the same port.
    pub async fn resume(&self) {
        let mut tries = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => break l,
                Err(e) if tries < 50 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("proxy port {} not free again: {e}", self.port),
            }
        };
        self.serve(listener);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop();
    }
}
