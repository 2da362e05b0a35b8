//! Connection hygiene over real sockets: slow clients (headers trickled, body trickled, idle
//! keep-alive) are cut off after their timeout while other clients are served; connections over
//! the cap get the dialect's busy answer without starving existing ones; oversize header blocks
//! and bodies get the right dialect's envelope, read by the client rather than lost to a reset;
//! malformed chunked bodies are reported as malformed.

mod common;

use std::time::Duration;

use common::wire::{request, Wire};
use common::{Options, TestServer};
use eniplane::config::{HttpLimits, Transport};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{sleep, Instant};

const MS: fn(u64) -> Duration = Duration::from_millis;
/// Upper bound for anything the server must do "at once" or "after a short timeout"; generous
/// so a loaded machine does not fail the test, far below what a stalled server would take.
const SOON: Duration = Duration::from_secs(5);

fn with_limits(f: impl FnOnce(&mut HttpLimits)) -> Options {
    let mut transport = Transport::default();
    f(&mut transport.limits);
    Options { transport, ..Options::default() }
}

const TENCENT: &[(&str, &str)] =
    &[("X-TC-Action", "DescribeVpcs"), ("X-TC-Version", "2017-03-12"), ("Content-Type", "application/json")];
const ENS: &[(&str, &str)] = &[("x-acs-action", "DescribeEnsRegions"), ("x-acs-version", "2017-11-10")];

fn tencent_error(reply: &common::wire::Reply) -> (String, String) {
    assert_eq!(reply.status, 200, "Tencent errors are HTTP 200: {}", reply.text());
    let e = &reply.json()["Response"]["Error"];
    (e["Code"].as_str().unwrap_or("").to_string(), e["Message"].as_str().unwrap_or("").to_string())
}

fn ens_error(reply: &common::wire::Reply, status: u16) -> (String, String) {
    assert_eq!(reply.status, status, "{}", reply.text());
    let v: Value = reply.json();
    assert!(v.get("RequestId").is_some(), "the ENS envelope: {v}");
    (v["Code"].as_str().unwrap_or("").to_string(), v["Message"].as_str().unwrap_or("").to_string())
}

async fn healthz(s: &TestServer) -> u16 {
    let mut w = Wire::connect(s.addr).await;
    w.send(&request("GET", "/healthz", &[], b"")).await.unwrap();
    w.reply(SOON).await.map_or(0, |r| r.status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_trickled_or_never_sent_are_cut_off_while_another_client_is_served() {
    let s = TestServer::start_with(with_limits(|l| l.header_read_timeout = MS(600))).await;
    let stream = TcpStream::connect(s.addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let started = Instant::now();
    writer.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let trickle = tokio::spawn(async move {
        for _ in 0..100 {
            sleep(MS(100)).await;
            if writer.write_all(b"X-Slow: 1\r\n").await.is_err() {
                return;
            }
        }
    });
    let mut silent = Wire::connect(s.addr).await;
    sleep(MS(150)).await;
    assert_eq!(healthz(&s).await, 200, "another client is served meanwhile");
    let mut buf = [0u8; 1024];
    let n = tokio::time::timeout(SOON, reader.read(&mut buf)).await.expect("the trickling client is cut off");
    assert!(matches!(n, Ok(0) | Err(_)), "closed without an answer: {n:?}");
    assert!(started.elapsed() >= MS(500), "not before its timeout: {:?}", started.elapsed());
    assert!(silent.closed_within(SOON).await, "a connection that never sends is cut off too");
    trickle.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_body_gets_the_dialect_envelope_and_the_connection_closes() {
    let s = TestServer::start_with(with_limits(|l| l.body_read_timeout = MS(600))).await;
    for (headers, ens) in [(TENCENT, false), (ENS, true)] {
        let mut slow = Wire::connect(s.addr).await;
        let mut all = headers.to_vec();
        all.push(("Content-Length", "1000"));
        slow.send(&request("POST", "/", &all, b"{")).await.unwrap();
        let started = Instant::now();
        let (mut reader, mut writer) = slow.stream.into_split();
        let trickle = tokio::spawn(async move {
            for _ in 0..100 {
                sleep(MS(100)).await;
                if writer.write_all(b" ").await.is_err() {
                    return;
                }
            }
        });
        sleep(MS(150)).await;
        assert_eq!(healthz(&s).await, 200, "another client is served meanwhile");
        let mut got = Vec::new();
        let _ = tokio::time::timeout(SOON, reader.read_to_end(&mut got)).await.expect("answered and closed");
        assert!(started.elapsed() >= MS(500), "not before its timeout: {:?}", started.elapsed());
        let text = String::from_utf8_lossy(&got).into_owned();
        let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
        let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        let (code, message) = if ens {
            assert!(text.starts_with("HTTP/1.1 400"), "{text}");
            (v["Code"].clone(), v["Message"].clone())
        } else {
            assert!(text.starts_with("HTTP/1.1 200"), "{text}");
            (v["Response"]["Error"]["Code"].clone(), v["Response"]["Error"]["Message"].clone())
        };
        assert_eq!(code, "InvalidParameter", "{text}");
        assert!(message.as_str().unwrap().contains("not received within 600 ms"), "{text}");
        trickle.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keep_alive_connections_close_after_the_idle_timeout() {
    let s = TestServer::start_with(with_limits(|l| {
        l.idle_timeout = MS(700);
        l.header_read_timeout = Duration::from_secs(30);
    }))
    .await;
    let mut w = Wire::connect(s.addr).await;
    for _ in 0..3 {
        w.send(&request("GET", "/healthz", &[], b"")).await.unwrap();
        assert_eq!(w.reply(SOON).await.expect("answer").status, 200);
        sleep(MS(300)).await;
    }
    let idle_since = Instant::now() - MS(300);
    assert!(w.closed_within(SOON).await, "idle connection closed (the header timeout is 30 s)");
    assert!(idle_since.elapsed() >= MS(600), "kept while idle below the timeout: {:?}", idle_since.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_begun_after_an_idle_period_are_due_within_the_header_timeout() {
    let s = TestServer::start_with(with_limits(|l| {
        l.idle_timeout = Duration::from_secs(30);
        l.header_read_timeout = MS(600);
    }))
    .await;
    let mut w = Wire::connect(s.addr).await;
    w.send(&request("GET", "/healthz", &[], b"")).await.unwrap();
    assert_eq!(w.reply(SOON).await.expect("answer").status, 200);
    sleep(MS(200)).await;
    w.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let started = Instant::now();
    assert!(w.closed_within(SOON).await, "cut off by the header timeout, not the 30 s idle one");
    assert!(started.elapsed() >= MS(500), "not before its timeout: {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_cap_new_connections_get_busy_answers_and_existing_ones_are_served() {
    let s = TestServer::start_with(with_limits(|l| {
        l.max_connections = 4;
        l.header_read_timeout = MS(1000);
        l.idle_timeout = Duration::from_secs(30);
    }))
    .await;
    let mut existing = Wire::connect(s.addr).await;
    existing.send(&request("GET", "/healthz", &[], b"")).await.unwrap();
    assert_eq!(existing.reply(SOON).await.unwrap().status, 200);
    let mut flood = Vec::new();
    for _ in 0..3 {
        flood.push(Wire::connect(s.addr).await);
    }
    sleep(MS(100)).await;

    let mut w = Wire::connect(s.addr).await;
    w.send(&request("GET", "/healthz", &[], b"")).await.unwrap();
    let r = w.reply(SOON).await.expect("over the cap: answered, not left waiting");
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.header("connection"), Some("close"));
    let mut w = Wire::connect(s.addr).await;
    w.send(&request("POST", "/", TENCENT, b"{}")).await.unwrap();
    let (code, _) = tencent_error(&w.reply(SOON).await.expect("Tencent busy answer"));
    assert_eq!(code, "RequestLimitExceeded");
    let mut w = Wire::connect(s.addr).await;
    w.send(&request("POST", "/", ENS, b"")).await.unwrap();
    let (code, _) = ens_error(&w.reply(SOON).await.expect("ENS busy answer"), 503);
    assert_eq!(code, "ServiceUnavailable");

    // Far more connections than the cap and the overflow slots.
    for _ in 0..150 {
        flood.push(Wire::connect(s.addr).await);
    }
    existing.send(&request("GET", "/healthz", &[], b"")).await.unwrap();
    assert_eq!(existing.reply(SOON).await.expect("the existing client is still served").status, 200);
    let healthy = s.wait_until(Duration::from_secs(10), || async { healthz(&s).await == 200 }).await;
    assert!(healthy, "/healthz is answered again once the silent connections time out");
    existing.send(&request("GET", "/metrics", &[], b"")).await.unwrap();
    let m = existing.reply(SOON).await.unwrap().text();
    let count = |line: &str| -> u64 {
        m.lines().find_map(|l| l.strip_prefix(line)).and_then(|v| v.trim().parse().ok()).unwrap_or(0)
    };
    assert!(count("eniplane_connections_total{outcome=\"busy_answered\"}") >= 3, "{m}");
    assert!(count("eniplane_connections_total{outcome=\"closed_over_cap\"}") >= 1, "{m}");
    assert!(count("eniplane_connections_cut_total{reason=\"header_timeout\"}") >= 3, "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_header_blocks_get_the_dialect_envelope() {
    let s = TestServer::start().await;
    let pads: Vec<(String, String)> = (0..70).map(|i| (format!("X-Pad-{i}"), "v".to_string())).collect();
    let mut headers: Vec<(&str, &str)> = TENCENT.to_vec();
    headers.extend(pads.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let mut w = Wire::connect(s.addr).await;
    w.send(&request("POST", "/", &headers, b"{}")).await.unwrap();
    let (code, message) = tencent_error(&w.reply(SOON).await.unwrap());
    assert_eq!(code, "InvalidParameter");
    assert!(message.contains("at most 64"), "{message}");

    let big = "v".repeat(20 * 1024);
    let mut headers: Vec<(&str, &str)> = ENS.to_vec();
    headers.push(("X-Big", &big));
    let mut w = Wire::connect(s.addr).await;
    w.send(&request("POST", "/", &headers, b"")).await.unwrap();
    let (code, message) = ens_error(&w.reply(SOON).await.unwrap(), 400);
    assert_eq!(code, "InvalidParameter");
    assert!(message.contains("at most 16384"), "{message}");

    let target = format!("/?Version=2017-11-10&Action=DescribeEnsRegions&Pad={}", "a".repeat(40 * 1024));
    let mut w = Wire::connect(s.addr).await;
    w.send(&request("GET", &target, &[], b"")).await.unwrap();
    let (code, message) = ens_error(&w.reply(SOON).await.unwrap(), 400);
    assert_eq!(code, "InvalidParameter");
    assert!(message.contains("request target"), "{message}");

    // Past hyper's hard limit the answer is a bare 431.
    let pads: Vec<(String, String)> = (0..300).map(|i| (format!("X-Pad-{i}"), "v".to_string())).collect();
    let headers: Vec<(&str, &str)> = pads.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let mut w = Wire::connect(s.addr).await;
    w.send(&request("GET", "/", &headers, b"")).await.unwrap();
    assert_eq!(w.reply(SOON).await.unwrap().status, 431);
    let huge = "v".repeat(70 * 1024);
    let mut w = Wire::connect(s.addr).await;
    w.send(&request("GET", "/", &[("X-Huge", &huge)], b"")).await.unwrap();
    assert_eq!(w.reply(SOON).await.expect("answered, not left hanging").status, 431);
    assert_eq!(healthz(&s).await, 200);
}

/// Sends the whole request (as Python's http.client does), then reads the answer.
async fn send_all_then_read(s: &TestServer, head: &[u8], body: &[u8]) -> common::wire::Reply {
    let mut w = Wire::connect(s.addr).await;
    w.send(head).await.unwrap();
    w.send(body).await.expect("the server reads the refused body rather than resetting");
    let r = w.reply(SOON).await.expect("the answer is readable after the whole body went out");
    assert!(w.closed_within(SOON).await, "then the connection closes");
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_bodies_get_the_right_dialect_envelope_and_are_read_not_reset() {
    let s = TestServer::start().await;
    // Larger than the loopback socket buffers, so a server that closed without reading the
    // rest would reset the connection under the client's writes.
    let big = vec![b' '; 6 * 1024 * 1024];
    let limit = eniplane_api::MAX_BODY.to_string();

    let mut headers = TENCENT.to_vec();
    let len = big.len().to_string();
    headers.push(("Content-Length", &len));
    let r = send_all_then_read(&s, &request("POST", "/", &headers, b""), &big).await;
    let (code, message) = tencent_error(&r);
    assert_eq!(code, "InvalidParameter");
    assert!(message.contains(&limit), "{message}");

    // ENS told by its query.
    let head = request("POST", "/?Version=2017-11-10&Action=DescribeEnsRegions", &[("Content-Length", &len)], b"");
    let (code, message) = ens_error(&send_all_then_read(&s, &head, &big).await, 400);
    assert_eq!(code, "InvalidParameter");
    assert!(message.contains(&limit), "{message}");

    // ENS told by the start of a chunked form body, nothing in headers or query.
    let mut chunked = Vec::new();
    let mut form = b"Version=2017-11-10&Action=DescribeEnsRegions&Pad=".to_vec();
    form.extend(std::iter::repeat_n(b'a', 6 * 1024 * 1024));
    for piece in form.chunks(64 * 1024) {
        chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        chunked.extend_from_slice(piece);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let head = request(
        "POST",
        "/",
        &[("Content-Type", "application/x-www-form-urlencoded"), ("Transfer-Encoding", "chunked")],
        b"",
    );
    let (code, message) = ens_error(&send_all_then_read(&s, &head, &chunked).await, 400);
    assert_eq!(code, "InvalidParameter");
    assert!(message.contains(&limit), "{message}");

    // A client waiting for `100 Continue` gets the refusal without sending the body.
    let mut w = Wire::connect(s.addr).await;
    let mut headers = TENCENT.to_vec();
    headers.extend([("Content-Length", len.as_str()), ("Expect", "100-continue")]);
    w.send(&request("POST", "/", &headers, b"")).await.unwrap();
    let r = w.reply(SOON).await.expect("a final answer, not 100 Continue");
    let (code, _) = tencent_error(&r);
    assert_eq!(code, "InvalidParameter");
    assert_eq!(healthz(&s).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_chunked_body_is_reported_as_malformed() {
    let s = TestServer::start().await;
    let mut headers = TENCENT.to_vec();
    headers.push(("Transfer-Encoding", "chunked"));
    let mut w = Wire::connect(s.addr).await;
    w.send(&request("POST", "/", &headers, b"zz\r\n{}\r\n0\r\n\r\n")).await.unwrap();
    let (code, message) = tencent_error(&w.reply(SOON).await.expect("answered"));
    assert_eq!(code, "InvalidParameter");
    assert!(message.contains("malformed") && !message.contains("exceeds"), "{message}");
}
