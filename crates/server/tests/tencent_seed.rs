//! The seed action, exhaustively: DisassociateNetworkInterfaceSecurityGroups.

mod common;

use common::tencent::{err, ok, Net, Tc3};
use common::{code, Options, TestServer};
use serde_json::{json, Value};

const ACTION: &str = "DisassociateNetworkInterfaceSecurityGroups";

async fn disassociate(s: &TestServer, enis: impl serde::Serialize, sgs: impl serde::Serialize) -> Value {
    s.vpc(ACTION, json!({"NetworkInterfaceIds": enis, "SecurityGroupIds": sgs})).await
}

async fn three_groups(s: &TestServer, net: &Net) -> Vec<String> {
    let mut sgs = net.sgs.clone();
    sgs.push(s.sg_as(&s.key.clone(), "third").await);
    sgs.sort();
    sgs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removes_listed_groups_and_answers_only_request_id() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let sgs = three_groups(&s, &net).await;
    let eni = s.eni(&net, &sgs).await;
    assert_eq!(s.groups_of(&eni).await, sgs);

    let r = ok(disassociate(&s, [&eni], &[sgs[1].clone()]).await);
    let keys: Vec<&String> = r.as_object().unwrap().keys().collect();
    assert_eq!(keys, vec!["RequestId"], "response carries only RequestId: {r}");
    assert_eq!(s.groups_of(&eni).await, vec![sgs[0].clone(), sgs[2].clone()]);

    // Removing a group that is not bound (but exists) is a no-op, not an error.
    ok(disassociate(&s, [&eni], &[sgs[1].clone()]).await);
    assert_eq!(s.groups_of(&eni).await, vec![sgs[0].clone(), sgs[2].clone()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_every_group_is_allowed() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let eni = s.eni(&net, &net.sgs).await;
    ok(disassociate(&s, [&eni], &net.sgs).await);
    let e = s.describe_eni(&eni).await;
    assert_eq!(e["GroupSet"], json!([]), "GroupSet is an empty array: {e}");
    // The group is no longer in use, so it can be deleted.
    ok(s.vpc("DeleteSecurityGroup", json!({"SecurityGroupId": net.sgs[0]})).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_group_removed_from_each_eni_where_bound() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let sgs = three_groups(&s, &net).await;
    let a = s.eni(&net, &sgs).await;
    let b = s.eni(&net, &sgs[1..]).await;
    let c = s.eni(&net, &[sgs[0].clone()]).await;
    let untouched = s.eni(&net, &sgs).await;
    ok(disassociate(&s, &[a.clone(), b.clone(), c.clone()], &[sgs[0].clone(), sgs[1].clone()]).await);
    assert_eq!(s.groups_of(&a).await, vec![sgs[2].clone()]);
    assert_eq!(s.groups_of(&b).await, vec![sgs[2].clone()]);
    assert_eq!(s.groups_of(&c).await, Vec::<String>::new());
    assert_eq!(s.groups_of(&untouched).await, sgs, "ENIs not listed keep their groups");
    // Duplicated IDs in the lists are harmless.
    ok(disassociate(&s, &[untouched.clone(), untouched.clone()], &[sgs[2].clone(), sgs[2].clone()]).await);
    assert_eq!(s.groups_of(&untouched).await, sgs[..2].to_vec());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_on_attached_enis_and_through_get_and_legacy_form() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let ins = s.instance(&net).await;
    let eni = s.eni(&net, &net.sgs).await;
    ok(s.vpc("AttachNetworkInterface", json!({"NetworkInterfaceId": eni, "InstanceId": ins})).await);
    assert!(s.wait_attached(&eni, &ins).await);
    // GET with flattened parameters.
    let req = Tc3::get("vpc", ACTION, &[("NetworkInterfaceIds.0", &eni), ("SecurityGroupIds.0", &net.sgs[0])]);
    let a = s.tc3_send(&s.key, &req).await;
    assert!(code(&a.body["Response"]).is_none(), "{:?}", a.body);
    assert_eq!(s.groups_of(&eni).await, vec![net.sgs[1].clone()]);
    // Legacy HmacSHA256 form POST.
    let a = s
        .v1_as(
            &s.key,
            "POST",
            "HmacSHA256",
            ACTION,
            &[("NetworkInterfaceIds.0", &eni), ("SecurityGroupIds.0", &net.sgs[1])],
            "9001",
        )
        .await;
    assert!(code(&a.body["Response"]).is_none(), "{:?}", a.body);
    assert_eq!(s.groups_of(&eni).await, Vec::<String>::new());
    // The ENI stayed attached throughout.
    assert_eq!(s.describe_eni(&eni).await["Attachment"]["InstanceId"], json!(ins));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn id_count_limits() {
    let s = TestServer::start().await;
    let enis = |n: usize| (0..n).map(|i| format!("eni-{i:08}")).collect::<Vec<_>>();
    let sgs = |n: usize| (0..n).map(|i| format!("sg-{i:08}")).collect::<Vec<_>>();
    // 101 of either is refused before anything is looked up.
    err(&disassociate(&s, &enis(101), &sgs(1)).await, "InvalidParameterValue.LimitExceeded");
    err(&disassociate(&s, &enis(1), &sgs(101)).await, "InvalidParameterValue.LimitExceeded");
    err(&disassociate(&s, &enis(101), &sgs(101)).await, "InvalidParameterValue.LimitExceeded");
    // 100 of each passes validation (and then fails lookup: none exists).
    err(&disassociate(&s, &enis(100), &sgs(100)).await, "ResourceNotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_and_malformed_parameters() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let eni = s.eni(&net, &net.sgs).await;
    err(&s.vpc(ACTION, json!({"SecurityGroupIds": [net.sgs[0]]})).await, "MissingParameter");
    err(&s.vpc(ACTION, json!({"NetworkInterfaceIds": [eni]})).await, "MissingParameter");
    err(&disassociate(&s, json!([]), &net.sgs).await, "MissingParameter");
    err(&disassociate(&s, [&eni], json!([])).await, "MissingParameter");
    err(
        &s.vpc(ACTION, json!({"NetworkInterfaceIds": [eni], "SecurityGroupIds": [net.sgs[0]], "Force": true})).await,
        "UnknownParameter",
    );
    err(
        &s.vpc(ACTION, json!({"NetworkInterfaceIds": [eni], "SecurityGroupIds": [{"Id": "x"}]})).await,
        "InvalidParameter",
    );
    for bad in ["eni-123", "ENI-ABCDEFGH", "eni-abcdefgh1", "eni-abcd_fgh", "", "sg-abcdefgh", "eni-", "eni-ABCDEFGH"] {
        err(&disassociate(&s, &[bad.to_string()], &[net.sgs[0].clone()]).await, "InvalidParameterValue.Malformed");
        // Malformed next to a valid one: still refused, nothing changes.
        err(
            &disassociate(&s, &[eni.clone(), bad.to_string()], &[net.sgs[0].clone()]).await,
            "InvalidParameterValue.Malformed",
        );
    }
    for bad in ["sg-123", "sg-ABCDEFGH", "eni-abcdefgh", "sg-abcdefghi", "sg"] {
        err(&disassociate(&s, [&eni], &[bad.to_string()]).await, "InvalidParameterValue.Malformed");
    }
    assert_eq!(s.groups_of(&eni).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_or_foreign_resources_are_not_found() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let eni = s.eni(&net, &net.sgs).await;
    err(&disassociate(&s, &["eni-zzzzzzzz".to_string()], &[net.sgs[0].clone()]).await, "ResourceNotFound");
    err(&disassociate(&s, [&eni], &["sg-zzzzzzzz".to_string()]).await, "ResourceNotFound");

    let other = s.account("other").await;
    let their_net = s.net_as(&other).await;
    let theirs = s.eni_as(&other, &their_net, &their_net.sgs).await;
    // Their ENI with my group; my ENI with their group; they touching my ENI.
    err(&disassociate(&s, [&theirs], &[net.sgs[0].clone()]).await, "ResourceNotFound");
    err(&disassociate(&s, [&eni], &[their_net.sgs[0].clone()]).await, "ResourceNotFound");
    let r = s.vpc_as(&other, ACTION, json!({"NetworkInterfaceIds": [eni], "SecurityGroupIds": [net.sgs[0]]})).await;
    err(&r, "ResourceNotFound");
    assert_eq!(s.groups_of(&eni).await.len(), 2);
    assert_eq!(s.describe_eni_as(&other, &theirs).await["GroupSet"].as_array().unwrap().len(), 2);
    // Same account, other region: not found either.
    let r = s
        .tc3_as(
            &s.key,
            "vpc",
            ACTION,
            Some("ap-shanghai"),
            json!({"NetworkInterfaceIds": [eni], "SecurityGroupIds": [net.sgs[0]]}),
        )
        .await;
    err(&r.body["Response"], "ResourceNotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_is_one_transaction() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let a = s.eni(&net, &net.sgs).await;
    let b = s.eni(&net, &net.sgs).await;
    // One valid, one unknown ENI: nothing changes.
    err(
        &disassociate(&s, &[a.clone(), "eni-00000000".to_string(), b.clone()], &[net.sgs[0].clone()]).await,
        "ResourceNotFound",
    );
    // Valid ENIs, one valid and one unknown group: nothing changes.
    err(
        &disassociate(&s, &[a.clone(), b.clone()], &[net.sgs[0].clone(), "sg-00000000".to_string()]).await,
        "ResourceNotFound",
    );
    let mut both = net.sgs.clone();
    both.sort();
    assert_eq!(s.groups_of(&a).await, both);
    assert_eq!(s.groups_of(&b).await, both);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transitional_states_are_unsupported() {
    let s = TestServer::start_with(Options { delay_ms: 1500, ..Options::default() }).await;
    let net = s.net().await;
    let mut both = net.sgs.clone();
    both.sort();
    let ready = s.eni(&net, &net.sgs).await;
    // PENDING right after CreateNetworkInterface.
    let r = ok(s
        .vpc(
            "CreateNetworkInterface",
            json!({"VpcId": net.vpc, "SubnetId": net.subnet, "NetworkInterfaceName": "p", "SecurityGroupIds": net.sgs}),
        )
        .await);
    let pending = r["NetworkInterface"]["NetworkInterfaceId"].as_str().unwrap().to_string();
    assert_eq!(r["NetworkInterface"]["State"], json!("PENDING"));
    err(&disassociate(&s, [&pending], &[net.sgs[0].clone()]).await, "UnsupportedOperation");
    assert_eq!(s.groups_of(&pending).await, both);
    // A valid, AVAILABLE ENI next to the PENDING one: the batch changes nothing.
    err(&disassociate(&s, &[ready.clone(), pending.clone()], &[net.sgs[0].clone()]).await, "UnsupportedOperation");
    assert_eq!(s.groups_of(&ready).await, both);
    assert!(s.wait_eni(&pending, "AVAILABLE").await);

    // ATTACHING, then DETACHING.
    let ins = s.instance(&net).await;
    ok(s.vpc("AttachNetworkInterface", json!({"NetworkInterfaceId": pending, "InstanceId": ins})).await);
    assert_eq!(s.describe_eni(&pending).await["State"], json!("ATTACHING"));
    err(&disassociate(&s, [&pending], &[net.sgs[0].clone()]).await, "UnsupportedOperation");
    assert!(s.wait_attached(&pending, &ins).await);
    ok(s.vpc("DetachNetworkInterface", json!({"NetworkInterfaceId": pending, "InstanceId": ins})).await);
    assert_eq!(s.describe_eni(&pending).await["State"], json!("DETACHING"));
    err(&disassociate(&s, [&pending], &[net.sgs[0].clone()]).await, "UnsupportedOperation");
    assert!(s.wait_eni(&pending, "AVAILABLE").await);
    assert_eq!(s.groups_of(&pending).await, both);

    // DELETING.
    ok(s.vpc("DeleteNetworkInterface", json!({"NetworkInterfaceId": pending})).await);
    assert_eq!(s.describe_eni(&pending).await["State"], json!("DELETING"));
    err(&disassociate(&s, [&pending], &[net.sgs[0].clone()]).await, "UnsupportedOperation");
    assert!(s.wait_eni(&pending, "GONE").await);
    err(&disassociate(&s, &[pending], &[net.sgs[0].clone()]).await, "ResourceNotFound");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_real_hundred_by_hundred_batch() {
    let catalog = eniplane_core::Catalog { groups_per_region: 200, ..Default::default() };
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start_custom(dir, Options { delay_ms: 10, ..Options::default() }, catalog).await;
    let net = s.net().await;
    let mut sgs = net.sgs.clone();
    for i in sgs.len()..100 {
        sgs.push(s.sg_as(&s.key.clone(), &format!("g{i}")).await);
    }
    let mut enis = Vec::new();
    for i in 0..100 {
        // Each ENI carries up to 5 groups (the per-ENI quota), spread over all 100.
        let mine: Vec<String> = (0..5).map(|k| sgs[(i * 5 + k) % 100].clone()).collect();
        let r = ok(s
            .vpc(
                "CreateNetworkInterface",
                json!({"VpcId": net.vpc, "SubnetId": net.subnet, "NetworkInterfaceName": format!("e{i}"),
                       "SecurityGroupIds": mine}),
            )
            .await);
        enis.push(r["NetworkInterface"]["NetworkInterfaceId"].as_str().unwrap().to_string());
    }
    for e in &enis {
        assert!(s.wait_eni(e, "AVAILABLE").await);
    }
    let bound = ok(s.vpc("DescribeNetworkInterfaces", json!({"NetworkInterfaceIds": enis, "Limit": 100})).await);
    assert_eq!(bound["TotalCount"], json!(100));
    assert!(bound["NetworkInterfaceSet"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["GroupSet"].as_array().unwrap().len() == 5));

    ok(disassociate(&s, &enis, &sgs).await);
    let after = ok(s.vpc("DescribeNetworkInterfaces", json!({"NetworkInterfaceIds": enis, "Limit": 100})).await);
    let set = after["NetworkInterfaceSet"].as_array().unwrap();
    assert_eq!(set.len(), 100);
    assert!(set.iter().all(|e| e["GroupSet"] == json!([])), "every group removed from every ENI");
    // Every group is now free to delete.
    for g in sgs.iter().take(3) {
        ok(s.vpc("DeleteSecurityGroup", json!({"SecurityGroupId": g})).await);
    }
}
