//! After a restart: every acknowledged change is there (asked through the API, as a client
//! would), no batch is half-applied, nothing is left mid-transition, no acknowledged request can
//! be replayed, and the store's invariants hold (read through the core, as the invariant model
//! test does).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;

use eniplane_core::model::{Eni, EniState, Instance, InstanceState, IpState};
use eniplane_core::ops::eni::{ip_space, MAC_SPACE};
use eniplane_core::{repo, Cloud, Error, Scope};
use eniplane_store::{Store, Tx};
use serde_json::{json, Value};

use super::load::{Ledger, World, SEED};
use super::wire::{self, Client, Scheme, ENS_REGION, TENCENT_REGION};

/// What one verification found.
#[derive(Default)]
pub struct Findings {
    /// Acknowledged changes compared with what the server shows.
    pub checked: u64,
    /// Acknowledged nonce-carrying requests sent again.
    pub replays: u64,
    pub violations: Vec<String>,
}

impl Findings {
    fn fail(&mut self, v: String) {
        self.violations.push(v);
    }
}

/// ENIs, groups per ENI, instance ENIs: the quotas the trials' catalogue sets.
pub const GROUPS_PER_ENI: usize = 128;

/// Runs every check of one trial against the restarted server at `at` and its store.
pub async fn verify(client: &Client, at: SocketAddr, store: &Store, w: &World, ledger: &Ledger) -> Findings {
    let mut f = Findings::default();
    replays(client, at, ledger, &mut f).await;
    let api = Api { client, at, w };
    tencent(&api, ledger, &mut f).await;
    ens(&api, ledger, &mut f).await;
    for cloud in [Cloud::Tencent, Cloud::Ens] {
        invariants(store, w, ledger, cloud, &mut f).await;
    }
    f
}

/// Every acknowledged nonce-carrying request, sent again byte for byte, is refused as a replay.
async fn replays(client: &Client, at: SocketAddr, ledger: &Ledger, f: &mut Findings) {
    for s in &ledger.replayable {
        f.replays += 1;
        let expected = match s.scheme {
            Scheme::TencentLegacy => "AuthFailure.SignatureFailure",
            _ => "SignatureNonceUsed",
        };
        match client.send(at, s).await {
            Ok(a) if a.code() == Some(expected) => {}
            Ok(a) => f.fail(format!("replayed {:?} {} was answered {}: {}", s.scheme, s.action, a.status, a.body)),
            Err(e) => f.fail(format!("replayed {} got no answer: {e}", s.action)),
        }
    }
}

struct Api<'a> {
    client: &'a Client,
    at: SocketAddr,
    w: &'a World,
}

impl Api<'_> {
    async fn call(&self, s: wire::Sent) -> Value {
        let a = self.client.send(self.at, &s).await.unwrap_or_else(|e| panic!("{}: {e}", s.action));
        assert!(a.ok(), "{} failed: {}", s.action, a.body);
        a.fields().clone()
    }

    async fn tc3(&self, service: &str, action: &str, p: Value) -> Value {
        self.call(wire::tc3(&self.w.key, &self.at.to_string(), service, action, &p)).await
    }

    async fn ens(&self, action: &str, p: &[(&str, String)]) -> Value {
        self.call(wire::ens_acs3(&self.w.key, &self.at.to_string(), action, p)).await
    }

    /// Tencent ENIs by id.
    async fn enis(&self, ids: &[String]) -> HashMap<String, Value> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(100) {
            let r =
                self.tc3("vpc", "DescribeNetworkInterfaces", json!({"NetworkInterfaceIds": chunk, "Limit": 100})).await;
            for e in r["NetworkInterfaceSet"].as_array().into_iter().flatten() {
                out.insert(text(&e["NetworkInterfaceId"]), e.clone());
            }
        }
        out
    }

    /// ENS ENIs by id.
    async fn ens_enis(&self, ids: &[String]) -> HashMap<String, Value> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(100) {
            let p = [("NetworkInterfaceIds", json!(chunk).to_string()), ("PageSize", "100".into())];
            let r = self.ens("DescribeNetworkInterfaces", &p).await;
            for e in r["NetworkInterfaceSets"]["NetworkInterfaceSet"].as_array().into_iter().flatten() {
                out.insert(text(&e["NetworkInterfaceId"]), e.clone());
            }
        }
        out
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

async fn tencent(api: &Api<'_>, ledger: &Ledger, f: &mut Findings) {
    let w = api.w;
    // Acknowledged security groups.
    let mut present = HashSet::new();
    for chunk in ledger.tencent_groups.chunks(100) {
        let r = api.tc3("vpc", "DescribeSecurityGroups", json!({"SecurityGroupIds": chunk, "Limit": 100})).await;
        present.extend(r["SecurityGroupSet"].as_array().into_iter().flatten().map(|g| text(&g["SecurityGroupId"])));
    }
    for g in &ledger.tencent_groups {
        f.checked += 1;
        if !present.contains(g) {
            f.fail(format!("acknowledged Tencent group {g} is missing"));
        }
    }
    // Acknowledged ENIs, and the seed batch: all seed groups on all seed ENIs, or none.
    let enis = api.enis(&[w.seed_enis.clone(), w.attach_enis.clone(), ledger.tencent_enis.clone()].concat()).await;
    for id in &ledger.tencent_enis {
        f.checked += 1;
        match enis.get(id) {
            None => f.fail(format!("acknowledged Tencent ENI {id} is missing")),
            Some(e) if e["State"] != "AVAILABLE" => f.fail(format!("created ENI {id} left {}", e["State"])),
            Some(_) => {}
        }
    }
    let seed: HashSet<&str> = w.seed_groups.iter().map(String::as_str).collect();
    let mut on = HashSet::new();
    for id in &w.seed_enis {
        let groups: Vec<&str> = enis
            .get(id)
            .map(|e| e["GroupSet"].as_array().into_iter().flatten().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let n = groups.iter().filter(|g| seed.contains(*g)).count();
        if n != 0 && n != SEED {
            f.fail(format!("seed batch half-applied on {id}: {n} of {SEED} groups"));
        }
        if !groups.contains(&w.base_group.as_str()) {
            f.fail(format!("{id} lost its base group"));
        }
        on.insert(n == SEED);
    }
    if let Some(expect) = &ledger.seed {
        f.checked += 1;
        match on.iter().next() {
            _ if on.len() > 1 => f.fail("seed batch applied to some ENIs and not others".into()),
            Some(actual) if !expect.allows(actual) => {
                f.fail(format!("seed groups on={actual}, acknowledged {expect:?}"))
            }
            _ => {}
        }
    }
    // Attachments.
    for id in &w.attach_enis {
        let Some(expect) = ledger.attached.get(id) else { continue };
        f.checked += 1;
        let e = &enis[id];
        let actual = e["Attachment"]["InstanceId"].as_str().map(str::to_string);
        if !expect.allows(&actual) {
            f.fail(format!("{id} attached to {actual:?}, acknowledged {expect:?}"));
        }
        if !matches!(e["NetworkInterfaceState"].as_str(), Some("AVAILABLE" | "INUSE")) {
            f.fail(format!("{id} left {}", e["NetworkInterfaceState"]));
        }
    }
    // Instances: the cycler's power state, and every acknowledged RunInstances batch whole.
    let launched: Vec<String> = ledger.runs.iter().flatten().cloned().collect();
    let ids = [vec![w.cycler.clone()], w.hosts.clone(), launched].concat();
    let mut states = HashMap::new();
    for chunk in ids.chunks(100) {
        let r = api.tc3("cvm", "DescribeInstancesStatus", json!({"InstanceIds": chunk, "Limit": 100})).await;
        for s in r["InstanceStatusSet"].as_array().into_iter().flatten() {
            states.insert(text(&s["InstanceId"]), text(&s["InstanceState"]));
        }
    }
    for run in &ledger.runs {
        f.checked += 1;
        let missing: Vec<&String> = run.iter().filter(|i| !states.contains_key(*i)).collect();
        if run.len() != 2 || !missing.is_empty() {
            f.fail(format!("acknowledged RunInstances batch {run:?} incomplete: missing {missing:?}"));
        }
    }
    for (id, state) in &states {
        if state != "RUNNING" && state != "STOPPED" {
            f.fail(format!("instance {id} left {state}"));
        }
    }
    if let Some(expect) = ledger.running.get(&w.cycler) {
        f.checked += 1;
        let actual = states.get(&w.cycler).map(String::as_str) == Some("RUNNING");
        if !expect.allows(&actual) {
            f.fail(format!("{} running={actual}, acknowledged {expect:?}", w.cycler));
        }
    }
}

async fn ens(api: &Api<'_>, ledger: &Ledger, f: &mut Findings) {
    let w = api.w;
    // Acknowledged groups (account-wide; paged).
    let mut present = HashSet::new();
    for page in 1.. {
        let p = [("PageNumber", page.to_string()), ("PageSize", "50".into())];
        let r = api.ens("DescribeSecurityGroups", &p).await;
        let items = r["SecurityGroups"]["SecurityGroup"].as_array().cloned().unwrap_or_default();
        present.extend(items.iter().map(|g| text(&g["SecurityGroupId"])));
        if items.len() < 50 {
            break;
        }
    }
    for g in &ledger.ens_groups {
        f.checked += 1;
        if !present.contains(g) {
            f.fail(format!("acknowledged ENS group {g} is missing"));
        }
    }
    let enis = api.ens_enis(&[w.ens_enis.clone(), ledger.ens_enis.clone()].concat()).await;
    for id in &ledger.ens_enis {
        f.checked += 1;
        match enis.get(id) {
            None => f.fail(format!("acknowledged ENS ENI {id} is missing")),
            Some(e) if e["Status"] != "Available" => f.fail(format!("created ENS ENI {id} left {}", e["Status"])),
            Some(_) => {}
        }
    }
    for id in &w.ens_enis {
        let Some(expect) = ledger.attached.get(id) else { continue };
        f.checked += 1;
        let e = &enis[id];
        let actual = e["InstanceId"].as_str().filter(|s| !s.is_empty()).map(str::to_string);
        if !expect.allows(&actual) {
            f.fail(format!("{id} attached to {actual:?}, acknowledged {expect:?}"));
        }
        if !matches!(e["Status"].as_str(), Some("Available" | "InUse")) {
            f.fail(format!("{id} left {}", e["Status"]));
        }
    }
    let ids = [w.ens_cyclers.clone(), w.ens_hosts.clone()].concat();
    let p = [("InstanceIds", json!(ids).to_string()), ("PageSize", "100".into()), ("EnsRegionId", ENS_REGION.into())];
    let r = api.ens("DescribeInstances", &p).await;
    let states: HashMap<String, String> = r["Instances"]["Instance"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| (text(&i["InstanceId"]), text(&i["Status"])))
        .collect();
    for h in &w.ens_hosts {
        if states.get(h).map(String::as_str) != Some("Stopped") {
            f.fail(format!("ENS host {h} is {:?}, nobody started it", states.get(h)));
        }
    }
    for id in &w.ens_cyclers {
        let Some(expect) = ledger.running.get(id) else { continue };
        f.checked += 1;
        let state = states.get(id).map(String::as_str).unwrap_or("missing");
        if state != "Running" && state != "Stopped" {
            f.fail(format!("ENS instance {id} left {state}"));
        }
        let actual = state == "Running";
        if !expect.allows(&actual) {
            f.fail(format!("{id} running={actual}, acknowledged {expect:?}"));
        }
    }
}

/// The store's invariants in one cloud of the trial's account, read through the core.
async fn invariants(store: &Store, w: &World, ledger: &Ledger, cloud: Cloud, f: &mut Findings) {
    let region = match cloud {
        Cloud::Tencent => TENCENT_REGION,
        Cloud::Ens => ENS_REGION,
    };
    let scope = Scope::new(w.key.account.clone(), cloud, region);
    let read = store
        .read(move |tx: &mut dyn Tx| {
            let enis = repo::list::<Eni>(tx, &scope)?;
            let instances = repo::list::<Instance>(tx, &scope)?;
            let subnets: HashSet<String> = enis.iter().map(|e| e.subnet_id.clone()).collect();
            let mut ip_claims = BTreeMap::new();
            for s in &subnets {
                for (ip, owner) in tx.claimed(&ip_space(s))? {
                    ip_claims.insert(ip, owner);
                }
            }
            let macs: HashMap<String, String> = tx.claimed(MAC_SPACE)?.into_iter().collect();
            Ok::<_, Error>((enis, instances, ip_claims, macs))
        })
        .await;
    let (enis, instances, ip_claims, macs) = match read {
        Ok(r) => r,
        Err(e) => return f.fail(format!("reading the store: {e}")),
    };
    let live: HashMap<&str, &Instance> = instances.iter().map(|i| (i.id.as_str(), i)).collect();
    let mut per_instance: HashMap<&str, Vec<u32>> = HashMap::new();
    let mut ips: BTreeMap<String, String> = BTreeMap::new();
    for e in &enis {
        if e.state.is_transitional() {
            f.fail(format!("{} left {}", e.id, e.state.name()));
        }
        match &e.attachment {
            Some(a) => {
                if !live.contains_key(a.instance_id.as_str()) {
                    f.fail(format!("{} attached to a missing instance {}", e.id, a.instance_id));
                }
                per_instance.entry(a.instance_id.as_str()).or_default().push(a.device_index);
                if e.state != EniState::InUse {
                    f.fail(format!("{} attached but {}", e.id, e.state.name()));
                }
            }
            None if e.state == EniState::InUse => f.fail(format!("{} in use without an attachment", e.id)),
            None => {}
        }
        if e.primary != e.attachment.as_ref().is_some_and(|a| a.device_index == 0) {
            f.fail(format!("{} primary={} but attachment {:?}", e.id, e.primary, e.attachment));
        }
        if e.private_ips.iter().filter(|p| p.primary).count() != 1 {
            f.fail(format!("{} does not hold exactly one primary IP", e.id));
        }
        if e.security_group_ids.len() > GROUPS_PER_ENI {
            f.fail(format!("{} holds {} groups", e.id, e.security_group_ids.len()));
        }
        for p in &e.private_ips {
            if p.state != IpState::Available {
                f.fail(format!("{} IP {} left {:?}", e.id, p.address, p.state));
            }
            if let Some(other) = ips.insert(p.address.clone(), e.id.clone()) {
                f.fail(format!("{} on both {other} and {}", p.address, e.id));
            }
        }
        if macs.get(&e.mac) != Some(&e.id) {
            f.fail(format!("MAC {} of {} is claimed by {:?}", e.mac, e.id, macs.get(&e.mac)));
        }
    }
    if ip_claims != ips {
        let extra: Vec<_> = ip_claims.iter().filter(|(k, _)| !ips.contains_key(*k)).take(5).collect();
        let missing: Vec<_> = ips.iter().filter(|(k, v)| ip_claims.get(*k) != Some(v)).take(5).collect();
        f.fail(format!("{cloud:?}: IP claims differ from ENI addresses: extra {extra:?}, missing {missing:?}"));
    }
    for i in &instances {
        if matches!(i.state, InstanceState::Running | InstanceState::Stopped) {
        } else {
            f.fail(format!("instance {} left {}", i.id, i.state.name()));
        }
        let devices = per_instance.get(i.id.as_str()).cloned().unwrap_or_default();
        let limit = match cloud {
            Cloud::Tencent if i.instance_type == "S5.SMALL1" => 2,
            Cloud::Tencent => 3,
            Cloud::Ens => 10,
        };
        if devices.len() > limit {
            f.fail(format!("{} holds {} ENIs, over its quota of {limit}", i.id, devices.len()));
        }
        if devices.iter().collect::<HashSet<_>>().len() != devices.len() {
            f.fail(format!("{} has duplicate device indexes {devices:?}", i.id));
        }
        if !enis.iter().any(|e| e.id == i.primary_eni_id && e.primary) {
            f.fail(format!("{} lost its primary ENI", i.id));
        }
    }
    if cloud == Cloud::Tencent {
        // RunInstances batches: the fixture's, each acknowledged one, and at most the one in flight.
        let launched = instances.len().saturating_sub(w.fixture_instances);
        let acked = 2 * ledger.runs.len();
        let ok = launched == acked || (ledger.run_in_flight && launched == acked + 2);
        f.checked += 1;
        if !ok {
            f.fail(format!("{launched} instances launched under load, {acked} acknowledged (a batch half-applied?)"));
        }
    }
}
