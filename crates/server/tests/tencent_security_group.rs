//! Security group actions: create (with policies), delete (in-use rules), describe (filters,
//! paging), modify, policies (describe, create, delete) and limits.

mod common;

use common::tencent::{err, id_shape, ok};
use common::TestServer;
use serde_json::{json, Value};

async fn policies(s: &TestServer, sg: &str) -> Value {
    ok(s.vpc("DescribeSecurityGroupPolicies", json!({"SecurityGroupId": sg})).await)["SecurityGroupPolicySet"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_and_describe() {
    let s = TestServer::start().await;
    let r = ok(s
        .vpc(
            "CreateSecurityGroup",
            json!({"GroupName": "web", "GroupDescription": "web tier", "ProjectId": "0",
                   "Tags": [{"Key": "env", "Value": "prod"}]}),
        )
        .await);
    let g = &r["SecurityGroup"];
    let id = g["SecurityGroupId"].as_str().unwrap().to_string();
    assert!(id_shape(&id, "sg-"), "{id}");
    assert_eq!(g["SecurityGroupName"], json!("web"));
    assert_eq!(g["SecurityGroupDesc"], json!("web tier"));
    assert_eq!(g["ProjectId"], json!("0"));
    assert_eq!(g["IsDefault"], json!(false));
    assert_eq!(g["TagSet"], json!([{"Key": "env", "Value": "prod"}]));
    assert_eq!(g["CreatedTime"].as_str().unwrap().len(), 19);
    // A new group denies everything: no policies.
    let p = policies(&s, &id).await;
    assert_eq!(p["Ingress"], json!([]));
    assert_eq!(p["Egress"], json!([]));
    assert!(p["Version"].is_string());

    err(&s.vpc("CreateSecurityGroup", json!({"GroupName": "x"})).await, "MissingParameter");
    err(
        &s.vpc("CreateSecurityGroup", json!({"GroupName": "x".repeat(61), "GroupDescription": "d"})).await,
        "InvalidParameterValue.TooLong",
    );
    err(
        &s.vpc("CreateSecurityGroup", json!({"GroupName": "x", "GroupDescription": "d".repeat(101)})).await,
        "InvalidParameterValue.TooLong",
    );
    // CreateSecurityGroup does not take policies.
    err(
        &s.vpc(
            "CreateSecurityGroup",
            json!({"GroupName": "x", "GroupDescription": "d", "SecurityGroupPolicySet": {"Ingress": []}}),
        )
        .await,
        "UnknownParameter",
    );
    assert_eq!(ok(s.vpc("DescribeSecurityGroups", json!({})).await)["TotalCount"], json!(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_with_policies_and_edit_policies() {
    let s = TestServer::start().await;
    let r = ok(s
        .vpc(
            "CreateSecurityGroupWithPolicies",
            json!({"GroupName": "db", "GroupDescription": "db",
                   "SecurityGroupPolicySet": {
                       "Ingress": [{"Protocol": "TCP", "Port": "3306", "CidrBlock": "10.0.0.0/16", "Action": "ACCEPT",
                                    "PolicyDescription": "mysql"},
                                   {"Protocol": "ICMP", "CidrBlock": "0.0.0.0/0", "Action": "ACCEPT"}],
                       "Egress": [{"Protocol": "ALL", "Port": "ALL", "CidrBlock": "0.0.0.0/0", "Action": "ACCEPT"}]}}),
        )
        .await);
    let id = r["SecurityGroup"]["SecurityGroupId"].as_str().unwrap().to_string();
    let p = policies(&s, &id).await;
    let ing = p["Ingress"].as_array().unwrap();
    assert_eq!(ing.len(), 2);
    assert_eq!(ing[0]["PolicyIndex"], json!(0));
    assert!(ing[0]["PolicyIndex"].is_i64());
    assert_eq!(ing[0]["Protocol"], json!("TCP"));
    assert_eq!(ing[0]["Port"], json!("3306"));
    assert_eq!(ing[0]["CidrBlock"], json!("10.0.0.0/16"));
    assert_eq!(ing[0]["Action"], json!("ACCEPT"));
    assert_eq!(ing[0]["PolicyDescription"], json!("mysql"));
    assert_eq!(ing[1]["PolicyIndex"], json!(1));
    assert_eq!(p["Egress"].as_array().unwrap().len(), 1);

    // Add an ingress rule at the front.
    let peer = s.sg_as(&s.key.clone(), "peer").await;
    ok(s.vpc(
        "CreateSecurityGroupPolicies",
        json!({"SecurityGroupId": id, "SecurityGroupPolicySet": {"Ingress": [
                {"PolicyIndex": 0, "Protocol": "TCP", "Port": "22", "SecurityGroupId": peer, "Action": "ACCEPT"}]}}),
    )
    .await);
    let p = policies(&s, &id).await;
    assert_eq!(p["Ingress"].as_array().unwrap().len(), 3);
    assert_eq!(p["Ingress"][0]["Port"], json!("22"));
    assert_eq!(p["Ingress"][0]["SecurityGroupId"], json!(peer));
    // The peer is now referenced and cannot be deleted.
    err(&s.vpc("DeleteSecurityGroup", json!({"SecurityGroupId": peer})).await, "ResourceInUse");

    // Ingress and Egress in one call; bad protocol/action/port/cidr.
    let both = json!({"SecurityGroupId": id, "SecurityGroupPolicySet": {
        "Ingress": [{"Protocol": "TCP", "Port": "80", "CidrBlock": "0.0.0.0/0", "Action": "ACCEPT"}],
        "Egress": [{"Protocol": "TCP", "Port": "80", "CidrBlock": "0.0.0.0/0", "Action": "ACCEPT"}]}});
    err(&s.vpc("CreateSecurityGroupPolicies", both).await, "InvalidParameter.Coexist");
    for (proto, port, cidr, action, code) in [
        ("SCTP", "80", "0.0.0.0/0", "ACCEPT", "InvalidParameterValue.Range"),
        ("TCP", "80", "0.0.0.0/0", "MAYBE", "InvalidParameterValue.Range"),
        ("TCP", "http", "0.0.0.0/0", "ACCEPT", "InvalidParameterValue.Range"),
        ("TCP", "80", "10.0.0.0/99", "ACCEPT", "InvalidParameterValue.Malformed"),
    ] {
        let r = s
            .vpc(
                "CreateSecurityGroupPolicies",
                json!({"SecurityGroupId": id, "SecurityGroupPolicySet": {"Ingress": [
                    {"Protocol": proto, "Port": port, "CidrBlock": cidr, "Action": action}]}}),
            )
            .await;
        err(&r, code);
    }
    assert_eq!(policies(&s, &id).await["Ingress"].as_array().unwrap().len(), 3, "refusals add nothing");

    // Delete by index, then by content.
    ok(s.vpc(
        "DeleteSecurityGroupPolicies",
        json!({"SecurityGroupId": id, "SecurityGroupPolicySet": {"Ingress": [{"PolicyIndex": 0}]}}),
    )
    .await);
    let p = policies(&s, &id).await;
    assert_eq!(p["Ingress"].as_array().unwrap().len(), 2);
    assert_eq!(p["Ingress"][0]["Port"], json!("3306"));
    ok(s.vpc("DeleteSecurityGroup", json!({"SecurityGroupId": peer})).await);
    ok(s.vpc(
        "DeleteSecurityGroupPolicies",
        json!({"SecurityGroupId": id, "SecurityGroupPolicySet": {"Egress": [
                {"Protocol": "ALL", "Port": "ALL", "CidrBlock": "0.0.0.0/0", "Action": "ACCEPT"}]}}),
    )
    .await);
    assert_eq!(policies(&s, &id).await["Egress"], json!([]));
    err(
        &s.vpc(
            "DeleteSecurityGroupPolicies",
            json!({"SecurityGroupId": id, "SecurityGroupPolicySet": {"Ingress": [{"PolicyIndex": 9}]}}),
        )
        .await,
        "ResourceNotFound",
    );
    err(&s.vpc("DescribeSecurityGroupPolicies", json!({"SecurityGroupId": "sg-zzzzzzzz"})).await, "ResourceNotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_rules() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let eni = s.eni(&net, &[net.sgs[0].clone()]).await;
    // Bound to an ENI → ResourceInUse, and it stays.
    err(&s.vpc("DeleteSecurityGroup", json!({"SecurityGroupId": net.sgs[0]})).await, "ResourceInUse");
    assert_eq!(
        ok(s.vpc("DescribeSecurityGroups", json!({"SecurityGroupIds": [net.sgs[0]]})).await)["TotalCount"],
        json!(1)
    );
    // Bound to an instance's primary ENI → ResourceInUse too.
    let ins = s
        .cvm(
            "RunInstances",
            json!({"Placement": {"Zone": common::tencent::ZONE}, "InstanceType": "S5.MEDIUM4", "ImageId": "img-eb30mz89",
                   "VirtualPrivateCloud": {"VpcId": net.vpc, "SubnetId": net.subnet}, "SecurityGroupIds": [net.sgs[1]]}),
        )
        .await;
    ok(ins);
    err(&s.vpc("DeleteSecurityGroup", json!({"SecurityGroupId": net.sgs[1]})).await, "ResourceInUse");
    // Once unbound it can go.
    ok(s.vpc(
        "DisassociateNetworkInterfaceSecurityGroups",
        json!({"NetworkInterfaceIds": [eni], "SecurityGroupIds": [net.sgs[0]]}),
    )
    .await);
    ok(s.vpc("DeleteSecurityGroup", json!({"SecurityGroupId": net.sgs[0]})).await);
    err(&s.vpc("DeleteSecurityGroup", json!({"SecurityGroupId": net.sgs[0]})).await, "ResourceNotFound");
    err(&s.vpc("DeleteSecurityGroup", json!({"SecurityGroupId": "sg-1"})).await, "InvalidParameterValue.Malformed");
    assert_eq!(ok(s.vpc("DescribeSecurityGroups", json!({})).await)["TotalCount"], json!(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modify_attribute() {
    let s = TestServer::start().await;
    let id = s.sg_as(&s.key.clone(), "before").await;
    ok(s.vpc("ModifySecurityGroupAttribute", json!({"SecurityGroupId": id, "GroupName": "after"})).await);
    let g = &ok(s.vpc("DescribeSecurityGroups", json!({"SecurityGroupIds": [id]})).await)["SecurityGroupSet"][0];
    assert_eq!(g["SecurityGroupName"], json!("after"));
    assert_eq!(g["SecurityGroupDesc"], json!("d"), "description unchanged");
    ok(s.vpc("ModifySecurityGroupAttribute", json!({"SecurityGroupId": id, "GroupDescription": "new"})).await);
    let g = &ok(s.vpc("DescribeSecurityGroups", json!({"SecurityGroupIds": [id]})).await)["SecurityGroupSet"][0];
    assert_eq!(g["SecurityGroupDesc"], json!("new"));
    assert_eq!(g["SecurityGroupName"], json!("after"));
    err(
        &s.vpc("ModifySecurityGroupAttribute", json!({"SecurityGroupId": "sg-zzzzzzzz", "GroupName": "x"})).await,
        "ResourceNotFound",
    );
    err(
        &s.vpc("ModifySecurityGroupAttribute", json!({"SecurityGroupId": id, "GroupName": "x".repeat(61)})).await,
        "InvalidParameterValue.TooLong",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_filters_paging_and_limits() {
    let s = TestServer::start().await;
    let mut ids = Vec::new();
    for i in 0..23 {
        ids.push(s.sg_as(&s.key.clone(), &format!("g{i}")).await);
    }
    ok(s.vpc(
        "CreateSecurityGroup",
        json!({"GroupName": "tagged", "GroupDescription": "d", "Tags": [{"Key": "team", "Value": "blue"}]}),
    )
    .await);
    let q = |body: Value| {
        let s = &s;
        async move { ok(s.vpc("DescribeSecurityGroups", body).await) }
    };
    let r = q(json!({})).await;
    assert_eq!(r["TotalCount"], json!(24));
    assert_eq!(r["SecurityGroupSet"].as_array().unwrap().len(), 20, "default Limit 20");
    let r = q(json!({"Offset": "20", "Limit": "100"})).await;
    assert_eq!(r["SecurityGroupSet"].as_array().unwrap().len(), 4);
    err(&s.vpc("DescribeSecurityGroups", json!({"Limit": "101"})).await, "InvalidParameterValue.Range");
    let r = q(json!({"Filters": [{"Name": "security-group-id", "Values": [ids[0], ids[1]]}]})).await;
    assert_eq!(r["TotalCount"], json!(2));
    let r = q(json!({"Filters": [{"Name": "security-group-name", "Values": ["g3"]}]})).await;
    assert_eq!(r["TotalCount"], json!(1));
    assert_eq!(r["SecurityGroupSet"][0]["SecurityGroupId"], json!(ids[3]));
    let r = q(json!({"Filters": [{"Name": "security-group-name", "Values": ["g3"]},
                                 {"Name": "security-group-id", "Values": [ids[4]]}]}))
    .await;
    assert_eq!(r["TotalCount"], json!(0), "filters AND");
    let r = q(json!({"Filters": [{"Name": "tag:team", "Values": ["blue"]}]})).await;
    assert_eq!(r["TotalCount"], json!(1));
    let r = q(json!({"Filters": [{"Name": "tag-key", "Values": ["team"]}]})).await;
    assert_eq!(r["TotalCount"], json!(1));
    let r = q(json!({"Filters": [{"Name": "project-id", "Values": ["0"]}]})).await;
    assert_eq!(r["TotalCount"], json!(24));
    err(
        &s.vpc(
            "DescribeSecurityGroups",
            json!({"SecurityGroupIds": [ids[0]], "Filters": [{"Name": "security-group-name", "Values": ["g0"]}]}),
        )
        .await,
        "InvalidParameter.Coexist",
    );
    err(
        &s.vpc("DescribeSecurityGroups", json!({"Filters": [{"Name": "vpc-id", "Values": ["vpc-12345678"]}]})).await,
        "InvalidParameter.FilterInvalidKey",
    );
    err(
        &s.vpc("DescribeSecurityGroups", json!({"SecurityGroupIds": ["sg-X"]})).await,
        "InvalidParameterValue.Malformed",
    );

    let r = ok(s.vpc("DescribeSecurityGroupLimits", json!({})).await);
    let l = &r["SecurityGroupLimitSet"];
    assert_eq!(l["SecurityGroupLimit"], json!(50));
    assert_eq!(l["SecurityGroupPolicyLimit"], json!(100));
    assert!(l["InstanceSecurityGroupLimit"].is_u64());
    err(&s.vpc("DescribeSecurityGroupLimits", json!({"X": 1})).await, "UnknownParameter");
}
