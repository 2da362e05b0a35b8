//! Tenancy: every resource of account A is invisible to account B (absent from Describe*,
//! ResourceNotFound on use), and regions of one account are separate too.

mod common;

use common::tencent::{err, ok, Net, SMALL_TYPE, ZONE};
use common::{Key, TestServer};
use serde_json::{json, Value};

struct World {
    a: Key,
    b: Key,
    net: Net,
    eni: String,
    ins: String,
}

async fn world(s: &TestServer) -> World {
    let a = s.key.clone();
    let b = s.account("tenant-b").await;
    let net = s.net().await;
    let eni = s.eni(&net, &net.sgs).await;
    let ins = s.instance(&net).await;
    World { a, b, net, eni, ins }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describes_show_nothing_of_another_account() {
    let s = TestServer::start().await;
    let w = world(&s).await;
    for (service, action, set) in [
        ("vpc", "DescribeVpcs", "VpcSet"),
        ("vpc", "DescribeSubnets", "SubnetSet"),
        ("vpc", "DescribeSecurityGroups", "SecurityGroupSet"),
        ("vpc", "DescribeNetworkInterfaces", "NetworkInterfaceSet"),
        ("cvm", "DescribeInstances", "InstanceSet"),
        ("cvm", "DescribeInstancesStatus", "InstanceStatusSet"),
    ] {
        let mine = s.tc3_as(&w.a, service, action, Some("ap-guangzhou"), json!({})).await.body["Response"].clone();
        assert!(ok(mine)["TotalCount"].as_u64().unwrap() > 0, "{action}");
        let theirs = s.tc3_as(&w.b, service, action, Some("ap-guangzhou"), json!({})).await.body["Response"].clone();
        let theirs = ok(theirs);
        assert_eq!(theirs["TotalCount"], json!(0), "{action}: {theirs}");
        assert_eq!(theirs[set], json!([]), "{action}");
    }
    // By id and by filter too.
    let r = ok(s.vpc_as(&w.b, "DescribeNetworkInterfaces", json!({"NetworkInterfaceIds": [w.eni]})).await);
    assert_eq!(r["TotalCount"], json!(0));
    let r = ok(s
        .vpc_as(&w.b, "DescribeNetworkInterfaces", json!({"Filters": [{"Name": "vpc-id", "Values": [w.net.vpc]}]}))
        .await);
    assert_eq!(r["TotalCount"], json!(0));
    assert_eq!(ok(s.vpc_as(&w.b, "DescribeVpcs", json!({"VpcIds": [w.net.vpc]})).await)["TotalCount"], json!(0));
    assert_eq!(
        ok(s.vpc_as(&w.b, "DescribeSubnets", json!({"SubnetIds": [w.net.subnet]})).await)["TotalCount"],
        json!(0)
    );
    assert_eq!(
        ok(s.vpc_as(&w.b, "DescribeSecurityGroups", json!({"SecurityGroupIds": w.net.sgs})).await)["TotalCount"],
        json!(0)
    );
    assert_eq!(ok(s.cvm_as(&w.b, "DescribeInstances", json!({"InstanceIds": [w.ins]})).await)["TotalCount"], json!(0));
    // B's own resources do not show up for A either, and IDs never collide in meaning.
    let bnet = s.net_as(&w.b).await;
    let r = ok(s.vpc_as(&w.a, "DescribeVpcs", json!({"VpcIds": [bnet.vpc]})).await);
    assert_eq!(r["TotalCount"], json!(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_account_cannot_touch_anything() {
    let s = TestServer::start().await;
    let w = world(&s).await;
    let b = &w.b;
    let nf = "ResourceNotFound";
    let calls: Vec<(&str, Value)> = vec![
        ("DeleteNetworkInterface", json!({"NetworkInterfaceId": w.eni})),
        ("ModifyNetworkInterfaceAttribute", json!({"NetworkInterfaceId": w.eni, "NetworkInterfaceName": "pwned"})),
        ("AttachNetworkInterface", json!({"NetworkInterfaceId": w.eni, "InstanceId": w.ins})),
        ("DetachNetworkInterface", json!({"NetworkInterfaceId": w.eni, "InstanceId": w.ins})),
        (
            "AssociateNetworkInterfaceSecurityGroups",
            json!({"NetworkInterfaceIds": [w.eni], "SecurityGroupIds": w.net.sgs}),
        ),
        (
            "DisassociateNetworkInterfaceSecurityGroups",
            json!({"NetworkInterfaceIds": [w.eni], "SecurityGroupIds": w.net.sgs}),
        ),
        ("AssignPrivateIpAddresses", json!({"NetworkInterfaceId": w.eni, "SecondaryPrivateIpAddressCount": 1})),
        (
            "UnassignPrivateIpAddresses",
            json!({"NetworkInterfaceId": w.eni, "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.2"}]}),
        ),
        (
            "ModifyPrivateIpAddressesAttribute",
            json!({"NetworkInterfaceId": w.eni, "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.2", "Description": "x"}]}),
        ),
        ("DescribeNetworkInterfaceLimit", json!({"InstanceId": w.ins})),
        ("CreateNetworkInterface", json!({"VpcId": w.net.vpc, "SubnetId": w.net.subnet, "NetworkInterfaceName": "x"})),
        ("DeleteSecurityGroup", json!({"SecurityGroupId": w.net.sgs[0]})),
        ("ModifySecurityGroupAttribute", json!({"SecurityGroupId": w.net.sgs[0], "GroupName": "pwned"})),
        ("DescribeSecurityGroupPolicies", json!({"SecurityGroupId": w.net.sgs[0]})),
        (
            "CreateSecurityGroupPolicies",
            json!({"SecurityGroupId": w.net.sgs[0], "SecurityGroupPolicySet": {"Ingress": [{"Protocol": "TCP", "Port": "22", "CidrBlock": "0.0.0.0/0", "Action": "ACCEPT"}]}}),
        ),
        ("DeleteVpc", json!({"VpcId": w.net.vpc})),
        ("ModifyVpcAttribute", json!({"VpcId": w.net.vpc, "VpcName": "pwned"})),
        ("CreateSubnet", json!({"VpcId": w.net.vpc, "SubnetName": "x", "CidrBlock": "10.0.7.0/24", "Zone": ZONE})),
        ("DeleteSubnet", json!({"SubnetId": w.net.subnet})),
        ("ModifySubnetAttribute", json!({"SubnetId": w.net.subnet, "SubnetName": "pwned"})),
    ];
    for (action, body) in calls {
        err(&s.vpc_as(b, action, body).await, nf);
    }
    for action in ["StopInstances", "RebootInstances", "TerminateInstances", "StartInstances"] {
        err(&s.cvm_as(b, action, json!({"InstanceIds": [w.ins]})).await, "InvalidInstanceId.NotFound");
    }
    // Using A's network to launch from B.
    let r = s
        .cvm_as(
            b,
            "RunInstances",
            json!({"Placement": {"Zone": ZONE}, "InstanceType": SMALL_TYPE, "ImageId": "img-eb30mz89",
                   "VirtualPrivateCloud": {"VpcId": w.net.vpc, "SubnetId": w.net.subnet}}),
        )
        .await;
    assert!(common::code(&r).is_some_and(|c| c.contains("NotExist") || c.contains("NotFound")), "{r}");

    // B's own ENI with A's groups, or attached to A's instance.
    let bnet = s.net_as(b).await;
    let beni = s.eni_as(b, &bnet, &bnet.sgs).await;
    err(&s.vpc_as(b, "AttachNetworkInterface", json!({"NetworkInterfaceId": beni, "InstanceId": w.ins})).await, nf);
    err(
        &s.vpc_as(
            b,
            "AssociateNetworkInterfaceSecurityGroups",
            json!({"NetworkInterfaceIds": [beni], "SecurityGroupIds": [w.net.sgs[0]]}),
        )
        .await,
        nf,
    );
    err(
        &s.vpc_as(
            b,
            "MigratePrivateIpAddress",
            json!({"SourceNetworkInterfaceId": w.eni, "DestinationNetworkInterfaceId": beni, "PrivateIpAddress": "10.0.1.2"}),
        )
        .await,
        nf,
    );

    // Nothing of A changed.
    let e = s.describe_eni(&w.eni).await;
    assert_eq!(e["NetworkInterfaceName"], json!("e"));
    assert_eq!(e["GroupSet"].as_array().unwrap().len(), 2);
    assert!(e["Attachment"].is_null());
    assert_eq!(e["PrivateIpAddressSet"].as_array().unwrap().len(), 1);
    let v = ok(s.vpc("DescribeVpcs", json!({"VpcIds": [w.net.vpc]})).await);
    assert_eq!(v["VpcSet"][0]["VpcName"], json!("net"));
    assert_eq!(ok(s.vpc("DescribeSubnets", json!({})).await)["TotalCount"], json!(1));
    assert_eq!(s.instance_state_as(&w.a, &w.ins).await.as_deref(), Some("RUNNING"));
    assert_eq!(
        ok(s.vpc("DescribeSecurityGroupPolicies", json!({"SecurityGroupId": w.net.sgs[0]})).await)
            ["SecurityGroupPolicySet"]["Ingress"],
        json!([])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regions_of_one_account_are_separate() {
    let s = TestServer::start().await;
    let w = world(&s).await;
    let sh = |action: &str, body: Value| {
        let s = &s;
        let action = action.to_string();
        async move { s.tc3_as(&s.key, "vpc", &action, Some("ap-shanghai"), body).await.body["Response"].clone() }
    };
    assert_eq!(ok(sh("DescribeNetworkInterfaces", json!({})).await)["TotalCount"], json!(0));
    assert_eq!(ok(sh("DescribeVpcs", json!({})).await)["TotalCount"], json!(0));
    err(&sh("DeleteNetworkInterface", json!({"NetworkInterfaceId": w.eni})).await, "ResourceNotFound");
    err(
        &sh(
            "CreateSubnet",
            json!({"VpcId": w.net.vpc, "SubnetName": "x", "CidrBlock": "10.0.8.0/24", "Zone": "ap-shanghai-2"}),
        )
        .await,
        "ResourceNotFound",
    );
}
