//! Durability: a real `eniplane serve` is killed with SIGKILL while clients write; after a restart
//! every acknowledged change is there and no batch is half-applied.

mod replicas;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use replicas::{code, Api, Replica};
use serde_json::{json, Value};

const KEY_ID: &str = "AKIDcrashtest000000000000000000000001";
const KEY_SECRET: &str = "crash-test-secret-0000000000000001";

/// Builds a VPC, a subnet, `n` ENIs and two groups; returns (eni ids, group ids).
async fn fixture(api: &Api, at: SocketAddr, n: usize) -> (Vec<String>, Vec<String>) {
    let vpc = api.ok(at, "vpc", "CreateVpc", json!({"VpcName": "v", "CidrBlock": "10.0.0.0/16"})).await["Vpc"]["VpcId"]
        .clone();
    let subnet = api
        .ok(
            at,
            "vpc",
            "CreateSubnet",
            json!({"VpcId": vpc, "SubnetName": "s", "CidrBlock": "10.0.0.0/20", "Zone": "ap-guangzhou-3"}),
        )
        .await["Subnet"]["SubnetId"]
        .clone();
    let mut groups = Vec::new();
    for name in ["a", "b"] {
        let g = api.ok(at, "vpc", "CreateSecurityGroup", json!({"GroupName": name, "GroupDescription": "d"})).await;
        groups.push(g["SecurityGroup"]["SecurityGroupId"].as_str().unwrap().to_string());
    }
    let mut enis = Vec::new();
    for i in 0..n {
        let body = json!({"VpcId": vpc, "SubnetId": subnet, "NetworkInterfaceName": format!("e{i}"), "SecurityGroupIds": groups});
        let e = api.ok(at, "vpc", "CreateNetworkInterface", body).await;
        enis.push(e["NetworkInterface"]["NetworkInterfaceId"].as_str().unwrap().to_string());
    }
    (enis, groups)
}

async fn all_group_ids(api: &Api, at: SocketAddr) -> HashSet<String> {
    let mut out = HashSet::new();
    let mut offset = 0;
    loop {
        let resp = api.ok(at, "vpc", "DescribeSecurityGroups", json!({"Offset": offset, "Limit": 100})).await;
        let set = resp["SecurityGroupSet"].as_array().unwrap();
        out.extend(set.iter().map(|g| g["SecurityGroupId"].as_str().unwrap().to_string()));
        offset += set.len();
        if set.is_empty() || offset as u64 >= resp["TotalCount"].as_u64().unwrap() {
            return out;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_loses_nothing_acknowledged_and_no_half_batch() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("eniplane.toml");
    std::fs::write(&config, "[rate_limits]\nenabled = false\n[catalog]\ngroups_per_region = 100000\n").unwrap();
    let extra = ["--config", config.to_str().unwrap(), "--transition-delay-ms", "50"];
    let api = Api::new(KEY_ID, KEY_SECRET);
    let mut server = Replica::spawn_with("crash", dir.path(), None, &api, &extra).unwrap();
    assert!(server.wait_healthy(Duration::from_secs(20)).await, "server did not start: {}", server.log_tail());
    let at = server.addr;
    let (enis, groups) = fixture(&api, at, 8).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Writers: create groups (each acknowledged id must survive) and flip group `a` on all eight
    // ENIs in one batch (all eight must agree afterwards).
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut tasks = Vec::new();
    for w in 0..12 {
        let (api, acked) = (api.clone(), acknowledged.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0.. {
                let body = json!({"GroupName": format!("w{w}-{i}"), "GroupDescription": "x"});
                match api.call(at, "vpc", "CreateSecurityGroup", body).await {
                    Ok(v) if code(&v).is_none() => {
                        acked.lock().push(v["SecurityGroup"]["SecurityGroupId"].as_str().unwrap().to_string())
                    }
                    _ => return,
                }
            }
        }));
    }
    for flip in 0..4 {
        let (api, enis, group) = (api.clone(), enis.clone(), groups[0].clone());
        tasks.push(tokio::spawn(async move {
            for i in 0.. {
                let action = if (i + flip) % 2 == 0 {
                    "DisassociateNetworkInterfaceSecurityGroups"
                } else {
                    "AssociateNetworkInterfaceSecurityGroups"
                };
                let body = json!({"NetworkInterfaceIds": enis, "SecurityGroupIds": [group]});
                if api.call(at, "vpc", action, body).await.is_err() {
                    return;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill9();
    for t in tasks {
        let _ = t.await;
    }
    let acked = acknowledged.lock().clone();
    assert!(acked.len() > 50, "the writers made progress before the kill ({} acknowledged)", acked.len());

    let server = Replica::spawn_with("crash", dir.path(), None, &api, &extra).unwrap();
    assert!(server.wait_healthy(Duration::from_secs(20)).await, "server did not restart: {}", server.log_tail());
    let at = server.addr;
    let present = all_group_ids(&api, at).await;
    let lost: Vec<&String> = acked.iter().filter(|id| !present.contains(*id)).collect();
    assert!(lost.is_empty(), "{} acknowledged groups lost after kill -9: {:?}", lost.len(), &lost[..lost.len().min(5)]);

    let described =
        api.ok(at, "vpc", "DescribeNetworkInterfaces", json!({"NetworkInterfaceIds": enis, "Limit": 100})).await;
    let described: Vec<Value> = described["NetworkInterfaceSet"].as_array().unwrap().clone();
    assert_eq!(described.len(), enis.len());
    let has = |e: &Value, g: &str| e["GroupSet"].as_array().unwrap().iter().any(|x| x == g);
    let with_a = described.iter().filter(|e| has(e, &groups[0])).count();
    assert!(
        with_a == 0 || with_a == enis.len(),
        "a batch was half-applied: {with_a} of {} ENIs have the group",
        enis.len()
    );
    assert!(described.iter().all(|e| has(e, &groups[1])), "the untouched group stays on every ENI");
}
