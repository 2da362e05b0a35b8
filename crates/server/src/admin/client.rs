//! The admin API's client, for the `eniplane admin …` commands: one request to a running
//! server over HTTP or HTTPS (trusting a given CA, by default the self-signed one under the data
//! directory), with the admin token as a bearer token.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

use super::token;

/// The server the CLI talks to when none is named.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:4577";
/// The longest one admin request may take, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// The largest answer the client reads.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;

/// Where and how to reach the admin API.
#[derive(Debug, Clone)]
pub struct Target {
    /// `http://HOST:PORT` or `https://HOST:PORT`.
    pub server: String,
    /// The token; `None` reads `DATA_DIR/admin.token`.
    pub token: Option<String>,
    /// The data directory of a server on this machine (its token and self-signed CA).
    pub data_dir: PathBuf,
    /// The CA to trust for HTTPS; `None` means `DATA_DIR/tls/ca.pem`.
    pub ca: Option<PathBuf>,
}

/// An answer: status and JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: serde_json::Value,
}

impl Answer {
    /// The body when the status is 2xx, else the server's error message.
    pub fn ok(self) -> Result<serde_json::Value, String> {
        if (200..300).contains(&self.status) {
            return Ok(self.body);
        }
        let message = self.body["error"]["message"].as_str().unwrap_or("no message").to_string();
        let code = self.body["error"]["code"].as_str().unwrap_or("error").to_string();
        Err(format!("the server answered HTTP {} {code}: {message}", self.status))
    }
}

struct Endpoint {
    tls: bool,
    host: String,
    port: u16,
}

fn endpoint(server: &str) -> Result<Endpoint, String> {
    let uri: http::Uri = server.parse().map_err(|e| format!("--server {server}: {e}"))?;
    let tls = match uri.scheme_str() {
        Some("http") => false,
        Some("https") => true,
        _ => return Err(format!("--server {server}: give http://HOST:PORT or https://HOST:PORT")),
    };
    let host = uri.host().ok_or_else(|| format!("--server {server}: no host"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    Ok(Endpoint { tls, host, port })
}

impl Target {
    fn bearer(&self) -> Result<String, String> {
        if let Some(t) = &self.token {
            return Ok(t.clone());
        }
        token::read_saved(&self.data_dir)?.ok_or_else(|| {
            format!(
                "no admin token: give --admin-token or ENIPLANE_ADMIN_TOKEN, or --data-dir of the server ({} has no {})",
                self.data_dir.display(),
                token::TOKEN_FILE
            )
        })
    }

    fn connector(&self) -> Result<TlsConnector, String> {
        let ca = self
            .ca
            .clone()
            .unwrap_or_else(|| self.data_dir.join(crate::tls::SELF_SIGNED_DIR).join(crate::tls::CA_FILE));
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(&ca).map_err(|e| ca_error(&ca, e))? {
            roots.add(cert.map_err(|e| ca_error(&ca, e))?).map_err(|e| ca_error(&ca, e))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(TlsConnector::from(Arc::new(config)))
    }

    /// Sends one request (`GET` when `body` is `None`, else `method` with a JSON body).
    pub async fn request(&self, method: &str, path: &str, body: Option<&serde_json::Value>) -> Result<Answer, String> {
        tokio::time::timeout(TIMEOUT, self.send(method, path, body))
            .await
            .map_err(|_| format!("{} did not answer within {} s", self.server, TIMEOUT.as_secs()))?
    }

    async fn send(&self, method: &str, path: &str, body: Option<&serde_json::Value>) -> Result<Answer, String> {
        let at = endpoint(&self.server)?;
        let bearer = self.bearer()?;
        let tcp = TcpStream::connect((at.host.as_str(), at.port))
            .await
            .map_err(|e| format!("connecting to {}: {e}", self.server))?;
        let host = if at.host.contains(':') {
            format!("[{}]:{}", at.host, at.port)
        } else {
            format!("{}:{}", at.host, at.port)
        };
        let payload = body.map(|b| b.to_string()).unwrap_or_default();
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", host)
            .header("authorization", format!("Bearer {bearer}"))
            .header("accept", "application/json");
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req.body(Full::new(Bytes::from(payload))).map_err(|e| e.to_string())?;
        if at.tls {
            let name = ServerName::try_from(at.host.clone()).map_err(|e| format!("{}: {e}", at.host))?;
            let stream =
                self.connector()?.connect(name, tcp).await.map_err(|e| format!("TLS with {}: {e}", self.server))?;
            exchange(stream, req).await
        } else {
            exchange(tcp, req).await
        }
    }
}

fn ca_error(ca: &Path, e: impl std::fmt::Display) -> String {
    format!("reading the CA {} (give --ca FILE for an HTTPS server): {e}", ca.display())
}

async fn exchange<S>(io: S, req: hyper::Request<Full<Bytes>>) -> Result<Answer, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(TokioIo::new(io)).await.map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let raw = Limited::new(resp.into_body(), MAX_ANSWER_BYTES)
        .collect()
        .await
        .map_err(|e| format!("reading the answer: {e}"))?
        .to_bytes();
    let body = serde_json::from_slice(&raw)
        .map_err(|_| format!("HTTP {status} with a body that is not JSON: {:.200}", String::from_utf8_lossy(&raw)))?;
    Ok(Answer { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_are_http_or_https_urls() {
        let e = endpoint("http://127.0.0.1:4577").unwrap();
        assert_eq!((e.tls, e.host.as_str(), e.port), (false, "127.0.0.1", 4577));
        let e = endpoint("https://[::1]:9").unwrap();
        assert_eq!((e.tls, e.host.as_str(), e.port), (true, "::1", 9));
        assert!(endpoint("127.0.0.1:4577").is_err());
        assert!(endpoint("ftp://x").is_err());
    }
}
