//! ENI actions over HTTP: create, create-and-attach, delete, describe (filters, paging), modify,
//! attach, detach, migrate, associate groups, limits, and the attach rules of §5.2.

mod common;

use std::collections::HashSet;

use common::tencent::{err, id_shape, ok, SMALL_TYPE, ZONE, ZONE2};
use common::TestServer;
use serde_json::{json, Value};

fn mac_shape(m: &str) -> bool {
    let parts: Vec<&str> = m.split(':').collect();
    m.starts_with("20:90:6F:")
        && parts.len() == 6
        && parts.iter().all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_describe_and_formats() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let r = ok(s
        .vpc(
            "CreateNetworkInterface",
            json!({"VpcId": net.vpc, "SubnetId": net.subnet, "NetworkInterfaceName": "web",
                   "NetworkInterfaceDescription": "front", "SecurityGroupIds": [net.sgs[0]],
                   "SecondaryPrivateIpAddressCount": 2, "Tags": [{"Key": "env", "Value": "prod"}]}),
        )
        .await);
    let e = &r["NetworkInterface"];
    let id = e["NetworkInterfaceId"].as_str().unwrap().to_string();
    assert!(id_shape(&id, "eni-"), "{id}");
    assert_eq!(e["State"], json!("PENDING"));
    assert_eq!(e["VpcId"], json!(net.vpc));
    assert_eq!(e["SubnetId"], json!(net.subnet));
    assert_eq!(e["Zone"], json!(ZONE));
    assert_eq!(e["NetworkInterfaceName"], json!("web"));
    assert_eq!(e["NetworkInterfaceDescription"], json!("front"));
    assert_eq!(e["GroupSet"], json!([net.sgs[0]]));
    assert_eq!(e["TagSet"], json!([{"Key": "env", "Value": "prod"}]));
    assert_eq!(e["PrivateIpAddressSet"].as_array().unwrap().len(), 3);
    assert!(mac_shape(e["MacAddress"].as_str().unwrap()), "{e}");
    assert!(s.wait_eni(&id, "AVAILABLE").await);
    let d = s.describe_eni(&id).await;
    assert_eq!(d["Attachment"], Value::Null);
    assert!(d["PrivateIpAddressSet"].as_array().unwrap().iter().all(|p| p["State"] == "AVAILABLE"));

    // MACs and IDs are unique.
    let mut macs = HashSet::new();
    let mut ids = HashSet::new();
    for _ in 0..8 {
        let eni = s.eni(&net, &[]).await;
        let d = s.describe_eni(&eni).await;
        assert!(mac_shape(d["MacAddress"].as_str().unwrap()));
        assert!(macs.insert(d["MacAddress"].as_str().unwrap().to_string()));
        assert!(ids.insert(eni));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_refusals() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let base = json!({"VpcId": net.vpc, "SubnetId": net.subnet, "NetworkInterfaceName": "x"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    err(&s.vpc("CreateNetworkInterface", with("SubnetId", json!("subnet-zzzzzzzz"))).await, "ResourceNotFound");
    err(&s.vpc("CreateNetworkInterface", with("SubnetId", json!("subnet-1"))).await, "InvalidParameterValue.Malformed");
    err(&s.vpc("CreateNetworkInterface", with("SecurityGroupIds", json!(["sg-zzzzzzzz"]))).await, "ResourceNotFound");
    err(
        &s.vpc("CreateNetworkInterface", with("NetworkInterfaceName", json!("n".repeat(61)))).await,
        "InvalidParameterValue.TooLong",
    );
    let other = ok(s.vpc("CreateVpc", json!({"VpcName": "o", "CidrBlock": "172.16.0.0/16"})).await);
    err(
        &s.vpc("CreateNetworkInterface", with("VpcId", other["Vpc"]["VpcId"].clone())).await,
        "UnsupportedOperation.VpcMismatch",
    );
    err(
        &s.vpc("CreateNetworkInterface", json!({"VpcId": net.vpc, "NetworkInterfaceName": "x"})).await,
        "MissingParameter",
    );
    let r = s.vpc("DescribeNetworkInterfaces", json!({})).await;
    assert_eq!(r["TotalCount"], json!(0), "nothing created by refused calls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_and_attach() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let ins = s.instance(&net).await;
    let r = ok(s
        .vpc(
            "CreateAndAttachNetworkInterface",
            json!({"VpcId": net.vpc, "SubnetId": net.subnet, "NetworkInterfaceName": "ca",
                   "InstanceId": ins, "SecurityGroupIds": net.sgs}),
        )
        .await);
    let e = &r["NetworkInterface"];
    let id = e["NetworkInterfaceId"].as_str().unwrap().to_string();
    assert_eq!(e["State"], json!("ATTACHING"));
    assert_eq!(e["Attachment"]["InstanceId"], json!(ins));
    assert!(s.wait_attached(&id, &ins).await);
    let d = s.describe_eni(&id).await;
    assert_eq!(d["State"], json!("AVAILABLE"), "State stays AVAILABLE when attached");
    assert_eq!(d["Attachment"]["DeviceIndex"], json!(1));
    assert!(d["Attachment"]["DeviceIndex"].is_u64());
    let r = ok(s
        .vpc("DescribeNetworkInterfaces", json!({"Filters": [{"Name": "attachment.instance-id", "Values": [ins]}]}))
        .await);
    assert_eq!(r["TotalCount"], json!(2), "primary + the new one: {r}");
    // Unknown instance: nothing is created.
    let r = s
        .vpc(
            "CreateAndAttachNetworkInterface",
            json!({"VpcId": net.vpc, "SubnetId": net.subnet, "NetworkInterfaceName": "ca",
                   "InstanceId": "ins-zzzzzzzz", "SecurityGroupIds": net.sgs}),
        )
        .await;
    err(&r, "ResourceNotFound");
    // Quota: S5.MEDIUM4 holds 2 ENIs; a third is refused and nothing is created.
    let r = s
        .vpc(
            "CreateAndAttachNetworkInterface",
            json!({"VpcId": net.vpc, "SubnetId": net.subnet, "NetworkInterfaceName": "ca",
                   "InstanceId": ins, "SecurityGroupIds": net.sgs}),
        )
        .await;
    err(&r, "LimitExceeded");
    assert_eq!(s.vpc("DescribeNetworkInterfaces", json!({})).await["TotalCount"], json!(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_rules() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let ins = s.instance(&net).await;
    let eni = s.eni(&net, &net.sgs).await;
    err(&s.vpc("DeleteNetworkInterface", json!({"NetworkInterfaceId": "eni-zzzzzzzz"})).await, "ResourceNotFound");
    err(
        &s.vpc("DeleteNetworkInterface", json!({"NetworkInterfaceId": "eni-!"})).await,
        "InvalidParameterValue.Malformed",
    );
    // Primary ENI can never be deleted.
    let primary =
        ok(s.vpc("DescribeNetworkInterfaces", json!({"Filters": [{"Name": "is-primary", "Values": ["TRUE"]}]})).await);
    assert_eq!(primary["TotalCount"], json!(1));
    let p = primary["NetworkInterfaceSet"][0]["NetworkInterfaceId"].as_str().unwrap().to_string();
    assert_eq!(primary["NetworkInterfaceSet"][0]["Primary"], json!(true));
    assert_eq!(primary["NetworkInterfaceSet"][0]["Attachment"]["InstanceId"], json!(ins));
    assert_eq!(primary["NetworkInterfaceSet"][0]["Attachment"]["DeviceIndex"], json!(0));
    err(&s.vpc("DeleteNetworkInterface", json!({"NetworkInterfaceId": p})).await, "UnsupportedOperation");
    // Attached ENI cannot be deleted.
    ok(s.vpc("AttachNetworkInterface", json!({"NetworkInterfaceId": eni, "InstanceId": ins})).await);
    assert!(s.wait_attached(&eni, &ins).await);
    err(&s.vpc("DeleteNetworkInterface", json!({"NetworkInterfaceId": eni})).await, "UnsupportedOperation");
    ok(s.vpc("DetachNetworkInterface", json!({"NetworkInterfaceId": eni, "InstanceId": ins})).await);
    assert!(s.wait_eni(&eni, "AVAILABLE").await);
    assert!(
        s.wait_until(std::time::Duration::from_secs(3), || async {
            s.describe_eni(&eni).await["Attachment"].is_null()
        })
        .await
    );
    ok(s.vpc("DeleteNetworkInterface", json!({"NetworkInterfaceId": eni})).await);
    assert!(s.wait_eni(&eni, "GONE").await);
    err(&s.vpc("DeleteNetworkInterface", json!({"NetworkInterfaceId": eni})).await, "ResourceNotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modify_attribute() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let eni = s.eni(&net, &[net.sgs[0].clone()]).await;
    ok(s.vpc(
        "ModifyNetworkInterfaceAttribute",
        json!({"NetworkInterfaceId": eni, "NetworkInterfaceName": "renamed",
                   "NetworkInterfaceDescription": "new desc", "SecurityGroupIds": [net.sgs[1]]}),
    )
    .await);
    let d = s.describe_eni(&eni).await;
    assert_eq!(d["NetworkInterfaceName"], json!("renamed"));
    assert_eq!(d["NetworkInterfaceDescription"], json!("new desc"));
    assert_eq!(d["GroupSet"], json!([net.sgs[1]]));
    // Only the given fields change.
    ok(s.vpc("ModifyNetworkInterfaceAttribute", json!({"NetworkInterfaceId": eni, "NetworkInterfaceName": "n2"}))
        .await);
    let d = s.describe_eni(&eni).await;
    assert_eq!(d["NetworkInterfaceDescription"], json!("new desc"));
    assert_eq!(d["GroupSet"], json!([net.sgs[1]]));
    // Refusals leave it untouched.
    let r = s
        .vpc(
            "ModifyNetworkInterfaceAttribute",
            json!({"NetworkInterfaceId": eni, "NetworkInterfaceName": "n3", "SecurityGroupIds": ["sg-zzzzzzzz"]}),
        )
        .await;
    err(&r, "ResourceNotFound");
    err(
        &s.vpc(
            "ModifyNetworkInterfaceAttribute",
            json!({"NetworkInterfaceId": eni, "NetworkInterfaceName": "x".repeat(61)}),
        )
        .await,
        "InvalidParameterValue.TooLong",
    );
    err(
        &s.vpc(
            "ModifyNetworkInterfaceAttribute",
            json!({"NetworkInterfaceId": "eni-zzzzzzzz", "NetworkInterfaceName": "x"}),
        )
        .await,
        "ResourceNotFound",
    );
    assert_eq!(s.describe_eni(&eni).await["NetworkInterfaceName"], json!("n2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attach_detach_migrate() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let a = s.instance(&net).await;
    let b = s.instance(&net).await;
    let eni = s.eni(&net, &net.sgs).await;
    ok(s.vpc("AttachNetworkInterface", json!({"NetworkInterfaceId": eni, "InstanceId": a})).await);
    assert!(s.wait_attached(&eni, &a).await);
    // One instance at a time.
    err(
        &s.vpc("AttachNetworkInterface", json!({"NetworkInterfaceId": eni, "InstanceId": b})).await,
        "UnsupportedOperation.AttachmentAlreadyExists",
    );
    // Detach from the wrong instance.
    err(
        &s.vpc("DetachNetworkInterface", json!({"NetworkInterfaceId": eni, "InstanceId": b})).await,
        "UnsupportedOperation",
    );
    // Migrate a → b.
    ok(s.vpc(
        "MigrateNetworkInterface",
        json!({"NetworkInterfaceId": eni, "SourceInstanceId": a, "DestinationInstanceId": b}),
    )
    .await);
    assert!(s.wait_attached(&eni, &b).await);
    let on_a = ok(s
        .vpc("DescribeNetworkInterfaces", json!({"Filters": [{"Name": "attachment.instance-id", "Values": [a]}]}))
        .await);
    assert_eq!(on_a["TotalCount"], json!(1), "only a's primary remains on a");
    // Migrating from the wrong source.
    let r = s
        .vpc(
            "MigrateNetworkInterface",
            json!({"NetworkInterfaceId": eni, "SourceInstanceId": a, "DestinationInstanceId": b}),
        )
        .await;
    err(&r, "UnsupportedOperation.AttachmentNotFound");
    // Detach.
    ok(s.vpc("DetachNetworkInterface", json!({"NetworkInterfaceId": eni, "InstanceId": b})).await);
    assert!(
        s.wait_until(std::time::Duration::from_secs(3), || async {
            let d = s.describe_eni(&eni).await;
            d["State"] == "AVAILABLE" && d["Attachment"].is_null()
        })
        .await
    );
    // Detaching an unattached ENI is refused.
    err(
        &s.vpc("DetachNetworkInterface", json!({"NetworkInterfaceId": eni, "InstanceId": b})).await,
        "UnsupportedOperation.InvalidState",
    );
    err(
        &s.vpc("AttachNetworkInterface", json!({"NetworkInterfaceId": eni, "InstanceId": "ins-zzzzzzzz"})).await,
        "ResourceNotFound",
    );
    err(
        &s.vpc("AttachNetworkInterface", json!({"NetworkInterfaceId": eni, "InstanceId": "i-123"})).await,
        "InvalidParameterValue.Malformed",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attach_rules() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let ins = s.instance(&net).await;
    let primary = ok(s.cvm("DescribeInstances", json!({"InstanceIds": [ins]})).await);
    let primary_ip = primary["InstanceSet"][0]["PrivateIpAddresses"][0].as_str().unwrap().to_string();
    let p = ok(s
        .vpc(
            "DescribeNetworkInterfaces",
            json!({"Filters": [{"Name": "address-ip", "Values": [primary_ip]},
                                                           {"Name": "ip-exact-match", "Values": ["TRUE"]}]}),
        )
        .await);
    let p = p["NetworkInterfaceSet"][0]["NetworkInterfaceId"].as_str().unwrap().to_string();
    let other_ins = s.instance(&net).await;

    // Primary ENI never attached elsewhere nor detached.
    err(
        &s.vpc("AttachNetworkInterface", json!({"NetworkInterfaceId": p, "InstanceId": other_ins})).await,
        "UnsupportedOperation",
    );
    err(
        &s.vpc("DetachNetworkInterface", json!({"NetworkInterfaceId": p, "InstanceId": ins})).await,
        "UnsupportedOperation",
    );

    // At least one security group.
    let bare = s.eni(&net, &[]).await;
    err(
        &s.vpc("AttachNetworkInterface", json!({"NetworkInterfaceId": bare, "InstanceId": ins})).await,
        "UnsupportedOperation",
    );
    assert!(s.describe_eni(&bare).await["Attachment"].is_null());

    // Same zone: an ENI in a subnet of another zone.
    let sub2 = s.subnet_in(&net.vpc, "10.0.2.0/24", ZONE2).await;
    let far = {
        let r = ok(s
            .vpc(
                "CreateNetworkInterface",
                json!({"VpcId": net.vpc, "SubnetId": sub2, "NetworkInterfaceName": "far", "SecurityGroupIds": net.sgs}),
            )
            .await);
        r["NetworkInterface"]["NetworkInterfaceId"].as_str().unwrap().to_string()
    };
    assert!(s.wait_eni(&far, "AVAILABLE").await);
    err(
        &s.vpc("AttachNetworkInterface", json!({"NetworkInterfaceId": far, "InstanceId": ins})).await,
        "UnsupportedOperation.ZoneMismatch",
    );

    // Same VPC: an instance of another VPC in the same zone.
    let vpc2 = ok(s.vpc("CreateVpc", json!({"VpcName": "v2", "CidrBlock": "172.16.0.0/16"})).await);
    let vpc2 = vpc2["Vpc"]["VpcId"].as_str().unwrap().to_string();
    let sub3 = s.subnet_in(&vpc2, "172.16.1.0/24", ZONE).await;
    let ins3 = s.instance_as(&s.key.clone(), &vpc2, &sub3, ZONE, SMALL_TYPE).await;
    let eni = s.eni(&net, &net.sgs).await;
    err(
        &s.vpc("AttachNetworkInterface", json!({"NetworkInterfaceId": eni, "InstanceId": ins3})).await,
        "UnsupportedOperation.VpcMismatch",
    );

    // Instance must be RUNNING or STOPPED: STOPPING is refused, STOPPED works.
    ok(s.cvm("StopInstances", json!({"InstanceIds": [ins]})).await);
    err(
        &s.vpc("AttachNetworkInterface", json!({"NetworkInterfaceId": eni, "InstanceId": ins})).await,
        "UnsupportedOperation.InvalidState",
    );
    assert!(s.wait_instance_as(&s.key.clone(), &ins, "STOPPED").await);
    ok(s.vpc("AttachNetworkInterface", json!({"NetworkInterfaceId": eni, "InstanceId": ins})).await);
    assert!(s.wait_attached(&eni, &ins).await);

    // Quota: S5.MEDIUM4 allows 2 ENIs including the primary.
    let third = s.eni(&net, &net.sgs).await;
    err(
        &s.vpc("AttachNetworkInterface", json!({"NetworkInterfaceId": third, "InstanceId": ins})).await,
        "LimitExceeded",
    );
    assert!(s.describe_eni(&third).await["Attachment"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attach_to_pending_instance_is_refused() {
    let s = TestServer::start_with(common::Options { delay_ms: 1500, ..Default::default() }).await;
    let net = s.net().await;
    let eni = s.eni(&net, &net.sgs).await;
    let ins = s.launch_as(&s.key.clone(), &net.vpc, &net.subnet, ZONE, SMALL_TYPE).await;
    assert_eq!(s.instance_state_as(&s.key.clone(), &ins).await.as_deref(), Some("PENDING"));
    err(
        &s.vpc("AttachNetworkInterface", json!({"NetworkInterfaceId": eni, "InstanceId": ins})).await,
        "UnsupportedOperation.InvalidState",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn associate_security_groups() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let a = s.eni(&net, &[]).await;
    let b = s.eni(&net, &[net.sgs[0].clone()]).await;
    let r = ok(s
        .vpc(
            "AssociateNetworkInterfaceSecurityGroups",
            json!({"NetworkInterfaceIds": [a, b], "SecurityGroupIds": net.sgs}),
        )
        .await);
    assert_eq!(r.as_object().unwrap().len(), 1);
    let mut both = net.sgs.clone();
    both.sort();
    assert_eq!(s.groups_of(&a).await, both);
    assert_eq!(s.groups_of(&b).await, both, "already-bound groups are not duplicated");
    // One unknown ENI: nothing changes.
    let c = s.eni(&net, &[]).await;
    let r = s
        .vpc(
            "AssociateNetworkInterfaceSecurityGroups",
            json!({"NetworkInterfaceIds": [c, "eni-zzzzzzzz"], "SecurityGroupIds": net.sgs}),
        )
        .await;
    err(&r, "ResourceNotFound");
    assert_eq!(s.groups_of(&c).await, Vec::<String>::new());
    // More groups than an ENI may carry (5).
    let mut many = Vec::new();
    for i in 0..6 {
        many.push(s.sg_as(&s.key.clone(), &format!("m{i}")).await);
    }
    let r = s
        .vpc("AssociateNetworkInterfaceSecurityGroups", json!({"NetworkInterfaceIds": [c], "SecurityGroupIds": many}))
        .await;
    err(&r, "LimitExceeded");
    assert_eq!(s.groups_of(&c).await, Vec::<String>::new());
    let ids: Vec<String> = (0..101).map(|i| format!("sg-{i:08}")).collect();
    let r = s
        .vpc("AssociateNetworkInterfaceSecurityGroups", json!({"NetworkInterfaceIds": [c], "SecurityGroupIds": ids}))
        .await;
    err(&r, "InvalidParameterValue.LimitExceeded");
    let r = s
        .vpc(
            "AssociateNetworkInterfaceSecurityGroups",
            json!({"NetworkInterfaceIds": ["eni-1"], "SecurityGroupIds": net.sgs}),
        )
        .await;
    err(&r, "InvalidParameterValue.Malformed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_interface_limit() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let ins = s.instance(&net).await;
    let r = ok(s.vpc("DescribeNetworkInterfaceLimit", json!({"InstanceId": ins})).await);
    assert_eq!(r["EniQuantity"], json!(2));
    assert_eq!(r["EniPrivateIpAddressQuantity"], json!(10));
    for k in
        ["ExtendEniQuantity", "ExtendEniPrivateIpAddressQuantity", "SubEniQuantity", "SubEniPrivateIpAddressQuantity"]
    {
        assert!(r[k].is_i64(), "{k}: {r}");
    }
    let big = s.instance_as(&s.key.clone(), &net.vpc, &net.subnet, ZONE, "S5.8XLARGE64").await;
    let r = ok(s.vpc("DescribeNetworkInterfaceLimit", json!({"InstanceId": big})).await);
    assert_eq!(r["EniQuantity"], json!(8));
    assert_eq!(r["EniPrivateIpAddressQuantity"], json!(20));
    // By ENI id.
    let eni = s.eni(&net, &net.sgs).await;
    let r = ok(s.vpc("DescribeNetworkInterfaceLimit", json!({"InstanceId": eni})).await);
    assert!(r["EniPrivateIpAddressQuantity"].as_i64().unwrap() > 0);
    err(&s.vpc("DescribeNetworkInterfaceLimit", json!({"InstanceId": "ins-zzzzzzzz"})).await, "ResourceNotFound");
    err(
        &s.vpc("DescribeNetworkInterfaceLimit", json!({"InstanceId": "bogus"})).await,
        "InvalidParameterValue.Malformed",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_filters_and_paging() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let sub2 = s.subnet_in(&net.vpc, "10.0.2.0/24", ZONE).await;
    let mut in_first = Vec::new();
    for i in 0..22 {
        let sgs = if i % 2 == 0 { vec![net.sgs[0].clone()] } else { vec![net.sgs[1].clone()] };
        in_first.push(s.eni(&net, &sgs).await);
    }
    let named = {
        let r = ok(s
            .vpc(
                "CreateNetworkInterface",
                json!({"VpcId": net.vpc, "SubnetId": sub2, "NetworkInterfaceName": "special",
                       "NetworkInterfaceDescription": "the one", "Tags": [{"Key": "team", "Value": "blue"}],
                       "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.2.123", "Primary": true}]}),
            )
            .await);
        r["NetworkInterface"]["NetworkInterfaceId"].as_str().unwrap().to_string()
    };
    let q = |filters: Value| {
        let s = &s;
        async move { ok(s.vpc("DescribeNetworkInterfaces", json!({"Filters": filters, "Limit": 100})).await) }
    };
    let total = |r: &Value| r["TotalCount"].as_u64().unwrap();

    // Defaults: Limit 20, TotalCount counts everything.
    let r = ok(s.vpc("DescribeNetworkInterfaces", json!({})).await);
    assert_eq!(total(&r), 23);
    assert_eq!(r["NetworkInterfaceSet"].as_array().unwrap().len(), 20);
    let r = ok(s.vpc("DescribeNetworkInterfaces", json!({"Offset": 20, "Limit": 100})).await);
    assert_eq!(r["NetworkInterfaceSet"].as_array().unwrap().len(), 3);
    assert_eq!(total(&r), 23);
    let r = ok(s.vpc("DescribeNetworkInterfaces", json!({"Offset": 5, "Limit": 7})).await);
    assert_eq!(r["NetworkInterfaceSet"].as_array().unwrap().len(), 7);
    err(&s.vpc("DescribeNetworkInterfaces", json!({"Limit": 101})).await, "InvalidParameterValue.Range");
    let r = ok(s.vpc("DescribeNetworkInterfaces", json!({"Offset": 1000})).await);
    assert_eq!(r["NetworkInterfaceSet"], json!([]));

    assert_eq!(total(&q(json!([{"Name": "vpc-id", "Values": [net.vpc]}])).await), 23);
    assert_eq!(total(&q(json!([{"Name": "subnet-id", "Values": [sub2]}])).await), 1);
    assert_eq!(total(&q(json!([{"Name": "subnet-id", "Values": [sub2, net.subnet]}])).await), 23, "values OR");
    assert_eq!(
        total(&q(json!([{"Name": "subnet-id", "Values": [net.subnet]}, {"Name": "groups.security-group-id", "Values": [net.sgs[0]]}])).await),
        11,
        "filters AND"
    );
    assert_eq!(total(&q(json!([{"Name": "groups.security-group-id", "Values": net.sgs}])).await), 22);
    assert_eq!(total(&q(json!([{"Name": "network-interface-id", "Values": [named, in_first[0]]}])).await), 2);
    assert_eq!(total(&q(json!([{"Name": "network-interface-name", "Values": ["special"]}])).await), 1);
    assert_eq!(total(&q(json!([{"Name": "network-interface-description", "Values": ["the one"]}])).await), 1);
    assert_eq!(total(&q(json!([{"Name": "address-ip", "Values": ["10.0.2.123"]}])).await), 1);
    assert_eq!(total(&q(json!([{"Name": "address-ip", "Values": ["2.123"]}])).await), 1, "single value: suffix match");
    assert_eq!(
        total(
            &q(json!([{"Name": "address-ip", "Values": ["2.123"]}, {"Name": "ip-exact-match", "Values": ["TRUE"]}]))
                .await
        ),
        0
    );
    assert_eq!(total(&q(json!([{"Name": "tag-key", "Values": ["team"]}])).await), 1);
    assert_eq!(total(&q(json!([{"Name": "tag:team", "Values": ["blue"]}])).await), 1);
    assert_eq!(total(&q(json!([{"Name": "tag:team", "Values": ["red"]}])).await), 0);
    assert_eq!(total(&q(json!([{"Name": "is-primary", "Values": ["FALSE"]}])).await), 23);
    assert_eq!(total(&q(json!([{"Name": "is-primary", "Values": ["TRUE"]}])).await), 0);
    assert_eq!(total(&q(json!([{"Name": "attachment.instance-id", "Values": ["ins-zzzzzzzz"]}])).await), 0);

    // Ids and Filters together; unknown filter; too many ids.
    let r = s
        .vpc(
            "DescribeNetworkInterfaces",
            json!({"NetworkInterfaceIds": [named], "Filters": [{"Name": "vpc-id", "Values": [net.vpc]}]}),
        )
        .await;
    err(&r, "InvalidParameter.Coexist");
    err(
        &s.vpc("DescribeNetworkInterfaces", json!({"Filters": [{"Name": "colour", "Values": ["red"]}]})).await,
        "InvalidParameter.FilterInvalidKey",
    );
    err(&s.vpc("DescribeNetworkInterfaces", json!({"Filters": ["vpc-id"]})).await, "InvalidParameter.FilterNotDict");
    err(
        &s.vpc("DescribeNetworkInterfaces", json!({"Filters": [{"Name": "vpc-id", "Values": "vpc-12345678"}]})).await,
        "InvalidParameter.FilterValuesNotList",
    );
    let ids: Vec<String> = (0..101).map(|i| format!("eni-{i:08}")).collect();
    err(
        &s.vpc("DescribeNetworkInterfaces", json!({"NetworkInterfaceIds": ids})).await,
        "InvalidParameterValue.LimitExceeded",
    );
    // Ids of unknown ENIs are simply absent.
    let r = ok(s.vpc("DescribeNetworkInterfaces", json!({"NetworkInterfaceIds": [named, "eni-zzzzzzzz"]})).await);
    assert_eq!(total(&r), 1);
}
