//! ENS security group actions over HTTP: create with Permissions (both JSON encodings), delete,
//! describe, modify, authorize/revoke in both directions, and Join/Leave by instance or ENI with
//! the last-group rule.

// The shared harness predates a newer clippy lint; keep it out of this target's clippy run.
#[allow(clippy::field_reassign_with_default)]
mod common;
mod ens_support;

use common::TestServer;
use ens_support::*;
use serde_json::json;

const PERMS: &str = r#"[{"Direction":"ingress","IpProtocol":"TCP","Policy":"Accept","PortRange":"22/22","Priority":1,"SourceCidrIp":"0.0.0.0/0"},{"Direction":"egress","IpProtocol":"ALL","Policy":"Drop","PortRange":"-1/-1","Priority":2,"DestCidrIp":"10.0.0.0/8","Description":"no egress"}]"#;

async fn rules(s: &TestServer, sg: &str) -> serde_json::Value {
    let r = s.ens("DescribeSecurityGroupAttribute", &[("SecurityGroupId", sg)]).await;
    ok(&r)["Permissions"]["Permission"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn create_with_permissions_and_describe() {
    let s = TestServer::start().await;
    let r = s
        .ens(
            "CreateSecurityGroup",
            &[("SecurityGroupName", "web"), ("Description", "web tier"), ("Permissions", PERMS)],
        )
        .await;
    let sg = ok(&r)["SecurityGroupId"].as_str().unwrap().to_string();
    assert!(sg.starts_with("sg-"));
    let r = s.ens("DescribeSecurityGroupAttribute", &[("SecurityGroupId", &sg)]).await;
    let b = ok(&r);
    assert_eq!((b["SecurityGroupName"].as_str(), b["Description"].as_str()), (Some("web"), Some("web tier")));
    let p = &b["Permissions"]["Permission"];
    assert_eq!(p.as_array().unwrap().len(), 2);
    assert_eq!(p[0]["Direction"], "ingress");
    assert_eq!(p[0]["PortRange"], "22/22");
    assert_eq!(p[0]["Priority"], 1, "integer priority");
    assert_eq!(p[0]["SourceCidrIp"], "0.0.0.0/0");
    assert_eq!(p[1]["Direction"], "egress");
    assert_eq!(p[1]["DestCidrIp"], "10.0.0.0/8");
    assert_eq!(p[1]["Policy"], "Drop");
    assert_eq!(p[1]["Description"], "no egress");
    // core SDK: json.dumps with spaces, V1 signature
    let spaced = serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(PERMS).unwrap()).unwrap();
    let r =
        s.ens_v1_as(&s.key, "CreateSecurityGroup", &[("SecurityGroupName", "web2"), ("Permissions", &spaced)]).await;
    let sg2 = ok(&r)["SecurityGroupId"].as_str().unwrap().to_string();
    assert_eq!(rules(&s, &sg2).await.as_array().unwrap().len(), 2);
    // describe: filters and pagination
    let r = s.ens("DescribeSecurityGroups", &[("SecurityGroupName", "web2")]).await;
    let b = ok(&r);
    assert_eq!(b["TotalCount"], 1);
    let g = &b["SecurityGroups"]["SecurityGroup"][0];
    assert_eq!(g["SecurityGroupId"], sg2.as_str());
    assert_eq!(g["InstanceCount"], 0);
    assert_eq!(g["InstanceIds"], json!({"InstanceId": []}));
    assert_eq!(g["NetworkInterfaceIds"], json!({"NetworkInterfaceId": []}));
    let r = s.ens("DescribeSecurityGroups", &[("PageSize", "1")]).await;
    let b = ok(&r);
    assert_eq!((b["TotalCount"].clone(), b["PageSize"].clone()), (json!(2), json!(1)));
    assert_eq!(b["SecurityGroups"]["SecurityGroup"].as_array().unwrap().len(), 1);
    let r = s.ens("DescribeSecurityGroups", &[("SecurityGroupId", "sg-00000000000000000000")]).await;
    assert_eq!(ok(&r)["SecurityGroups"]["SecurityGroup"], json!([]));
    fails(&s.ens("DescribeSecurityGroups", &[("PageSize", "51")]).await, 400, "InvalidParameter.PageSize");
    fails(
        &s.ens("DescribeSecurityGroupAttribute", &[("SecurityGroupId", "sg-00000000000000000000")]).await,
        400,
        "InvalidSecurityGroupId.NotFound",
    );
    // invisible to another account
    let other = s.account("other").await;
    let r = s.ens_acs3_as(&other, "DescribeSecurityGroupAttribute", &[("SecurityGroupId", &sg)]).await;
    fails(&r, 400, "InvalidSecurityGroupId.NotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn create_validation() {
    let s = TestServer::start().await;
    fails(
        &s.ens("CreateSecurityGroup", &[("SecurityGroupName", "1abc")]).await,
        400,
        "InvalidParameter.SecurityGroupName",
    );
    fails(&s.ens("CreateSecurityGroup", &[("Permissions", "{not json")]).await, 400, "InvalidParameter.Permissions");
    let bad_port = r#"[{"Direction":"ingress","IpProtocol":"TCP","Policy":"Accept","PortRange":"200/1","Priority":1}]"#;
    fails(
        &s.ens("CreateSecurityGroup", &[("Permissions", bad_port)]).await,
        400,
        "InvalidParameter.Permissions.PortRange",
    );
    let bad_dir = r#"[{"Direction":"sideways","IpProtocol":"TCP","PortRange":"1/2","Priority":1}]"#;
    fails(
        &s.ens("CreateSecurityGroup", &[("Permissions", bad_dir)]).await,
        400,
        "InvalidParameter.Permissions.Direction",
    );
    let no_priority = r#"[{"Direction":"ingress","IpProtocol":"TCP","PortRange":"1/2"}]"#;
    fails(&s.ens("CreateSecurityGroup", &[("Permissions", no_priority)]).await, 400, "MissingParameter");
    let bad_member = r#"[{"Direction":"ingress","IpProtocol":"TCP","PortRange":"1/2","Priority":1,"Color":"red"}]"#;
    fails(&s.ens("CreateSecurityGroup", &[("Permissions", bad_member)]).await, 400, "InvalidParameter.Permissions");
    assert_eq!(ok(&s.ens("DescribeSecurityGroups", &[]).await)["TotalCount"], 0, "nothing was created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn authorize_and_revoke_both_directions() {
    let s = TestServer::start().await;
    let sg = ok(&s.ens("CreateSecurityGroup", &[]).await)["SecurityGroupId"].as_str().unwrap().to_string();
    let ingress = [
        ("SecurityGroupId", sg.as_str()),
        ("IpProtocol", "tcp"),
        ("PortRange", "80/80"),
        ("SourceCidrIp", "1.2.3.0/24"),
    ];
    ok(&s.ens("AuthorizeSecurityGroup", &ingress).await);
    fails(&s.ens("AuthorizeSecurityGroup", &ingress).await, 400, "InvalidPermission.Duplicate");
    let egress = [
        ("SecurityGroupId", sg.as_str()),
        ("IpProtocol", "udp"),
        ("PortRange", "53/53"),
        ("DestCidrIp", "8.8.8.8"),
        ("Policy", "drop"),
        ("Priority", "5"),
    ];
    ok(&s.ens("AuthorizeSecurityGroupEgress", &egress).await);
    let p = rules(&s, &sg).await;
    assert_eq!(p.as_array().unwrap().len(), 2);
    assert_eq!((p[0]["Policy"].as_str(), p[0]["Priority"].as_i64()), (Some("accept"), Some(1)), "defaults");
    assert_eq!((p[1]["DestCidrIp"].as_str(), p[1]["Priority"].as_i64()), (Some("8.8.8.8"), Some(5)));
    // validation
    fails(
        &s.ens("AuthorizeSecurityGroup", &[("SecurityGroupId", &sg), ("IpProtocol", "tcp"), ("PortRange", "80/80")])
            .await,
        400,
        "MissingParameter",
    );
    fails(
        &s.ens(
            "AuthorizeSecurityGroup",
            &[("SecurityGroupId", &sg), ("IpProtocol", "sctp"), ("PortRange", "1/2"), ("SourceCidrIp", "0.0.0.0/0")],
        )
        .await,
        400,
        "InvalidParameter.IpProtocol",
    );
    fails(
        &s.ens(
            "AuthorizeSecurityGroup",
            &[("SecurityGroupId", &sg), ("IpProtocol", "icmp"), ("PortRange", "1/2"), ("SourceCidrIp", "0.0.0.0/0")],
        )
        .await,
        400,
        "InvalidParameter.PortRange",
    );
    fails(
        &s.ens(
            "AuthorizeSecurityGroup",
            &[("SecurityGroupId", &sg), ("IpProtocol", "all"), ("PortRange", "-1/-1"), ("SourceCidrIp", "300.0.0.0/8")],
        )
        .await,
        400,
        "InvalidParameter.SourceCidrIp",
    );
    fails(
        &s.ens(
            "AuthorizeSecurityGroup",
            &[
                ("SecurityGroupId", &sg),
                ("IpProtocol", "all"),
                ("PortRange", "-1/-1"),
                ("SourceCidrIp", "0.0.0.0/0"),
                ("Priority", "101"),
            ],
        )
        .await,
        400,
        "InvalidParameter.Priority",
    );
    fails(
        &s.ens(
            "AuthorizeSecurityGroupEgress",
            &[("SecurityGroupId", &sg), ("IpProtocol", "all"), ("PortRange", "-1/-1"), ("SourceCidrIp", "0.0.0.0/0")],
        )
        .await,
        400,
        "InvalidParameter",
    );
    fails(
        &s.ens(
            "AuthorizeSecurityGroup",
            &[
                ("SecurityGroupId", "sg-00000000000000000000"),
                ("IpProtocol", "all"),
                ("PortRange", "-1/-1"),
                ("SourceCidrIp", "0.0.0.0/0"),
            ],
        )
        .await,
        400,
        "InvalidSecurityGroupId.NotFound",
    );
    // revoke
    fails(
        &s.ens(
            "RevokeSecurityGroup",
            &[
                ("SecurityGroupId", sg.as_str()),
                ("IpProtocol", "tcp"),
                ("PortRange", "81/81"),
                ("SourceCidrIp", "1.2.3.0/24"),
            ],
        )
        .await,
        400,
        "InvalidPermission.NotFound",
    );
    ok(&s.ens("RevokeSecurityGroup", &ingress).await);
    ok(&s.ens("RevokeSecurityGroupEgress", &egress).await);
    assert_eq!(rules(&s, &sg).await, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn modify_and_delete() {
    let s = TestServer::start().await;
    let net = network(&s).await;
    ok(&s
        .ens(
            "ModifySecurityGroupAttribute",
            &[("SecurityGroupId", &net.sg), ("SecurityGroupName", "renamed"), ("Description", "desc")],
        )
        .await);
    let r = s.ens("DescribeSecurityGroupAttribute", &[("SecurityGroupId", &net.sg)]).await;
    assert_eq!((ok(&r)["SecurityGroupName"].as_str(), r.body["Description"].as_str()), (Some("renamed"), Some("desc")));
    fails(
        &s.ens("ModifySecurityGroupAttribute", &[("SecurityGroupId", &net.sg), ("SecurityGroupName", "x")]).await,
        400,
        "InvalidParameter.SecurityGroupName",
    );
    fails(&s.ens("ModifySecurityGroupAttribute", &[("SecurityGroupName", "abc")]).await, 400, "MissingParameter");
    // in use by an ENI in another region → cannot delete
    let far = network_in(&s, &s.key, OTHER_REGION).await;
    let e = create_eni(&s, &Net { sg: net.sg.clone(), ..far }).await;
    let m = fails(&s.ens("DeleteSecurityGroup", &[("SecurityGroupId", &net.sg)]).await, 400, "DependencyViolation");
    assert!(m.contains(&e), "{m}");
    let r = s.ens("DescribeSecurityGroups", &[("SecurityGroupId", &net.sg)]).await;
    assert_eq!(ok(&r)["SecurityGroups"]["SecurityGroup"][0]["NetworkInterfaceIds"]["NetworkInterfaceId"], json!([e]));
    ok(&s.ens("DeleteNetworkInterfaces", &[("NetworkInterfaceIds", &format!("[\"{e}\"]"))]).await);
    let gone = s.wait_until(std::time::Duration::from_secs(5), || async { eni(&s, &e).await.is_null() }).await;
    assert!(gone);
    ok(&s.ens("DeleteSecurityGroup", &[("SecurityGroupId", &net.sg)]).await);
    fails(&s.ens("DeleteSecurityGroup", &[("SecurityGroupId", &net.sg)]).await, 400, "InvalidSecurityGroupId.NotFound");
    fails(&s.ens("DeleteSecurityGroup", &[("SecurityGroupId", "bad")]).await, 400, "InvalidParameter.SecurityGroupId");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn join_and_leave_by_instance_and_eni() {
    let s = TestServer::start().await;
    let net = network(&s).await;
    let ins = instance(&s, &net).await;
    let primary = primary_eni(&s, &ins).await;
    let sg2 = ok(&s.ens("CreateSecurityGroup", &[("SecurityGroupName", "second")]).await)["SecurityGroupId"]
        .as_str()
        .unwrap()
        .to_string();
    // by instance: acts on the primary ENI, visible in DescribeInstances
    ok(&s.ens("JoinSecurityGroup", &[("SecurityGroupId", &sg2), ("InstanceId", &ins)]).await);
    assert_eq!(eni(&s, &primary).await["SecurityGroupIds"]["SecurityGroup"], json!([net.sg, sg2]));
    let i = describe_instance_as(&s, &s.key, &ins).await;
    assert_eq!(i["SecurityGroupIds"], json!({"SecurityGroupId": [net.sg, sg2]}));
    let r = s.ens("DescribeSecurityGroups", &[("SecurityGroupId", &sg2)]).await;
    let g = &ok(&r)["SecurityGroups"]["SecurityGroup"][0];
    assert_eq!(
        (g["InstanceCount"].as_i64(), g["InstanceIds"]["InstanceId"][0].as_str()),
        (Some(1), Some(ins.as_str()))
    );
    ok(&s.ens("LeaveSecurityGroup", &[("SecurityGroupId", &net.sg), ("InstanceId", &ins)]).await);
    assert_eq!(eni(&s, &primary).await["SecurityGroupIds"]["SecurityGroup"], json!([sg2]));
    let m = fails(
        &s.ens("LeaveSecurityGroup", &[("SecurityGroupId", &sg2), ("InstanceId", &ins)]).await,
        400,
        "InstanceLastSecurityGroup",
    );
    assert!(m.contains(&ins), "{m}");
    // by ENI
    let e = create_eni(&s, &net).await;
    ok(&s.ens("JoinSecurityGroup", &[("SecurityGroupId", &sg2), ("NetworkInterfaceId", &e)]).await);
    ok(&s.ens("JoinSecurityGroup", &[("SecurityGroupId", &sg2), ("NetworkInterfaceId", &e)]).await);
    assert_eq!(
        eni(&s, &e).await["SecurityGroupIds"]["SecurityGroup"],
        json!([net.sg, sg2]),
        "joining twice is a no-op"
    );
    ok(&s.ens("LeaveSecurityGroup", &[("SecurityGroupId", &net.sg), ("NetworkInterfaceId", &e)]).await);
    fails(
        &s.ens("LeaveSecurityGroup", &[("SecurityGroupId", &sg2), ("NetworkInterfaceId", &e)]).await,
        400,
        "InstanceLastSecurityGroup",
    );
    assert_eq!(eni(&s, &e).await["SecurityGroupIds"]["SecurityGroup"], json!([sg2]));
    // errors
    fails(&s.ens("JoinSecurityGroup", &[("SecurityGroupId", &sg2)]).await, 400, "MissingParameter");
    fails(
        &s.ens("JoinSecurityGroup", &[("SecurityGroupId", &sg2), ("InstanceId", &ins), ("NetworkInterfaceId", &e)])
            .await,
        400,
        "InvalidParameter.NetworkInterfaceId",
    );
    fails(
        &s.ens("JoinSecurityGroup", &[("SecurityGroupId", "sg-00000000000000000000"), ("NetworkInterfaceId", &e)])
            .await,
        400,
        "InvalidSecurityGroupId.NotFound",
    );
    fails(
        &s.ens("JoinSecurityGroup", &[("SecurityGroupId", &sg2), ("NetworkInterfaceId", UNKNOWN_ENI)]).await,
        400,
        "InvalidEniId.NotFound",
    );
    fails(
        &s.ens("LeaveSecurityGroup", &[("SecurityGroupId", &sg2), ("InstanceId", UNKNOWN_INSTANCE)]).await,
        400,
        "InstanceNotFound",
    );
    make_service_managed(&s, &s.key, &e, REGION).await;
    fails(
        &s.ens("JoinSecurityGroup", &[("SecurityGroupId", &net.sg), ("NetworkInterfaceId", &e)]).await,
        400,
        "InvalidParameter.EniServiceManaged",
    );
    // at most 5 groups per ENI
    let mut groups = vec![sg2.clone()];
    for n in 0..4 {
        let g = ok(&s.ens("CreateSecurityGroup", &[("SecurityGroupName", &format!("g{n}"))]).await)["SecurityGroupId"]
            .as_str()
            .unwrap()
            .to_string();
        ok(&s.ens("JoinSecurityGroup", &[("SecurityGroupId", &g), ("InstanceId", &ins)]).await);
        groups.push(g);
    }
    fails(
        &s.ens("JoinSecurityGroup", &[("SecurityGroupId", &net.sg), ("InstanceId", &ins)]).await,
        400,
        "QuotaExceeded.SecurityGroupsPerEni",
    );
    assert_eq!(eni(&s, &primary).await["SecurityGroupIds"]["SecurityGroup"], json!(groups));
}
