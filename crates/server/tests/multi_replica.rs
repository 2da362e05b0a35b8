//! Several `eniplane serve` replicas on one PostgreSQL database: 32 signed clients race
//! attach/detach/associate/disassociate/assign-IP across three replicas, one replica is killed
//! with SIGKILL midway, and afterwards the database must hold every acknowledged change, no
//! broken invariant, and each transition completed exactly once. Also: a replica that loses its
//! database answers InternalError, `/healthz` says 503, and both recover by themselves.
//!
//! Needs the test database (`ENIPLANE_TEST_DATABASE_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`; `off` skips). Each test works in a schema of its own.

mod replicas;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use eniplane_store::postgres::testing::{off_runtime, TestSchema};
use parking_lot::Mutex;
use rand::{Rng, SeedableRng};
use replicas::{code, Api, Proxy, Replica};
use serde_json::{json, Value};

const CLIENTS: usize = 32;
const INSTANCES: usize = 8;
const ENIS: usize = 24;
const RUN_FOR: Duration = Duration::from_secs(10);
const KILL_AT: Duration = Duration::from_secs(4);
const DELAY_MS: i64 = 600;
/// Most private IPs any ENI may hold (the unattached quota is the largest one in the catalogue).
const MAX_IPS_PER_ENI: usize = 20;
const GROUPS_PER_ENI: usize = 5;

/// What one client saw.
#[derive(Default)]
struct Seen {
    requests: u64,
    acked_changes: u64,
    transport_errors: u64,
    errors: HashMap<String, u64>,
    /// (request id, replica, when acknowledged) of acknowledged asynchronous operations.
    async_acks: Vec<(String, usize, Instant)>,
    /// IPs acknowledged as assigned, per ENI.
    assigned: Vec<(String, String)>,
    /// For this client's own security group: is it bound to the ENI? `None` when a request's
    /// answer was lost, so the outcome is unknown.
    bound: HashMap<String, Option<bool>>,
}

struct World {
    replicas: Vec<std::net::SocketAddr>,
    alive: Vec<AtomicBool>,
    enis: Vec<String>,
    instances: Vec<String>,
    groups: Vec<String>,
    hints: Mutex<HashMap<String, String>>,
}

impl World {
    fn pick(&self, rng: &mut impl Rng) -> usize {
        loop {
            let i = rng.gen_range(0..self.replicas.len());
            if self.alive[i].load(Ordering::Relaxed) {
                return i;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_keep_invariants_while_one_is_killed() {
    let Some(db) = TestSchema::create().expect("test database reachable (ENIPLANE_TEST_DATABASE_URL=off skips)") else {
        return;
    };
    let api = Api::new("AKIDmultireplica0000000000000000001", "multireplicasecret000000000000001");
    let dir = tempfile::tempdir().unwrap();
    let mut replicas: Vec<Replica> = (0..3)
        .map(|i| Replica::spawn(&format!("r{i}"), dir.path(), db.url(), &api, DELAY_MS).expect("spawn replica"))
        .collect();
    for r in &replicas {
        assert!(r.wait_healthy(Duration::from_secs(30)).await, "replica {} healthy:\n{}", r.name, r.log_tail());
    }
    let setup = replicas[0].addr;
    let (enis, instances, groups) = build_fleet(&api, setup).await;
    let world = Arc::new(World {
        replicas: replicas.iter().map(|r| r.addr).collect(),
        alive: (0..3).map(|_| AtomicBool::new(true)).collect(),
        enis,
        instances,
        groups,
        hints: Mutex::new(HashMap::new()),
    });

    let started = Instant::now();
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (world, api) = (world.clone(), api.clone());
        clients.push(tokio::spawn(async move { client(c, &world, &api, started + RUN_FOR).await }));
    }
    tokio::time::sleep(KILL_AT).await;
    world.alive[2].store(false, Ordering::Relaxed);
    let killed_at = Instant::now();
    replicas[2].kill9();
    let mut seen = Vec::new();
    for h in clients {
        seen.push(h.await.unwrap());
    }

    // Let the survivors finish every pending transition, the dead replica's included.
    let url = db.url().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let pending: i64 = query_one(&url, "SELECT COUNT(*) FROM transitions").await;
        if pending == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{pending} transitions still pending");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let report = check(&db, &world, &seen, killed_at).await;
    eprintln!("{report}");
    for r in replicas.iter_mut() {
        r.stop();
    }
}

async fn query_one(url: &str, sql: &'static str) -> i64 {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
        c.query_one(sql, &[]).expect("query").get::<_, i64>(0)
    })
    .await
    .unwrap()
}

/// A VPC, a subnet, the instances, the secondary ENIs and one security group per client.
async fn build_fleet(api: &Api, at: std::net::SocketAddr) -> (Vec<String>, Vec<String>, Vec<String>) {
    let ok = |r: Value| {
        assert!(code(&r).is_none(), "setup call failed: {r}");
        r
    };
    let vpc = ok(api.call(at, "vpc", "CreateVpc", json!({"VpcName": "mr", "CidrBlock": "10.0.0.0/16"})).await.unwrap());
    let vpc_id = vpc["Vpc"]["VpcId"].as_str().unwrap().to_string();
    let subnet = ok(api
        .call(
            at,
            "vpc",
            "CreateSubnet",
            json!({"VpcId": vpc_id, "SubnetName": "s", "CidrBlock": "10.0.0.0/20", "Zone": "ap-guangzhou-3"}),
        )
        .await
        .unwrap());
    let subnet_id = subnet["Subnet"]["SubnetId"].as_str().unwrap().to_string();
    let run = ok(api
        .call(
            at,
            "cvm",
            "RunInstances",
            json!({
                "Placement": {"Zone": "ap-guangzhou-3"},
                "InstanceType": "S5.LARGE8",
                "ImageId": "img-multirep",
                "InstanceCount": INSTANCES,
                "VirtualPrivateCloud": {"VpcId": vpc_id, "SubnetId": subnet_id},
            }),
        )
        .await
        .unwrap());
    let instances: Vec<String> =
        run["InstanceIdSet"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    let mut enis = Vec::new();
    for i in 0..ENIS {
        let r = ok(api
            .call(
                at,
                "vpc",
                "CreateNetworkInterface",
                json!({"VpcId": vpc_id, "SubnetId": subnet_id, "NetworkInterfaceName": format!("e{i}")}),
            )
            .await
            .unwrap());
        enis.push(r["NetworkInterface"]["NetworkInterfaceId"].as_str().unwrap().to_string());
    }
    let mut groups = Vec::new();
    for c in 0..CLIENTS {
        let r = ok(api
            .call(at, "vpc", "CreateSecurityGroup", json!({"GroupName": format!("g{c}"), "GroupDescription": "d"}))
            .await
            .unwrap());
        groups.push(r["SecurityGroup"]["SecurityGroupId"].as_str().unwrap().to_string());
    }
    // Wait for instances to run and ENIs to be available.
    tokio::time::sleep(Duration::from_millis(DELAY_MS as u64 * 3)).await;
    (enis, instances, groups)
}

fn request_id(r: &Value) -> String {
    r["RequestId"].as_str().unwrap_or_default().to_string()
}

async fn client(c: usize, world: &World, api: &Api, until: Instant) -> Seen {
    let mut seen = Seen::default();
    let mut rng = rand::rngs::StdRng::from_entropy();
    let my_group = world.groups[c].clone();
    while Instant::now() < until {
        let at = world.pick(&mut rng);
        let eni = world.enis[rng.gen_range(0..world.enis.len())].clone();
        let op = rng.gen_range(0..5);
        let (action, params) = match op {
            0 => {
                let ins = &world.instances[rng.gen_range(0..world.instances.len())];
                ("AttachNetworkInterface", json!({"NetworkInterfaceId": eni, "InstanceId": ins}))
            }
            1 => {
                let hint = world.hints.lock().get(&eni).cloned();
                let ins = hint.unwrap_or_else(|| world.instances[rng.gen_range(0..world.instances.len())].clone());
                ("DetachNetworkInterface", json!({"NetworkInterfaceId": eni, "InstanceId": ins}))
            }
            2 => (
                "AssociateNetworkInterfaceSecurityGroups",
                json!({"NetworkInterfaceIds": [eni], "SecurityGroupIds": [my_group]}),
            ),
            3 => (
                "DisassociateNetworkInterfaceSecurityGroups",
                json!({"NetworkInterfaceIds": [eni], "SecurityGroupIds": [my_group]}),
            ),
            _ => ("AssignPrivateIpAddresses", json!({"NetworkInterfaceId": eni, "SecondaryPrivateIpAddressCount": 1})),
        };
        seen.requests += 1;
        let answer = api.call(world.replicas[at], "vpc", action, params.clone()).await;
        let r = match answer {
            Ok(r) => r,
            Err(_) => {
                seen.transport_errors += 1;
                if op == 2 || op == 3 {
                    seen.bound.insert(eni, None);
                }
                continue;
            }
        };
        if let Some(code) = code(&r) {
            *seen.errors.entry(code.to_string()).or_default() += 1;
            continue;
        }
        seen.acked_changes += 1;
        match op {
            0 | 1 => {
                seen.async_acks.push((request_id(&r), at, Instant::now()));
                let mut hints = world.hints.lock();
                if op == 0 {
                    hints.insert(eni, params["InstanceId"].as_str().unwrap_or_default().to_string());
                } else {
                    hints.remove(&eni);
                }
            }
            2 | 3 => {
                if seen.bound.get(&eni) != Some(&None) {
                    seen.bound.insert(eni, Some(op == 2));
                }
            }
            _ => {
                seen.async_acks.push((request_id(&r), at, Instant::now()));
                for ip in r["PrivateIpAddressSet"].as_array().into_iter().flatten() {
                    seen.assigned.push((eni.clone(), ip["PrivateIpAddress"].as_str().unwrap_or_default().to_string()));
                }
            }
        }
    }
    seen
}

/// Checks the database against the invariants and the acknowledged changes; returns a summary.
async fn check(db: &TestSchema, world: &World, seen: &[Seen], killed_at: Instant) -> String {
    let (records, claims, log) = off_runtime(|| {
        let mut c = db.client().expect("checker connection");
        let records: Vec<(String, String, String)> = c
            .query("SELECT kind, id, body FROM records WHERE kind IN ('eni', 'instance', 'task')", &[])
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        let claims: Vec<(String, String, String)> = c
            .query("SELECT space, key, owner FROM claims", &[])
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        let log: Vec<(i64, String)> = c
            .query("SELECT id, completed_by FROM transition_log", &[])
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        (records, claims, log)
    });
    let parse = |b: &str| serde_json::from_str::<Value>(b).expect("stored JSON");
    let enis: HashMap<String, Value> =
        records.iter().filter(|r| r.0 == "eni").map(|r| (r.1.clone(), parse(&r.2))).collect();
    let instances: HashMap<String, Value> =
        records.iter().filter(|r| r.0 == "instance").map(|r| (r.1.clone(), parse(&r.2))).collect();
    let tasks: HashMap<String, Value> =
        records.iter().filter(|r| r.0 == "task").map(|r| (r.1.clone(), parse(&r.2))).collect();
    let mut violations: Vec<String> = Vec::new();

    // Transitions: each completed exactly once.
    let mut per_id: HashMap<i64, u32> = HashMap::new();
    for (id, _) in &log {
        *per_id.entry(*id).or_default() += 1;
    }
    for (id, n) in &per_id {
        if *n > 1 {
            violations.push(format!("transition {id} completed {n} times"));
        }
    }
    let by_replica: HashMap<&str, usize> = log.iter().fold(HashMap::new(), |mut m, (_, r)| {
        *m.entry(r.as_str()).or_default() += 1;
        m
    });

    // ENIs: settled states, attachments to live instances within quota, unique device indexes.
    let mut on_instance: HashMap<String, Vec<u64>> = HashMap::new();
    let mut ip_owner: HashMap<String, String> = HashMap::new();
    let mut macs: HashSet<String> = HashSet::new();
    for (id, e) in &enis {
        let state = e["state"].as_str().unwrap_or("");
        let attached = e["attachment"].get("instance_id").and_then(Value::as_str);
        match (state, attached) {
            ("InUse", Some(i)) => {
                if !instances.contains_key(i) {
                    violations.push(format!("{id} attached to missing instance {i}"));
                }
                on_instance
                    .entry(i.to_string())
                    .or_default()
                    .push(e["attachment"]["device_index"].as_u64().unwrap_or(0));
            }
            ("Available", None) => {}
            other => violations.push(format!("{id} left in state {other:?}")),
        }
        let ips = e["private_ips"].as_array().cloned().unwrap_or_default();
        if ips.len() > MAX_IPS_PER_ENI {
            violations.push(format!("{id} holds {} private IPs", ips.len()));
        }
        for ip in &ips {
            let addr = ip["address"].as_str().unwrap_or("").to_string();
            if ip["state"] != "Available" {
                violations.push(format!("{id} IP {addr} left in state {}", ip["state"]));
            }
            if let Some(other) = ip_owner.insert(addr.clone(), id.clone()) {
                violations.push(format!("IP {addr} on both {other} and {id}"));
            }
        }
        if !macs.insert(e["mac"].as_str().unwrap_or("").to_string()) {
            violations.push(format!("MAC of {id} is not unique"));
        }
        let groups = e["security_group_ids"].as_array().map(|a| a.len()).unwrap_or(0);
        if groups > GROUPS_PER_ENI {
            violations.push(format!("{id} has {groups} security groups"));
        }
    }
    for (ins, devices) in &on_instance {
        let limit = 3; // S5.LARGE8, primary ENI included
        if devices.len() > limit {
            violations.push(format!("{ins} holds {} ENIs, limit {limit}", devices.len()));
        }
        let unique: HashSet<_> = devices.iter().collect();
        if unique.len() != devices.len() {
            violations.push(format!("{ins} has duplicate device indexes {devices:?}"));
        }
    }
    // Claims mirror the ENIs exactly: every address and MAC claimed by its ENI, nothing else.
    let ip_claims: HashMap<String, String> =
        claims.iter().filter(|c| c.0.starts_with("ip:")).map(|c| (c.1.clone(), c.2.clone())).collect();
    if ip_claims != ip_owner {
        let extra: Vec<_> = ip_claims.iter().filter(|(k, _)| !ip_owner.contains_key(*k)).take(5).collect();
        let missing: Vec<_> = ip_owner.iter().filter(|(k, _)| !ip_claims.contains_key(*k)).take(5).collect();
        violations.push(format!("IP claims differ from ENI addresses: extra {extra:?}, missing {missing:?}"));
    }
    let mac_claims = claims.iter().filter(|c| c.0 == "mac").count();
    if mac_claims != macs.len() {
        violations.push(format!("{mac_claims} MAC claims for {} ENIs", macs.len()));
    }

    // Every acknowledged change is present.
    let mut acked_async = 0;
    let mut finished_by_survivors = 0;
    for s in seen {
        for (eni, ip) in &s.assigned {
            if ip_owner.get(ip) != Some(eni) {
                violations.push(format!("acknowledged IP {ip} of {eni} is missing"));
            }
        }
        for (id, replica, at) in &s.async_acks {
            acked_async += 1;
            match tasks.get(id) {
                None => violations.push(format!("acknowledged task {id} is missing")),
                Some(t) => {
                    let running = t["results"].as_array().into_iter().flatten().any(|r| r["status"] == "Running");
                    if running {
                        violations.push(format!("task {id} never completed"));
                    }
                }
            }
            if *replica == 2 && *at + Duration::from_millis(DELAY_MS as u64) > killed_at && *at <= killed_at {
                finished_by_survivors += 1;
            }
        }
    }
    for (c, s) in seen.iter().enumerate() {
        for (eni, expect) in &s.bound {
            let Some(expect) = expect else { continue };
            let has = enis[eni]["security_group_ids"].as_array().into_iter().flatten().any(|g| g == &world.groups[c]);
            if has != *expect {
                violations.push(format!("{eni}: group of client {c} bound={has}, acknowledged {expect}"));
            }
        }
    }

    let requests: u64 = seen.iter().map(|s| s.requests).sum();
    let acked: u64 = seen.iter().map(|s| s.acked_changes).sum();
    let lost: u64 = seen.iter().map(|s| s.transport_errors).sum();
    let mut errors: HashMap<&str, u64> = HashMap::new();
    for s in seen {
        for (k, v) in &s.errors {
            *errors.entry(k.as_str()).or_default() += v;
        }
    }
    let report = format!(
        "multi-replica: {requests} requests, {acked} acknowledged changes ({acked_async} asynchronous), \
         {lost} lost with the killed replica, errors {errors:?}; {} transitions completed ({by_replica:?}), \
         {finished_by_survivors} acknowledged by the killed replica just before it died and finished by the \
         others; {} ENIs, {} addresses; {} violations",
        log.len(),
        enis.len(),
        ip_owner.len(),
        violations.len()
    );
    assert!(violations.is_empty(), "{report}\n{}", violations.join("\n"));
    assert!(acked > 100, "the run did real work: {report}");
    assert!(per_id.len() == log.len() && !log.is_empty(), "{report}");
    assert!(by_replica.len() >= 2, "several replicas completed transitions: {report}");
    assert!(finished_by_survivors > 0, "the killed replica left transitions the others finished: {report}");
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replica_survives_losing_its_database() {
    let Some(db) = TestSchema::create().expect("test database reachable") else { return };
    let proxy = Proxy::start(db_port(db.url())).await;
    let url = db.url().replacen(&format!(":{}/", db_port(db.url())), &format!(":{}/", proxy.port), 1);
    assert_ne!(url, db.url(), "the replica must reach the database through the proxy");
    let api = Api::new("AKIDoutage00000000000000000000000001", "outagesecret0000000000000000000001");
    let dir = tempfile::tempdir().unwrap();
    let mut r = Replica::spawn("outage", dir.path(), &url, &api, 50).expect("spawn");
    assert!(r.wait_healthy(Duration::from_secs(30)).await, "healthy:\n{}", r.log_tail());
    let ok = api.call(r.addr, "vpc", "DescribeVpcs", json!({})).await.unwrap();
    assert!(code(&ok).is_none(), "{ok}");

    proxy.stop();
    assert_eq!(r.health_status().await, Some(503), "healthz reports the lost database");
    assert_eq!(r.status("/readyz").await, Some(503), "and the replica is not ready");
    let down = api.call(r.addr, "vpc", "CreateVpc", json!({"VpcName": "x", "CidrBlock": "10.1.0.0/16"})).await.unwrap();
    assert_eq!(code(&down), Some("InternalError"), "{down}");
    assert!(down["RequestId"].as_str().is_some_and(|s| !s.is_empty()));

    proxy.resume().await;
    assert!(r.wait_healthy(Duration::from_secs(20)).await, "recovers by itself:\n{}", r.log_tail());
    assert_eq!(r.status("/readyz").await, Some(200), "ready again");
    let back = api.call(r.addr, "vpc", "CreateVpc", json!({"VpcName": "y", "CidrBlock": "10.2.0.0/16"})).await.unwrap();
    assert!(code(&back).is_none(), "{back}");
    r.stop();
}

fn db_port(url: &str) -> u16 {
    url.split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|host| host.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or(5432)
}
