//! HTTPS: with `--tls-self-signed` the server makes a local CA; a client that trusts that CA
//! (and only it) verifies the certificate for `127.0.0.1` and `localhost` and gets signed
//! answers; a client that does not trust it, or speaks plain HTTP, gets nothing. The same files
//! given as `--tls-cert` / `--tls-key` serve too.

mod common;

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use common::{Options, TestServer};
use eniplane::config::{TlsSource, Transport};
use eniplane_auth::tc3;
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

fn tls(source: TlsSource) -> Options {
    Options { transport: Transport { tls: Some(source), ..Transport::default() }, ..Options::default() }
}

fn client_trusting(ca: Option<&Path>) -> TlsConnector {
    let mut roots = RootCertStore::empty();
    if let Some(ca) = ca {
        for cert in CertificateDer::pem_file_iter(ca).unwrap() {
            roots.add(cert.unwrap()).unwrap();
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// A TC3-signed Tencent call over HTTPS, verifying the server as `name`.
async fn tc3_over_tls(s: &TestServer, tls: &TlsConnector, name: &str, action: &str, params: Value) -> Value {
    let tcp = TcpStream::connect(s.addr).await.unwrap();
    let stream = tls.connect(ServerName::try_from(name.to_string()).unwrap(), tcp).await.expect("handshake");
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.expect("http");
    tokio::spawn(conn);
    let body = serde_json::to_vec(&params).unwrap();
    let ts = chrono::Utc::now().timestamp();
    let host = s.host();
    let auth = tc3::sign(&s.key.id, &s.key.secret, "vpc", &host, "POST", "", "application/json", &body, ts);
    let req = hyper::Request::post("/")
        .header("Host", host)
        .header("Content-Type", "application/json")
        .header("X-TC-Action", action)
        .header("X-TC-Version", "2017-03-12")
        .header("X-TC-Region", "ap-guangzhou")
        .header("X-TC-Timestamp", ts.to_string())
        .header("Authorization", auth)
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let resp = sender.send_request(req).await.expect("answer");
    let raw = resp.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice::<Value>(&raw).unwrap()["Response"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_trusting_the_self_signed_ca_gets_signed_answers() {
    let s = TestServer::start_with(tls(TlsSource::SelfSigned)).await;
    let ca = s.tls_ca.clone().expect("the CA path is reported");
    assert_eq!(ca, s.dir.path().join("tls/ca.pem"));
    let trusting = client_trusting(Some(&ca));
    for name in ["127.0.0.1", "localhost"] {
        let r =
            tc3_over_tls(&s, &trusting, name, "CreateVpc", json!({"VpcName": name, "CidrBlock": "10.0.0.0/16"})).await;
        assert!(r["Vpc"]["VpcId"].as_str().is_some_and(|id| id.starts_with("vpc-")), "{r}");
    }
    let r = tc3_over_tls(&s, &trusting, "127.0.0.1", "DescribeVpcs", json!({})).await;
    assert_eq!(r["TotalCount"], 2, "{r}");

    // Without the CA the certificate does not verify.
    let tcp = TcpStream::connect(s.addr).await.unwrap();
    let e = client_trusting(None).connect(ServerName::try_from("127.0.0.1").unwrap(), tcp).await;
    assert!(e.is_err(), "an untrusted certificate is refused by the client");

    // Plain HTTP on the HTTPS port gets no HTTP answer.
    let mut w = common::wire::Wire::connect(s.addr).await;
    w.send(&common::wire::request("GET", "/healthz", &[], b"")).await.unwrap();
    assert!(w.reply(std::time::Duration::from_secs(5)).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_certificate_files_serve_and_a_restart_reuses_the_self_signed_one() {
    let first = TestServer::start_with(tls(TlsSource::SelfSigned)).await;
    let ca = first.tls_ca.clone().unwrap();
    let dir = first.dir.path().join("tls");
    let files = TlsSource::Files { cert: dir.join("cert.pem"), key: dir.join("key.pem") };
    let s = TestServer::start_with(tls(files)).await;
    assert_eq!(s.tls_ca, None, "no CA to report for operator files");
    let r = tc3_over_tls(&s, &client_trusting(Some(&ca)), "127.0.0.1", "DescribeVpcs", json!({})).await;
    assert_eq!(r["TotalCount"], 0, "{r}");

    let pem = std::fs::read(&ca).unwrap();
    let data = first.dir;
    let again = TestServer::start_in(data, tls(TlsSource::SelfSigned)).await;
    assert_eq!(std::fs::read(again.tls_ca.as_ref().unwrap()).unwrap(), pem, "same CA after a restart");
    let r = tc3_over_tls(&again, &client_trusting(Some(&ca)), "localhost", "DescribeVpcs", json!({})).await;
    assert_eq!(r["TotalCount"], 0, "{r}");
}
