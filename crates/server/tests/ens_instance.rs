//! ENS instance actions over HTTP: RunInstances (primary ENI, Pending → Running), describe
//! (filters, JSON-array InstanceIds), start/stop/reboot one and many (comma-joined and `.N`),
//! release, attribute changes, and the instance status errors.

// The shared harness predates a newer clippy lint; keep it out of this target's clippy run.
#[allow(clippy::field_reassign_with_default)]
mod common;
mod ens_support;

use common::TestServer;
use ens_support::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn run_instances_and_describe() {
    let s = TestServer::start().await;
    let net = network(&s).await;
    let r = s
        .ens(
            "RunInstances",
            &[
                ("EnsRegionId", REGION),
                ("InstanceType", "ens.sn1.small"),
                ("ImageId", "centos_7_9_x64_20G"),
                ("VSwitchId", &net.vswitch),
                ("SecurityId", &net.sg),
                ("Amount", "2"),
                ("InstanceName", "web"),
                ("HostName", "host"),
                ("UniqueSuffix", "True"),
                ("PasswordInherit", "true"),
                ("SystemDisk", r#"{"Category":"cloud_efficiency","Size":20}"#),
                ("Tag.1.Key", "team"),
                ("Tag.1.Value", "a"),
                ("Carrier", "cmcc"),
            ],
        )
        .await;
    let b = ok(&r);
    let ids: Vec<String> =
        b["InstanceIds"].as_array().expect("bare array").iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), 2);
    assert!(b["OrderId"].is_string());
    let first = describe_instance_as(&s, &s.key, &ids[0]).await;
    assert_eq!(first["Status"], "Pending");
    wait_instance_as(&s, &s.key, &ids[0], "Running").await;
    let i = describe_instance_as(&s, &s.key, &ids[0]).await;
    assert_eq!(i["InstanceName"], "web001");
    assert_eq!(i["HostName"], "host001");
    assert_eq!(i["EnsRegionId"], REGION);
    assert_eq!(i["SpecName"], "ens.sn1.small");
    assert!(i["Cpu"].is_string() && i["Memory"].is_i64(), "{i}");
    assert_eq!(i["NetworkAttributes"]["NetworkId"], net.network.as_str());
    assert_eq!(i["NetworkAttributes"]["VSwitchId"], net.vswitch.as_str());
    assert_eq!(i["SecurityGroupIds"], json!({"SecurityGroupId": [net.sg]}));
    assert_eq!(i["Tags"], json!({"Tags": [{"TagKey": "team", "TagValue": "a"}]}));
    let enis = &i["NetworkInterfaces"]["NetworkInterfaces"];
    assert_eq!(enis.as_array().unwrap().len(), 1);
    assert_eq!(enis[0]["Type"], "Primary");
    let ip = enis[0]["PrimaryIpAddress"].as_str().unwrap().to_string();
    assert_eq!(i["NetworkAttributes"]["PrivateIpAddress"]["IpAddress"], json!([ip]));
    assert_eq!(i["PrivateIpAddresses"]["PrivateIpAddress"][0]["Ip"], ip.as_str());
    assert_eq!(describe_instance_as(&s, &s.key, &ids[1]).await["InstanceName"], "web002");
    // the primary ENI
    let p = eni(&s, enis[0]["NetworkInterfaceId"].as_str().unwrap()).await;
    assert_eq!((p["Status"].as_str(), p["InstanceId"].as_str()), (Some("InUse"), Some(ids[0].as_str())));
    // describe filters: JSON-array InstanceIds (with and without spaces), region, IP, status
    for list in [format!("[\"{}\",\"{}\"]", ids[0], ids[1]), format!("[\"{}\", \"{}\"]", ids[0], ids[1])] {
        let r = s.ens("DescribeInstances", &[("InstanceIds", &list)]).await;
        assert_eq!(ok(&r)["TotalCount"], 2);
        assert_eq!(r.body["Code"], 0);
    }
    assert_eq!(ok(&s.ens("DescribeInstances", &[("IntranetIp", &ip)]).await)["TotalCount"], 1);
    assert_eq!(
        ok(&s.ens("DescribeInstances", &[("EnsRegionIds", &format!("[\"{OTHER_REGION}\"]"))]).await)["TotalCount"],
        0
    );
    assert_eq!(
        ok(&s.ens("DescribeInstances", &[("InstanceId", UNKNOWN_INSTANCE)]).await)["Instances"]["Instance"],
        json!([])
    );
    assert_eq!(
        ok(&s.ens("DescribeInstances", &[("SecurityGroupId", &net.sg), ("PageSize", "1")]).await)["TotalCount"],
        2
    );
    assert_eq!(ok(&s.ens("DescribeInstances", &[("SearchKey", "web00")]).await)["TotalCount"], 2);
    fails(&s.ens("DescribeInstances", &[("Status", "Sleeping")]).await, 400, "InvalidParameter.Status");
    fails(&s.ens("DescribeInstances", &[("PageSize", "101")]).await, 400, "InvalidParameter.PageSize");
    let other = s.account("other").await;
    assert_eq!(ok(&s.ens_acs3_as(&other, "DescribeInstances", &[]).await)["TotalCount"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn run_instances_errors() {
    let s = TestServer::start().await;
    let net = network(&s).await;
    let base = |extra: &[(&'static str, &'static str)]| {
        let mut v: Vec<(&str, String)> = vec![
            ("EnsRegionId", REGION.to_string()),
            ("InstanceType", "ens.sn1.small".to_string()),
            ("ImageId", "img".to_string()),
            ("VSwitchId", net.vswitch.clone()),
            ("Password", "Secret-123".to_string()),
        ];
        for (k, val) in extra {
            v.retain(|(n, _)| n != k);
            if !val.is_empty() {
                v.push((k, val.to_string()));
            }
        }
        v
    };
    let call = |params: Vec<(&'static str, String)>| {
        let s = &s;
        async move {
            let p: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            s.ens("RunInstances", &p).await
        }
    };
    fails(&call(base(&[("Password", "")])).await, 400, "MissingParameter");
    fails(&call(base(&[("ImageId", "")])).await, 400, "MissingParameter");
    fails(&call(base(&[("VSwitchId", "")])).await, 400, "MissingParameter");
    fails(&call(base(&[("Amount", "101")])).await, 400, "InvalidParameter.Amount");
    fails(&call(base(&[("Amount", "2"), ("PrivateIpAddress", "10.0.1.9")])).await, 400, "InvalidParameter.Amount");
    fails(&call(base(&[("InstanceChargeType", "Free")])).await, 400, "InvalidParameter.InstanceChargeType");
    fails(&call(base(&[("SystemDisk", "{nope")])).await, 400, "InvalidParameter.SystemDisk");
    fails(&call(base(&[("VSwitchId", "vsw-00000000000000000000")])).await, 400, "InvalidVSwitchId.NotFound");
    fails(&call(base(&[("EnsRegionId", OTHER_REGION)])).await, 400, "InvalidVSwitchId.NotFound");
    fails(&call(base(&[("SecurityId", "sg-00000000000000000000")])).await, 400, "InvalidSecurityGroupId.NotFound");
    let r = s.ens("CreateNetwork", &[("EnsRegionId", REGION), ("CidrBlock", "192.168.0.0/16")]).await;
    let other_net: &'static str = Box::leak(ok(&r)["NetworkId"].as_str().unwrap().to_string().into_boxed_str());
    fails(&call(base(&[("NetWorkId", other_net)])).await, 400, "InvalidParameter.NetWorkId");
    fails(&call(base(&[("Bogus", "1")])).await, 400, "InvalidParameter");
    assert_eq!(ok(&s.ens("DescribeInstances", &[]).await)["TotalCount"], 0, "nothing was launched");
    // a specific private IP
    let r = call(base(&[("PrivateIpAddress", "10.0.1.9")])).await;
    let id = ok(&r)["InstanceIds"][0].as_str().unwrap().to_string();
    let i = describe_instance_as(&s, &s.key, &id).await;
    assert_eq!(i["NetworkAttributes"]["PrivateIpAddress"]["IpAddress"], json!(["10.0.1.9"]));
    fails(&call(base(&[("PrivateIpAddress", "10.0.1.9")])).await, 400, "InvalidPrivateIpAddress.Duplicated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn start_stop_reboot_one() {
    let s = TestServer::start().await;
    let net = network(&s).await;
    let ins = instance(&s, &net).await;
    let m = fails(&s.ens("StartInstance", &[("InstanceId", &ins)]).await, 400, "IncorrectInstanceStatus");
    assert!(m.contains("running"), "{m}");
    let r = s.ens("StopInstance", &[("InstanceId", &ins), ("ForceStop", "true")]).await;
    assert_eq!(ok(&r)["Code"], 0);
    assert_eq!(describe_instance_as(&s, &s.key, &ins).await["Status"], "Stopping");
    fails(&s.ens("StopInstance", &[("InstanceId", &ins)]).await, 400, "IncorrectInstanceStatus");
    wait_instance_as(&s, &s.key, &ins, "Stopped").await;
    fails(&s.ens("RebootInstance", &[("InstanceId", &ins)]).await, 400, "IncorrectInstanceStatus");
    assert_eq!(ok(&s.ens("StartInstance", &[("InstanceId", &ins)]).await)["Code"], 0);
    assert_eq!(describe_instance_as(&s, &s.key, &ins).await["Status"], "Starting");
    wait_instance_as(&s, &s.key, &ins, "Running").await;
    assert_eq!(ok(&s.ens("RebootInstance", &[("InstanceId", &ins), ("ForceStop", "False")]).await)["Code"], 0);
    assert_eq!(describe_instance_as(&s, &s.key, &ins).await["Status"], "Starting");
    wait_instance_as(&s, &s.key, &ins, "Running").await;
    fails(&s.ens("StopInstance", &[("InstanceId", UNKNOWN_INSTANCE)]).await, 400, "InstanceIdNotFound");
    fails(&s.ens("StartInstance", &[("InstanceId", UNKNOWN_INSTANCE)]).await, 400, "InstanceNotFound");
    fails(&s.ens("RebootInstance", &[]).await, 400, "MissingParameter");
    fails(&s.ens("StartInstance", &[("InstanceId", "ins-1")]).await, 400, "InvalidParameter.InstanceId");
    let other = s.account("other").await;
    fails(&s.ens_acs3_as(&other, "StopInstance", &[("InstanceId", &ins)]).await, 400, "InstanceIdNotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn start_stop_many_in_both_encodings() {
    let s = TestServer::start().await;
    let net = network(&s).await;
    let a = instance(&s, &net).await;
    let b = instance(&s, &net).await;
    // tea: comma-joined
    let r = s.ens("StopInstances", &[("InstanceIds", &format!("{a},{b}"))]).await;
    let res = ok(&r)["InstanceResponses"].as_array().expect("bare array").clone();
    assert_eq!(res.len(), 2);
    assert!(res.iter().all(|x| x["Code"] == 0), "{res:?}");
    wait_instance_as(&s, &s.key, &a, "Stopped").await;
    wait_instance_as(&s, &s.key, &b, "Stopped").await;
    // core: .N, with one unknown and one in the wrong state; the good one still starts
    ok(&s.ens("StartInstance", &[("InstanceId", &b)]).await);
    let r = s
        .ens_v1_as(
            &s.key,
            "StartInstances",
            &[("InstanceIds.1", &a), ("InstanceIds.2", &b), ("InstanceIds.3", UNKNOWN_INSTANCE)],
        )
        .await;
    let res = ok(&r)["InstanceResponses"].clone();
    assert_eq!(res[0], json!({"InstanceId": a, "Code": 0, "Message": "success"}));
    assert_eq!(res[1]["Code"], 400);
    assert!(res[1]["Message"].as_str().unwrap().starts_with("IncorrectInstanceStatus"), "{res}");
    assert!(res[2]["Message"].as_str().unwrap().starts_with("InstanceNotFound"), "{res}");
    wait_instance_as(&s, &s.key, &a, "Running").await;
    fails(&s.ens("StartInstances", &[]).await, 400, "MissingParameter");
    fails(&s.ens("StopInstances", &[("InstanceIds", "x,y")]).await, 400, "InvalidParameter.InstanceIds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn release_and_modify() {
    let s = TestServer::start().await;
    let net = network(&s).await;
    let ins = instance(&s, &net).await;
    let primary = primary_eni(&s, &ins).await;
    ok(&s
        .ens(
            "ModifyInstanceAttribute",
            &[
                ("InstanceId", &ins),
                ("InstanceName", "renamed"),
                ("HostName", "h2"),
                ("Password", "Longer-pass1"),
                ("DeletionProtection", "False"),
            ],
        )
        .await);
    let i = describe_instance_as(&s, &s.key, &ins).await;
    assert_eq!((i["InstanceName"].as_str(), i["HostName"].as_str()), (Some("renamed"), Some("h2")));
    fails(
        &s.ens("ModifyInstanceAttribute", &[("InstanceId", &ins), ("InstanceName", "x")]).await,
        400,
        "InvalidParameter.InstanceName",
    );
    fails(
        &s.ens("ModifyInstanceAttribute", &[("InstanceId", &ins), ("DeletionProtection", "perhaps")]).await,
        400,
        "InvalidParameter.DeletionProtection",
    );
    fails(
        &s.ens("ModifyInstanceAttribute", &[("InstanceId", UNKNOWN_INSTANCE), ("InstanceName", "abc")]).await,
        400,
        "InstanceNotFound",
    );
    // a secondary ENI is detached when its instance goes
    let e = create_eni(&s, &net).await;
    stop(&s, &ins).await;
    attach(&s, &e, &ins).await;
    let r = s.ens("ReleaseInstance", &[("InstanceId", &ins)]).await;
    assert_eq!(ok(&r)["ResourceType"], "instance");
    assert_eq!(describe_instance_as(&s, &s.key, &ins).await["Status"], "Releasing");
    fails(&s.ens("ReleaseInstance", &[("InstanceId", &ins)]).await, 400, "IncorrectInstanceStatus");
    let gone = s
        .wait_until(std::time::Duration::from_secs(5), || async {
            describe_instance_as(&s, &s.key, &ins).await.is_null()
        })
        .await;
    assert!(gone);
    assert!(eni(&s, &primary).await.is_null(), "the primary ENI goes with its instance");
    let v = eni(&s, &e).await;
    assert_eq!((v["Status"].as_str(), v["InstanceId"].as_str()), (Some("Available"), Some("")));
    fails(&s.ens("ReleaseInstance", &[("InstanceId", &ins)]).await, 400, "InstanceNotFound");
    fails(&s.ens("ReleaseInstance", &[("InstanceId", "eip-123")]).await, 400, "InvalidParameter.InstanceId");
    // ReleaseInstance also releases a vSwitch and a network by ID
    let r = s.ens("CreateNetwork", &[("EnsRegionId", REGION), ("CidrBlock", "192.168.0.0/16")]).await;
    let n = ok(&r)["NetworkId"].as_str().unwrap().to_string();
    let r =
        s.ens("CreateVSwitch", &[("EnsRegionId", REGION), ("CidrBlock", "192.168.0.0/24"), ("NetworkId", &n)]).await;
    let v = ok(&r)["VSwitchId"].as_str().unwrap().to_string();
    assert_eq!(ok(&s.ens("ReleaseInstance", &[("InstanceId", &v)]).await)["ResourceType"], "vswitch");
    assert_eq!(ok(&s.ens("ReleaseInstance", &[("InstanceId", &n)]).await)["ResourceType"], "network");
    assert_eq!(ok(&s.ens("DescribeNetworks", &[("NetworkId", &n)]).await)["TotalCount"], 0);
    // ReleasePostPaidInstance
    let other = instance(&s, &net).await;
    let r = s.ens("ReleasePostPaidInstance", &[("InstanceId", &other)]).await;
    assert_eq!(ok(&r).as_object().unwrap().len(), 1);
    let gone = s
        .wait_until(std::time::Duration::from_secs(5), || async {
            describe_instance_as(&s, &s.key, &other).await.is_null()
        })
        .await;
    assert!(gone);
    fails(&s.ens("ReleasePostPaidInstance", &[("InstanceId", &other)]).await, 400, "InstanceNotFound");
}
