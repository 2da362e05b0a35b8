//! Non-ASCII and control characters (multi-byte, emoji, combining marks, NUL, control and
//! direction characters, long multi-byte runs) in every string parameter of the two seed actions
//! (Tencent DisassociateNetworkInterfaceSecurityGroups, ENS DetachNetworkInterface) and of
//! RunInstances in both dialects. Each answer must be the dialect's envelope, either an error
//! that is not `InternalError` (nothing changed) or a correct success, and after each one the
//! server must still take a write from another client.

#[allow(clippy::field_reassign_with_default)]
mod common;
mod ens_support;

use common::tencent::{ok, REGION, ZONE};
use common::{code, Answer, Key, TestServer};
use serde_json::{json, Value};

/// The hostile texts, each sent alone and after a valid value.
fn hostile() -> Vec<String> {
    let mut v: Vec<String> = [
        "é",
        "数据中心",
        "🦀",
        "e\u{301}\u{302}\u{303}",
        "\u{0}",
        "\u{1}\u{8}\u{1b}[0m\u{7f}",
        "\u{202e}cod.exe",
        "\u{feff}\u{200b}",
        "\r\n\t",
        "\u{fffd}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push("É".repeat(300));
    v
}

/// `valid` replaced by, then followed by, each hostile text.
fn variants(valid: &str) -> Vec<String> {
    hostile().into_iter().flat_map(|h| [h.clone(), format!("{valid}{h}")]).collect()
}

/// Sets a value at a `/`-separated path of objects and lists, creating what is missing.
fn set(params: &mut Value, path: &str, v: &str) {
    let mut here = params;
    for part in path.split('/') {
        here = match part.parse::<usize>() {
            Ok(i) => {
                if !here.is_array() {
                    *here = json!([]);
                }
                let items = here.as_array_mut().unwrap();
                while items.len() <= i {
                    items.push(Value::Null);
                }
                &mut items[i]
            }
            Err(_) => {
                if !here.is_object() {
                    *here = json!({});
                }
                here.as_object_mut().unwrap().entry(part).or_insert(Value::Null)
            }
        };
    }
    *here = Value::String(v.to_string());
}

/// A Tencent answer: the JSON envelope with HTTP 200, and not an internal error. Returns the
/// error code, if any.
#[track_caller]
fn tencent_envelope(a: &Answer, what: &str) -> Option<String> {
    assert_eq!(a.status, 200, "{what}: {}", String::from_utf8_lossy(&a.raw));
    assert_eq!(a.content_type, "application/json", "{what}");
    let r = &a.body["Response"];
    assert!(r["RequestId"].is_string(), "{what}: {}", a.body);
    let c = code(r).map(str::to_string);
    assert_ne!(c.as_deref(), Some("InternalError"), "{what}: {r}");
    if c.is_some() {
        assert!(r["Error"]["Message"].is_string(), "{what}: {r}");
    }
    c
}

/// An ENS answer: its JSON envelope, a success or a client error (never 5xx). Returns the code.
#[track_caller]
fn ens_envelope(a: &Answer, what: &str) -> Option<String> {
    assert_eq!(a.content_type, "application/json;charset=utf-8", "{what}");
    assert!(a.body["RequestId"].is_string(), "{what}: {}", String::from_utf8_lossy(&a.raw));
    match a.status {
        200 => None,
        400..=499 => {
            assert!(a.body["Message"].is_string() && a.body["Recommend"].is_string(), "{what}: {}", a.body);
            Some(a.body["Code"].as_str().expect("Code").to_string())
        }
        other => panic!("{what}: HTTP {other}: {}", a.body),
    }
}

/// A write by another tenant succeeds (the writer and the server survived).
async fn tencent_other_client_writes(s: &TestServer, other: &Key, sg: &str, n: usize) {
    let name = format!("still-serving-{n}");
    ok(s.vpc_as(other, "ModifySecurityGroupAttribute", json!({"SecurityGroupId": sg, "GroupName": name})).await);
}

async fn tencent_instances(s: &TestServer) -> u64 {
    ok(s.cvm("DescribeInstances", json!({"Limit": 1})).await)["TotalCount"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tencent_seed_action() {
    let s = TestServer::start().await;
    let other = s.account("other").await;
    let other_sg = s.sg_as(&other, "o").await;
    let net = s.net().await;
    let eni = s.eni(&net, &net.sgs).await;
    let before = s.groups_of(&eni).await;
    let mut n = 0;
    for field in ["NetworkInterfaceIds", "SecurityGroupIds"] {
        let valid = if field == "NetworkInterfaceIds" { eni.clone() } else { net.sgs[0].clone() };
        for bad in variants(&valid) {
            let mut params = json!({"NetworkInterfaceIds": [eni], "SecurityGroupIds": [net.sgs[0]]});
            set(&mut params, &format!("{field}/0"), &bad);
            let a = s.tc3_as(&s.key, "vpc", "DisassociateNetworkInterfaceSecurityGroups", Some(REGION), params).await;
            let what = format!("{field}={bad:?} (TC3 JSON)");
            assert!(tencent_envelope(&a, &what).is_some(), "{what} cannot succeed");
            // The same through the legacy signature and a form body.
            let key = format!("{field}.0");
            let other_key = if field == "NetworkInterfaceIds" { "SecurityGroupIds.0" } else { "NetworkInterfaceIds.0" };
            let other_value = if field == "NetworkInterfaceIds" { net.sgs[0].clone() } else { eni.clone() };
            let nonce = (1_000_000 + n).to_string();
            let params = [(key.as_str(), bad.as_str()), (other_key, other_value.as_str())];
            let a = s
                .v1_as(&s.key, "POST", "HmacSHA256", "DisassociateNetworkInterfaceSecurityGroups", &params, &nonce)
                .await;
            let what = format!("{field}={bad:?} (legacy form)");
            assert!(tencent_envelope(&a, &what).is_some(), "{what} cannot succeed");
            assert_eq!(s.groups_of(&eni).await, before, "{what} changed the ENI");
            tencent_other_client_writes(&s, &other, &other_sg, n).await;
            n += 1;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tencent_run_instances() {
    let s = TestServer::start().await;
    let other = s.account("other").await;
    let other_sg = s.sg_as(&other, "o").await;
    let vpc = ok(s.vpc("CreateVpc", json!({"VpcName": "v", "CidrBlock": "10.0.0.0/16"})).await)["Vpc"]["VpcId"]
        .as_str()
        .unwrap()
        .to_string();
    let subnet = s.subnet_in(&vpc, "10.0.16.0/20", ZONE).await;
    let sg = s.sg_as(&s.key.clone(), "g").await;
    let base = json!({
        "Placement": {"Zone": ZONE, "ProjectId": 0},
        "InstanceType": "S5.MEDIUM4",
        "ImageId": "img-eb30mz89",
        "InstanceChargeType": "POSTPAID_BY_HOUR",
        "VirtualPrivateCloud": {"VpcId": vpc, "SubnetId": subnet},
        "SecurityGroupIds": [sg],
        "InstanceName": "vm",
        "HostName": "host",
        "InstanceCount": 1,
        "TagSpecification": [{"ResourceType": "instance", "Tags": [{"Key": "k", "Value": "v"}]}],
    });
    let fields = [
        ("Placement/Zone", ZONE.to_string()),
        ("Placement/ProjectId", "0".into()),
        ("InstanceType", "S5.MEDIUM4".into()),
        ("ImageId", "img-eb30mz89".into()),
        ("InstanceChargeType", "POSTPAID_BY_HOUR".into()),
        ("VirtualPrivateCloud/VpcId", vpc.clone()),
        ("VirtualPrivateCloud/SubnetId", subnet.clone()),
        ("VirtualPrivateCloud/PrivateIpAddresses/0", "10.0.16.9".into()),
        ("SecurityGroupIds/0", sg.clone()),
        ("InstanceName", "vm".into()),
        ("HostName", "host".into()),
        ("InstanceCount", "1".into()),
        ("DryRun", "false".into()),
        ("ClientToken", "token".into()),
        ("TagSpecification/0/ResourceType", "instance".into()),
        ("TagSpecification/0/Tags/0/Key", "k".into()),
        ("TagSpecification/0/Tags/0/Value", "v".into()),
    ];
    // Instances are counted once per parameter: each success adds exactly one, errors none.
    let mut count = tencent_instances(&s).await;
    let mut n = 0;
    for (field, valid) in fields {
        for bad in variants(&valid) {
            let mut params = base.clone();
            let bad = if field == "ClientToken" { format!("t{n}{bad}") } else { bad };
            set(&mut params, field, &bad);
            let a = s.tc3_as(&s.key, "cvm", "RunInstances", Some(REGION), params).await;
            let what = format!("{field}={bad:?}");
            if tencent_envelope(&a, &what).is_none() {
                let ids = a.body["Response"]["InstanceIdSet"].as_array().expect("InstanceIdSet").clone();
                assert_eq!(ids.len(), 1, "{what}");
                count += 1;
            }
            n += 1;
        }
        assert_eq!(tencent_instances(&s).await, count, "{field}: a failed launch left an instance");
        tencent_other_client_writes(&s, &other, &other_sg, n).await;
    }
}

mod ens {
    use super::*;
    use ens_support::{attach, create_eni, network, network_in, ok as ens_ok, stop, REGION};

    async fn other_client_writes(s: &TestServer, other: &Key, sg: &str, n: usize) {
        let name = format!("still-serving-{n}");
        let a = s
            .ens_acs3_as(
                other,
                "ModifySecurityGroupAttribute",
                &[("SecurityGroupId", sg), ("SecurityGroupName", &name)],
            )
            .await;
        ens_ok(&a);
    }

    async fn instances(s: &TestServer) -> u64 {
        ens_ok(&s.ens("DescribeInstances", &[("PageSize", "1")]).await)["TotalCount"].as_u64().unwrap()
    }

    async fn other_group(s: &TestServer) -> (Key, String) {
        let other = s.account("other").await;
        let a = s.ens_acs3_as(&other, "CreateSecurityGroup", &[("SecurityGroupName", "other")]).await;
        let sg = ens_ok(&a)["SecurityGroupId"].as_str().unwrap().to_string();
        (other, sg)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn seed_action() {
        let s = TestServer::start().await;
        let (other, other_sg) = other_group(&s).await;
        let net = network(&s).await;
        let vm = ens_support::instance(&s, &net).await;
        stop(&s, &vm).await;
        let eni = create_eni(&s, &net).await;
        attach(&s, &eni, &vm).await;
        for (n, bad) in variants(&eni).into_iter().enumerate() {
            let what = format!("NetworkInterfaceId={bad:?}");
            let a = s.ens("DetachNetworkInterface", &[("NetworkInterfaceId", &bad)]).await;
            assert!(ens_envelope(&a, &format!("{what} (ACS3)")).is_some(), "{what} cannot succeed");
            let a = s.ens_v1_as(&s.key, "DetachNetworkInterface", &[("NetworkInterfaceId", &bad)]).await;
            assert!(ens_envelope(&a, &format!("{what} (V1)")).is_some(), "{what} cannot succeed");
            // A hostile parameter name next to the valid ID.
            let a = s.ens("DetachNetworkInterface", &[("NetworkInterfaceId", &eni), (&bad, "x")]).await;
            assert!(ens_envelope(&a, &format!("name {bad:?}")).is_some(), "an unknown parameter cannot succeed");
            let e = ens_support::eni(&s, &eni).await;
            assert_eq!((e["Status"].as_str(), e["InstanceId"].as_str()), (Some("InUse"), Some(vm.as_str())), "{what}");
            other_client_writes(&s, &other, &other_sg, n).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn run_instances() {
        let s = TestServer::start().await;
        let (other, other_sg) = other_group(&s).await;
        let net = network_in(&s, &s.key, REGION).await;
        let wide = ens_ok(
            &s.ens(
                "CreateVSwitch",
                &[("EnsRegionId", REGION), ("CidrBlock", "10.0.16.0/20"), ("NetworkId", &net.network)],
            )
            .await,
        )["VSwitchId"]
            .as_str()
            .unwrap()
            .to_string();
        let base: Vec<(&str, String)> = vec![
            ("EnsRegionId", REGION.into()),
            ("InstanceType", "ens.sn1.small".into()),
            ("ImageId", "centos_7_9_x64_20G".into()),
            ("VSwitchId", wide.clone()),
            ("NetWorkId", net.network.clone()),
            ("SecurityId", net.sg.clone()),
            ("Password", "Eniplane-2024".into()),
            ("InstanceName", "vm".into()),
            ("HostName", "host".into()),
            ("ScheduleAreaLevel", "Region".into()),
            ("InstanceChargeType", "PostPaid".into()),
            ("Amount", "1".into()),
            ("Tag.1.Key", "k".into()),
            ("Tag.1.Value", "v".into()),
        ];
        let extra: Vec<(&str, String)> = vec![
            ("PrivateIpAddress", "10.0.16.9".into()),
            ("UniqueSuffix", "true".into()),
            ("KeyPairName", "kp".into()),
            ("Carrier", "cmcc".into()),
            ("InternetChargeType", "95BandwidthByMonth".into()),
            ("SystemDisk", r#"{"Category":"cloud_efficiency","Size":20}"#.into()),
            ("UserData", "ZWNobyBoaQ==".into()),
        ];
        // Instances are counted once per parameter: each success adds exactly one, errors none.
        let mut count = instances(&s).await;
        for (n, (field, valid)) in base.iter().chain(extra.iter()).enumerate() {
            for bad in variants(valid) {
                let mut params: Vec<(&str, String)> = base.iter().filter(|(k, _)| k != field).cloned().collect();
                params.push((field, bad.clone()));
                let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let a = s.ens("RunInstances", &refs).await;
                let what = format!("{field}={bad:?}");
                if ens_envelope(&a, &what).is_none() {
                    let ids = a.body["InstanceIds"].as_array().expect("InstanceIds").clone();
                    assert_eq!(ids.len(), 1, "{what}");
                    count += 1;
                }
            }
            assert_eq!(instances(&s).await, count, "{field}: a failed launch left an instance");
            other_client_writes(&s, &other, &other_sg, n).await;
        }
    }
}
