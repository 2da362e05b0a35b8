//! Resource-level authorization over HTTP: every resource a request names is checked against
//! the key's policies, batch parameters included, in both dialects and every parameter encoding;
//! a refused request changes nothing.

#[allow(clippy::field_reassign_with_default)]
mod common;
mod ens_support;

use common::tencent::{err, ok, Net, REGION};
use common::{Key, Options, TestServer};
use serde_json::{json, Value};

const SEED: &str = "DisassociateNetworkInterfaceSecurityGroups";

fn eni_name(account: &str, id: &str) -> String {
    format!("qcs::vpc:{REGION}:uin/{account}:eni/{id}")
}

fn sg_name(account: &str, id: &str) -> String {
    format!("qcs::cvm:{REGION}:uin/{account}:sg/{id}")
}

async fn groups_of(s: &TestServer, key: &Key, eni: &str) -> Vec<String> {
    let e = s.describe_eni_as(key, eni).await;
    let mut v: Vec<String> = e["GroupSet"].as_array().unwrap().iter().map(|g| g.as_str().unwrap().into()).collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tencent_allow_on_one_eni_permits_the_seed_action_on_it_only() {
    let s = TestServer::start().await;
    let k = s.account("scoped").await;
    let net = s.net_as(&k).await;
    let mut sgs = net.sgs.clone();
    sgs.sort();
    let a = s.eni_as(&k, &net, &sgs).await;
    let b = s.eni_as(&k, &net, &sgs).await;
    s.set_policy(
        &k,
        json!({"version": "2.0", "statement": [
            {"effect": "allow", "action": "vpc:Describe*", "resource": "*"},
            {"effect": "allow", "action": format!("vpc:{SEED}"),
             "resource": [eni_name(&k.account, &a), format!("qcs::cvm:{REGION}:uin/{}:sg/*", k.account)]}
        ]}),
    )
    .await;

    ok(s.vpc_as(&k, SEED, json!({"NetworkInterfaceIds": [a], "SecurityGroupIds": [sgs[1]]})).await);
    assert_eq!(groups_of(&s, &k, &a).await, vec![sgs[0].clone()]);

    let r = s.vpc_as(&k, SEED, json!({"NetworkInterfaceIds": [b], "SecurityGroupIds": [sgs[1]]})).await;
    err(&r, "AuthFailure.UnauthorizedOperation");
    assert!(r["Error"]["Message"].as_str().unwrap().contains(&eni_name(&k.account, &b)), "{r}");
    // Both ENIs in one batch: refused as a whole, the allowed one unchanged too.
    let r = s.vpc_as(&k, SEED, json!({"NetworkInterfaceIds": [a, b], "SecurityGroupIds": [sgs[0]]})).await;
    err(&r, "AuthFailure.UnauthorizedOperation");
    // The same through a JSON text list, a comma list and the legacy flattened form.
    let joined = format!("{a},{b}");
    let r = s.vpc_as(&k, SEED, json!({"NetworkInterfaceIds": joined, "SecurityGroupIds": [sgs[0]]})).await;
    err(&r, "AuthFailure.UnauthorizedOperation");
    let text = json!([a, b]).to_string();
    let r = s.vpc_as(&k, SEED, json!({"NetworkInterfaceIds": text, "SecurityGroupIds": [sgs[0]]})).await;
    err(&r, "AuthFailure.UnauthorizedOperation");
    let form =
        [("NetworkInterfaceIds.0", a.as_str()), ("NetworkInterfaceIds.1", b.as_str()), ("SecurityGroupIds.0", &sgs[0])];
    let r = s.v1_as(&k, "POST", "HmacSHA256", SEED, &form, "4242").await;
    err(&r.body["Response"], "AuthFailure.UnauthorizedOperation");
    assert_eq!(groups_of(&s, &k, &a).await, vec![sgs[0].clone()], "nothing applied");
    assert_eq!(groups_of(&s, &k, &b).await, sgs, "nothing applied");

    // Other actions on the allowed ENI are not allowed by that statement.
    let r = s
        .vpc_as(
            &k,
            "AssociateNetworkInterfaceSecurityGroups",
            json!({"NetworkInterfaceIds": [a], "SecurityGroupIds": [sgs[1]]}),
        )
        .await;
    err(&r, "AuthFailure.UnauthorizedOperation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tencent_batch_of_100_enis_and_100_groups_with_one_group_denied() {
    let catalog = eniplane_core::Catalog { groups_per_region: 200, ..Default::default() };
    let s = TestServer::start_custom(tempfile::tempdir().unwrap(), Options::default(), catalog).await;
    let k = s.account("batch").await;
    let vpc = ok(s.vpc_as(&k, "CreateVpc", json!({"VpcName": "v", "CidrBlock": "10.0.0.0/16"})).await);
    let vpc = vpc["Vpc"]["VpcId"].as_str().unwrap().to_string();
    let subnet = ok(s
        .vpc_as(
            &k,
            "CreateSubnet",
            json!({"VpcId": vpc, "SubnetName": "s", "CidrBlock": "10.0.16.0/20", "Zone": "ap-guangzhou-3"}),
        )
        .await);
    let subnet = subnet["Subnet"]["SubnetId"].as_str().unwrap().to_string();
    let mut sgs = Vec::new();
    for i in 0..100 {
        sgs.push(s.sg_as(&k, &format!("g{i}")).await);
    }
    let net = Net { vpc, subnet, sgs: sgs.clone() };
    let mut enis = Vec::new();
    for _ in 0..100 {
        let r = ok(s
            .vpc_as(&k, "CreateNetworkInterface", json!({"VpcId": net.vpc, "SubnetId": net.subnet, "NetworkInterfaceName": "e", "SecurityGroupIds": [sgs[0], sgs[1]]}))
            .await);
        enis.push(r["NetworkInterface"]["NetworkInterfaceId"].as_str().unwrap().to_string());
    }
    for e in &enis {
        assert!(s.wait_eni_as(&k, e, "AVAILABLE").await);
    }
    let denied = sgs[57].clone();
    s.set_policy(
        &k,
        json!({"version": "2.0", "statement": [
            {"effect": "allow", "action": ["vpc:*"], "resource": "*"},
            {"effect": "deny", "action": format!("vpc:{SEED}"), "resource": sg_name(&k.account, &denied)}
        ]}),
    )
    .await;

    let r = s.vpc_as(&k, SEED, json!({"NetworkInterfaceIds": enis, "SecurityGroupIds": sgs})).await;
    err(&r, "AuthFailure.UnauthorizedOperation");
    assert!(r["Error"]["Message"].as_str().unwrap().contains(&denied), "{r}");
    for e in [&enis[0], &enis[50], &enis[99]] {
        assert_eq!(groups_of(&s, &k, e).await.len(), 2, "nothing applied to {e}");
    }
    // The same batch without the denied group runs.
    let allowed: Vec<&String> = sgs.iter().filter(|g| **g != denied).collect();
    ok(s.vpc_as(&k, SEED, json!({"NetworkInterfaceIds": enis, "SecurityGroupIds": allowed})).await);
    for e in [&enis[0], &enis[50], &enis[99]] {
        assert!(groups_of(&s, &k, e).await.is_empty(), "{e}");
    }
    // 101 IDs is the documented list limit, for a key with policies as for one without.
    let mut many: Vec<Value> = enis.iter().map(|e| json!(e)).collect();
    many.push(json!(enis[0]));
    let r = s.vpc_as(&k, SEED, json!({"NetworkInterfaceIds": many, "SecurityGroupIds": [sgs[0]]})).await;
    err(&r, "InvalidParameterValue.LimitExceeded");
    let root = s.vpc(SEED, json!({"NetworkInterfaceIds": many, "SecurityGroupIds": [sgs[0]]})).await;
    err(&root, "InvalidParameterValue.LimitExceeded");
}

mod ens {
    use super::*;
    use ens_support::{fails, instance_in, network_in, ok as ens_ok, v1_params, v1_send, v1_sign, REGION};

    async fn status(s: &TestServer, key: &Key, id: &str) -> Value {
        ens_support::describe_instance_as(s, key, id).await["Status"].clone()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn instance_scoped_deny_of_stop_holds_for_stop_instances_too() {
        let s = TestServer::start().await;
        let k = s.account("ens-scoped").await;
        let net = network_in(&s, &k, REGION).await;
        let vm1 = instance_in(&s, &k, REGION, &net).await;
        let vm2 = instance_in(&s, &k, REGION, &net).await;
        let denied = format!("acs:ens:*:{}:instance/{vm1}", k.account);
        s.set_policy(
            &k,
            json!({"Version": "1", "Statement": [
                {"Effect": "Allow", "Action": "ens:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "ens:Stop*", "Resource": denied}
            ]}),
        )
        .await;

        fails(&s.ens_acs3_as(&k, "StopInstance", &[("InstanceId", &vm1)]).await, 400, "NoPermission");
        let json_list = json!([vm1]).to_string();
        let both = format!("{vm2},{vm1}");
        for params in [
            vec![("InstanceIds.1", vm1.as_str())],
            vec![("InstanceIds", json_list.as_str())],
            vec![("InstanceIds", both.as_str())],
            vec![("InstanceIds.1", vm2.as_str()), ("InstanceIds.2", vm1.as_str())],
        ] {
            let a = s.ens_acs3_as(&k, "StopInstances", &params).await;
            fails(&a, 400, "NoPermission");
        }
        // The V1 signature reads the same parameters.
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let signed = v1_sign(
            "GET",
            &k.secret,
            v1_params(&k, "StopInstances", &[("InstanceIds.1", &vm1)], &nonce, &ens_support::now_iso()),
        );
        fails(&v1_send(&s, "GET", &signed).await, 400, "NoPermission");
        assert_eq!(status(&s, &k, &vm1).await, "Running", "nothing applied");
        assert_eq!(status(&s, &k, &vm2).await, "Running", "a refused batch stops no instance");

        // The other instance alone may be stopped, and the denied one still read.
        ens_ok(&s.ens_acs3_as(&k, "StopInstances", &[("InstanceIds.1", &vm2)]).await);
        ens_ok(&s.ens_acs3_as(&k, "DescribeInstances", &[("InstanceIds", &json_list)]).await);
        let stopped =
            s.wait_until(std::time::Duration::from_secs(5), || async { status(&s, &k, &vm2).await == "Stopped" }).await;
        assert!(stopped);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_resource_of_a_create_is_checked() {
        let s = TestServer::start().await;
        let k = s.account("ens-create").await;
        let net = network_in(&s, &k, REGION).await;
        s.set_policy(
            &k,
            json!({"Version": "1", "Statement": [
                {"Effect": "Allow", "Action": "ens:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "ens:*", "Resource": format!("acs:ens:*:{}:securitygroup/{}", k.account, net.sg)}
            ]}),
        )
        .await;
        let groups = json!([net.sg]).to_string();
        let a = s
            .ens_acs3_as(&k, "CreateNetworkInterface", &[("VSwitchId", &net.vswitch), ("SecurityGroupIds", &groups)])
            .await;
        fails(&a, 400, "NoPermission");
        let listed = ens_ok(&s.ens_acs3_as(&k, "DescribeNetworkInterfaces", &[]).await).clone();
        assert_eq!(listed["TotalCount"], 0, "nothing created");
    }
}
