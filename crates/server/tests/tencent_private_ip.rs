//! Private IPs and IPAM: assign, unassign, migrate, modify; addresses from the subnet CIDR,
//! unique, reserved addresses skipped, specific ones honoured, exhaustion of a /29.

mod common;

use std::collections::HashSet;
use std::net::Ipv4Addr;

use common::tencent::{err, ok, Net, ZONE};
use common::TestServer;
use serde_json::{json, Value};

fn ips(e: &Value) -> Vec<String> {
    e["PrivateIpAddressSet"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["PrivateIpAddress"].as_str().unwrap().to_string())
        .collect()
}

fn in_cidr(ip: &str, net: [u8; 4], prefix: u32) -> bool {
    let ip = u32::from(ip.parse::<Ipv4Addr>().unwrap());
    let base = u32::from(Ipv4Addr::from(net));
    let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
    ip & mask == base
}

async fn create_eni(s: &TestServer, net: &Net, subnet: &str, extra: Value) -> Value {
    let mut body =
        json!({"VpcId": net.vpc, "SubnetId": subnet, "NetworkInterfaceName": "ip", "SecurityGroupIds": net.sgs});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    s.vpc("CreateNetworkInterface", body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses_come_from_the_subnet_unique_and_skip_reserved() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let first = ok(create_eni(&s, &net, &net.subnet, json!({})).await);
    assert_eq!(ips(&first["NetworkInterface"]), vec!["10.0.1.2"], "lowest free after .0 (network) and .1 (gateway)");
    let mut seen: HashSet<String> = ips(&first["NetworkInterface"]).into_iter().collect();
    for _ in 0..10 {
        let r = ok(create_eni(&s, &net, &net.subnet, json!({"SecondaryPrivateIpAddressCount": 3})).await);
        for ip in ips(&r["NetworkInterface"]) {
            assert!(in_cidr(&ip, [10, 0, 1, 0], 24), "{ip}");
            assert!(!ip.ends_with(".0") && !ip.ends_with(".1") && !ip.ends_with(".255"), "{ip}");
            assert!(seen.insert(ip.clone()), "duplicate {ip}");
        }
    }
    assert_eq!(seen.len(), 41);
    let sn = ok(s.vpc("DescribeSubnets", json!({"SubnetIds": [net.subnet]})).await);
    assert_eq!(sn["SubnetSet"][0]["TotalIpAddressCount"], json!(256));
    assert_eq!(sn["SubnetSet"][0]["AvailableIpAddressCount"], json!(253 - 41));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn specific_addresses_honoured_when_free() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let r = ok(create_eni(
        &s,
        &net,
        &net.subnet,
        json!({"PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.200", "Primary": true},
                                      {"PrivateIpAddress": "10.0.1.201"}]}),
    )
    .await);
    let e = &r["NetworkInterface"];
    assert_eq!(ips(e), vec!["10.0.1.200", "10.0.1.201"]);
    assert_eq!(e["PrivateIpAddressSet"][0]["Primary"], json!(true));
    assert_eq!(e["PrivateIpAddressSet"][1]["Primary"], json!(false));
    // Taken → ResourceInUse, and nothing is created.
    let r = create_eni(
        &s,
        &net,
        &net.subnet,
        json!({"PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.201", "Primary": true}]}),
    )
    .await;
    err(&r, "ResourceInUse");
    assert_eq!(s.vpc("DescribeNetworkInterfaces", json!({})).await["TotalCount"], json!(1));
    // Reserved or outside the subnet → refused.
    for bad in ["10.0.1.0", "10.0.1.1", "10.0.1.255", "10.0.2.5", "192.168.0.9"] {
        let r = create_eni(
            &s,
            &net,
            &net.subnet,
            json!({"PrivateIpAddresses": [{"PrivateIpAddress": bad, "Primary": true}]}),
        )
        .await;
        err(&r, "InvalidParameterValue.Range");
    }
    let r =
        create_eni(&s, &net, &net.subnet, json!({"PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.999"}]})).await;
    err(&r, "InvalidParameterValue.Malformed");
    // Two primaries → refused.
    let r = create_eni(
        &s,
        &net,
        &net.subnet,
        json!({"PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.50", "Primary": true},
                                      {"PrivateIpAddress": "10.0.1.51", "Primary": true}]}),
    )
    .await;
    err(&r, "InvalidParameterValue");
    assert_eq!(s.vpc("DescribeNetworkInterfaces", json!({})).await["TotalCount"], json!(1));
    // An address an ENI gave back is free again.
    let eni = e["NetworkInterfaceId"].as_str().unwrap().to_string();
    assert!(s.wait_eni(&eni, "AVAILABLE").await);
    ok(s.vpc("DeleteNetworkInterface", json!({"NetworkInterfaceId": eni})).await);
    assert!(s.wait_eni(&eni, "GONE").await);
    ok(create_eni(
        &s,
        &net,
        &net.subnet,
        json!({"PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.201", "Primary": true}]}),
    )
    .await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exhaustion_of_a_slash_29() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let tiny = s.subnet_in(&net.vpc, "10.0.9.0/29", ZONE).await;
    let sn = ok(s.vpc("DescribeSubnets", json!({"SubnetIds": [tiny]})).await);
    assert_eq!(sn["SubnetSet"][0]["TotalIpAddressCount"], json!(8));
    assert_eq!(sn["SubnetSet"][0]["AvailableIpAddressCount"], json!(5));
    let r = ok(create_eni(&s, &net, &tiny, json!({"SecondaryPrivateIpAddressCount": 3})).await);
    let got = ips(&r["NetworkInterface"]);
    assert_eq!(got, vec!["10.0.9.2", "10.0.9.3", "10.0.9.4", "10.0.9.5"]);
    let r = ok(create_eni(&s, &net, &tiny, json!({})).await);
    assert_eq!(ips(&r["NetworkInterface"]), vec!["10.0.9.6"], ".7 (broadcast) is never used");
    let r = create_eni(&s, &net, &tiny, json!({})).await;
    err(&r, "ResourceInsufficient.Subnet");
    let sn = ok(s.vpc("DescribeSubnets", json!({"SubnetIds": [tiny]})).await);
    assert_eq!(sn["SubnetSet"][0]["AvailableIpAddressCount"], json!(0));
    // Assigning more on a full subnet fails too, and leaves the ENI as it was.
    let eni = r_id(&ok(s
        .vpc("DescribeNetworkInterfaces", json!({"Filters": [{"Name": "subnet-id", "Values": [tiny]}]}))
        .await));
    assert!(s.wait_eni(&eni, "AVAILABLE").await);
    let before = ips(&s.describe_eni(&eni).await);
    err(
        &s.vpc("AssignPrivateIpAddresses", json!({"NetworkInterfaceId": eni, "SecondaryPrivateIpAddressCount": 1}))
            .await,
        "ResourceInsufficient.Subnet",
    );
    assert_eq!(ips(&s.describe_eni(&eni).await), before);
}

fn r_id(r: &Value) -> String {
    r["NetworkInterfaceSet"][0]["NetworkInterfaceId"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assign_and_unassign() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let eni = s.eni(&net, &net.sgs).await;
    let r = ok(s
        .vpc(
            "AssignPrivateIpAddresses",
            json!({"NetworkInterfaceId": eni, "SecondaryPrivateIpAddressCount": 2,
                   "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.150"}]}),
        )
        .await);
    let set = r["PrivateIpAddressSet"].as_array().unwrap();
    assert_eq!(set.len(), 3);
    assert_eq!(set[0]["PrivateIpAddress"], json!("10.0.1.150"));
    assert!(set.iter().all(|p| p["Primary"] == json!(false) && p["State"] == json!("PENDING")), "{r}");
    assert!(
        s.wait_until(std::time::Duration::from_secs(3), || async {
            let e = s.describe_eni(&eni).await;
            e["PrivateIpAddressSet"].as_array().unwrap().iter().all(|p| p["State"] == "AVAILABLE")
        })
        .await
    );
    assert_eq!(ips(&s.describe_eni(&eni).await).len(), 4);

    // Taken address, primary request, nothing requested, too many at once.
    let r = s
        .vpc(
            "AssignPrivateIpAddresses",
            json!({"NetworkInterfaceId": eni, "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.150"}]}),
        )
        .await;
    err(&r, "ResourceInUse");
    let r = s
        .vpc(
            "AssignPrivateIpAddresses",
            json!({"NetworkInterfaceId": eni, "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.151", "Primary": true}]}),
        )
        .await;
    err(&r, "InvalidParameterValue");
    err(&s.vpc("AssignPrivateIpAddresses", json!({"NetworkInterfaceId": eni})).await, "MissingParameter");
    let eleven: Vec<Value> = (0..11).map(|i| json!({"PrivateIpAddress": format!("10.0.1.{}", 100 + i)})).collect();
    err(
        &s.vpc("AssignPrivateIpAddresses", json!({"NetworkInterfaceId": eni, "PrivateIpAddresses": eleven})).await,
        "InvalidParameterValue.LimitExceeded",
    );
    // Quota of IPs per unattached ENI (20).
    err(
        &s.vpc("AssignPrivateIpAddresses", json!({"NetworkInterfaceId": eni, "SecondaryPrivateIpAddressCount": 17}))
            .await,
        "LimitExceeded",
    );
    err(
        &s.vpc(
            "AssignPrivateIpAddresses",
            json!({"NetworkInterfaceId": "eni-zzzzzzzz", "SecondaryPrivateIpAddressCount": 1}),
        )
        .await,
        "ResourceNotFound",
    );
    assert_eq!(ips(&s.describe_eni(&eni).await).len(), 4, "refusals change nothing");

    // Unassign a secondary: DELETING, then gone and free again.
    ok(s.vpc(
        "UnassignPrivateIpAddresses",
        json!({"NetworkInterfaceId": eni, "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.150"}]}),
    )
    .await);
    assert!(
        s.wait_until(std::time::Duration::from_secs(3), || async {
            !ips(&s.describe_eni(&eni).await).contains(&"10.0.1.150".to_string())
        })
        .await
    );
    let other = s.eni(&net, &net.sgs).await;
    ok(s.vpc(
        "AssignPrivateIpAddresses",
        json!({"NetworkInterfaceId": other, "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.150"}]}),
    )
    .await);
    // Primary cannot be returned; an address not on the ENI is refused.
    let primary = ips(&s.describe_eni(&eni).await)[0].clone();
    err(
        &s.vpc(
            "UnassignPrivateIpAddresses",
            json!({"NetworkInterfaceId": eni, "PrivateIpAddresses": [{"PrivateIpAddress": primary}]}),
        )
        .await,
        "UnsupportedOperation.PrimaryIp",
    );
    err(
        &s.vpc(
            "UnassignPrivateIpAddresses",
            json!({"NetworkInterfaceId": eni, "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.250"}]}),
        )
        .await,
        "UnsupportedOperation.AttachmentNotFound",
    );
    err(&s.vpc("UnassignPrivateIpAddresses", json!({"NetworkInterfaceId": eni})).await, "MissingParameter");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_and_modify_private_ips() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let a = s.eni(&net, &net.sgs).await;
    let b = s.eni(&net, &net.sgs).await;
    ok(s.vpc(
        "AssignPrivateIpAddresses",
        json!({"NetworkInterfaceId": a, "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.99"}]}),
    )
    .await);
    assert!(
        s.wait_until(std::time::Duration::from_secs(3), || async {
            s.describe_eni(&a).await["PrivateIpAddressSet"][1]["State"] == "AVAILABLE"
        })
        .await
    );
    ok(s.vpc(
        "MigratePrivateIpAddress",
        json!({"SourceNetworkInterfaceId": a, "DestinationNetworkInterfaceId": b, "PrivateIpAddress": "10.0.1.99"}),
    )
    .await);
    assert!(!ips(&s.describe_eni(&a).await).contains(&"10.0.1.99".to_string()));
    assert!(ips(&s.describe_eni(&b).await).contains(&"10.0.1.99".to_string()));
    assert!(
        s.wait_until(std::time::Duration::from_secs(3), || async {
            s.describe_eni(&b).await["PrivateIpAddressSet"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["State"] == "AVAILABLE")
        })
        .await
    );
    // Primary cannot migrate; unknown address; different subnet.
    let primary = ips(&s.describe_eni(&a).await)[0].clone();
    let r = s
        .vpc(
            "MigratePrivateIpAddress",
            json!({"SourceNetworkInterfaceId": a, "DestinationNetworkInterfaceId": b, "PrivateIpAddress": primary}),
        )
        .await;
    err(&r, "UnsupportedOperation.PrimaryIp");
    let r = s
        .vpc(
            "MigratePrivateIpAddress",
            json!({"SourceNetworkInterfaceId": a, "DestinationNetworkInterfaceId": b, "PrivateIpAddress": "10.0.1.99"}),
        )
        .await;
    err(&r, "UnsupportedOperation.AttachmentNotFound");
    let sub2 = s.subnet_in(&net.vpc, "10.0.2.0/24", ZONE).await;
    let c = {
        let r = ok(create_eni(&s, &net, &sub2, json!({})).await);
        r["NetworkInterface"]["NetworkInterfaceId"].as_str().unwrap().to_string()
    };
    assert!(s.wait_eni(&c, "AVAILABLE").await);
    let r = s
        .vpc(
            "MigratePrivateIpAddress",
            json!({"SourceNetworkInterfaceId": b, "DestinationNetworkInterfaceId": c, "PrivateIpAddress": "10.0.1.99"}),
        )
        .await;
    assert!(common::code(&r).is_some(), "different subnets are refused: {r}");
    assert!(ips(&s.describe_eni(&b).await).contains(&"10.0.1.99".to_string()));
    // Onto the ENI that already holds it: refused, and the address is not duplicated.
    let r = s
        .vpc(
            "MigratePrivateIpAddress",
            json!({"SourceNetworkInterfaceId": b, "DestinationNetworkInterfaceId": b, "PrivateIpAddress": "10.0.1.99"}),
        )
        .await;
    err(&r, "InvalidParameterValue");
    assert_eq!(ips(&s.describe_eni(&b).await).iter().filter(|ip| *ip == "10.0.1.99").count(), 1);

    // ModifyPrivateIpAddressesAttribute sets the description.
    ok(s
        .vpc(
            "ModifyPrivateIpAddressesAttribute",
            json!({"NetworkInterfaceId": b, "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.99", "Description": "vip"}]}),
        )
        .await);
    let e = s.describe_eni(&b).await;
    let p = e["PrivateIpAddressSet"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["PrivateIpAddress"] == "10.0.1.99")
        .unwrap()
        .clone();
    assert_eq!(p["Description"], json!("vip"));
    err(
        &s.vpc(
            "ModifyPrivateIpAddressesAttribute",
            json!({"NetworkInterfaceId": b, "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.98", "Description": "x"}]}),
        )
        .await,
        "UnsupportedOperation.AttachmentNotFound",
    );
    err(
        &s.vpc("ModifyPrivateIpAddressesAttribute", json!({"NetworkInterfaceId": b, "PrivateIpAddresses": []})).await,
        "MissingParameter",
    );
}
