//! Graceful shutdown of a real `eniplane serve`: on SIGTERM the requests in flight are answered
//! and committed, new connections are refused and the process exits 0; a transition pending at
//! shutdown stays in the store and completes after the next start.

mod replicas;

use std::net::SocketAddr;
use std::time::Duration;

use eniplane_auth::tc3;
use eniplane_store::{Store, Tx};
use replicas::{code, Api, Replica};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const KEY_ID: &str = "AKIDshutdowntest00000000000000000001";
const KEY_SECRET: &str = "shutdown-test-secret-000000000000001";

/// The head of a TC3-signed CreateSecurityGroup whose body is `body`.
fn signed_head(at: SocketAddr, body: &[u8]) -> Vec<u8> {
    let ts = chrono::Utc::now().timestamp();
    let host = at.to_string();
    let auth = tc3::sign(KEY_ID, KEY_SECRET, "vpc", &host, "POST", "", "application/json", body, ts);
    format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         X-TC-Action: CreateSecurityGroup\r\nX-TC-Version: 2017-03-12\r\nX-TC-Region: ap-guangzhou\r\n\
         X-TC-Timestamp: {ts}\r\nAuthorization: {auth}\r\n\r\n",
        body.len()
    )
    .into_bytes()
}

/// Reads an answer until the server closes the connection; returns (status line, JSON body).
async fn read_answer(c: &mut TcpStream) -> (String, Value) {
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), c.read_to_end(&mut raw)).await.expect("answered in time").unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no answer: {text:?}"));
    let status = head.lines().next().unwrap_or_default().to_string();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_answers_requests_in_flight_refuses_new_connections_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let api = Api::new(KEY_ID, KEY_SECRET);
    let extra = ["--transition-delay-ms", "50"];
    let mut server = Replica::spawn_with("drain", dir.path(), None, &api, &extra).unwrap();
    assert!(server.wait_healthy(Duration::from_secs(20)).await, "server did not start: {}", server.log_tail());
    let at = server.addr;

    // Five writes in flight: each has sent its head and half its body.
    let mut in_flight = Vec::new();
    for i in 0..5 {
        let body = json!({"GroupName": format!("in-flight-{i}"), "GroupDescription": "d"}).to_string().into_bytes();
        let mut c = TcpStream::connect(at).await.unwrap();
        c.write_all(&signed_head(at, &body)).await.unwrap();
        c.write_all(&body[..body.len() / 2]).await.unwrap();
        in_flight.push((c, body));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.sigterm();

    let mut refused = false;
    for _ in 0..40 {
        if TcpStream::connect(at).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(refused, "new connections are refused after SIGTERM");

    let mut created = Vec::new();
    for (mut c, body) in in_flight {
        c.write_all(&body[body.len() / 2..]).await.unwrap();
        let (status, answer) = read_answer(&mut c).await;
        assert!(status.starts_with("HTTP/1.1 200"), "{status}");
        let r = &answer["Response"];
        assert!(code(r).is_none(), "the request in flight succeeded: {answer}");
        created.push(r["SecurityGroup"]["SecurityGroupId"].as_str().unwrap().to_string());
    }
    let status = server.wait_exit(Duration::from_secs(20)).await.expect("the server exits");
    assert_eq!(status.code(), Some(0), "exit status {status:?}: {}", server.log_tail());

    let server = Replica::spawn_with("drain", dir.path(), None, &api, &extra).unwrap();
    assert!(server.wait_healthy(Duration::from_secs(20)).await, "server did not restart: {}", server.log_tail());
    let found = api.ok(server.addr, "vpc", "DescribeSecurityGroups", json!({"SecurityGroupIds": created})).await;
    assert_eq!(found["TotalCount"], 5, "every answered write survived the shutdown: {found}");
}

async fn eni_state(api: &Api, at: SocketAddr, eni: &str) -> String {
    let r = api.ok(at, "vpc", "DescribeNetworkInterfaces", json!({"NetworkInterfaceIds": [eni]})).await;
    r["NetworkInterfaceSet"][0]["State"].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transition_pending_at_shutdown_completes_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let api = Api::new(KEY_ID, KEY_SECRET);
    let extra = ["--transition-delay-ms", "4000"];
    let mut server = Replica::spawn_with("resume", dir.path(), None, &api, &extra).unwrap();
    assert!(server.wait_healthy(Duration::from_secs(20)).await, "server did not start: {}", server.log_tail());
    let at = server.addr;
    let vpc = api.ok(at, "vpc", "CreateVpc", json!({"VpcName": "v", "CidrBlock": "10.0.0.0/16"})).await["Vpc"]["VpcId"]
        .clone();
    let subnet = json!({"VpcId": vpc, "SubnetName": "s", "CidrBlock": "10.0.0.0/24", "Zone": "ap-guangzhou-3"});
    let subnet = api.ok(at, "vpc", "CreateSubnet", subnet).await["Subnet"]["SubnetId"].clone();
    let eni = json!({"VpcId": vpc, "SubnetId": subnet, "NetworkInterfaceName": "e"});
    let eni = api.ok(at, "vpc", "CreateNetworkInterface", eni).await["NetworkInterface"]["NetworkInterfaceId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(eni_state(&api, at, &eni).await, "PENDING");
    server.sigterm();
    let status = server.wait_exit(Duration::from_secs(20)).await.expect("the server exits");
    assert_eq!(status.code(), Some(0), "exit status {status:?}: {}", server.log_tail());

    let data = dir.path().join("resume");
    let pending = tokio::task::spawn_blocking(move || {
        let store = Store::open_sqlite(&data).unwrap();
        store.read_blocking(|tx: &mut dyn Tx| tx.pending_transitions()).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(pending, 1, "the ENI's creation is still pending while the server is down");

    let server = Replica::spawn_with("resume", dir.path(), None, &api, &extra).unwrap();
    assert!(server.wait_healthy(Duration::from_secs(20)).await, "server did not restart: {}", server.log_tail());
    let mut state = String::new();
    for _ in 0..200 {
        state = eni_state(&api, server.addr, &eni).await;
        if state == "AVAILABLE" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(state, "AVAILABLE", "the restarted worker completed the pending transition");
}
