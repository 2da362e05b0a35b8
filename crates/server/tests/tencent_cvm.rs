//! CVM instance actions: RunInstances, DescribeInstances, DescribeInstancesStatus, Start, Stop,
//! Reboot, Terminate, DescribeZones, with the state machine driven by the transition delay.

mod common;

use common::tencent::{err, id_shape, ok, Net, REGION, SMALL_TYPE, ZONE, ZONE2};
use common::{Options, TestServer};
use serde_json::{json, Value};

fn run_body(net: &Net, extra: Value) -> Value {
    let mut b = json!({
        "Placement": {"Zone": ZONE, "ProjectId": 0},
        "InstanceType": SMALL_TYPE,
        "ImageId": "img-eb30mz89",
        "VirtualPrivateCloud": {"VpcId": net.vpc, "SubnetId": net.subnet},
        "SecurityGroupIds": [net.sgs[0]],
        "InstanceName": "web",
        "InstanceChargeType": "POSTPAID_BY_HOUR",
        "SystemDisk": {"DiskType": "CLOUD_PREMIUM", "DiskSize": 50},
        "InternetAccessible": {"InternetMaxBandwidthOut": 0},
        "LoginSettings": {"Password": "x"},
    });
    for (k, v) in extra.as_object().unwrap() {
        b[k] = v.clone();
    }
    b
}

async fn state(s: &TestServer, id: &str) -> Option<String> {
    s.instance_state_as(&s.key.clone(), id).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_through_every_state() {
    let s = TestServer::start_with(Options { delay_ms: 400, ..Default::default() }).await;
    let key = s.key.clone();
    let net = s.net().await;
    let r = ok(s.cvm("RunInstances", run_body(&net, json!({}))).await);
    let ids = r["InstanceIdSet"].as_array().unwrap();
    assert_eq!(ids.len(), 1);
    let id = ids[0].as_str().unwrap().to_string();
    assert!(id_shape(&id, "ins-"), "{id}");

    assert_eq!(state(&s, &id).await.as_deref(), Some("PENDING"));
    assert!(s.wait_instance_as(&key, &id, "RUNNING").await);

    ok(s.cvm("StopInstances", json!({"InstanceIds": [id], "StopType": "SOFT"})).await);
    assert_eq!(state(&s, &id).await.as_deref(), Some("STOPPING"));
    assert!(s.wait_instance_as(&key, &id, "STOPPED").await);
    err(&s.cvm("StopInstances", json!({"InstanceIds": [id]})).await, "UnsupportedOperation.InstanceStateStopped");
    err(&s.cvm("RebootInstances", json!({"InstanceIds": [id]})).await, "UnsupportedOperation.InstanceStateStopped");

    ok(s.cvm("StartInstances", json!({"InstanceIds": [id]})).await);
    assert_eq!(state(&s, &id).await.as_deref(), Some("STARTING"));
    err(&s.cvm("StartInstances", json!({"InstanceIds": [id]})).await, "UnsupportedOperation.InstanceStateStarting");
    assert!(s.wait_instance_as(&key, &id, "RUNNING").await);
    err(&s.cvm("StartInstances", json!({"InstanceIds": [id]})).await, "UnsupportedOperation.InstanceStateRunning");

    ok(s.cvm("RebootInstances", json!({"InstanceIds": [id], "ForceReboot": false})).await);
    assert_eq!(state(&s, &id).await.as_deref(), Some("REBOOTING"));
    assert!(s.wait_instance_as(&key, &id, "RUNNING").await);

    ok(s.cvm("TerminateInstances", json!({"InstanceIds": [id]})).await);
    assert_eq!(state(&s, &id).await.as_deref(), Some("TERMINATING"));
    assert!(s.wait_instance_as(&key, &id, "GONE").await);
    let r = ok(s.cvm("DescribeInstances", json!({})).await);
    assert_eq!(r["TotalCount"], json!(0));
    assert_eq!(r["InstanceSet"], json!([]));
    // Its primary ENI went with it.
    assert_eq!(ok(s.vpc("DescribeNetworkInterfaces", json!({})).await)["TotalCount"], json!(0));
    err(&s.cvm("StartInstances", json!({"InstanceIds": [id]})).await, "InvalidInstanceId.NotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_instances_shape_and_filters() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let r = ok(s
        .cvm(
            "RunInstances",
            run_body(&net, json!({"InstanceCount": 3, "TagSpecification": [{"ResourceType": "instance", "Tags": [{"Key": "k", "Value": "v"}]}]})),
        )
        .await);
    let ids: Vec<String> =
        r["InstanceIdSet"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), 3);
    for id in &ids {
        assert!(s.wait_instance_as(&s.key.clone(), id, "RUNNING").await);
    }
    let r = ok(s.cvm("DescribeInstances", json!({"InstanceIds": [ids[0]]})).await);
    assert_eq!(r["TotalCount"], json!(1));
    let i = &r["InstanceSet"][0];
    assert_eq!(i["InstanceId"], json!(ids[0]));
    assert_eq!(i["InstanceState"], json!("RUNNING"));
    assert_eq!(i["InstanceType"], json!(SMALL_TYPE));
    assert_eq!(i["Placement"]["Zone"], json!(ZONE));
    assert!(i["Placement"]["ProjectId"].is_i64());
    assert_eq!(i["VirtualPrivateCloud"]["VpcId"], json!(net.vpc));
    assert_eq!(i["VirtualPrivateCloud"]["SubnetId"], json!(net.subnet));
    assert_eq!(i["SecurityGroupIds"], json!([net.sgs[0]]));
    assert!(i["CPU"].is_i64() && i["Memory"].is_i64(), "{i}");
    assert_eq!(i["Tags"], json!([{"Key": "k", "Value": "v"}]));
    let ip = i["PrivateIpAddresses"][0].as_str().unwrap().to_string();
    assert!(ip.starts_with("10.0.1."), "{ip}");

    // The primary ENI is visible, attached at device 0, and carries the instance's groups.
    let e = ok(s
        .vpc("DescribeNetworkInterfaces", json!({"Filters": [{"Name": "attachment.instance-id", "Values": [ids[0]]}]}))
        .await);
    assert_eq!(e["TotalCount"], json!(1));
    let p = &e["NetworkInterfaceSet"][0];
    assert_eq!(p["Primary"], json!(true));
    assert_eq!(p["Attachment"]["DeviceIndex"], json!(0));
    assert_eq!(p["PrivateIpAddressSet"][0]["PrivateIpAddress"], json!(ip));
    assert_eq!(p["GroupSet"], json!([net.sgs[0]]));

    let q = |filters: Value| {
        let s = &s;
        async move { ok(s.cvm("DescribeInstances", json!({"Filters": filters})).await)["TotalCount"].clone() }
    };
    assert_eq!(q(json!([{"Name": "zone", "Values": [ZONE]}])).await, json!(3));
    assert_eq!(q(json!([{"Name": "zone", "Values": [ZONE2]}])).await, json!(0));
    assert_eq!(q(json!([{"Name": "instance-id", "Values": [ids[1], ids[2]]}])).await, json!(2));
    assert_eq!(
        q(json!([{"Name": "vpc-id", "Values": [net.vpc]}, {"Name": "instance-id", "Values": [ids[1]]}])).await,
        json!(1)
    );
    assert_eq!(q(json!([{"Name": "private-ip-address", "Values": [ip]}])).await, json!(1));
    assert_eq!(q(json!([{"Name": "security-group-id", "Values": [net.sgs[0]]}])).await, json!(3));
    assert_eq!(q(json!([{"Name": "tag:k", "Values": ["v"]}])).await, json!(3));
    assert_eq!(q(json!([{"Name": "instance-state", "Values": ["RUNNING"]}])).await, json!(3));
    let r = ok(s.cvm("DescribeInstances", json!({"Limit": 2})).await);
    assert_eq!(r["TotalCount"], json!(3));
    assert_eq!(r["InstanceSet"].as_array().unwrap().len(), 2);
    let r = ok(s.cvm("DescribeInstancesStatus", json!({"Offset": 1, "Limit": 5})).await);
    assert_eq!(r["TotalCount"], json!(3));
    assert_eq!(r["InstanceStatusSet"].as_array().unwrap().len(), 2);
    err(
        &s.cvm("DescribeInstances", json!({"InstanceIds": [ids[0]], "Filters": [{"Name": "zone", "Values": [ZONE]}]}))
            .await,
        "InvalidParameter.Coexist",
    );
    err(&s.cvm("DescribeInstances", json!({"Filters": [{"Name": "colour", "Values": ["x"]}]})).await, "InvalidFilter");
    err(&s.cvm("DescribeInstances", json!({"InstanceIds": ["ins-1"]})).await, "InvalidInstanceId.Malformed");
    // Unknown ids are simply absent from Describe.
    assert_eq!(ok(s.cvm("DescribeInstances", json!({"InstanceIds": ["ins-zzzzzzzz"]})).await)["TotalCount"], json!(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_instances_refusals() {
    let s = TestServer::start().await;
    let net = s.net().await;
    err(
        &s.cvm("RunInstances", run_body(&net, json!({"Placement": {"Zone": "ap-shanghai-2"}}))).await,
        "InvalidZone.MismatchRegion",
    );
    err(
        &s.cvm("RunInstances", run_body(&net, json!({"Placement": {"Zone": ZONE2}}))).await,
        "InvalidParameterValue.ZoneNotMatch",
    );
    err(&s.cvm("RunInstances", run_body(&net, json!({"InstanceCount": 0}))).await, "InvalidParameterValue.Range");
    err(&s.cvm("RunInstances", run_body(&net, json!({"ImageId": "centos"}))).await, "InvalidImageId.Malformed");
    err(
        &s.cvm(
            "RunInstances",
            run_body(&net, json!({"VirtualPrivateCloud": {"VpcId": net.vpc, "SubnetId": "subnet-zzzzzzzz"}})),
        )
        .await,
        "InvalidParameterValue.SubnetNotExist",
    );
    err(
        &s.cvm("RunInstances", run_body(&net, json!({"SecurityGroupIds": ["sg-zzzzzzzz"]}))).await,
        "InvalidSecurityGroupId.NotFound",
    );
    err(&s.cvm("RunInstances", run_body(&net, json!({"DryRun": true}))).await, "DryRunOperation");
    err(&s.cvm("RunInstances", json!({"InstanceType": SMALL_TYPE})).await, "MissingParameter");
    // Nothing was launched by any of them.
    assert_eq!(ok(s.cvm("DescribeInstances", json!({})).await)["TotalCount"], json!(0));
    assert_eq!(ok(s.vpc("DescribeNetworkInterfaces", json!({})).await)["TotalCount"], json!(0));
    // Unknown / malformed ids on the state actions; empty list.
    err(&s.cvm("StopInstances", json!({"InstanceIds": ["ins-zzzzzzzz"]})).await, "InvalidInstanceId.NotFound");
    err(&s.cvm("RebootInstances", json!({"InstanceIds": ["ins-"]})).await, "InvalidInstanceId.Malformed");
    err(&s.cvm("TerminateInstances", json!({"InstanceIds": []})).await, "MissingParameter");
    // A batch with one unknown instance changes nothing.
    let ins = s.instance(&net).await;
    err(&s.cvm("StopInstances", json!({"InstanceIds": [ins, "ins-zzzzzzzz"]})).await, "InvalidInstanceId.NotFound");
    assert_eq!(state(&s, &ins).await.as_deref(), Some("RUNNING"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminate_detaches_secondary_enis() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let ins = s.instance(&net).await;
    let eni = s.eni(&net, &net.sgs).await;
    ok(s.vpc("AttachNetworkInterface", json!({"NetworkInterfaceId": eni, "InstanceId": ins})).await);
    assert!(s.wait_attached(&eni, &ins).await);
    ok(s.cvm("TerminateInstances", json!({"InstanceIds": [ins]})).await);
    assert!(s.wait_instance_as(&s.key.clone(), &ins, "GONE").await);
    let e = s.describe_eni(&eni).await;
    assert_eq!(e["State"], json!("AVAILABLE"));
    assert_eq!(e["Attachment"], Value::Null);
    assert_eq!(
        ok(s.vpc("DescribeNetworkInterfaces", json!({})).await)["TotalCount"],
        json!(1),
        "only the secondary remains"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_zones() {
    let s = TestServer::start().await;
    let r = ok(s.cvm("DescribeZones", json!({})).await);
    assert_eq!(r["TotalCount"], json!(2));
    let zones: Vec<&str> = r["ZoneSet"].as_array().unwrap().iter().map(|z| z["Zone"].as_str().unwrap()).collect();
    assert_eq!(zones, vec![ZONE, ZONE2]);
    assert!(r["ZoneSet"].as_array().unwrap().iter().all(|z| z["ZoneState"] == "AVAILABLE" && z["ZoneId"].is_string()));
    let sh = s.tc3_as(&s.key, "cvm", "DescribeZones", Some("ap-shanghai"), json!({})).await;
    let zones: Vec<String> = sh.body["Response"]["ZoneSet"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["Zone"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(zones, vec!["ap-shanghai-2", "ap-shanghai-3"]);
    err(&s.cvm("DescribeZones", json!({"Zone": "x"})).await, "UnknownParameter");
    // CVM actions are not VPC actions when signed for the vpc service.
    let r = s.tc3_as(&s.key, "vpc", "DescribeZones", Some(REGION), json!({})).await;
    err(&r.body["Response"], "InvalidAction");
}
