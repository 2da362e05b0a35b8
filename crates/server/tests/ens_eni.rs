//! ENS ENI actions over HTTP: create, describe (filters, pagination, list encodings), attach,
//! the seed action DetachNetworkInterface with every documented error, delete, modify, and
//! assigning/unassigning private IPs; tenant isolation.

// The shared harness predates a newer clippy lint; keep it out of this target's clippy run.
#[allow(clippy::field_reassign_with_default)]
mod common;
mod ens_support;

use common::TestServer;
use ens_support::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn create_and_describe_network_interface() {
    let s = TestServer::start().await;
    let net = network(&s).await;
    let r = s
        .ens(
            "CreateNetworkInterface",
            &[
                ("VSwitchId", &net.vswitch),
                ("SecurityGroupIds", &format!("[\"{}\"]", net.sg)),
                ("Name", "eni-a"),
                ("Description", "d"),
            ],
        )
        .await;
    let b = ok(&r);
    let ids = b["NetworkInterfaceIds"].as_array().expect("bare array");
    assert_eq!(ids.len(), 1);
    let id = ids[0].as_str().unwrap();
    assert!(id.starts_with("eni-") && id.len() == 24, "{id}");
    let e = eni(&s, id).await;
    assert_eq!(e["Status"], "Available", "ENS ENIs are Available at creation");
    assert_eq!(e["Type"], "Secondary");
    assert_eq!(e["NetworkInterfaceName"], "eni-a");
    assert_eq!(e["Description"], "d");
    assert_eq!(e["VSwitchId"], net.vswitch.as_str());
    assert_eq!(e["NetworkId"], net.network.as_str());
    assert_eq!(e["EnsRegionId"], REGION);
    assert_eq!(e["InstanceId"], "");
    assert_eq!(e["SecurityGroupIds"], json!({"SecurityGroup": [net.sg]}));
    assert!(e["PrimaryIp"].as_str().unwrap().starts_with("10.0.1."), "{e}");
    assert_eq!(e["PrivateIpSets"]["PrivateIpSet"][0]["Primary"], true);
    assert_eq!(e["Ipv6Sets"], json!({"Ipv6Set": []}));
    assert_eq!(e["VmncLearn"], false);
    let t = e["CreationTime"].as_str().unwrap();
    assert!(t.len() == 20 && t.ends_with('Z') && t.as_bytes()[10] == b'T', "{t}");
    assert!(e["MacAddress"].as_str().unwrap().len() == 17);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn create_network_interface_errors() {
    let s = TestServer::start().await;
    let net = network(&s).await;
    let m = fails(&s.ens("CreateNetworkInterface", &[("VSwitchId", &net.vswitch)]).await, 400, "MissingParameter");
    assert!(m.contains("SecurityGroupIds"), "{m}");
    let groups = format!("[\"{}\"]", net.sg);
    fails(&s.ens("CreateNetworkInterface", &[("SecurityGroupIds", &groups)]).await, 400, "MissingParameter");
    fails(
        &s.ens("CreateNetworkInterface", &[("VSwitchId", "vsw-00000000000000000000"), ("SecurityGroupIds", &groups)])
            .await,
        400,
        "InvalidVSwitchId.NotFound",
    );
    fails(
        &s.ens(
            "CreateNetworkInterface",
            &[("VSwitchId", &net.vswitch), ("SecurityGroupIds", "[\"sg-00000000000000000000\"]")],
        )
        .await,
        400,
        "InvalidSecurityGroupId.NotFound",
    );
    fails(
        &s.ens("CreateNetworkInterface", &[("VSwitchId", &net.vswitch), ("SecurityGroupIds", "[bad")]).await,
        400,
        "InvalidParameter.SecurityGroupIds",
    );
    fails(
        &s.ens("CreateNetworkInterface", &[("VSwitchId", "nope"), ("SecurityGroupIds", &groups)]).await,
        400,
        "InvalidParameter.VSwitchId",
    );
    let m = fails(
        &s.ens("CreateNetworkInterface", &[("VSwitchId", &net.vswitch), ("SecurityGroupIds", &groups), ("Bogus", "1")])
            .await,
        400,
        "InvalidParameter",
    );
    assert!(m.contains("Bogus"), "{m}");
    // core SDK style: JSON array with spaces, and the V1 signature
    let spaced = format!("[\"{}\", \"{}\"]", net.sg, net.sg);
    let r = s
        .ens_v1_as(&s.key, "CreateNetworkInterface", &[("VSwitchId", &net.vswitch), ("SecurityGroupIds", &spaced)])
        .await;
    let id = ok(&r)["NetworkInterfaceIds"][0].as_str().unwrap().to_string();
    assert_eq!(eni(&s, &id).await["SecurityGroupIds"]["SecurityGroup"], json!([net.sg]), "duplicates collapse");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn describe_filters_pagination_and_unknown_ids() {
    let s = TestServer::start().await;
    let net = network(&s).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(create_eni(&s, &net).await);
    }
    let r = s.ens("DescribeNetworkInterfaces", &[("PageSize", "2"), ("PageNumber", "2")]).await;
    let b = ok(&r);
    assert_eq!(
        (b["PageNumber"].clone(), b["PageSize"].clone(), b["TotalCount"].clone()),
        (json!(2), json!(2), json!(3))
    );
    assert_eq!(b["NetworkInterfaceSets"]["NetworkInterfaceSet"].as_array().unwrap().len(), 1);
    let r = s.ens("DescribeNetworkInterfaces", &[]).await;
    assert_eq!(ok(&r)["PageSize"], 50, "documented default page size");
    // .N list of IDs (tea and core both send NetworkInterfaceIds.N)
    let r = s
        .ens_v1_as(
            &s.key,
            "DescribeNetworkInterfaces",
            &[("NetworkInterfaceIds.1", &ids[0]), ("NetworkInterfaceIds.2", &ids[2])],
        )
        .await;
    let got: Vec<&str> = ok(&r)["NetworkInterfaceSets"]["NetworkInterfaceSet"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["NetworkInterfaceId"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec![ids[0].as_str(), ids[2].as_str()]);
    // unknown IDs and unknown regions give an empty list
    for params in [
        vec![("NetworkInterfaceId", UNKNOWN_ENI)],
        vec![("EnsRegionId", OTHER_REGION)],
        vec![("EnsRegionIds.1", "cn-nowhere-1")],
        vec![("Status", "InUse")],
        vec![("Type", "Primary")],
        vec![("SecurityGroupId", "sg-00000000000000000000")],
    ] {
        let r = s.ens("DescribeNetworkInterfaces", &params).await;
        assert_eq!(ok(&r)["TotalCount"], 0, "{params:?}");
        assert_eq!(r.body["NetworkInterfaceSets"]["NetworkInterfaceSet"], json!([]));
    }
    for params in [
        vec![("VSwitchId", net.vswitch.as_str())],
        vec![("NetworkId", net.network.as_str())],
        vec![("Status", "Available")],
        vec![("EnsRegionId", REGION)],
    ] {
        assert_eq!(ok(&s.ens("DescribeNetworkInterfaces", &params).await)["TotalCount"], 3, "{params:?}");
    }
    fails(&s.ens("DescribeNetworkInterfaces", &[("PageSize", "101")]).await, 400, "InvalidParameter.PageSize");
    fails(&s.ens("DescribeNetworkInterfaces", &[("PageNumber", "x")]).await, 400, "InvalidParameter.PageNumber");
    fails(&s.ens("DescribeNetworkInterfaces", &[("Status", "Bogus")]).await, 400, "InvalidParameter.Status");
    fails(&s.ens("DescribeNetworkInterfaces", &[("Type", "Tertiary")]).await, 400, "InvalidParameter.Type");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn attach_rules() {
    let s = TestServer::start().await;
    let net = network(&s).await;
    let ins = instance(&s, &net).await;
    let e = create_eni(&s, &net).await;
    // instance Running → InvalidEnsStatus
    let r = s.ens("AttachNetworkInterface", &[("InstanceId", &ins), ("NetworkInterfaceId", &e)]).await;
    fails(&r, 400, "InvalidOperation.InvalidEnsStatus");
    assert_eq!(eni(&s, &e).await["Status"], "Available");
    stop(&s, &ins).await;
    // unknown ENI / instance, malformed, missing
    fails(
        &s.ens("AttachNetworkInterface", &[("InstanceId", &ins), ("NetworkInterfaceId", UNKNOWN_ENI)]).await,
        400,
        "InvalidEniId.NotFound",
    );
    fails(
        &s.ens("AttachNetworkInterface", &[("InstanceId", UNKNOWN_INSTANCE), ("NetworkInterfaceId", &e)]).await,
        400,
        "InstanceNotFound",
    );
    fails(
        &s.ens("AttachNetworkInterface", &[("InstanceId", &ins), ("NetworkInterfaceId", "eni")]).await,
        400,
        "InvalidParameter.NetworkInterfaceId",
    );
    let m = fails(&s.ens("AttachNetworkInterface", &[("NetworkInterfaceId", &e)]).await, 400, "MissingParameter");
    assert!(m.contains("InstanceId"), "{m}");
    // attach: Attaching at once, then InUse
    ok(&s.ens("AttachNetworkInterface", &[("InstanceId", &ins), ("NetworkInterfaceId", &e)]).await);
    assert_eq!(eni(&s, &e).await["Status"], "Attaching");
    let v = wait_eni(&s, &e, "InUse").await;
    assert_eq!(v["InstanceId"], ins.as_str());
    // attaching again: not Available
    fails(
        &s.ens("AttachNetworkInterface", &[("InstanceId", &ins), ("NetworkInterfaceId", &e)]).await,
        400,
        "InvalidOperation.InvalidEniStatus",
    );
    // another network: not the same network
    let r = s.ens("CreateNetwork", &[("EnsRegionId", REGION), ("CidrBlock", "192.168.0.0/16")]).await;
    let other_net = ok(&r)["NetworkId"].as_str().unwrap().to_string();
    let r = s
        .ens("CreateVSwitch", &[("EnsRegionId", REGION), ("CidrBlock", "192.168.1.0/24"), ("NetworkId", &other_net)])
        .await;
    let other_vsw = ok(&r)["VSwitchId"].as_str().unwrap().to_string();
    let stranger = create_eni(&s, &Net { network: other_net, vswitch: other_vsw, sg: net.sg.clone() }).await;
    fails(
        &s.ens("AttachNetworkInterface", &[("InstanceId", &ins), ("NetworkInterfaceId", &stranger)]).await,
        400,
        "InvalidOperation.InstanceNotSupport",
    );
    // another region: not the same region
    let far = network_in(&s, &s.key, OTHER_REGION).await;
    let far_eni = create_eni(&s, &far).await;
    fails(
        &s.ens("AttachNetworkInterface", &[("InstanceId", &ins), ("NetworkInterfaceId", &far_eni)]).await,
        400,
        "InvalidOperation.InstanceNotSupport",
    );
    // at most 10 ENIs per instance (the primary plus 9 secondaries)
    for _ in 0..8 {
        let more = create_eni(&s, &net).await;
        ok(&s.ens("AttachNetworkInterface", &[("InstanceId", &ins), ("NetworkInterfaceId", &more)]).await);
    }
    let eleventh = create_eni(&s, &net).await;
    fails(
        &s.ens("AttachNetworkInterface", &[("InstanceId", &ins), ("NetworkInterfaceId", &eleventh)]).await,
        400,
        "InvalidOperation.EniCountExceeded",
    );
    assert_eq!(ok(&s.ens("DescribeNetworkInterfaces", &[("InstanceId", &ins)]).await)["TotalCount"], 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn detach_seed_action_lifecycle_and_errors() {
    let s = TestServer::start().await;
    let net = network(&s).await;
    let ins = instance(&s, &net).await;
    let primary = primary_eni(&s, &ins).await;
    let e = create_eni(&s, &net).await;
    // not InUse → InvalidEniStatus
    fails(
        &s.ens("DetachNetworkInterface", &[("NetworkInterfaceId", &e)]).await,
        400,
        "InvalidOperation.InvalidEniStatus",
    );
    stop(&s, &ins).await;
    attach(&s, &e, &ins).await;
    // primary ENI → InvalidEniType
    let m = fails(
        &s.ens("DetachNetworkInterface", &[("NetworkInterfaceId", &primary)]).await,
        400,
        "InvalidOperation.InvalidEniType",
    );
    assert_eq!(m, "The type of eni does not support this operation.");
    // instance not Stopped → InvalidEnsStatus
    ok(&s.ens("StartInstance", &[("InstanceId", &ins)]).await);
    fails(
        &s.ens("DetachNetworkInterface", &[("NetworkInterfaceId", &e)]).await,
        400,
        "InvalidOperation.InvalidEnsStatus",
    );
    wait_instance_as(&s, &s.key, &ins, "Running").await;
    fails(
        &s.ens("DetachNetworkInterface", &[("NetworkInterfaceId", &e)]).await,
        400,
        "InvalidOperation.InvalidEnsStatus",
    );
    assert_eq!(eni(&s, &e).await["Status"], "InUse");
    stop(&s, &ins).await;
    // unknown, malformed, missing
    let m = fails(
        &s.ens("DetachNetworkInterface", &[("NetworkInterfaceId", UNKNOWN_ENI)]).await,
        400,
        "InvalidEniId.NotFound",
    );
    assert_eq!(m, "The specified NetworkInterfaceId does not exist.");
    fails(
        &s.ens("DetachNetworkInterface", &[("NetworkInterfaceId", "eni-BAD*")]).await,
        400,
        "InvalidParameter.NetworkInterfaceId",
    );
    let m = fails(&s.ens("DetachNetworkInterface", &[]).await, 400, "MissingParameter");
    assert!(m.contains("NetworkInterfaceId"), "{m}");
    fails(&s.ens("DetachNetworkInterface", &[("NetworkInterfaceId", "")]).await, 400, "MissingParameter");
    // the success path: returns at once with only RequestId, Detaching, then Available
    let r = s.ens("DetachNetworkInterface", &[("NetworkInterfaceId", &e)]).await;
    let b = ok(&r);
    assert_eq!(b.as_object().unwrap().len(), 1, "{b}");
    let v = eni(&s, &e).await;
    assert_eq!(v["Status"], "Detaching");
    assert_eq!(v["InstanceId"], ins.as_str(), "still on the instance while detaching");
    fails(
        &s.ens("DetachNetworkInterface", &[("NetworkInterfaceId", &e)]).await,
        400,
        "InvalidOperation.InvalidEniStatus",
    );
    let v = wait_eni(&s, &e, "Available").await;
    assert_eq!(v["InstanceId"], "");
    assert_eq!(v["SecurityGroupIds"]["SecurityGroup"], json!([net.sg]));
    let on: Vec<String> = ok(&s.ens("DescribeNetworkInterfaces", &[("InstanceId", &ins)]).await)
        ["NetworkInterfaceSets"]["NetworkInterfaceSet"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["NetworkInterfaceId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(on, vec![primary.clone()]);
    // detached twice → not InUse
    fails(
        &s.ens("DetachNetworkInterface", &[("NetworkInterfaceId", &e)]).await,
        400,
        "InvalidOperation.InvalidEniStatus",
    );
    // service-managed ENI
    attach(&s, &e, &ins).await;
    make_service_managed(&s, &s.key, &e, REGION).await;
    let m = fails(
        &s.ens("DetachNetworkInterface", &[("NetworkInterfaceId", &e)]).await,
        400,
        "InvalidParameter.EniServiceManaged",
    );
    assert_eq!(m, "The eni is managed by service.");
    assert_eq!(eni(&s, &e).await["Status"], "InUse");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn detach_is_tenant_isolated_and_policy_checked() {
    let s = TestServer::start().await;
    let net = network(&s).await;
    let ins = instance(&s, &net).await;
    let e = create_eni(&s, &net).await;
    stop(&s, &ins).await;
    attach(&s, &e, &ins).await;
    let other = s.account("other").await;
    let r = s.ens_acs3_as(&other, "DetachNetworkInterface", &[("NetworkInterfaceId", &e)]).await;
    fails(&r, 400, "InvalidEniId.NotFound");
    assert_eq!(eni_as(&s, &other, &e).await, serde_json::Value::Null, "invisible to another account");
    let deny = json!({"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": "ens:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "ens:DetachNetworkInterface", "Resource": "*"}]});
    let limited = key_with_policy(&s, "limited", deny).await;
    let r = s.ens_acs3_as(&limited, "DetachNetworkInterface", &[("NetworkInterfaceId", UNKNOWN_ENI)]).await;
    assert_eq!(fails(&r, 400, "NoPermission"), "Permission denied.");
    let r = s.ens_acs3_as(&limited, "DescribeNetworkInterfaces", &[]).await;
    assert_eq!(ok(&r)["TotalCount"], 0, "allowed actions still work");
    assert_eq!(eni(&s, &e).await["Status"], "InUse");
    // the V1 signature reaches the same action
    let r = s.ens_v1_as(&s.key, "DetachNetworkInterface", &[("NetworkInterfaceId", &e)]).await;
    ok(&r);
    wait_eni(&s, &e, "Available").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn delete_network_interfaces() {
    let s = TestServer::start().await;
    let net = network(&s).await;
    let ins = instance(&s, &net).await;
    let primary = primary_eni(&s, &ins).await;
    let a = create_eni(&s, &net).await;
    let b = create_eni(&s, &net).await;
    fails(&s.ens("DeleteNetworkInterfaces", &[]).await, 400, "MissingParameter");
    fails(
        &s.ens("DeleteNetworkInterfaces", &[("NetworkInterfaceIds", &format!("[\"{a}\",\"{UNKNOWN_ENI}\"]"))]).await,
        400,
        "InvalidEniId.NotFound",
    );
    fails(
        &s.ens("DeleteNetworkInterfaces", &[("NetworkInterfaceIds", &format!("[\"{primary}\"]"))]).await,
        400,
        "InvalidOperation.InvalidEniType",
    );
    stop(&s, &ins).await;
    attach(&s, &b, &ins).await;
    fails(
        &s.ens("DeleteNetworkInterfaces", &[("NetworkInterfaceIds", &format!("[\"{a}\", \"{b}\"]"))]).await,
        400,
        "InvalidOperation.InvalidEniStatus",
    );
    assert_eq!(eni(&s, &a).await["Status"], "Available", "all or nothing");
    ok(&s.ens("DeleteNetworkInterfaces", &[("NetworkInterfaceIds", &format!("[\"{a}\"]"))]).await);
    assert_eq!(eni(&s, &a).await["Status"], "Deleting");
    let gone = s.wait_until(std::time::Duration::from_secs(5), || async { eni(&s, &a).await.is_null() }).await;
    assert!(gone);
    // .N encoding also works
    let c = create_eni(&s, &net).await;
    ok(&s.ens_v1_as(&s.key, "DeleteNetworkInterfaces", &[("NetworkInterfaceIds.1", &c)]).await);
    assert_eq!(eni(&s, &c).await["Status"], "Deleting");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn modify_network_interface_attribute() {
    let s = TestServer::start().await;
    let net = network(&s).await;
    let e = create_eni(&s, &net).await;
    ok(&s
        .ens(
            "ModifyNetworkInterfaceAttribute",
            &[("NetworkInterfaceId", &e), ("NetworkInterfaceName", "renamed"), ("Description", "new")],
        )
        .await);
    let v = eni(&s, &e).await;
    assert_eq!((v["NetworkInterfaceName"].as_str(), v["Description"].as_str()), (Some("renamed"), Some("new")));
    fails(
        &s.ens("ModifyNetworkInterfaceAttribute", &[("NetworkInterfaceId", &e), ("Description", "https://x")]).await,
        400,
        "InvalidParameter.Description",
    );
    fails(
        &s.ens(
            "ModifyNetworkInterfaceAttribute",
            &[("NetworkInterfaceId", &e), ("NetworkInterfaceName", &"n".repeat(129))],
        )
        .await,
        400,
        "InvalidParameter.NetworkInterfaceName",
    );
    fails(
        &s.ens("ModifyNetworkInterfaceAttribute", &[("NetworkInterfaceId", UNKNOWN_ENI), ("Description", "x")]).await,
        400,
        "InvalidEniId.NotFound",
    );
    fails(&s.ens("ModifyNetworkInterfaceAttribute", &[("Description", "x")]).await, 400, "MissingParameter");
    make_service_managed(&s, &s.key, &e, REGION).await;
    fails(
        &s.ens("ModifyNetworkInterfaceAttribute", &[("NetworkInterfaceId", &e), ("Description", "x")]).await,
        400,
        "InvalidParameter.EniServiceManaged",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn assign_and_unassign_private_ips() {
    let s = TestServer::start().await;
    let net = network(&s).await;
    let e = create_eni(&s, &net).await;
    let r = s.ens("AssignPrivateIpAddresses", &[("NetworkInterfaceId", &e), ("VSwitchId", &net.vswitch)]).await;
    let set = &ok(&r)["AssignedPrivateIpAddressesSet"];
    assert_eq!(set["NetworkInterfaceId"], e.as_str());
    let ip = set["PrivateIpSet"][0].as_str().unwrap().to_string();
    assert!(ip.starts_with("10.0.1."), "{ip}");
    let ok_ip = s
        .wait_until(std::time::Duration::from_secs(5), || async {
            eni(&s, &e).await["PrivateIpSets"]["PrivateIpSet"].as_array().unwrap().iter().any(|p| {
                p["PrivateIpAddress"] == ip.as_str() && p["PrivateIpStatus"] == "Available" && p["Primary"] == false
            })
        })
        .await;
    assert!(ok_ip);
    let primary_ip = eni(&s, &e).await["PrimaryIp"].as_str().unwrap().to_string();
    fails(
        &s.ens("AssignPrivateIpAddresses", &[("NetworkInterfaceId", UNKNOWN_ENI)]).await,
        400,
        "InvalidEniId.NotFound",
    );
    let r = s
        .ens("CreateVSwitch", &[("EnsRegionId", REGION), ("CidrBlock", "10.0.2.0/24"), ("NetworkId", &net.network)])
        .await;
    let other_vsw = ok(&r)["VSwitchId"].as_str().unwrap().to_string();
    fails(
        &s.ens("AssignPrivateIpAddresses", &[("NetworkInterfaceId", &e), ("VSwitchId", &other_vsw)]).await,
        400,
        "InvalidParameter.VSwitchId",
    );
    fails(&s.ens("AssignPrivateIpAddresses", &[]).await, 400, "MissingParameter");
    // unassign: .N list
    fails(&s.ens("UnassignPrivateIpAddresses", &[("NetworkInterfaceId", &e)]).await, 400, "MissingParameter");
    fails(
        &s.ens("UnassignPrivateIpAddresses", &[("NetworkInterfaceId", &e), ("PrivateIpAddress.1", "10.0.1.250")]).await,
        400,
        "InvalidPrivateIpAddress.NotFound",
    );
    fails(
        &s.ens("UnassignPrivateIpAddresses", &[("NetworkInterfaceId", &e), ("PrivateIpAddress.1", "x.y")]).await,
        400,
        "InvalidParameter.PrivateIpAddress",
    );
    fails(
        &s.ens("UnassignPrivateIpAddresses", &[("NetworkInterfaceId", &e), ("PrivateIpAddress.1", &primary_ip)]).await,
        400,
        "InvalidOperation.PrimaryPrivateIpAddress",
    );
    ok(&s.ens("UnassignPrivateIpAddresses", &[("NetworkInterfaceId", &e), ("PrivateIpAddress.1", &ip)]).await);
    let gone = s
        .wait_until(std::time::Duration::from_secs(5), || async {
            eni(&s, &e).await["PrivateIpSets"]["PrivateIpSet"].as_array().unwrap().len() == 1
        })
        .await;
    assert!(gone);
}
