//! In-process test harness: a real eniplane HTTP server on an ephemeral port over a fresh
//! SQLite store, with signing clients for both dialects.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use eniplane::{accounts, config, http};
use eniplane_auth::{acs3, acs_v1, tc3};
use eniplane_core::ops::accounts as account_ops;
use eniplane_store::Tx;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

pub mod tencent;
pub mod wire;

/// An access key pair.
#[derive(Clone, Debug)]
pub struct Key {
    pub account: String,
    pub id: String,
    pub secret: String,
}

/// A running server.
pub struct TestServer {
    pub addr: SocketAddr,
    /// The `/metrics` listener, when the options give it one.
    pub metrics_addr: Option<SocketAddr>,
    /// The CA to trust, when the options ask for a self-signed certificate.
    pub tls_ca: Option<std::path::PathBuf>,
    pub dir: tempfile::TempDir,
    pub svc: eniplane_api::Services,
    pub key: Key,
    /// The admin API's token (generated into the data directory unless the options give one).
    pub admin_token: String,
    client: Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    worker: eniplane::worker::Worker,
}

/// A raw HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
    pub raw: Vec<u8>,
}

/// Options for a test server.
#[derive(Clone)]
pub struct Options {
    pub delay_ms: i64,
    pub rate_limits: bool,
    pub overrides: Vec<(String, u32)>,
    /// Connection limits, TLS, `/metrics` guard.
    pub transport: config::Transport,
    /// The admin token; `None` lets the server generate one into its data directory.
    pub admin_token: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            delay_ms: 100,
            rate_limits: false,
            overrides: Vec::new(),
            transport: config::Transport::default(),
            admin_token: None,
        }
    }
}

impl TestServer {
    /// Starts a server with a 100 ms transition delay and rate limits off.
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    /// Starts a server with options.
    pub async fn start_with(opts: Options) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        Self::start_in(dir, opts).await
    }

    /// Starts a server over an existing data directory (for restart tests).
    pub async fn start_in(dir: tempfile::TempDir, opts: Options) -> Self {
        Self::start_custom(dir, opts, eniplane_core::Catalog::default()).await
    }

    /// Starts a server over a data directory with an operator catalogue (quotas, regions).
    pub async fn start_custom(dir: tempfile::TempDir, opts: Options, catalog: eniplane_core::Catalog) -> Self {
        let rate =
            config::RateLimitConfig { enabled: opts.rate_limits, overrides: opts.overrides.iter().cloned().collect() };
        let cfg = config::Resolved {
            transition_delay_ms: opts.delay_ms,
            rate_limits: rate,
            catalog,
            secret_key_file: None,
            transport: opts.transport.clone(),
            admin_token: opts.admin_token.clone().map(config::AdminToken),
            ..config::Resolved::new("127.0.0.1:0".parse().unwrap(), dir.path().to_path_buf())
        };
        let (svc, key_source) = http::services(&cfg).expect("services");
        accounts::prepare(&svc, &key_source).await.expect("secret key and default account");
        // The server's own listener (limits, timeouts, TLS), on an ephemeral port.
        let serving = http::start(&cfg, svc.clone()).await.expect("listen");
        // Dropping `serving` leaves the listeners running until the test's runtime ends.
        let (addr, metrics_addr, tls_ca) = (serving.addr, serving.metrics_addr, serving.tls_ca.clone());
        let admin_token = serving.admin_token.value.clone();
        let worker = eniplane::worker::spawn(svc.store.clone());
        let client = Client::builder(TokioExecutor::new()).build_http();
        let mut server = Self {
            addr,
            metrics_addr,
            tls_ca,
            dir,
            svc,
            key: Key { account: String::new(), id: String::new(), secret: String::new() },
            admin_token,
            client,
            worker,
        };
        // The default key survives restarts over the same data directory.
        let saved = server.dir.path().join("tester.key");
        server.key = match std::fs::read_to_string(&saved) {
            Ok(text) => {
                let mut parts = text.lines().map(str::to_string);
                let mut next = || parts.next().unwrap_or_default();
                Key { account: next(), id: next(), secret: next() }
            }
            Err(_) => {
                let k = server.account("tester").await;
                std::fs::write(&saved, format!("{}\n{}\n{}\n", k.account, k.id, k.secret)).expect("save key");
                k
            }
        };
        server
    }

    /// Creates another account and returns its key.
    pub async fn account(&self, name: &str) -> Key {
        let (a, k, secret) = accounts::create(&self.svc, name, Vec::new()).await.expect("account");
        Key { account: a.id, id: k.id, secret: secret.expose().to_string() }
    }

    /// Creates another account whose key carries `policy` (a CAM/RAM policy document, which must
    /// pass the strict parser as `account create --policy` requires).
    pub async fn account_with_policy(&self, name: &str, policy: Value) -> Key {
        eniplane_auth::policy::Policy::from_value(&policy).expect("a policy the strict parser accepts");
        let (a, k, secret) = accounts::create(&self.svc, name, vec![policy]).await.expect("account");
        Key { account: a.id, id: k.id, secret: secret.expose().to_string() }
    }

    /// Replaces the policies of `key` with `policy`, which must pass the strict parser.
    pub async fn set_policy(&self, key: &Key, policy: Value) {
        eniplane_auth::policy::Policy::from_value(&policy).expect("a policy the strict parser accepts");
        self.store_raw_policies(key, vec![policy]).await;
    }

    /// Replaces the policies of `key` in the store without the strict parser (as an older
    /// version may have stored them) and drops the cached key.
    pub async fn store_raw_policies(&self, key: &Key, policies: Vec<Value>) {
        let id = key.id.clone();
        self.svc
            .store
            .write(move |tx: &mut dyn Tx| account_ops::set_policies(tx, &id, policies.clone()))
            .await
            .expect("policies");
        self.svc.credentials.forget(&key.id);
    }

    /// Host header value.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Stops the worker (the listener dies with the runtime).
    pub fn stop_worker(&self) {
        self.worker.signal();
    }

    /// An admin API request with `token` (`None`: no Authorization header); JSON body optional.
    pub async fn admin_as(&self, token: Option<&str>, method: &str, path: &str, body: Option<Value>) -> Answer {
        let mut headers = vec![("Host".to_string(), self.host())];
        if let Some(t) = token {
            headers.push(("Authorization".to_string(), format!("Bearer {t}")));
        }
        if body.is_some() {
            headers.push(("Content-Type".to_string(), "application/json".to_string()));
        }
        let bytes = body.map(|b| serde_json::to_vec(&b).unwrap()).unwrap_or_default();
        self.raw(method, path, &headers, bytes).await
    }

    /// An admin API request with the server's token.
    pub async fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        self.admin_as(Some(&self.admin_token.clone()), method, path, body).await
    }

    /// Sends a raw request.
    pub async fn raw(&self, method: &str, path_and_query: &str, headers: &[(String, String)], body: Vec<u8>) -> Answer {
        let mut b = hyper::Request::builder().method(method).uri(format!("http://{}{}", self.addr, path_and_query));
        for (n, v) in headers {
            b = b.header(n.as_str(), v.as_str());
        }
        let req = b.body(Full::new(Bytes::from(body))).expect("request");
        let resp = self.client.request(req).await.expect("http");
        let status = resp.status().as_u16();
        let content_type = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let raw = resp.into_body().collect().await.expect("body").to_bytes().to_vec();
        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Answer { status, content_type, body, raw }
    }

    /// A TC3-signed Tencent call (POST JSON) with `key`; returns the whole answer.
    pub async fn tc3_as(&self, key: &Key, service: &str, action: &str, region: Option<&str>, params: Value) -> Answer {
        let body = serde_json::to_vec(&params).unwrap();
        let ts = chrono::Utc::now().timestamp();
        let host = self.host();
        let auth = tc3::sign(&key.id, &key.secret, service, &host, "POST", "", "application/json", &body, ts);
        let mut headers = vec![
            ("Host".to_string(), host),
            ("Content-Type".to_string(), "application/json".to_string()),
            ("X-TC-Action".to_string(), action.to_string()),
            ("X-TC-Version".to_string(), "2017-03-12".to_string()),
            ("X-TC-Timestamp".to_string(), ts.to_string()),
            ("Authorization".to_string(), auth),
        ];
        if let Some(r) = region {
            headers.push(("X-TC-Region".to_string(), r.to_string()));
        }
        self.raw("POST", "/", &headers, body).await
    }

    /// A signed VPC call in ap-guangzhou with the default test key; returns `Response`.
    pub async fn vpc(&self, action: &str, params: Value) -> Value {
        self.tc3_as(&self.key, "vpc", action, Some("ap-guangzhou"), params).await.body["Response"].clone()
    }

    /// A signed CVM call in ap-guangzhou with the default test key; returns `Response`.
    pub async fn cvm(&self, action: &str, params: Value) -> Value {
        self.tc3_as(&self.key, "cvm", action, Some("ap-guangzhou"), params).await.body["Response"].clone()
    }

    /// An ACS3-signed ENS call (parameters in the query, as the tea SDK sends them).
    pub async fn ens_acs3_as(&self, key: &Key, action: &str, params: &[(&str, &str)]) -> Answer {
        let query: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let date = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let host = self.host();
        let extra = [("x-acs-action", action), ("x-acs-version", "2017-11-10")];
        let signed = acs3::sign(&key.id, &key.secret, "POST", &host, &query, &extra, b"", &date, &nonce);
        let qs: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(query.iter()).finish();
        self.raw("POST", &format!("/?{qs}"), &signed, Vec::new()).await
    }

    /// An ACS3-signed ENS call with the default key.
    pub async fn ens(&self, action: &str, params: &[(&str, &str)]) -> Answer {
        self.ens_acs3_as(&self.key, action, params).await
    }

    /// An RPC V1 (HMAC-SHA1) signed ENS call, parameters in the query.
    pub async fn ens_v1_as(&self, key: &Key, action: &str, params: &[(&str, &str)]) -> Answer {
        let mut all: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let ts = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        for (k, v) in [
            ("Action", action.to_string()),
            ("Version", "2017-11-10".to_string()),
            ("Format", "JSON".to_string()),
            ("AccessKeyId", key.id.clone()),
            ("SignatureMethod", "HMAC-SHA1".to_string()),
            ("SignatureVersion", "1.0".to_string()),
            ("SignatureNonce", uuid::Uuid::new_v4().simple().to_string()),
            ("Timestamp", ts),
        ] {
            all.push((k.to_string(), v));
        }
        let sts = acs_v1::string_to_sign("POST", &all);
        all.push(("Signature".to_string(), acs_v1::sign(&key.secret, &sts)));
        let qs: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(all.iter()).finish();
        self.raw("POST", &format!("/?{qs}"), &[("Host".to_string(), self.host())], Vec::new()).await
    }

    /// Polls `f` until it returns true or `timeout` passes.
    pub async fn wait_until<F, Fut>(&self, timeout: Duration, mut f: F) -> bool
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            if f().await {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }
}

/// The error code of a Tencent `Response`, if any.
pub fn code(resp: &Value) -> Option<&str> {
    resp.get("Error").and_then(|e| e.get("Code")).and_then(|c| c.as_str())
}
