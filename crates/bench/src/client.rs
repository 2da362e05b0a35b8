//! Keep-alive HTTP/1.1 connections and the two request signers (TC3 for Tencent, ACS3 for ENS).
//!
//! The load generator must stay cheap so the server gets most of the two cores: request bodies are
//! serialized once, the TC3 canonical-request hash (which does not depend on the timestamp) is
//! computed once per body, and the TC3 signing key is derived once per UTC day and service. Every
//! request is still signed with its own current timestamp.

use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::HeaderValue;
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// An access key pair.
#[derive(Clone, Debug)]
pub struct Key {
    /// Access key id.
    pub id: String,
    /// Access key secret.
    pub secret: String,
}

/// One HTTP/1.1 keep-alive connection; reconnects after a transport error.
pub struct Conn {
    addr: String,
    tx: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    /// Opens a connection to `addr` (`host:port`).
    pub async fn open(addr: &str) -> Result<Self, String> {
        let mut c = Self { addr: addr.to_string(), tx: None };
        c.connect().await?;
        Ok(c)
    }

    async fn connect(&mut self) -> Result<(), String> {
        let stream =
            tokio::net::TcpStream::connect(&self.addr).await.map_err(|e| format!("connect {}: {e}", self.addr))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (tx, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| format!("handshake: {e}"))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        self.tx = Some(tx);
        Ok(())
    }

    /// Sends one request; returns the status and the whole body.
    pub async fn send(&mut self, req: Request<Full<Bytes>>) -> Result<(u16, Bytes), String> {
        if self.tx.is_none() {
            self.connect().await?;
        }
        let result = async {
            let tx = self.tx.as_mut().expect("connected");
            tx.ready().await.map_err(|e| format!("connection: {e}"))?;
            let resp = tx.send_request(req).await.map_err(|e| format!("request: {e}"))?;
            let status = resp.status().as_u16();
            let body = resp.into_body().collect().await.map_err(|e| format!("body: {e}"))?.to_bytes();
            Ok::<_, String>((status, body))
        }
        .await;
        if result.is_err() {
            self.tx = None;
        }
        result
    }
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Whether `haystack` contains `needle`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A Tencent request body prepared once and signed per send.
#[derive(Clone)]
pub struct Prepared {
    /// `X-TC-Action`.
    pub action: &'static str,
    service: &'static str,
    body: Bytes,
    creq_hash: String,
}

/// The TC3-HMAC-SHA256 signer for one key and host, with a per-day signing-key cache.
#[derive(Clone)]
pub struct Tc3 {
    key: Key,
    host: String,
    host_value: HeaderValue,
    cache: Vec<(&'static str, i64, String, HmacSha256)>,
}

const TC3: &str = "TC3-HMAC-SHA256";

impl Tc3 {
    /// A signer for `host` (the `Host` header value, `ip:port`).
    pub fn new(key: Key, host: &str) -> Self {
        let host_value = HeaderValue::from_str(host).expect("host header");
        Self { key, host: host.to_string(), host_value, cache: Vec::new() }
    }

    /// Serializes `params` once and checks that the fast signer agrees with `eniplane_auth::tc3::sign`.
    pub fn prepare(&mut self, service: &'static str, action: &'static str, params: &Value) -> Prepared {
        let body = serde_json::to_vec(params).expect("json");
        let creq = format!(
            "POST\n/\n\ncontent-type:application/json\nhost:{}\n\ncontent-type;host\n{}",
            self.host,
            sha256_hex(&body)
        );
        let p = Prepared { action, service, body: Bytes::from(body), creq_hash: sha256_hex(creq.as_bytes()) };
        let ts = chrono::Utc::now().timestamp();
        let reference = eniplane_auth::tc3::sign(
            &self.key.id,
            &self.key.secret,
            service,
            &self.host,
            "POST",
            "",
            "application/json",
            &p.body,
            ts,
        );
        assert_eq!(self.authorization(&p, ts), reference, "fast TC3 signer disagrees with eniplane_auth::tc3::sign");
        p
    }

    fn authorization(&mut self, p: &Prepared, ts: i64) -> String {
        let day = ts.div_euclid(86_400);
        let idx = match self.cache.iter().position(|(s, d, _, _)| *s == p.service && *d == day) {
            Some(i) => i,
            None => {
                let date = chrono::DateTime::from_timestamp(ts, 0).expect("timestamp").format("%Y-%m-%d").to_string();
                let key = eniplane_auth::tc3::signing_key(&self.key.secret, &date, p.service);
                let mac = HmacSha256::new_from_slice(&key).expect("hmac key");
                self.cache.retain(|(s, _, _, _)| *s != p.service);
                self.cache.push((p.service, day, date, mac));
                self.cache.len() - 1
            }
        };
        let (service, _, date, mac) = &self.cache[idx];
        let sts = format!("{TC3}\n{ts}\n{date}/{service}/tc3_request\n{}", p.creq_hash);
        let mut mac = mac.clone();
        mac.update(sts.as_bytes());
        let sig = hex::encode(mac.finalize().into_bytes());
        format!(
            "{TC3} Credential={}/{date}/{service}/tc3_request, SignedHeaders=content-type;host, Signature={sig}",
            self.key.id
        )
    }

    /// A freshly signed request for `p`.
    pub fn request(&mut self, p: &Prepared) -> Request<Full<Bytes>> {
        let ts = chrono::Utc::now().timestamp();
        let auth = self.authorization(p, ts);
        Request::post("/")
            .header("host", self.host_value.clone())
            .header("content-type", HeaderValue::from_static("application/json"))
            .header("x-tc-action", HeaderValue::from_static(p.action))
            .header("x-tc-version", HeaderValue::from_static("2017-03-12"))
            .header("x-tc-timestamp", ts.to_string())
            .header("x-tc-region", HeaderValue::from_static("ap-guangzhou"))
            .header("authorization", auth)
            .body(Full::new(p.body.clone()))
            .expect("request")
    }
}

/// An ENS RPC call prepared once (query encoded) and ACS3-signed per send.
#[derive(Clone)]
pub struct EnsPrepared {
    /// `x-acs-action`.
    pub action: &'static str,
    query: Vec<(String, String)>,
    uri: String,
}

/// The ACS3-HMAC-SHA256 signer; every request gets a fresh date and a unique nonce.
#[derive(Clone)]
pub struct Acs3 {
    key: Key,
    host: String,
    nonce_prefix: String,
    counter: u64,
    second: i64,
    date: String,
}

impl Acs3 {
    /// A signer for `host`; `tag` keeps nonces of concurrent signers apart.
    pub fn new(key: Key, host: &str, tag: usize) -> Self {
        let nonce_prefix = format!("{}{tag:x}n", uuid::Uuid::new_v4().simple());
        Self { key, host: host.to_string(), nonce_prefix, counter: 0, second: 0, date: String::new() }
    }

    /// Encodes the query once.
    pub fn prepare(action: &'static str, params: &[(&str, &str)]) -> EnsPrepared {
        let query: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let qs: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(query.iter()).finish();
        let uri = if qs.is_empty() { "/".to_string() } else { format!("/?{qs}") };
        EnsPrepared { action, query, uri }
    }

    /// A freshly signed request for `p`.
    pub fn request(&mut self, p: &EnsPrepared) -> Request<Full<Bytes>> {
        let now = chrono::Utc::now();
        if now.timestamp() != self.second {
            self.second = now.timestamp();
            self.date = now.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        }
        self.counter += 1;
        let nonce = format!("{}{:x}", self.nonce_prefix, self.counter);
        let extra = [("x-acs-action", p.action), ("x-acs-version", "2017-11-10")];
        let headers = eniplane_auth::acs3::sign(
            &self.key.id,
            &self.key.secret,
            "POST",
            &self.host,
            &p.query,
            &extra,
            b"",
            &self.date,
            &nonce,
        );
        let mut b = Request::post(p.uri.as_str());
        for (n, v) in headers {
            b = b.header(n, v);
        }
        b.body(Full::new(Bytes::new())).expect("request")
    }
}

/// An ENS error answer.
#[derive(Debug, Clone)]
pub struct EnsError {
    /// HTTP status.
    pub status: u16,
    /// `Code`.
    pub code: String,
    /// `Message` (or the raw body).
    pub message: String,
}

impl std::fmt::Display for EnsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {} {}: {}", self.status, self.code, self.message)
    }
}

/// Sequential signed calls for fixture setup and polling.
pub struct Api {
    conn: Conn,
    /// Tencent signer.
    pub tc3: Tc3,
    /// ENS signer.
    pub acs3: Acs3,
}

impl Api {
    /// Connects to `addr` and signs as `key`.
    pub async fn new(addr: &str, key: Key) -> Result<Self, String> {
        let conn = Conn::open(addr).await?;
        Ok(Self { conn, tc3: Tc3::new(key.clone(), addr), acs3: Acs3::new(key, addr, 0xffff) })
    }

    /// A signed Tencent call; returns `Response` or the error code and message.
    pub async fn tc(&mut self, service: &'static str, action: &'static str, params: Value) -> Result<Value, String> {
        let p = self.tc3.prepare(service, action, &params);
        let req = self.tc3.request(&p);
        let (status, body) = self.conn.send(req).await?;
        let v: Value = serde_json::from_slice(&body).map_err(|e| format!("{action}: HTTP {status}, bad JSON: {e}"))?;
        let resp = v.get("Response").cloned().unwrap_or(Value::Null);
        if status != 200 || resp.get("Error").is_some() {
            return Err(format!("{action}: HTTP {status}: {}", resp.get("Error").unwrap_or(&v)));
        }
        Ok(resp)
    }

    /// A signed ENS call; returns the body or the error.
    pub async fn ens(&mut self, action: &'static str, params: &[(&str, &str)]) -> Result<Value, EnsError> {
        let p = Acs3::prepare(action, params);
        let req = self.acs3.request(&p);
        let (status, body) =
            self.conn.send(req).await.map_err(|e| EnsError { status: 0, code: "Transport".into(), message: e })?;
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if !(200..300).contains(&status) {
            let s = |k: &str| v.get(k).and_then(|c| c.as_str()).map(str::to_string);
            return Err(EnsError {
                status,
                code: s("Code").unwrap_or_default(),
                message: s("Message").unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned()),
            });
        }
        Ok(v)
    }
}
