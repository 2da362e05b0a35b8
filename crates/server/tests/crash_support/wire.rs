//! Signed requests in the four schemes the crash trials speak (Tencent TC3 and legacy HmacSHA256,
//! ENS RPC V1 and ACS3), kept as sent so an acknowledged one can be sent again byte for byte.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use eniplane_auth::{acs3, acs_v1, tc3, tencent_v1};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// The Tencent region and zone the trials use.
pub const TENCENT_REGION: &str = "ap-guangzhou";
pub const TENCENT_ZONE: &str = "ap-guangzhou-3";
/// The ENS edge region the trials use.
pub const ENS_REGION: &str = "cn-beijing-15";

/// An access key pair.
#[derive(Clone, Debug)]
pub struct Key {
    pub account: String,
    pub id: String,
    pub secret: String,
}

/// The signature scheme of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Tc3,
    TencentLegacy,
    EnsV1,
    EnsAcs3,
}

impl Scheme {
    /// Whether the scheme carries a nonce (and so must refuse a replay).
    pub fn has_nonce(self) -> bool {
        self != Scheme::Tc3
    }
}

/// One signed request, exactly as sent.
#[derive(Clone, Debug)]
pub struct Sent {
    pub scheme: Scheme,
    pub action: String,
    pub method: &'static str,
    /// Path and query.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// An HTTP answer in either dialect.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    /// Tencent's `Response` object, or ENS's whole body.
    pub fn fields(&self) -> &Value {
        self.body.get("Response").unwrap_or(&self.body)
    }

    /// The error code, if the answer is an error (Tencent `Response.Error.Code`, ENS `Code` with
    /// a non-200 status).
    pub fn code(&self) -> Option<&str> {
        if let Some(r) = self.body.get("Response") {
            return r.get("Error").and_then(|e| e.get("Code")).and_then(Value::as_str);
        }
        if self.status != 200 {
            return Some(self.body.get("Code").and_then(Value::as_str).unwrap_or("HTTP error"));
        }
        None
    }

    /// Whether the request was acknowledged as done.
    pub fn ok(&self) -> bool {
        self.status == 200 && self.code().is_none()
    }
}

fn form(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs.iter()).finish()
}

fn nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A TC3-signed POST with a JSON body.
pub fn tc3(key: &Key, host: &str, service: &str, action: &str, params: &Value) -> Sent {
    let body = serde_json::to_vec(params).unwrap_or_default();
    let ts = chrono::Utc::now().timestamp();
    let auth = tc3::sign(&key.id, &key.secret, service, host, "POST", "", "application/json", &body, ts);
    let headers = vec![
        ("Host".into(), host.to_string()),
        ("Content-Type".into(), "application/json".into()),
        ("X-TC-Action".into(), action.to_string()),
        ("X-TC-Version".into(), "2017-03-12".into()),
        ("X-TC-Timestamp".into(), ts.to_string()),
        ("X-TC-Region".into(), TENCENT_REGION.into()),
        ("Authorization".into(), auth),
    ];
    Sent { scheme: Scheme::Tc3, action: action.into(), method: "POST", target: "/".into(), headers, body }
}

/// A legacy HmacSHA256-signed Tencent POST with flattened parameters in a form body.
pub fn legacy(key: &Key, host: &str, action: &str, params: &[(&str, String)]) -> Sent {
    let mut all: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    for (k, v) in [
        ("Action", action.to_string()),
        ("Version", "2017-03-12".to_string()),
        ("Region", TENCENT_REGION.to_string()),
        ("Timestamp", chrono::Utc::now().timestamp().to_string()),
        ("Nonce", (rand::random::<u32>() as u64 + 1).to_string()),
        ("SecretId", key.id.clone()),
        ("SignatureMethod", "HmacSHA256".to_string()),
    ] {
        all.push((k.to_string(), v));
    }
    let sig = tencent_v1::sign(&key.secret, "HmacSHA256", "POST", host, "/", &all);
    all.push(("Signature".to_string(), sig));
    let headers =
        vec![("Host".into(), host.to_string()), ("Content-Type".into(), "application/x-www-form-urlencoded".into())];
    Sent {
        scheme: Scheme::TencentLegacy,
        action: action.into(),
        method: "POST",
        target: "/".into(),
        headers,
        body: form(&all).into_bytes(),
    }
}

/// An ENS RPC V1 (HMAC-SHA1) POST with every parameter in the query.
pub fn ens_v1(key: &Key, host: &str, action: &str, params: &[(&str, String)]) -> Sent {
    let mut all: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    let ts = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    for (k, v) in [
        ("Action", action.to_string()),
        ("Version", "2017-11-10".to_string()),
        ("Format", "JSON".to_string()),
        ("AccessKeyId", key.id.clone()),
        ("SignatureMethod", "HMAC-SHA1".to_string()),
        ("SignatureVersion", "1.0".to_string()),
        ("SignatureNonce", nonce()),
        ("Timestamp", ts),
    ] {
        all.push((k.to_string(), v));
    }
    let sts = acs_v1::string_to_sign("POST", &all);
    all.push(("Signature".to_string(), acs_v1::sign(&key.secret, &sts)));
    let headers = vec![("Host".into(), host.to_string())];
    Sent {
        scheme: Scheme::EnsV1,
        action: action.into(),
        method: "POST",
        target: format!("/?{}", form(&all)),
        headers,
        body: Vec::new(),
    }
}

/// An ACS3-signed ENS POST, parameters in the query (as the tea SDK sends them).
pub fn ens_acs3(key: &Key, host: &str, action: &str, params: &[(&str, String)]) -> Sent {
    let query: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    let date = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let extra = [("x-acs-action", action), ("x-acs-version", "2017-11-10")];
    let headers = acs3::sign(&key.id, &key.secret, "POST", host, &query, &extra, b"", &date, &nonce());
    Sent {
        scheme: Scheme::EnsAcs3,
        action: action.into(),
        method: "POST",
        target: format!("/?{}", form(&query)),
        headers,
        body: Vec::new(),
    }
}

/// A keep-alive HTTP client.
#[derive(Clone)]
pub struct Client {
    http: HttpClient<HttpConnector, Full<Bytes>>,
}

impl Default for Client {
    fn default() -> Self {
        Self { http: HttpClient::builder(TokioExecutor::new()).build_http() }
    }
}

impl Client {
    /// Sends `s` to `at`; `Err` when no complete HTTP answer came back.
    pub async fn send(&self, at: SocketAddr, s: &Sent) -> Result<Answer, String> {
        let mut b = hyper::Request::builder().method(s.method).uri(format!("http://{at}{}", s.target));
        for (n, v) in &s.headers {
            b = b.header(n.as_str(), v.as_str());
        }
        let req = b.body(Full::new(Bytes::from(s.body.clone()))).map_err(|e| e.to_string())?;
        let exchange = async {
            let resp = self.http.request(req).await.map_err(|e| e.to_string())?;
            let status = resp.status().as_u16();
            let raw = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
            let body = serde_json::from_slice(&raw).map_err(|e| format!("{e}: {}", String::from_utf8_lossy(&raw)))?;
            Ok(Answer { status, body })
        };
        match tokio::time::timeout(Duration::from_secs(20), exchange).await {
            Ok(r) => r,
            Err(_) => Err("timed out".into()),
        }
    }
}
