//! ENS network and vSwitch actions over HTTP: create (CIDR rules, tags), delete with
//! dependencies, describe with filters and `.N` lists, attributes, modify; tenant isolation.

// The shared harness predates a newer clippy lint; keep it out of this target's clippy run.
#[allow(clippy::field_reassign_with_default)]
mod common;
mod ens_support;

use common::TestServer;
use ens_support::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn create_describe_and_modify_networks() {
    let s = TestServer::start().await;
    let r = s
        .ens(
            "CreateNetwork",
            &[
                ("EnsRegionId", REGION),
                ("CidrBlock", "10.0.0.0/8"),
                ("NetworkName", "big"),
                ("Description", "all of ten"),
                ("Tag.1.Key", "env"),
                ("Tag.1.Value", "dev"),
            ],
        )
        .await;
    let n = ok(&r)["NetworkId"].as_str().unwrap().to_string();
    assert!(n.starts_with("n-"), "{n}");
    let r = s
        .ens("CreateNetwork", &[("EnsRegionId", OTHER_REGION), ("CidrBlock", "172.16.0.0/12"), ("EnableIpv6", "False")])
        .await;
    let n2 = ok(&r)["NetworkId"].as_str().unwrap().to_string();
    let r = s.ens("DescribeNetworks", &[("EnsRegionId", REGION)]).await;
    let b = ok(&r);
    assert_eq!(b["TotalCount"], 1);
    let net = &b["Networks"]["Network"][0];
    assert_eq!(net["NetworkId"], n.as_str());
    assert_eq!(net["CidrBlock"], "10.0.0.0/8");
    assert_eq!(net["Status"], "Available");
    assert_eq!(net["EnsRegionId"], REGION);
    assert_eq!(net["Tags"], json!({"Tag": [{"Key": "env", "Value": "dev", "TagKey": "env", "TagValue": "dev"}]}));
    assert_eq!(net["VSwitchIds"], json!({"VSwitchId": []}));
    let r = s
        .ens_v1_as(&s.key, "DescribeNetworks", &[("NetworkIds.1", &n2), ("NetworkIds.2", "n-00000000000000000000")])
        .await;
    assert_eq!(ok(&r)["Networks"]["Network"][0]["NetworkId"], n2.as_str());
    assert_eq!(r.body["TotalCount"], 1);
    let r = s
        .ens(
            "DescribeNetworks",
            &[("EnsRegionIds.1", REGION), ("EnsRegionIds.2", OTHER_REGION), ("PageSize", "1"), ("PageNumber", "2")],
        )
        .await;
    assert_eq!(
        (ok(&r)["TotalCount"].as_i64(), r.body["Networks"]["Network"][0]["NetworkId"].as_str()),
        (Some(2), Some(n2.as_str()))
    );
    assert_eq!(ok(&s.ens("DescribeNetworks", &[("NetworkName", "nope")]).await)["TotalCount"], 0);
    ok(&s
        .ens("ModifyNetworkAttribute", &[("NetworkId", &n), ("NetworkName", "bigger"), ("Description", "changed")])
        .await);
    let r = s.ens("DescribeNetworkAttribute", &[("NetworkId", &n)]).await;
    let a = ok(&r);
    assert_eq!((a["NetworkName"].as_str(), a["Description"].as_str()), (Some("bigger"), Some("changed")));
    assert_eq!(a["CloudResources"]["CloudResourceSetType"][0], json!({"ResourceCount": 0, "ResourceType": "VSwitch"}));
    let t = a["CreatedTime"].as_str().unwrap();
    assert!(t.ends_with('Z') && t.contains('T'), "{t}");
    // errors
    fails(&s.ens("CreateNetwork", &[("EnsRegionId", REGION)]).await, 400, "MissingParameter");
    fails(&s.ens("CreateNetwork", &[("CidrBlock", "10.0.0.0/16")]).await, 400, "MissingParameter");
    fails(
        &s.ens("CreateNetwork", &[("EnsRegionId", REGION), ("CidrBlock", "8.8.0.0/16")]).await,
        400,
        "InvalidParameter.CidrBlock",
    );
    fails(
        &s.ens("CreateNetwork", &[("EnsRegionId", REGION), ("CidrBlock", "10.0.0.1/16")]).await,
        400,
        "InvalidParameter.CidrBlock",
    );
    fails(
        &s.ens("CreateNetwork", &[("EnsRegionId", "cn-nowhere-1"), ("CidrBlock", "10.0.0.0/16")]).await,
        400,
        "InvalidParameter.EnsRegionId",
    );
    fails(
        &s.ens("CreateNetwork", &[("EnsRegionId", REGION), ("CidrBlock", "10.0.0.0/16"), ("NetworkName", "http://x")])
            .await,
        400,
        "InvalidParameter.NetworkName",
    );
    fails(
        &s.ens("CreateNetwork", &[("EnsRegionId", REGION), ("CidrBlock", "10.0.0.0/16"), ("Tag.1.Key", "acs:x")]).await,
        400,
        "InvalidParameter.Tag.Key",
    );
    fails(
        &s.ens("DescribeNetworkAttribute", &[("NetworkId", "n-00000000000000000000")]).await,
        400,
        "InvalidNetworkId.NotFound",
    );
    fails(
        &s.ens("ModifyNetworkAttribute", &[("NetworkId", "nope"), ("NetworkName", "abc")]).await,
        400,
        "InvalidParameter.NetworkId",
    );
    let other = s.account("other").await;
    fails(
        &s.ens_acs3_as(&other, "DescribeNetworkAttribute", &[("NetworkId", &n)]).await,
        400,
        "InvalidNetworkId.NotFound",
    );
    assert_eq!(ok(&s.ens_acs3_as(&other, "DescribeNetworks", &[]).await)["TotalCount"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn vswitches_and_dependencies() {
    let s = TestServer::start().await;
    let net = network(&s).await;
    let r = s.ens("DescribeVSwitches", &[("NetworkId", &net.network)]).await;
    let b = ok(&r);
    assert_eq!(b["TotalCount"], 1);
    let v = &b["VSwitches"]["VSwitch"][0];
    assert_eq!(v["VSwitchId"], net.vswitch.as_str());
    assert_eq!(v["VSwitchName"], "vsw1");
    assert_eq!(v["CidrBlock"], "10.0.1.0/24");
    assert_eq!(v["EnsRegionId"], REGION);
    assert_eq!(v["Status"], "Available");
    let free = v["FreeIpCount"].as_i64().expect("integer FreeIpCount");
    assert!(free > 200, "{free}");
    assert_eq!(ok(&s.ens("DescribeVSwitches", &[("EnableIpv6", "true")]).await)["TotalCount"], 0);
    assert_eq!(ok(&s.ens("DescribeVSwitches", &[("VSwitchIds.1", "vsw-00000000000000000000")]).await)["TotalCount"], 0);
    assert_eq!(ok(&s.ens("DescribeVSwitches", &[("EnsRegionId", OTHER_REGION)]).await)["TotalCount"], 0);
    let e = create_eni(&s, &net).await;
    let r = s.ens("DescribeVSwitchAttributes", &[("VSwitchId", &net.vswitch)]).await;
    let a = ok(&r);
    assert_eq!(a["AvailableIpAddressCount"].as_i64(), Some(free - 1));
    assert_eq!(a["NetworkInterfaceIds"], json!({"NetworkInterfaceId": [e]}));
    let r = s.ens("DescribeNetworkAttribute", &[("NetworkId", &net.network)]).await;
    assert_eq!(ok(&r)["VSwitchIds"], json!({"VSwitchId": [net.vswitch]}));
    assert_eq!(
        ok(&s.ens("DescribeNetworks", &[]).await)["Networks"]["Network"][0]["VSwitchIds"]["VSwitchId"],
        json!([net.vswitch])
    );
    ok(&s
        .ens(
            "ModifyVSwitchAttribute",
            &[("VSwitchId", &net.vswitch), ("VSwitchName", "renamed"), ("Description", "d2"), ("EnableIPv6", "False")],
        )
        .await);
    let r = s.ens("DescribeVSwitchAttributes", &[("VSwitchId", &net.vswitch)]).await;
    assert_eq!((ok(&r)["VSwitchName"].as_str(), r.body["Description"].as_str()), (Some("renamed"), Some("d2")));
    // creation errors
    fails(
        &s.ens(
            "CreateVSwitch",
            &[("EnsRegionId", REGION), ("CidrBlock", "10.0.1.128/25"), ("NetworkId", &net.network)],
        )
        .await,
        400,
        "InvalidParameter.CidrBlock",
    );
    fails(
        &s.ens("CreateVSwitch", &[("EnsRegionId", REGION), ("CidrBlock", "10.9.0.0/30"), ("NetworkId", &net.network)])
            .await,
        400,
        "InvalidParameter.CidrBlock",
    );
    fails(
        &s.ens(
            "CreateVSwitch",
            &[("EnsRegionId", REGION), ("CidrBlock", "192.168.0.0/24"), ("NetworkId", &net.network)],
        )
        .await,
        400,
        "InvalidParameter.CidrBlock",
    );
    fails(
        &s.ens(
            "CreateVSwitch",
            &[("EnsRegionId", OTHER_REGION), ("CidrBlock", "10.0.2.0/24"), ("NetworkId", &net.network)],
        )
        .await,
        400,
        "InvalidNetworkId.NotFound",
    );
    fails(
        &s.ens("CreateVSwitch", &[("EnsRegionId", REGION), ("CidrBlock", "10.0.2.0/24")]).await,
        400,
        "MissingParameter",
    );
    // dependencies: network with a vSwitch, vSwitch with an ENI
    let m = fails(&s.ens("DeleteNetwork", &[("NetworkId", &net.network)]).await, 400, "DependencyViolation");
    assert!(m.contains(&net.vswitch), "{m}");
    fails(&s.ens("DeleteVSwitch", &[("VSwitchId", &net.vswitch)]).await, 400, "DependencyViolation");
    ok(&s.ens("DeleteNetworkInterfaces", &[("NetworkInterfaceIds", &format!("[\"{e}\"]"))]).await);
    let gone = s.wait_until(std::time::Duration::from_secs(5), || async { eni(&s, &e).await.is_null() }).await;
    assert!(gone);
    ok(&s.ens("DeleteVSwitch", &[("VSwitchId", &net.vswitch)]).await);
    fails(&s.ens("DescribeVSwitchAttributes", &[("VSwitchId", &net.vswitch)]).await, 400, "InvalidVSwitchId.NotFound");
    fails(&s.ens("DeleteVSwitch", &[("VSwitchId", &net.vswitch)]).await, 400, "InvalidVSwitchId.NotFound");
    ok(&s.ens("DeleteNetwork", &[("NetworkId", &net.network)]).await);
    fails(&s.ens("DeleteNetwork", &[("NetworkId", &net.network)]).await, 400, "InvalidNetworkId.NotFound");
    fails(&s.ens("DeleteNetwork", &[]).await, 400, "MissingParameter");
}
