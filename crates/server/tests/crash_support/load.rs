//! One trial's world and its load: the fixture every trial builds in a fresh account (both
//! clouds), and the writers that run until the server is killed, each recording what the server
//! acknowledged in the [`Ledger`].

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use eniplane_store::{Store, Tx};
use parking_lot::Mutex;
use rand::Rng;
use serde_json::{json, Value};

use super::wire::{self, Answer, Client, Key, Scheme, Sent, ENS_REGION, TENCENT_ZONE};

/// ENIs and security groups of the seed batch (the documented maximum of each per request).
pub const SEED: usize = 100;
/// Tencent instances ENIs are attached to (S5.LARGE8: two secondary ENIs each).
const HOSTS: usize = 3;
/// Tencent ENIs the attach/detach writer moves between the hosts.
const ATTACH_ENIS: usize = 6;
/// Stopped ENS instances, and the ENS ENIs moved between them.
const ENS_HOSTS: usize = 2;
const ENS_ENIS: usize = 4;
/// Running ENS instances the stop/start writer cycles.
const ENS_CYCLERS: usize = 2;

/// What one trial works on, all owned by the trial's account.
#[derive(Clone, Debug)]
pub struct World {
    pub key: Key,
    pub vpc: String,
    pub subnet: String,
    pub base_group: String,
    pub seed_groups: Vec<String>,
    pub seed_enis: Vec<String>,
    pub attach_enis: Vec<String>,
    pub hosts: Vec<String>,
    pub cycler: String,
    pub ens_vswitch: String,
    pub ens_group: String,
    pub ens_hosts: Vec<String>,
    pub ens_enis: Vec<String>,
    pub ens_cyclers: Vec<String>,
    /// Instances the fixture launched (the batch check counts the rest).
    pub fixture_instances: usize,
}

/// The state a client knows a resource is in: what its last acknowledged request set, and what an
/// unanswered request (in flight at the kill) may have set instead.
#[derive(Clone, Debug, PartialEq)]
pub struct Expect<T> {
    pub acked: T,
    pub maybe: Option<T>,
}

impl<T: PartialEq + Clone> Expect<T> {
    fn new(v: T) -> Self {
        Self { acked: v, maybe: None }
    }

    /// Whether `actual` is a state the client may observe.
    pub fn allows(&self, actual: &T) -> bool {
        *actual == self.acked || self.maybe.as_ref() == Some(actual)
    }
}

/// Everything the server acknowledged during one trial.
#[derive(Default)]
pub struct Ledger {
    pub sent: u64,
    pub acked: u64,
    pub lost: u64,
    pub refused: BTreeMap<String, u64>,
    pub tencent_groups: Vec<String>,
    pub tencent_enis: Vec<String>,
    pub ens_groups: Vec<String>,
    pub ens_enis: Vec<String>,
    /// Instances of acknowledged `RunInstances` batches, per batch.
    pub runs: Vec<Vec<String>>,
    /// Whether a `RunInstances` batch was in flight at the kill.
    pub run_in_flight: bool,
    /// Acknowledged requests that carry a nonce, to be replayed.
    pub replayable: Vec<Sent>,
    /// Are the seed groups on the seed ENIs?
    pub seed: Option<Expect<bool>>,
    /// Tencent and ENS ENI → the instance it is attached to.
    pub attached: HashMap<String, Expect<Option<String>>>,
    /// Instance → running?
    pub running: HashMap<String, Expect<bool>>,
}

/// A call during setup, which must succeed; returns the answer's fields.
pub async fn must(client: &Client, at: SocketAddr, s: Sent) -> Value {
    let a = client.send(at, &s).await.unwrap_or_else(|e| panic!("{} failed to send: {e}", s.action));
    assert!(a.ok(), "{} failed: {}", s.action, a.body);
    a.fields().clone()
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// Builds a trial's fixture in both clouds; returns once every resource has settled.
pub async fn fixture(client: &Client, at: SocketAddr, key: &Key, store: &Store) -> World {
    let host = at.to_string();
    let tc3 = |service: &str, action: &str, p: Value| wire::tc3(key, &host, service, action, &p);
    let vpc = must(client, at, tc3("vpc", "CreateVpc", json!({"VpcName": "crash", "CidrBlock": "10.0.0.0/16"}))).await;
    let vpc = text(&vpc["Vpc"]["VpcId"]);
    let subnet = json!({"VpcId": vpc, "SubnetName": "s", "CidrBlock": "10.0.0.0/20", "Zone": TENCENT_ZONE});
    let subnet = text(&must(client, at, tc3("vpc", "CreateSubnet", subnet)).await["Subnet"]["SubnetId"]);
    let group = |name: String| tc3("vpc", "CreateSecurityGroup", json!({"GroupName": name, "GroupDescription": "d"}));
    let base_group = text(&must(client, at, group("base".into())).await["SecurityGroup"]["SecurityGroupId"]);
    let mut seed_groups = Vec::new();
    for i in 0..SEED {
        seed_groups.push(text(&must(client, at, group(format!("seed{i}"))).await["SecurityGroup"]["SecurityGroupId"]));
    }
    let run = json!({
        "Placement": {"Zone": TENCENT_ZONE}, "InstanceType": "S5.LARGE8", "ImageId": "img-crash001",
        "InstanceCount": HOSTS + 1, "VirtualPrivateCloud": {"VpcId": vpc, "SubnetId": subnet},
    });
    let run = must(client, at, tc3("cvm", "RunInstances", run)).await;
    let mut hosts: Vec<String> = run["InstanceIdSet"].as_array().into_iter().flatten().map(text).collect();
    let cycler = hosts.pop().expect("RunInstances returned the instances");
    let eni = json!({"VpcId": vpc, "SubnetId": subnet, "NetworkInterfaceName": "e", "SecurityGroupIds": [base_group]});
    let mut enis = Vec::new();
    for _ in 0..SEED + ATTACH_ENIS {
        let r = must(client, at, tc3("vpc", "CreateNetworkInterface", eni.clone())).await;
        enis.push(text(&r["NetworkInterface"]["NetworkInterfaceId"]));
    }
    let attach_enis = enis.split_off(SEED);

    let ens = |action: &str, p: &[(&str, String)]| wire::ens_acs3(key, &host, action, p);
    let region = || ("EnsRegionId", ENS_REGION.to_string());
    let net = ens("CreateNetwork", &[region(), ("CidrBlock", "10.0.0.0/16".into()), ("NetworkName", "net".into())]);
    let network = text(&must(client, at, net).await["NetworkId"]);
    let vsw =
        [region(), ("CidrBlock", "10.0.0.0/20".into()), ("NetworkId", network.clone()), ("VSwitchName", "vsw".into())];
    let ens_vswitch = text(&must(client, at, ens("CreateVSwitch", &vsw)).await["VSwitchId"]);
    let ens_group = text(
        &must(client, at, ens("CreateSecurityGroup", &[("SecurityGroupName", "grp".into())])).await["SecurityGroupId"],
    );
    let run = [
        region(),
        ("InstanceType", "ens.sn1.small".into()),
        ("ImageId", "centos_7_9_x64_20G".into()),
        ("VSwitchId", ens_vswitch.clone()),
        ("NetWorkId", network),
        ("SecurityId", ens_group.clone()),
        ("Password", "Eniplane-2024".into()),
        ("InstanceName", "vm".into()),
        ("ScheduleAreaLevel", "Region".into()),
        ("InstanceChargeType", "PostPaid".into()),
        ("Amount", (ENS_HOSTS + ENS_CYCLERS).to_string()),
    ];
    let run = must(client, at, ens("RunInstances", &run)).await;
    let mut ens_hosts: Vec<String> = run["InstanceIds"].as_array().into_iter().flatten().map(text).collect();
    let ens_cyclers = ens_hosts.split_off(ENS_HOSTS);
    let groups = format!("[\"{ens_group}\"]");
    let mut ens_enis = Vec::new();
    for _ in 0..ENS_ENIS {
        let r =
            ens("CreateNetworkInterface", &[("VSwitchId", ens_vswitch.clone()), ("SecurityGroupIds", groups.clone())]);
        ens_enis.push(text(&must(client, at, r).await["NetworkInterfaceIds"][0]));
    }
    assert!(settle(store, Duration::from_secs(10)).await, "the fixture settles");
    for h in &ens_hosts {
        must(client, at, ens("StopInstance", &[("InstanceId", h.clone())])).await;
    }
    assert!(settle(store, Duration::from_secs(10)).await, "the fixture settles");
    World {
        key: key.clone(),
        vpc,
        subnet,
        base_group,
        seed_groups,
        seed_enis: enis,
        attach_enis,
        hosts,
        cycler,
        ens_vswitch,
        ens_group,
        ens_hosts,
        ens_enis,
        ens_cyclers,
        fixture_instances: HOSTS + 1,
    }
}

/// Waits until no transition is pending; `false` when `timeout` passes first.
pub async fn settle(store: &Store, timeout: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < deadline {
        if store.read(|tx: &mut dyn Tx| tx.pending_transitions()).await.is_ok_and(|n| n == 0) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

/// How a request ended.
enum Outcome {
    Acked(Answer),
    Refused,
    Lost,
}

/// Sends one request and books it.
async fn exchange(client: &Client, at: SocketAddr, ledger: &Mutex<Ledger>, s: &Sent) -> Outcome {
    ledger.lock().sent += 1;
    match client.send(at, s).await {
        Ok(a) if a.ok() => {
            let mut l = ledger.lock();
            l.acked += 1;
            if s.scheme.has_nonce() {
                l.replayable.push(s.clone());
            }
            Outcome::Acked(a)
        }
        Ok(a) => {
            let code = a.code().unwrap_or("?").to_string();
            *ledger.lock().refused.entry(format!("{}:{code}", s.action)).or_default() += 1;
            Outcome::Refused
        }
        Err(_) => {
            ledger.lock().lost += 1;
            Outcome::Lost
        }
    }
}

/// Sends a state change whose target the ledger tracks in `slot`; `false` once the server is gone.
async fn change<T: PartialEq + Clone>(
    client: &Client,
    at: SocketAddr,
    ledger: &Mutex<Ledger>,
    s: &Sent,
    target: T,
    slot: impl Fn(&mut Ledger) -> &mut Expect<T>,
) -> bool {
    slot(&mut ledger.lock()).maybe = Some(target.clone());
    let out = exchange(client, at, ledger, s).await;
    let mut l = ledger.lock();
    let e = slot(&mut l);
    match out {
        Outcome::Acked(_) => *e = Expect::new(target),
        Outcome::Refused => e.maybe = None,
        Outcome::Lost => return false,
    }
    true
}

/// Starts every writer; they stop by themselves once the server is gone.
pub fn start(
    client: &Client,
    at: SocketAddr,
    world: &World,
    ledger: &Arc<Mutex<Ledger>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    {
        let mut l = ledger.lock();
        l.seed = Some(Expect::new(false));
        for e in world.attach_enis.iter().chain(&world.ens_enis) {
            l.attached.insert(e.clone(), Expect::new(None));
        }
        l.running.insert(world.cycler.clone(), Expect::new(true));
        for i in &world.ens_cyclers {
            l.running.insert(i.clone(), Expect::new(true));
        }
    }
    let ctx = Ctx { client: client.clone(), at, world: Arc::new(world.clone()), ledger: ledger.clone() };
    vec![
        tokio::spawn(tencent_groups(ctx.clone(), Scheme::Tc3)),
        tokio::spawn(tencent_groups(ctx.clone(), Scheme::TencentLegacy)),
        tokio::spawn(seed_flipper(ctx.clone())),
        tokio::spawn(attacher(ctx.clone(), false)),
        tokio::spawn(attacher(ctx.clone(), true)),
        tokio::spawn(power(ctx.clone())),
        tokio::spawn(creates(ctx.clone(), false)),
        tokio::spawn(creates(ctx.clone(), true)),
        tokio::spawn(ens_groups(ctx.clone())),
        tokio::spawn(runner(ctx)),
    ]
}

/// What every writer holds.
#[derive(Clone)]
struct Ctx {
    client: Client,
    at: SocketAddr,
    world: Arc<World>,
    ledger: Arc<Mutex<Ledger>>,
}

impl Ctx {
    fn host(&self) -> String {
        self.at.to_string()
    }

    fn key(&self) -> &Key {
        &self.world.key
    }
}

async fn pause(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// Creates Tencent security groups, TC3- or legacy-signed.
async fn tencent_groups(c: Ctx, scheme: Scheme) {
    for i in 0.. {
        let name = format!("w{i}");
        let s = match scheme {
            Scheme::Tc3 => {
                let p = json!({"GroupName": name, "GroupDescription": "x"});
                wire::tc3(c.key(), &c.host(), "vpc", "CreateSecurityGroup", &p)
            }
            _ => {
                let p = [("GroupName", name), ("GroupDescription", "x".to_string())];
                wire::legacy(c.key(), &c.host(), "CreateSecurityGroup", &p)
            }
        };
        match exchange(&c.client, c.at, &c.ledger, &s).await {
            Outcome::Acked(a) => {
                c.ledger.lock().tencent_groups.push(text(&a.fields()["SecurityGroup"]["SecurityGroupId"]))
            }
            Outcome::Refused => {}
            Outcome::Lost => return,
        }
        pause(3).await;
    }
}

/// Creates ENS security groups, V1-signed.
async fn ens_groups(c: Ctx) {
    for i in 0.. {
        let s = wire::ens_v1(c.key(), &c.host(), "CreateSecurityGroup", &[("SecurityGroupName", format!("w{i}x"))]);
        match exchange(&c.client, c.at, &c.ledger, &s).await {
            Outcome::Acked(a) => c.ledger.lock().ens_groups.push(text(&a.fields()["SecurityGroupId"])),
            Outcome::Refused => {}
            Outcome::Lost => return,
        }
        pause(3).await;
    }
}

/// Creates ENIs: Tencent TC3, or ENS ACS3.
async fn creates(c: Ctx, ens: bool) {
    let w = c.world.clone();
    loop {
        let s = if ens {
            let groups = format!("[\"{}\"]", w.ens_group);
            let p = [("VSwitchId", w.ens_vswitch.clone()), ("SecurityGroupIds", groups)];
            wire::ens_acs3(c.key(), &c.host(), "CreateNetworkInterface", &p)
        } else {
            let p = json!({"VpcId": w.vpc, "SubnetId": w.subnet, "NetworkInterfaceName": "n", "SecurityGroupIds": [w.base_group]});
            wire::tc3(c.key(), &c.host(), "vpc", "CreateNetworkInterface", &p)
        };
        match exchange(&c.client, c.at, &c.ledger, &s).await {
            Outcome::Acked(a) if ens => c.ledger.lock().ens_enis.push(text(&a.fields()["NetworkInterfaceIds"][0])),
            Outcome::Acked(a) => {
                c.ledger.lock().tencent_enis.push(text(&a.fields()["NetworkInterface"]["NetworkInterfaceId"]))
            }
            Outcome::Refused => {}
            Outcome::Lost => return,
        }
        pause(3).await;
    }
}

/// The seed batch: all seed groups associated with, then disassociated from, all seed ENIs.
async fn seed_flipper(c: Ctx) {
    let w = c.world.clone();
    loop {
        let on = !c.ledger.lock().seed.as_ref().is_some_and(|e| e.acked);
        let action =
            if on { "AssociateNetworkInterfaceSecurityGroups" } else { "DisassociateNetworkInterfaceSecurityGroups" };
        let p = json!({"NetworkInterfaceIds": w.seed_enis, "SecurityGroupIds": w.seed_groups});
        let s = wire::tc3(c.key(), &c.host(), "vpc", action, &p);
        if !change(&c.client, c.at, &c.ledger, &s, on, |l| l.seed.get_or_insert_with(|| Expect::new(false))).await {
            return;
        }
        pause(5).await;
    }
}

/// Attaches and detaches ENIs: Tencent (TC3) between running hosts, ENS (ACS3) between stopped
/// hosts. Each ENI's next step follows what was last acknowledged for it.
async fn attacher(c: Ctx, ens: bool) {
    let w = c.world.clone();
    let (enis, hosts, per_host) = if ens { (&w.ens_enis, &w.ens_hosts, 8) } else { (&w.attach_enis, &w.hosts, 2) };
    loop {
        let eni = enis[rand::thread_rng().gen_range(0..enis.len())].clone();
        let (now, load) = {
            let l = c.ledger.lock();
            let now = l.attached.get(&eni).and_then(|e| e.acked.clone());
            let mut load: HashMap<String, usize> = HashMap::new();
            for e in enis {
                if let Some(i) = l.attached.get(e).and_then(|x| x.acked.clone()) {
                    *load.entry(i).or_default() += 1;
                }
            }
            (now, load)
        };
        let (action, instance, target) = match now {
            Some(i) => ("DetachNetworkInterface", i, None),
            None => match hosts.iter().find(|h| load.get(*h).copied().unwrap_or(0) < per_host) {
                Some(h) => ("AttachNetworkInterface", h.clone(), Some(h.clone())),
                None => continue,
            },
        };
        let s = if ens {
            // ENS DetachNetworkInterface names only the ENI.
            let mut p = vec![("NetworkInterfaceId", eni.clone())];
            if target.is_some() {
                p.push(("InstanceId", instance));
            }
            wire::ens_acs3(c.key(), &c.host(), action, &p)
        } else {
            let p = json!({"NetworkInterfaceId": eni, "InstanceId": instance});
            wire::tc3(c.key(), &c.host(), "vpc", action, &p)
        };
        let key = eni.clone();
        if !change(&c.client, c.at, &c.ledger, &s, target, |l| {
            l.attached.entry(key.clone()).or_insert(Expect::new(None))
        })
        .await
        {
            return;
        }
        pause(10).await;
    }
}

/// Stops and starts instances: the Tencent cycler (TC3 `StopInstances`/`StartInstances`) and the
/// ENS cyclers (V1 `StopInstance`/`StartInstance`).
async fn power(c: Ctx) {
    let w = c.world.clone();
    let all: Vec<(String, bool)> =
        std::iter::once((w.cycler.clone(), false)).chain(w.ens_cyclers.iter().map(|i| (i.clone(), true))).collect();
    loop {
        let (id, ens) = all[rand::thread_rng().gen_range(0..all.len())].clone();
        let up = !c.ledger.lock().running.get(&id).is_some_and(|e| e.acked);
        let s = match (ens, up) {
            (true, up) => {
                let action = if up { "StartInstance" } else { "StopInstance" };
                wire::ens_v1(c.key(), &c.host(), action, &[("InstanceId", id.clone())])
            }
            (false, up) => {
                let action = if up { "StartInstances" } else { "StopInstances" };
                wire::tc3(c.key(), &c.host(), "cvm", action, &json!({"InstanceIds": [id]}))
            }
        };
        let key = id.clone();
        if !change(&c.client, c.at, &c.ledger, &s, up, |l| l.running.entry(key.clone()).or_insert(Expect::new(true)))
            .await
        {
            return;
        }
        pause(15).await;
    }
}

/// Launches Tencent instances two at a time (a batch: both or neither).
async fn runner(c: Ctx) {
    let w = c.world.clone();
    loop {
        let p = json!({
            "Placement": {"Zone": TENCENT_ZONE}, "InstanceType": "S5.SMALL1", "ImageId": "img-crash002",
            "InstanceCount": 2, "VirtualPrivateCloud": {"VpcId": w.vpc, "SubnetId": w.subnet},
        });
        let s = wire::tc3(c.key(), &c.host(), "cvm", "RunInstances", &p);
        c.ledger.lock().run_in_flight = true;
        match exchange(&c.client, c.at, &c.ledger, &s).await {
            Outcome::Acked(a) => {
                let ids = a.fields()["InstanceIdSet"].as_array().into_iter().flatten().map(text).collect();
                let mut l = c.ledger.lock();
                l.runs.push(ids);
                l.run_in_flight = false;
            }
            Outcome::Refused => c.ledger.lock().run_in_flight = false,
            Outcome::Lost => return,
        }
        pause(25).await;
    }
}
