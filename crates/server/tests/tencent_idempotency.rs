//! `ClientToken` idempotency: a repeated write with the same token and parameters returns the
//! first answer (same RequestId, same resource) without running again; other parameters are a
//! mismatch; a failed call releases its token; tokens are per account, region and action.

mod common;

use common::tencent::{err, ok};
use common::TestServer;
use serde_json::{json, Value};

fn eni_body(net: &common::tencent::Net, name: &str, token: &str) -> Value {
    json!({"VpcId": net.vpc, "SubnetId": net.subnet, "NetworkInterfaceName": name,
           "SecurityGroupIds": [net.sgs[0]], "ClientToken": token})
}

async fn total_enis(s: &TestServer) -> u64 {
    ok(s.vpc("DescribeNetworkInterfaces", json!({})).await)["TotalCount"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_token_same_parameters_replays_the_first_answer() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let first = ok(s.vpc("CreateNetworkInterface", eni_body(&net, "e", "tok-1")).await);
    let again = ok(s.vpc("CreateNetworkInterface", eni_body(&net, "e", "tok-1")).await);
    assert_eq!(first["NetworkInterface"]["NetworkInterfaceId"], again["NetworkInterface"]["NetworkInterfaceId"]);
    assert_eq!(first["RequestId"], again["RequestId"], "the replay keeps the task id");
    assert_eq!(total_enis(&s).await, 1, "the repeat did not create a second ENI");
    let task = ok(s.vpc("DescribeVpcTaskResult", json!({"TaskId": again["RequestId"]})).await);
    assert!(task["Status"] == "RUNNING" || task["Status"] == "SUCCESS", "{task}");

    // Without a token, each call is its own.
    ok(s.vpc("CreateNetworkInterface", eni_body(&net, "f", "")).await);
    ok(s.vpc("CreateNetworkInterface", eni_body(&net, "f", "")).await);
    assert_eq!(total_enis(&s).await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_token_other_parameters_is_a_mismatch() {
    let s = TestServer::start().await;
    let net = s.net().await;
    ok(s.vpc("CreateNetworkInterface", eni_body(&net, "e", "tok-2")).await);
    let r = s.vpc("CreateNetworkInterface", eni_body(&net, "other-name", "tok-2")).await;
    err(&r, "UnsupportedOperation.IdempotentParameterMismatch");
    assert_eq!(total_enis(&s).await, 1);
    let long = "x".repeat(65);
    err(&s.vpc("CreateNetworkInterface", eni_body(&net, "e", &long)).await, "InvalidParameterValue");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_call_releases_its_token_and_tokens_are_per_account() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let mut bad = eni_body(&net, "e", "tok-3");
    bad["SubnetId"] = json!("subnet-00000000");
    err(&s.vpc("CreateNetworkInterface", bad).await, "ResourceNotFound");
    ok(s.vpc("CreateNetworkInterface", eni_body(&net, "e", "tok-3")).await);
    assert_eq!(total_enis(&s).await, 1);

    let other = s.account("other").await;
    let their_net = s.net_as(&other).await;
    let r = s
        .tc3_as(&other, "vpc", "CreateNetworkInterface", Some("ap-guangzhou"), eni_body(&their_net, "e", "tok-3"))
        .await;
    ok(r.body["Response"].clone());
    assert_eq!(total_enis(&s).await, 1, "the other account's ENI is its own");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attach_with_a_token_runs_once() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let ins = s.instance(&net).await;
    let eni = s.eni(&net, &net.sgs[..1]).await;
    let body = json!({"NetworkInterfaceId": eni, "InstanceId": ins, "ClientToken": "attach-1"});
    let first = ok(s.vpc("AttachNetworkInterface", body.clone()).await);
    let again = ok(s.vpc("AttachNetworkInterface", body).await);
    assert_eq!(first["RequestId"], again["RequestId"], "not AttachmentAlreadyExists: the repeat is the first call");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_per_region() {
    let s = TestServer::start().await;
    let key = s.key.clone();
    let in_region = |region: &'static str, action: &'static str, params: Value| {
        let s = &s;
        let key = key.clone();
        async move { s.tc3_as(&key, "vpc", action, Some(region), params).await.body["Response"].clone() }
    };
    let here = s.net().await;
    let vpc = ok(in_region("ap-shanghai", "CreateVpc", json!({"VpcName": "v", "CidrBlock": "10.0.0.0/16"})).await);
    let vpc = vpc["Vpc"]["VpcId"].as_str().unwrap().to_string();
    let subnet = ok(in_region(
        "ap-shanghai",
        "CreateSubnet",
        json!({"VpcId": vpc, "SubnetName": "s", "CidrBlock": "10.0.1.0/24", "Zone": "ap-shanghai-2"}),
    )
    .await);
    let subnet = subnet["Subnet"]["SubnetId"].as_str().unwrap().to_string();
    let sg =
        ok(in_region("ap-shanghai", "CreateSecurityGroup", json!({"GroupName": "g", "GroupDescription": "d"})).await);
    let sg = sg["SecurityGroup"]["SecurityGroupId"].as_str().unwrap().to_string();
    let there = common::tencent::Net { vpc, subnet, sgs: vec![sg] };

    let first_here = ok(in_region("ap-guangzhou", "CreateNetworkInterface", eni_body(&here, "e", "tok-r")).await);
    // The same token in another region is another token: it runs there (before, a mismatch).
    let first_there = ok(in_region("ap-shanghai", "CreateNetworkInterface", eni_body(&there, "e", "tok-r")).await);
    assert_ne!(
        first_here["NetworkInterface"]["NetworkInterfaceId"],
        first_there["NetworkInterface"]["NetworkInterfaceId"]
    );
    // Each region replays its own first answer.
    let again_here = ok(in_region("ap-guangzhou", "CreateNetworkInterface", eni_body(&here, "e", "tok-r")).await);
    let again_there = ok(in_region("ap-shanghai", "CreateNetworkInterface", eni_body(&there, "e", "tok-r")).await);
    assert_eq!(again_here["RequestId"], first_here["RequestId"]);
    assert_eq!(again_there["RequestId"], first_there["RequestId"]);
    assert_eq!(total_enis(&s).await, 1, "one ENI in ap-guangzhou");
    let listed = ok(in_region("ap-shanghai", "DescribeNetworkInterfaces", json!({})).await);
    assert_eq!(listed["TotalCount"], 1, "one ENI in ap-shanghai");
    // Within a region the token still refuses other parameters.
    let r = in_region("ap-shanghai", "CreateNetworkInterface", eni_body(&there, "renamed", "tok-r")).await;
    err(&r, "UnsupportedOperation.IdempotentParameterMismatch");
}
