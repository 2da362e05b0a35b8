//! Durability: a real `eniplane serve` is killed with SIGKILL while clients write; after a restart
//! every acknowledged change is there and no batch is half-applied.

#[path = "support/remote.rs"]
mod remote;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use remote::{free_port, spawn_server, Remote};
use serde_json::{json, Value};

/// Builds a VPC, a subnet, `n` ENIs and two groups; returns (eni ids, group ids).
async fn fixture(r: &Remote, n: usize) -> (Vec<String>, Vec<String>) {
    let vpc =
        r.ok("vpc", "CreateVpc", json!({"VpcName": "v", "CidrBlock": "10.0.0.0/16"})).await["Vpc"]["VpcId"].clone();
    let subnet = r
        .ok(
            "vpc",
            "CreateSubnet",
            json!({"VpcId": vpc, "SubnetName": "s", "CidrBlock": "10.0.0.0/20", "Zone": "ap-guangzhou-3"}),
        )
        .await["Subnet"]["SubnetId"]
        .clone();
    let mut groups = Vec::new();
    for name in ["a", "b"] {
        let g = r.ok("vpc", "CreateSecurityGroup", json!({"GroupName": name, "GroupDescription": "d"})).await;
        groups.push(g["SecurityGroup"]["SecurityGroupId"].as_str().unwrap().to_string());
    }
    let mut enis = Vec::new();
    for i in 0..n {
        let e = r
            .ok(
                "vpc",
                "CreateNetworkInterface",
                json!({"VpcId": vpc, "SubnetId": subnet, "NetworkInterfaceName": format!("e{i}"), "SecurityGroupIds": groups}),
            )
            .await;
        enis.push(e["NetworkInterface"]["NetworkInterfaceId"].as_str().unwrap().to_string());
    }
    (enis, groups)
}

async fn describe_enis(r: &Remote, ids: &[String]) -> Vec<Value> {
    let resp = r.ok("vpc", "DescribeNetworkInterfaces", json!({"NetworkInterfaceIds": ids, "Limit": 100})).await;
    resp["NetworkInterfaceSet"].as_array().unwrap().clone()
}

async fn all_group_ids(r: &Remote) -> HashSet<String> {
    let mut out = HashSet::new();
    let mut offset = 0;
    loop {
        let resp = r.ok("vpc", "DescribeSecurityGroups", json!({"Offset": offset, "Limit": 100})).await;
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
    let port = free_port();
    let config = dir.path().join("eniplane.toml");
    std::fs::write(&config, "[rate_limits]\nenabled = false\n[catalog]\ngroups_per_region = 100000\n").unwrap();
    let data = dir.path().join("data");
    let extra = ["--config", config.to_str().unwrap(), "--transition-delay-ms", "50"];
    let mut child = spawn_server(&data, port, &extra);
    let r = Remote::new(port);
    assert!(r.wait_healthy(Duration::from_secs(20)).await, "server did not start");
    let (enis, groups) = fixture(&r, 8).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Writers: create groups (each acknowledged id must survive) and flip group `a` on all eight
    // ENIs in one batch (all eight must agree afterwards).
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut tasks = Vec::new();
    for w in 0..12 {
        let r = r.clone();
        let acked = acknowledged.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0.. {
                let resp = r
                    .call(
                        "vpc",
                        "CreateSecurityGroup",
                        &json!({"GroupName": format!("w{w}-{i}"), "GroupDescription": "x"}),
                    )
                    .await;
                match resp {
                    Ok(v) if v.get("Error").is_none() => {
                        acked.lock().push(v["SecurityGroup"]["SecurityGroupId"].as_str().unwrap().to_string())
                    }
                    _ => return,
                }
            }
        }));
    }
    for flip in 0..4 {
        let r = r.clone();
        let enis = enis.clone();
        let group = groups[0].clone();
        tasks.push(tokio::spawn(async move {
            for i in 0.. {
                let action = if (i + flip) % 2 == 0 {
                    "DisassociateNetworkInterfaceSecurityGroups"
                } else {
                    "AssociateNetworkInterfaceSecurityGroups"
                };
                let body = json!({"NetworkInterfaceIds": enis, "SecurityGroupIds": [group]});
                if r.call("vpc", action, &body).await.is_err() {
                    return;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    for t in tasks {
        let _ = t.await;
    }
    let acked = acknowledged.lock().clone();
    assert!(acked.len() > 50, "the writers made progress before the kill ({} acknowledged)", acked.len());

    let mut child = spawn_server(&data, port, &extra);
    let r = Remote::new(port);
    assert!(r.wait_healthy(Duration::from_secs(20)).await, "server did not restart");
    let present = all_group_ids(&r).await;
    let lost: Vec<&String> = acked.iter().filter(|id| !present.contains(*id)).collect();
    assert!(lost.is_empty(), "{} acknowledged groups lost after kill -9: {:?}", lost.len(), &lost[..lost.len().min(5)]);

    let described = describe_enis(&r, &enis).await;
    assert_eq!(described.len(), enis.len());
    let with_a =
        described.iter().filter(|e| e["GroupSet"].as_array().unwrap().iter().any(|g| g == &json!(groups[0]))).count();
    assert!(
        with_a == 0 || with_a == enis.len(),
        "a batch was half-applied: {with_a} of {} ENIs have the group",
        enis.len()
    );
    for e in &described {
        assert!(e["GroupSet"].as_array().unwrap().iter().any(|g| g == &json!(groups[1])), "untouched group kept");
    }
    child.kill().ok();
    let _ = child.wait();
}
