//! VPC and subnet actions: create, describe (filters, paging), modify, delete (in-use rules).

mod common;

use common::tencent::{err, id_shape, ok, ZONE, ZONE2};
use common::TestServer;
use serde_json::{json, Value};

async fn new_vpc(s: &TestServer, name: &str, cidr: &str) -> String {
    let r = ok(s.vpc("CreateVpc", json!({"VpcName": name, "CidrBlock": cidr})).await);
    r["Vpc"]["VpcId"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_vpc_and_validation() {
    let s = TestServer::start().await;
    let r = ok(s
        .vpc(
            "CreateVpc",
            json!({"VpcName": "main", "CidrBlock": "10.0.0.0/16", "EnableMulticast": "true",
                   "DnsServers": ["1.1.1.1", "8.8.8.8"], "DomainName": "corp.local",
                   "Tags": [{"Key": "env", "Value": "prod"}]}),
        )
        .await);
    let v = &r["Vpc"];
    assert!(id_shape(v["VpcId"].as_str().unwrap(), "vpc-"), "{v}");
    assert_eq!(v["VpcName"], json!("main"));
    assert_eq!(v["CidrBlock"], json!("10.0.0.0/16"));
    assert_eq!(v["IsDefault"], json!(false));
    assert_eq!(v["EnableMulticast"], json!(true));
    assert_eq!(v["DnsServerSet"], json!(["1.1.1.1", "8.8.8.8"]));
    assert_eq!(v["DomainName"], json!("corp.local"));
    assert_eq!(v["TagSet"], json!([{"Key": "env", "Value": "prod"}]));
    assert_eq!(v["AssistantCidrSet"], json!([]));

    for cidr in ["8.8.0.0/16", "10.0.0.0/8", "10.0.0.0/29", "192.168.0.0/12", "banana"] {
        let r = s.vpc("CreateVpc", json!({"VpcName": "bad", "CidrBlock": cidr})).await;
        let c = common::code(&r).unwrap_or_else(|| panic!("{cidr} accepted: {r}"));
        assert!(c.starts_with("InvalidParameterValue"), "{cidr}: {c}");
    }
    err(&s.vpc("CreateVpc", json!({"VpcName": "x"})).await, "MissingParameter");
    err(&s.vpc("CreateVpc", json!({"CidrBlock": "10.0.0.0/16"})).await, "MissingParameter");
    err(
        &s.vpc("CreateVpc", json!({"VpcName": "x".repeat(61), "CidrBlock": "10.0.0.0/16"})).await,
        "InvalidParameterValue.TooLong",
    );
    err(
        &s.vpc("CreateVpc", json!({"VpcName": "x", "CidrBlock": "10.0.0.0/16", "DnsServers": ["1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4", "1.1.1.5"]}))
            .await,
        "InvalidParameterValue.LimitExceeded",
    );
    assert_eq!(ok(s.vpc("DescribeVpcs", json!({})).await)["TotalCount"], json!(1), "refusals create nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_vpcs_filters_and_paging() {
    let s = TestServer::start().await;
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(new_vpc(&s, &format!("net-{i}"), &format!("10.{i}.0.0/16")).await);
    }
    ok(s.vpc(
        "CreateVpc",
        json!({"VpcName": "prod-main", "CidrBlock": "172.16.0.0/16", "Tags": [{"Key": "env", "Value": "prod"}]}),
    )
    .await);
    let q = |body: Value| {
        let s = &s;
        async move { ok(s.vpc("DescribeVpcs", body).await) }
    };
    let r = q(json!({"Limit": "5", "Offset": "10"})).await;
    assert_eq!(r["TotalCount"], json!(13));
    assert_eq!(r["VpcSet"].as_array().unwrap().len(), 3);
    let r = q(json!({"Limit": 5})).await;
    assert_eq!(r["VpcSet"].as_array().unwrap().len(), 5);
    assert_eq!(
        q(json!({"Filters": [{"Name": "vpc-name", "Values": ["prod"]}]})).await["TotalCount"],
        json!(1),
        "fuzzy name"
    );
    assert_eq!(
        q(json!({"Filters": [{"Name": "vpc-name", "Values": ["net-1"]}]})).await["TotalCount"],
        json!(3),
        "net-1, net-10, net-11"
    );
    assert_eq!(q(json!({"Filters": [{"Name": "vpc-id", "Values": [ids[0], ids[5]]}]})).await["TotalCount"], json!(2));
    assert_eq!(
        q(json!({"Filters": [{"Name": "cidr-block", "Values": ["10.3.0.0/16"]}]})).await["TotalCount"],
        json!(1)
    );
    assert_eq!(q(json!({"Filters": [{"Name": "is-default", "Values": ["false"]}]})).await["TotalCount"], json!(13));
    assert_eq!(q(json!({"Filters": [{"Name": "tag:env", "Values": ["prod"]}]})).await["TotalCount"], json!(1));
    assert_eq!(q(json!({"Filters": [{"Name": "tag-key", "Values": ["env"]}]})).await["TotalCount"], json!(1));
    assert_eq!(
        q(json!({"Filters": [{"Name": "vpc-name", "Values": ["net-1"]}, {"Name": "cidr-block", "Values": ["10.1.0.0/16"]}]})).await
            ["TotalCount"],
        json!(1),
        "filters AND"
    );
    assert_eq!(q(json!({"VpcIds": [ids[2], "vpc-zzzzzzzz"]})).await["TotalCount"], json!(1));
    err(
        &s.vpc("DescribeVpcs", json!({"VpcIds": [ids[0]], "Filters": [{"Name": "vpc-id", "Values": [ids[0]]}]})).await,
        "InvalidParameter.Coexist",
    );
    err(
        &s.vpc("DescribeVpcs", json!({"Filters": [{"Name": "zone", "Values": [ZONE]}]})).await,
        "InvalidParameter.FilterInvalidKey",
    );
    err(&s.vpc("DescribeVpcs", json!({"Filters": [{"Name": "vpc-id"}]})).await, "InvalidParameter.FilterValuesNotList");
    err(&s.vpc("DescribeVpcs", json!({"Limit": "200"})).await, "InvalidParameterValue.Range");
    err(&s.vpc("DescribeVpcs", json!({"VpcIds": ["vpc_123"]})).await, "InvalidParameterValue.Malformed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modify_and_delete_vpc() {
    let s = TestServer::start().await;
    let v = new_vpc(&s, "old", "10.0.0.0/16").await;
    ok(s.vpc(
        "ModifyVpcAttribute",
        json!({"VpcId": v, "VpcName": "new", "DnsServers": ["9.9.9.9"], "EnableMulticast": false}),
    )
    .await);
    let r = ok(s.vpc("DescribeVpcs", json!({"VpcIds": [v]})).await);
    assert_eq!(r["VpcSet"][0]["VpcName"], json!("new"));
    assert_eq!(r["VpcSet"][0]["DnsServerSet"], json!(["9.9.9.9"]));
    assert_eq!(r["VpcSet"][0]["CidrBlock"], json!("10.0.0.0/16"));
    err(&s.vpc("ModifyVpcAttribute", json!({"VpcId": "vpc-zzzzzzzz", "VpcName": "x"})).await, "ResourceNotFound");

    // A VPC with a subnet is in use; with only an ENI too; empty it can go.
    let sn = s.subnet_in(&v, "10.0.1.0/24", ZONE).await;
    err(&s.vpc("DeleteVpc", json!({"VpcId": v})).await, "ResourceInUse");
    ok(s.vpc("DeleteSubnet", json!({"SubnetId": sn})).await);
    ok(s.vpc("DeleteVpc", json!({"VpcId": v})).await);
    assert_eq!(ok(s.vpc("DescribeVpcs", json!({})).await)["TotalCount"], json!(0));
    err(&s.vpc("DeleteVpc", json!({"VpcId": v})).await, "ResourceNotFound");
    err(&s.vpc("DeleteVpc", json!({"VpcId": "nope"})).await, "InvalidParameterValue.Malformed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subnets_create_describe_modify() {
    let s = TestServer::start().await;
    let v = new_vpc(&s, "v", "10.0.0.0/16").await;
    let r = ok(s
        .vpc(
            "CreateSubnet",
            json!({"VpcId": v, "SubnetName": "a", "CidrBlock": "10.0.1.0/24", "Zone": ZONE,
                   "Tags": [{"Key": "tier", "Value": "web"}]}),
        )
        .await);
    let sn = &r["Subnet"];
    let a = sn["SubnetId"].as_str().unwrap().to_string();
    assert!(id_shape(&a, "subnet-"), "{a}");
    assert_eq!(sn["VpcId"], json!(v));
    assert_eq!(sn["Zone"], json!(ZONE));
    assert_eq!(sn["TotalIpAddressCount"], json!(256));
    assert_eq!(sn["AvailableIpAddressCount"], json!(253));
    assert_eq!(sn["IsDefault"], json!(false));
    let b = s.subnet_in(&v, "10.0.2.0/24", ZONE2).await;

    // Refusals.
    let create = |cidr: &str, zone: &str| json!({"VpcId": v, "SubnetName": "x", "CidrBlock": cidr, "Zone": zone});
    err(&s.vpc("CreateSubnet", create("10.0.1.128/25", ZONE)).await, "InvalidParameterValue.SubnetConflict");
    let r = s.vpc("CreateSubnet", create("10.1.0.0/24", ZONE)).await;
    assert!(common::code(&r).is_some_and(|c| c.starts_with("InvalidParameterValue")), "outside the VPC: {r}");
    let r = s.vpc("CreateSubnet", create("10.0.3.0/30", ZONE)).await;
    assert!(common::code(&r).is_some_and(|c| c.starts_with("InvalidParameterValue")), "too small: {r}");
    err(&s.vpc("CreateSubnet", create("10.0.3.0/24", "ap-shanghai-2")).await, "InvalidParameterValue");
    err(
        &s.vpc(
            "CreateSubnet",
            json!({"VpcId": "vpc-zzzzzzzz", "SubnetName": "x", "CidrBlock": "10.0.3.0/24", "Zone": ZONE}),
        )
        .await,
        "ResourceNotFound",
    );
    err(
        &s.vpc("CreateSubnet", json!({"VpcId": v, "SubnetName": "x", "CidrBlock": "10.0.3.0/24"})).await,
        "MissingParameter",
    );

    let q = |body: Value| {
        let s = &s;
        async move { ok(s.vpc("DescribeSubnets", body).await) }
    };
    assert_eq!(q(json!({})).await["TotalCount"], json!(2));
    assert_eq!(
        q(json!({"Filters": [{"Name": "zone", "Values": [ZONE2]}]})).await["SubnetSet"][0]["SubnetId"],
        json!(b)
    );
    assert_eq!(q(json!({"Filters": [{"Name": "vpc-id", "Values": [v]}]})).await["TotalCount"], json!(2));
    assert_eq!(q(json!({"Filters": [{"Name": "subnet-name", "Values": ["a"]}]})).await["TotalCount"], json!(1));
    assert_eq!(
        q(json!({"Filters": [{"Name": "cidr-block", "Values": ["10.0.2.0/24"]}]})).await["TotalCount"],
        json!(1)
    );
    assert_eq!(q(json!({"Filters": [{"Name": "tag:tier", "Values": ["web"]}]})).await["TotalCount"], json!(1));
    assert_eq!(
        q(json!({"Filters": [{"Name": "zone", "Values": [ZONE]}, {"Name": "subnet-id", "Values": [b]}]})).await
            ["TotalCount"],
        json!(0)
    );
    assert_eq!(q(json!({"Limit": "1", "Offset": "1"})).await["SubnetSet"].as_array().unwrap().len(), 1);
    assert_eq!(q(json!({"SubnetIds": [a]})).await["TotalCount"], json!(1));
    err(
        &s.vpc("DescribeSubnets", json!({"SubnetIds": [a], "Filters": [{"Name": "zone", "Values": [ZONE]}]})).await,
        "InvalidParameter.Coexist",
    );
    err(
        &s.vpc("DescribeSubnets", json!({"Filters": [{"Name": "region", "Values": ["x"]}]})).await,
        "InvalidParameter.FilterInvalidKey",
    );

    ok(s.vpc("ModifySubnetAttribute", json!({"SubnetId": a, "SubnetName": "renamed", "EnableBroadcast": "True"}))
        .await);
    let r = q(json!({"SubnetIds": [a]})).await;
    assert_eq!(r["SubnetSet"][0]["SubnetName"], json!("renamed"));
    assert_eq!(r["SubnetSet"][0]["EnableBroadcast"], json!(true));
    assert_eq!(r["SubnetSet"][0]["CidrBlock"], json!("10.0.1.0/24"));
    err(
        &s.vpc("ModifySubnetAttribute", json!({"SubnetId": "subnet-zzzzzzzz", "SubnetName": "x"})).await,
        "ResourceNotFound",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_subnet_in_use() {
    let s = TestServer::start().await;
    let net = s.net().await;
    // An ENI holds the subnet.
    let eni = s.eni(&net, &net.sgs).await;
    err(&s.vpc("DeleteSubnet", json!({"SubnetId": net.subnet})).await, "ResourceInUse");
    err(&s.vpc("DeleteVpc", json!({"VpcId": net.vpc})).await, "ResourceInUse");
    ok(s.vpc("DeleteNetworkInterface", json!({"NetworkInterfaceId": eni})).await);
    assert!(s.wait_eni(&eni, "GONE").await);
    // An instance holds the subnet.
    let ins = s.instance(&net).await;
    err(&s.vpc("DeleteSubnet", json!({"SubnetId": net.subnet})).await, "ResourceInUse");
    ok(s.cvm("TerminateInstances", json!({"InstanceIds": [ins]})).await);
    assert!(s.wait_instance_as(&s.key.clone(), &ins, "GONE").await);
    ok(s.vpc("DeleteSubnet", json!({"SubnetId": net.subnet})).await);
    assert_eq!(ok(s.vpc("DescribeSubnets", json!({})).await)["TotalCount"], json!(0));
    ok(s.vpc("DeleteVpc", json!({"VpcId": net.vpc})).await);
    err(&s.vpc("DeleteSubnet", json!({"SubnetId": net.subnet})).await, "ResourceNotFound");
}
