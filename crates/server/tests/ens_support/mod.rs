//! ENS test helpers shared by the `ens_*` integration tests: assertions on the ENS envelope,
//! hand-signed requests (custom nonce, timestamp, method, body), and fixtures that build a
//! network, vSwitch, security group, instance and ENIs.
#![allow(dead_code)]

use std::time::Duration;

use eniplane_auth::{acs3, acs_v1};
use eniplane_core::model::Eni;
use eniplane_core::{repo, Cloud, Scope};
use eniplane_store::Tx;
use serde_json::Value;

use crate::common::{Answer, Key, TestServer};

/// The edge region the tests use.
pub const REGION: &str = "cn-beijing-15";
/// The other configured edge region.
pub const OTHER_REGION: &str = "cn-hangzhou-14";
/// A well-formed ENI ID nobody has.
pub const UNKNOWN_ENI: &str = "eni-00000000000000000000";
/// A well-formed instance ID nobody has.
pub const UNKNOWN_INSTANCE: &str = "i-00000000000000000000";

/// Asserts a success envelope and returns the body.
#[track_caller]
pub fn ok(a: &Answer) -> &Value {
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.raw));
    assert_eq!(a.content_type, "application/json;charset=utf-8");
    let id = a.body["RequestId"].as_str().expect("RequestId");
    assert_eq!(id.len(), 36, "{id}");
    assert_eq!(id, id.to_ascii_uppercase(), "RequestId is upper-case");
    &a.body
}

/// Asserts an error envelope with this status and code; returns the message.
#[track_caller]
pub fn fails(a: &Answer, status: u16, code: &str) -> String {
    assert_eq!(a.status, status, "{}", String::from_utf8_lossy(&a.raw));
    assert_eq!(a.body["Code"], code, "{}", a.body);
    assert_eq!(a.content_type, "application/json;charset=utf-8");
    for k in ["RequestId", "HostId", "Message", "Recommend"] {
        assert!(a.body[k].is_string(), "{k} missing in {}", a.body);
    }
    a.body["Message"].as_str().unwrap().to_string()
}

/// Current time in the ENS timestamp format.
pub fn now_iso() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Builds V1 common parameters for `key` (nonce and timestamp given).
pub fn v1_params(key: &Key, action: &str, params: &[(&str, &str)], nonce: &str, ts: &str) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    for (k, v) in [
        ("Action", action),
        ("Version", "2017-11-10"),
        ("Format", "JSON"),
        ("AccessKeyId", key.id.as_str()),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", nonce),
        ("Timestamp", ts),
    ] {
        all.push((k.to_string(), v.to_string()));
    }
    all
}

/// Signs V1 parameters with `secret` for `method` and appends `Signature`.
pub fn v1_sign(method: &str, secret: &str, mut all: Vec<(String, String)>) -> Vec<(String, String)> {
    let sts = acs_v1::string_to_sign(method, &all);
    all.push(("Signature".to_string(), acs_v1::sign(secret, &sts)));
    all
}

/// Form-encodes pairs.
pub fn form(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs.iter()).finish()
}

/// Sends signed V1 parameters in the query (`method` GET or POST).
pub async fn v1_send(s: &TestServer, method: &str, signed: &[(String, String)]) -> Answer {
    s.raw(method, &format!("/?{}", form(signed)), &[("Host".to_string(), s.host())], Vec::new()).await
}

/// An ACS3 call with a chosen date and nonce.
pub async fn acs3_with(
    s: &TestServer,
    key: &Key,
    action: &str,
    params: &[(&str, &str)],
    date: &str,
    nonce: &str,
) -> Answer {
    let query: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let extra = [("x-acs-action", action), ("x-acs-version", "2017-11-10")];
    let signed = acs3::sign(&key.id, &key.secret, "POST", &s.host(), &query, &extra, b"", date, nonce);
    s.raw("POST", &format!("/?{}", form(&query)), &signed, Vec::new()).await
}

/// Creates an account whose key carries `policy`.
pub async fn key_with_policy(s: &TestServer, name: &str, policy: Value) -> Key {
    s.account_with_policy(name, policy).await
}

/// Marks an ENI as managed by a service (as a managed service would).
pub async fn make_service_managed(s: &TestServer, key: &Key, eni: &str, region: &str) {
    let scope = Scope::new(key.account.clone(), Cloud::Ens, region);
    let id = eni.to_string();
    s.svc
        .store
        .write(move |tx: &mut dyn Tx| {
            let mut e: Eni = repo::load(tx, &scope, &id)?;
            e.service_managed = true;
            repo::save(tx, &e)
        })
        .await
        .expect("service managed");
}

/// Network, vSwitch and security group of one test.
#[derive(Clone, Debug)]
pub struct Net {
    pub network: String,
    pub vswitch: String,
    pub sg: String,
}

/// Creates a network 10.0.0.0/16, a vSwitch 10.0.1.0/24 in `region` and a security group.
pub async fn network_in(s: &TestServer, key: &Key, region: &str) -> Net {
    let r = s
        .ens_acs3_as(
            key,
            "CreateNetwork",
            &[("EnsRegionId", region), ("CidrBlock", "10.0.0.0/16"), ("NetworkName", "net1")],
        )
        .await;
    let network = ok(&r)["NetworkId"].as_str().unwrap().to_string();
    let r = s
        .ens_acs3_as(
            key,
            "CreateVSwitch",
            &[("EnsRegionId", region), ("CidrBlock", "10.0.1.0/24"), ("NetworkId", &network), ("VSwitchName", "vsw1")],
        )
        .await;
    let vswitch = ok(&r)["VSwitchId"].as_str().unwrap().to_string();
    let r = s.ens_acs3_as(key, "CreateSecurityGroup", &[("SecurityGroupName", "sg1")]).await;
    let sg = ok(&r)["SecurityGroupId"].as_str().unwrap().to_string();
    Net { network, vswitch, sg }
}

/// [`network_in`] the default region with the default key.
pub async fn network(s: &TestServer) -> Net {
    network_in(s, &s.key, REGION).await
}

/// Launches one instance in the vSwitch and waits until it is Running.
pub async fn instance_in(s: &TestServer, key: &Key, region: &str, net: &Net) -> String {
    let r = s
        .ens_acs3_as(
            key,
            "RunInstances",
            &[
                ("EnsRegionId", region),
                ("InstanceType", "ens.sn1.small"),
                ("ImageId", "centos_7_9_x64_20G"),
                ("VSwitchId", &net.vswitch),
                ("NetWorkId", &net.network),
                ("SecurityId", &net.sg),
                ("Password", "Eniplane-2024"),
                ("InstanceName", "vm"),
                ("ScheduleAreaLevel", "Region"),
                ("InstanceChargeType", "PostPaid"),
            ],
        )
        .await;
    let id = ok(&r)["InstanceIds"][0].as_str().unwrap().to_string();
    wait_instance_as(s, key, &id, "Running").await;
    id
}

/// [`instance_in`] the default region with the default key.
pub async fn instance(s: &TestServer, net: &Net) -> String {
    instance_in(s, &s.key, REGION, net).await
}

/// The instance as DescribeInstances shows it.
pub async fn describe_instance_as(s: &TestServer, key: &Key, id: &str) -> Value {
    let r = s.ens_acs3_as(key, "DescribeInstances", &[("InstanceId", id)]).await;
    let b = ok(&r);
    assert_eq!(b["Code"], 0);
    b["Instances"]["Instance"][0].clone()
}

/// Waits until the instance has `status`.
pub async fn wait_instance_as(s: &TestServer, key: &Key, id: &str, status: &str) {
    let done = s
        .wait_until(Duration::from_secs(5), || async { describe_instance_as(s, key, id).await["Status"] == status })
        .await;
    assert!(done, "{id} never became {status}");
}

/// Stops a Running instance and waits until it is Stopped.
pub async fn stop(s: &TestServer, id: &str) {
    ok(&s.ens("StopInstance", &[("InstanceId", id)]).await);
    wait_instance_as(s, &s.key, id, "Stopped").await;
}

/// Creates an ENI in the vSwitch with the group; returns its ID.
pub async fn create_eni_as(s: &TestServer, key: &Key, net: &Net) -> String {
    let groups = format!("[\"{}\"]", net.sg);
    let r = s
        .ens_acs3_as(key, "CreateNetworkInterface", &[("VSwitchId", &net.vswitch), ("SecurityGroupIds", &groups)])
        .await;
    ok(&r)["NetworkInterfaceIds"][0].as_str().unwrap().to_string()
}

/// [`create_eni_as`] with the default key.
pub async fn create_eni(s: &TestServer, net: &Net) -> String {
    create_eni_as(s, &s.key, net).await
}

/// The ENI as DescribeNetworkInterfaces shows it, or `Null`.
pub async fn eni_as(s: &TestServer, key: &Key, id: &str) -> Value {
    let r = s.ens_acs3_as(key, "DescribeNetworkInterfaces", &[("NetworkInterfaceId", id)]).await;
    ok(&r)["NetworkInterfaceSets"]["NetworkInterfaceSet"][0].clone()
}

/// [`eni_as`] with the default key.
pub async fn eni(s: &TestServer, id: &str) -> Value {
    eni_as(s, &s.key, id).await
}

/// Waits until the ENI has `status`.
pub async fn wait_eni(s: &TestServer, id: &str, status: &str) -> Value {
    let done = s.wait_until(Duration::from_secs(5), || async { eni(s, id).await["Status"] == status }).await;
    assert!(done, "{id} never became {status}: {}", eni(s, id).await);
    eni(s, id).await
}

/// Attaches an ENI to a Stopped instance and waits until it is InUse.
pub async fn attach(s: &TestServer, eni_id: &str, instance_id: &str) {
    ok(&s.ens("AttachNetworkInterface", &[("InstanceId", instance_id), ("NetworkInterfaceId", eni_id)]).await);
    wait_eni(s, eni_id, "InUse").await;
}

/// The primary ENI ID of an instance.
pub async fn primary_eni(s: &TestServer, instance_id: &str) -> String {
    let r = s.ens("DescribeNetworkInterfaces", &[("InstanceId", instance_id), ("Type", "Primary")]).await;
    ok(&r)["NetworkInterfaceSets"]["NetworkInterfaceSet"][0]["NetworkInterfaceId"].as_str().unwrap().to_string()
}
