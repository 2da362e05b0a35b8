//! Alibaba Cloud ENS fixtures and the `ens-describe` / `ens-detach-attach` scenarios, written
//! against the documented ENS 2017-11-10 API. If the server answers `InvalidAction.NotFound` the
//! scenarios are skipped.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::client::{contains, Acs3, Api, Conn, EnsError, EnsPrepared, Key};
use crate::load::{Rec, Rng, Window};
use crate::tencent::tick;

/// The ENS edge region the fixtures live in.
pub const REGION: &str = "cn-beijing-15";
/// Secondary ENIs attached per (stopped) instance; the documented maximum is 10 ENIs.
const PER_INSTANCE: usize = 8;

/// Why the ENS fixtures are missing.
pub enum SetupError {
    /// The server does not implement an action (`InvalidAction.NotFound`): skip.
    Unsupported(String),
    /// Anything else.
    Failed(String),
}

impl From<EnsError> for SetupError {
    fn from(e: EnsError) -> Self {
        if e.code == "InvalidAction.NotFound" {
            SetupError::Unsupported(e.to_string())
        } else {
            SetupError::Failed(e.to_string())
        }
    }
}

impl From<String> for SetupError {
    fn from(e: String) -> Self {
        SetupError::Failed(e)
    }
}

/// What the ENS scenarios run against.
pub struct Fixtures {
    /// Network id.
    pub network: String,
    /// vSwitch id.
    pub vswitch: String,
    /// Security group id.
    pub group: String,
    /// Stopped instances.
    pub instances: Vec<String>,
    /// Secondary ENIs and the instance each is attached to.
    pub enis: Vec<(String, String)>,
}

fn field(v: &Value, k: &str) -> Result<String, String> {
    v.get(k).and_then(|x| x.as_str()).map(str::to_string).ok_or_else(|| format!("no {k} in {v}"))
}

fn first_id(v: &Value, k: &str) -> Result<String, String> {
    let list = v.get(k).ok_or_else(|| format!("no {k} in {v}"))?;
    // Documented as a bare array; tolerate the `{"X": [...]}` wrapper too.
    let arr = list.as_array().or_else(|| list.as_object().and_then(|o| o.values().next()).and_then(|x| x.as_array()));
    arr.and_then(|a| a.first()).and_then(|x| x.as_str()).map(str::to_string).ok_or_else(|| format!("no id in {k}: {v}"))
}

fn all_ids(v: &Value, k: &str) -> Vec<String> {
    let list = v.get(k).cloned().unwrap_or(Value::Null);
    let arr = list
        .as_array()
        .cloned()
        .or_else(|| list.as_object().and_then(|o| o.values().next()).and_then(|x| x.as_array()).cloned())
        .unwrap_or_default();
    arr.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()
}

/// Status of one ENS ENI (empty when not found).
async fn eni_status(api: &mut Api, eni: &str) -> Result<String, EnsError> {
    let r = api.ens("DescribeNetworkInterfaces", &[("EnsRegionId", REGION), ("NetworkInterfaceId", eni)]).await?;
    Ok(r["NetworkInterfaceSets"]["NetworkInterfaceSet"][0]["Status"].as_str().unwrap_or("").to_string())
}

async fn wait_eni(api: &mut Api, eni: &str, want: &str) -> Result<(), SetupError> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while eni_status(api, eni).await? != want {
        tick(deadline, &format!("ENS ENI {eni} to be {want}")).await?;
    }
    Ok(())
}

async fn wait_instances(api: &mut Api, ids: &[String], want: &str) -> Result<(), SetupError> {
    let json = serde_json::to_string(ids).expect("json");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let r = api.ens("DescribeInstances", &[("InstanceIds", &json), ("PageSize", "100")]).await?;
        let list = r["Instances"]["Instance"].as_array().cloned().unwrap_or_default();
        if list.len() == ids.len() && list.iter().all(|i| i["Status"].as_str() == Some(want)) {
            return Ok(());
        }
        tick(deadline, &format!("ENS instances to be {want}")).await?;
    }
}

/// Creates a network, a vSwitch, a security group, `ceil(enis / 8)` instances (stopped) and `enis`
/// secondary ENIs, each attached to one of the instances.
pub async fn setup(api: &mut Api, enis: usize) -> Result<Fixtures, SetupError> {
    let r = api
        .ens("CreateNetwork", &[("EnsRegionId", REGION), ("CidrBlock", "10.0.0.0/16"), ("NetworkName", "bench")])
        .await?;
    let network = field(&r, "NetworkId")?;
    let r = api
        .ens(
            "CreateVSwitch",
            &[("EnsRegionId", REGION), ("NetworkId", &network), ("CidrBlock", "10.0.0.0/20"), ("VSwitchName", "bench")],
        )
        .await?;
    let vswitch = field(&r, "VSwitchId")?;
    let r = api
        .ens("CreateSecurityGroup", &[("SecurityGroupName", "bench-ens"), ("Description", "eniplane bench")])
        .await?;
    let group = field(&r, "SecurityGroupId")?;

    let amount = enis.div_ceil(PER_INSTANCE).max(1).to_string();
    let r = api
        .ens(
            "RunInstances",
            &[
                ("EnsRegionId", REGION),
                ("InstanceType", "ens.sn1.stiny"),
                ("ImageId", "centos_7_9_x64_20G_alibase_20230919"),
                ("Amount", &amount),
                ("InternetChargeType", "95BandwidthByMonth"),
                ("InstanceChargeType", "PostPaid"),
                ("ScheduleAreaLevel", "Region"),
                ("NetWorkId", &network),
                ("VSwitchId", &vswitch),
                ("SecurityId", &group),
                ("Password", "Bench-Passw0rd"),
            ],
        )
        .await?;
    let instances = all_ids(&r, "InstanceIds");
    if instances.is_empty() {
        return Err(SetupError::Failed(format!("RunInstances returned no InstanceIds: {r}")));
    }
    wait_instances(api, &instances, "Running").await?;
    for id in &instances {
        api.ens("StopInstance", &[("InstanceId", id)]).await?;
    }
    wait_instances(api, &instances, "Stopped").await?;

    let groups_json = serde_json::to_string(&[&group]).expect("json");
    let mut out = Vec::with_capacity(enis);
    for i in 0..enis {
        let name = format!("bench-{i}");
        let r = api
            .ens(
                "CreateNetworkInterface",
                &[("VSwitchId", &vswitch), ("SecurityGroupIds", &groups_json), ("Name", &name)],
            )
            .await?;
        let eni = first_id(&r, "NetworkInterfaceIds")?;
        out.push((eni, instances[i / PER_INSTANCE].clone()));
    }
    for (eni, _) in &out {
        wait_eni(api, eni, "Available").await?;
    }
    for (eni, instance) in &out {
        api.ens("AttachNetworkInterface", &[("InstanceId", instance), ("NetworkInterfaceId", eni)]).await?;
    }
    for (eni, _) in &out {
        wait_eni(api, eni, "InUse").await?;
    }
    Ok(Fixtures { network, vswitch, group, instances, enis: out })
}

fn check(result: Result<(u16, bytes::Bytes), String>, expect: &[u8]) -> Option<String> {
    if let (Ok((_, body)), true) = (&result, crate::load::sample()) {
        eprintln!("sample answer: {}", String::from_utf8_lossy(body));
    }
    match result {
        Ok((200, body)) if contains(&body, expect) => None,
        Ok((status, body)) => Some(format!("HTTP {status}: {}", String::from_utf8_lossy(&body))),
        Err(e) => Some(e),
    }
}

/// Describe queries, one per ENI: `EnsRegionId` plus `NetworkInterfaceId`.
pub fn describe_queries(fx: &Fixtures) -> Arc<Vec<EnsPrepared>> {
    Arc::new(
        fx.enis
            .iter()
            .map(|(eni, _)| {
                Acs3::prepare("DescribeNetworkInterfaces", &[("EnsRegionId", REGION), ("NetworkInterfaceId", eni)])
            })
            .collect(),
    )
}

/// One `ens-describe` worker.
pub async fn describe_worker(addr: String, key: Key, queries: Arc<Vec<EnsPrepared>>, w: usize, window: Window) -> Rec {
    let mut rec = Rec::new(window);
    let mut signer = Acs3::new(key, &addr, w);
    let mut rng = Rng::new(w);
    let mut conn = match Conn::open(&addr).await {
        Ok(c) => c,
        Err(e) => {
            rec.first_error = Some(e);
            return rec;
        }
    };
    while !window.over() {
        let req = signer.request(&queries[rng.below(queries.len())]);
        let started = Instant::now();
        let res = conn.send(req).await;
        rec.record(started, check(res, b"NetworkInterfaceSets"));
    }
    rec
}

/// Per ENI: (detach, attach, describe) queries.
pub struct CycleQueries {
    items: Vec<(EnsPrepared, EnsPrepared, EnsPrepared)>,
}

/// Builds the detach/attach/describe queries for every ENI.
pub fn cycle_queries(fx: &Fixtures) -> Arc<CycleQueries> {
    Arc::new(CycleQueries {
        items: fx
            .enis
            .iter()
            .map(|(eni, instance)| {
                (
                    Acs3::prepare("DetachNetworkInterface", &[("NetworkInterfaceId", eni)]),
                    Acs3::prepare("AttachNetworkInterface", &[("InstanceId", instance), ("NetworkInterfaceId", eni)]),
                    Acs3::prepare("DescribeNetworkInterfaces", &[("EnsRegionId", REGION), ("NetworkInterfaceId", eni)]),
                )
            })
            .collect(),
    })
}

/// Polls an ENI until its status is `want` (not recorded); returns the last status seen.
async fn settle(
    conn: &mut Conn,
    signer: &mut Acs3,
    describe: &EnsPrepared,
    want: &str,
    window: Window,
) -> Result<String, String> {
    let mut last = String::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !window.over() && Instant::now() < deadline {
        let (status, body) = conn.send(signer.request(describe)).await?;
        if status != 200 {
            return Err(format!("describe: HTTP {status}: {}", String::from_utf8_lossy(&body)));
        }
        let v: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        last = v["NetworkInterfaceSets"]["NetworkInterfaceSet"][0]["Status"].as_str().unwrap_or("").to_string();
        if last == want {
            return Ok(last);
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(last)
}

/// One `ens-detach-attach` worker: owns the ENIs whose index is `w` modulo `workers`; for a random
/// one of them, Detach, wait for Available, Attach, wait for InUse. Only the Detach and Attach calls
/// are recorded; each counts once it is accepted.
pub async fn cycle_worker(
    addr: String,
    key: Key,
    queries: Arc<CycleQueries>,
    workers: usize,
    w: usize,
    window: Window,
) -> Rec {
    let mut rec = Rec::new(window);
    let items = &queries.items;
    let mut signer = Acs3::new(key, &addr, w);
    let mut rng = Rng::new(w);
    let mine: Vec<usize> = (0..items.len()).filter(|i| i % workers == w).collect();
    if mine.is_empty() {
        return rec;
    }
    let mut conn = match Conn::open(&addr).await {
        Ok(c) => c,
        Err(e) => {
            rec.first_error = Some(e);
            return rec;
        }
    };
    while !window.over() {
        let (detach, attach, describe) = &items[mine[rng.below(mine.len())]];
        for (call, settled) in [(detach, "Available"), (attach, "InUse")] {
            if window.over() {
                break;
            }
            let req = signer.request(call);
            let started = Instant::now();
            let res = conn.send(req).await;
            let err = check(res, b"RequestId");
            let failed = err.is_some();
            rec.record(started, err);
            // Wait for the transition (or, after a refusal, for whatever state is pending to settle).
            match settle(&mut conn, &mut signer, describe, settled, window).await {
                Ok(s) if failed && s != settled => break,
                Ok(_) => {}
                Err(e) => {
                    rec.first_error.get_or_insert(e);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    break;
                }
            }
        }
    }
    rec
}
