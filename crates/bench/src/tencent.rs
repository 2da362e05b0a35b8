//! Tencent Cloud fixtures (VPC, /20 subnet, two security groups, one running instance, N secondary
//! ENIs carrying both groups) and the `describe`, `describe-filter` and `disassociate` scenarios.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::client::{contains, Api, Conn, Key, Prepared, Tc3};
use crate::load::{Rec, Rng, Window};

/// What the Tencent scenarios run against.
pub struct Fixtures {
    /// VPC id.
    pub vpc: String,
    /// Subnet id.
    pub subnet: String,
    /// The two security groups.
    pub groups: [String; 2],
    /// The instance.
    pub instance: String,
    /// Secondary ENI ids.
    pub enis: Vec<String>,
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Result<&'a str, String> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p).ok_or_else(|| format!("no {} in {v}", path.join(".")))?;
    }
    cur.as_str().ok_or_else(|| format!("{} is not a string in {v}", path.join(".")))
}

/// Sleeps a polling interval, or fails once `deadline` has passed.
pub async fn tick(deadline: Instant, what: &str) -> Result<(), String> {
    if Instant::now() > deadline {
        return Err(format!("timed out waiting for {what}"));
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    Ok(())
}

/// Creates the fixtures through signed API calls.
pub async fn setup(api: &mut Api, enis: usize) -> Result<Fixtures, String> {
    let r = api.tc("vpc", "CreateVpc", json!({"VpcName": "bench", "CidrBlock": "10.0.0.0/16"})).await?;
    let vpc = str_at(&r, &["Vpc", "VpcId"])?.to_string();
    let r = api
        .tc(
            "vpc",
            "CreateSubnet",
            json!({"VpcId": vpc, "SubnetName": "bench", "CidrBlock": "10.0.0.0/20", "Zone": "ap-guangzhou-3"}),
        )
        .await?;
    let subnet = str_at(&r, &["Subnet", "SubnetId"])?.to_string();
    let mut groups = Vec::new();
    for name in ["bench-a", "bench-b"] {
        let r = api
            .tc("vpc", "CreateSecurityGroup", json!({"GroupName": name, "GroupDescription": "eniplane bench"}))
            .await?;
        groups.push(str_at(&r, &["SecurityGroup", "SecurityGroupId"])?.to_string());
    }
    let groups: [String; 2] = [groups[0].clone(), groups[1].clone()];

    let r = api
        .tc(
            "cvm",
            "RunInstances",
            json!({
                "Placement": {"Zone": "ap-guangzhou-3"},
                "InstanceType": "S5.LARGE8",
                "ImageId": "img-12345678",
                "VirtualPrivateCloud": {"VpcId": vpc, "SubnetId": subnet},
                "InstanceName": "bench",
            }),
        )
        .await?;
    let instance = r
        .get("InstanceIdSet")
        .and_then(|s| s.get(0))
        .and_then(|s| s.as_str())
        .ok_or_else(|| format!("no InstanceIdSet in {r}"))?
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let r = api.tc("cvm", "DescribeInstances", json!({"InstanceIds": [instance]})).await?;
        if r["InstanceSet"][0]["InstanceState"].as_str() == Some("RUNNING") {
            break;
        }
        tick(deadline, "the instance to be RUNNING").await?;
    }

    let mut ids = Vec::with_capacity(enis);
    for i in 0..enis {
        let r = api
            .tc(
                "vpc",
                "CreateNetworkInterface",
                json!({
                    "VpcId": vpc,
                    "SubnetId": subnet,
                    "NetworkInterfaceName": format!("bench-{i}"),
                    "SecurityGroupIds": groups,
                }),
            )
            .await?;
        ids.push(str_at(&r, &["NetworkInterface", "NetworkInterfaceId"])?.to_string());
    }
    for chunk in ids.chunks(100) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let r =
                api.tc("vpc", "DescribeNetworkInterfaces", json!({"NetworkInterfaceIds": chunk, "Limit": 100})).await?;
            let set = r["NetworkInterfaceSet"].as_array().cloned().unwrap_or_default();
            if set.len() == chunk.len() && set.iter().all(|e| e["State"].as_str() == Some("AVAILABLE")) {
                break;
            }
            let states: Vec<&str> = set.iter().map(|e| e["State"].as_str().unwrap_or("?")).collect();
            tick(deadline, &format!("the ENIs to be AVAILABLE ({} of {} found: {states:?})", set.len(), chunk.len()))
                .await?;
        }
    }
    Ok(Fixtures { vpc, subnet, groups, instance, enis: ids })
}

/// Checks a Tencent answer: HTTP 200, no `Error` object, and `expect` in the body.
fn check(result: Result<(u16, bytes::Bytes), String>, expect: &[u8]) -> Option<String> {
    if let (Ok((_, body)), true) = (&result, crate::load::sample()) {
        eprintln!("sample answer: {}", String::from_utf8_lossy(body));
    }
    match result {
        Ok((200, body)) if !contains(&body, b"\"Error\"") && contains(&body, expect) => None,
        Ok((status, body)) => Some(format!("HTTP {status}: {}", String::from_utf8_lossy(&body))),
        Err(e) => Some(e),
    }
}

/// Per-worker state for the describe scenarios: one connection, its own signer, prepared bodies.
pub struct DescribeSetup {
    /// Bodies to pick from at random.
    pub bodies: Arc<Vec<Prepared>>,
}

/// Builds the bodies for `describe` (one per ENI) or `describe-filter` (one).
pub fn describe_bodies(signer: &mut Tc3, fx: &Fixtures, filter: bool) -> DescribeSetup {
    let bodies = if filter {
        vec![signer.prepare(
            "vpc",
            "DescribeNetworkInterfaces",
            &json!({"Filters": [{"Name": "vpc-id", "Values": [fx.vpc]}], "Limit": 20}),
        )]
    } else {
        fx.enis
            .iter()
            .map(|id| signer.prepare("vpc", "DescribeNetworkInterfaces", &json!({"NetworkInterfaceIds": [id]})))
            .collect()
    };
    DescribeSetup { bodies: Arc::new(bodies) }
}

/// One describe worker.
pub async fn describe_worker(addr: String, key: Key, bodies: Arc<Vec<Prepared>>, w: usize, window: Window) -> Rec {
    let mut rec = Rec::new(window);
    let mut signer = Tc3::new(key, &addr);
    let mut rng = Rng::new(w);
    let mut conn = match Conn::open(&addr).await {
        Ok(c) => c,
        Err(e) => {
            rec.first_error = Some(e);
            return rec;
        }
    };
    while !window.over() {
        let p = &bodies[rng.below(bodies.len())];
        let req = signer.request(p);
        let started = Instant::now();
        let res = conn.send(req).await;
        rec.record(started, check(res, b"\"NetworkInterfaceSet\""));
    }
    rec
}

/// The server's floor: an unsigned API request, answered at once with the Tencent error envelope
/// (`AuthFailure.InvalidAuthorization`) after HTTP parsing, dialect detection and envelope
/// encoding, but no signature check, store access or handler. The other scenarios are read
/// against this rate.
pub async fn ceiling_worker(addr: String, w: usize, window: Window) -> Rec {
    let mut rec = Rec::new(window);
    let _ = w;
    let mut conn = match Conn::open(&addr).await {
        Ok(c) => c,
        Err(e) => {
            rec.first_error = Some(e);
            return rec;
        }
    };
    let body = bytes::Bytes::from_static(b"{}");
    while !window.over() {
        let req = hyper::Request::post("/")
            .header("host", addr.as_str())
            .header("content-type", "application/json")
            .header("x-tc-action", "DescribeVpcs")
            .header("x-tc-version", "2017-03-12")
            .body(http_body_util::Full::new(body.clone()))
            .expect("request");
        let started = Instant::now();
        let res = conn.send(req).await;
        let expected = b"\"AuthFailure.InvalidAuthorization\"";
        let err = match res {
            Ok((200, body)) if contains(&body, expected) => None,
            Ok((status, body)) => Some(format!("HTTP {status}: {}", String::from_utf8_lossy(&body))),
            Err(e) => Some(e),
        };
        rec.record(started, err);
    }
    rec
}

/// Prepared bodies for the write scenario: per ENI, (disassociate group B, associate group B).
pub fn write_bodies(signer: &mut Tc3, fx: &Fixtures) -> Arc<Vec<(Prepared, Prepared)>> {
    let g = &fx.groups[1];
    Arc::new(
        fx.enis
            .iter()
            .map(|id| {
                let params = json!({"NetworkInterfaceIds": [id], "SecurityGroupIds": [g]});
                (
                    signer.prepare("vpc", "DisassociateNetworkInterfaceSecurityGroups", &params),
                    signer.prepare("vpc", "AssociateNetworkInterfaceSecurityGroups", &params),
                )
            })
            .collect(),
    )
}

/// One write worker: owns the ENIs whose index is `w` modulo `workers` (so every call changes
/// state and no two workers fight over an ENI), picks one of them at random, and flips group B
/// off or back on.
pub async fn write_worker(
    addr: String,
    key: Key,
    bodies: Arc<Vec<(Prepared, Prepared)>>,
    workers: usize,
    w: usize,
    window: Window,
) -> Rec {
    let mut rec = Rec::new(window);
    let mut signer = Tc3::new(key, &addr);
    let mut rng = Rng::new(w);
    let mine: Vec<usize> = if bodies.len() >= workers {
        (0..bodies.len()).filter(|i| i % workers == w).collect()
    } else {
        vec![w % bodies.len()]
    };
    // true: group B is bound (the fixture state).
    let mut bound = vec![true; mine.len()];
    let mut conn = match Conn::open(&addr).await {
        Ok(c) => c,
        Err(e) => {
            rec.first_error = Some(e);
            return rec;
        }
    };
    while !window.over() {
        let k = rng.below(mine.len());
        let (dis, asc) = &bodies[mine[k]];
        let req = signer.request(if bound[k] { dis } else { asc });
        let started = Instant::now();
        let res = conn.send(req).await;
        let err = check(res, b"\"RequestId\"");
        if err.is_none() {
            bound[k] = !bound[k];
        }
        rec.record(started, err);
    }
    rec
}
