//! Asynchronous actions: transitional ENI states for the transition delay, DescribeVpcTaskResult
//! keyed by the RequestId, and pending transitions surviving a restart.

mod common;

use std::time::{Duration, Instant};

use common::tencent::{err, ok};
use common::{Options, TestServer};
use serde_json::{json, Value};

fn request_id(r: &Value) -> String {
    r["RequestId"].as_str().unwrap().to_string()
}

async fn task(s: &TestServer, id: &str) -> Value {
    ok(s.vpc("DescribeVpcTaskResult", json!({"TaskId": id})).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eni_states_last_the_transition_delay_and_tasks_report_them() {
    let s = TestServer::start_with(Options { delay_ms: 600, ..Default::default() }).await;
    let net = s.net().await;
    let ins = s.instance(&net).await;

    // Create: PENDING, task RUNNING with a per-resource result, then AVAILABLE and SUCCESS.
    let started = Instant::now();
    let r = ok(s
        .vpc(
            "CreateNetworkInterface",
            json!({"VpcId": net.vpc, "SubnetId": net.subnet, "NetworkInterfaceName": "t", "SecurityGroupIds": net.sgs}),
        )
        .await);
    let eni = r["NetworkInterface"]["NetworkInterfaceId"].as_str().unwrap().to_string();
    let create_task = request_id(&r);
    assert_eq!(r["NetworkInterface"]["PrivateIpAddressSet"][0]["State"], json!("PENDING"));
    let t = task(&s, &create_task).await;
    assert_eq!(t["Status"], json!("RUNNING"), "{t}");
    assert_eq!(t["Result"], json!([{"ResourceId": eni, "Status": "RUNNING"}]));
    assert!(t["Output"].is_string());
    assert_eq!(s.describe_eni(&eni).await["State"], json!("PENDING"));
    assert!(s.wait_task(&create_task, "SUCCESS").await);
    assert!(started.elapsed() >= Duration::from_millis(550), "the transition took the delay");
    let t = task(&s, &create_task).await;
    assert_eq!(t["Result"], json!([{"ResourceId": eni, "Status": "SUCCESS"}]));
    assert_eq!(t["Output"], json!("SUCCESS"));
    assert_eq!(s.describe_eni(&eni).await["State"], json!("AVAILABLE"));

    // Attach: ATTACHING.
    let r = ok(s.vpc("AttachNetworkInterface", json!({"NetworkInterfaceId": eni, "InstanceId": ins})).await);
    let attach_task = request_id(&r);
    let e = s.describe_eni(&eni).await;
    assert_eq!(e["State"], json!("ATTACHING"));
    assert_eq!(e["NetworkInterfaceState"], json!("ATTACHING"));
    assert_eq!(task(&s, &attach_task).await["Status"], json!("RUNNING"));
    // Other changes are refused meanwhile.
    err(&s.vpc("DeleteNetworkInterface", json!({"NetworkInterfaceId": eni})).await, "UnsupportedOperation");
    assert!(s.wait_task(&attach_task, "SUCCESS").await);
    assert_eq!(s.describe_eni(&eni).await["NetworkInterfaceState"], json!("INUSE"));

    // Detach: DETACHING.
    let r = ok(s.vpc("DetachNetworkInterface", json!({"NetworkInterfaceId": eni, "InstanceId": ins})).await);
    let detach_task = request_id(&r);
    assert_eq!(s.describe_eni(&eni).await["State"], json!("DETACHING"));
    assert_eq!(task(&s, &detach_task).await["Status"], json!("RUNNING"));
    assert!(s.wait_task(&detach_task, "SUCCESS").await);
    assert!(s.describe_eni(&eni).await["Attachment"].is_null());

    // Assign private IPs: the IP is PENDING, the task runs.
    let r = ok(s
        .vpc("AssignPrivateIpAddresses", json!({"NetworkInterfaceId": eni, "SecondaryPrivateIpAddressCount": 1}))
        .await);
    let assign_task = request_id(&r);
    assert_eq!(task(&s, &assign_task).await["Status"], json!("RUNNING"));
    assert!(s.wait_task(&assign_task, "SUCCESS").await);
    assert!(s.describe_eni(&eni).await["PrivateIpAddressSet"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["State"] == "AVAILABLE"));

    // Delete: DELETING, then gone; the task remembers it.
    let r = ok(s.vpc("DeleteNetworkInterface", json!({"NetworkInterfaceId": eni})).await);
    let delete_task = request_id(&r);
    assert_eq!(s.describe_eni(&eni).await["State"], json!("DELETING"));
    assert_eq!(task(&s, &delete_task).await["Status"], json!("RUNNING"));
    assert!(s.wait_task(&delete_task, "SUCCESS").await);
    assert!(s.describe_eni(&eni).await.is_null());
    assert_eq!(task(&s, &delete_task).await["Result"], json!([{"ResourceId": eni, "Status": "SUCCESS"}]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_and_create_and_attach_are_tasks_too() {
    let s = TestServer::start_with(Options { delay_ms: 300, ..Default::default() }).await;
    let net = s.net().await;
    let a = s.instance(&net).await;
    let b = s.instance(&net).await;
    let r = ok(s
        .vpc(
            "CreateAndAttachNetworkInterface",
            json!({"VpcId": net.vpc, "SubnetId": net.subnet, "NetworkInterfaceName": "c", "InstanceId": a,
                   "SecurityGroupIds": net.sgs}),
        )
        .await);
    let eni = r["NetworkInterface"]["NetworkInterfaceId"].as_str().unwrap().to_string();
    let t = request_id(&r);
    assert_eq!(task(&s, &t).await["Status"], json!("RUNNING"));
    assert!(s.wait_task(&t, "SUCCESS").await);
    assert!(s.wait_attached(&eni, &a).await);
    let r = ok(s
        .vpc(
            "MigrateNetworkInterface",
            json!({"NetworkInterfaceId": eni, "SourceInstanceId": a, "DestinationInstanceId": b}),
        )
        .await);
    let t = request_id(&r);
    assert_eq!(s.describe_eni(&eni).await["State"], json!("ATTACHING"));
    assert_eq!(task(&s, &t).await["Status"], json!("RUNNING"));
    assert!(s.wait_task(&t, "SUCCESS").await);
    assert!(s.wait_attached(&eni, &b).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_tasks_are_not_found() {
    let s = TestServer::start().await;
    let net = s.net().await;
    err(&s.vpc("DescribeVpcTaskResult", json!({"TaskId": uuid::Uuid::new_v4().to_string()})).await, "ResourceNotFound");
    err(&s.vpc("DescribeVpcTaskResult", json!({})).await, "MissingParameter");
    let r = s.vpc("DescribeVpcTaskResult", json!({"TaskId": ""})).await;
    assert!(common::code(&r).is_some(), "{r}");
    // A synchronous action's RequestId is no task.
    let r = ok(s.vpc("DescribeVpcs", json!({})).await);
    err(&s.vpc("DescribeVpcTaskResult", json!({"TaskId": request_id(&r)})).await, "ResourceNotFound");
    // Another account's task is not visible.
    let r = ok(s
        .vpc("CreateNetworkInterface", json!({"VpcId": net.vpc, "SubnetId": net.subnet, "NetworkInterfaceName": "x"}))
        .await);
    let t = request_id(&r);
    let other = s.account("other").await;
    err(&s.vpc_as(&other, "DescribeVpcTaskResult", json!({"TaskId": t})).await, "ResourceNotFound");
    let sh = s.tc3_as(&s.key, "vpc", "DescribeVpcTaskResult", Some("ap-shanghai"), json!({"TaskId": t})).await;
    err(&sh.body["Response"], "ResourceNotFound");
    assert!(ok(s.vpc("DescribeVpcTaskResult", json!({"TaskId": t})).await)["Status"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_transitions_survive_a_restart() {
    let opts = Options { delay_ms: 1500, ..Default::default() };
    let s = TestServer::start_with(opts.clone()).await;
    let net = s.net().await;
    let ins = s.instance(&net).await;
    let eni = s.eni(&net, &net.sgs).await;
    let stop_me = s.instance(&net).await;

    let r = ok(s.vpc("AttachNetworkInterface", json!({"NetworkInterfaceId": eni, "InstanceId": ins})).await);
    let attach_task = request_id(&r);
    ok(s.cvm("StopInstances", json!({"InstanceIds": [stop_me]})).await);
    let r = ok(s
        .vpc(
            "CreateNetworkInterface",
            json!({"VpcId": net.vpc, "SubnetId": net.subnet, "NetworkInterfaceName": "late"}),
        )
        .await);
    let late = r["NetworkInterface"]["NetworkInterfaceId"].as_str().unwrap().to_string();
    assert_eq!(s.describe_eni(&eni).await["State"], json!("ATTACHING"));

    // Stop the worker and drop the server before anything completes.
    s.stop_worker();
    let key = s.key.clone();
    let TestServer { dir, .. } = s;
    let s = TestServer::start_in(dir, opts).await;
    assert_eq!(s.key.id, key.id, "the same account serves after the restart");
    assert!(s.describe_eni(&eni).await["State"].is_string(), "state persisted");

    assert!(s.wait_attached(&eni, &ins).await, "attach completed after restart");
    assert!(s.wait_task(&attach_task, "SUCCESS").await);
    assert!(s.wait_instance_as(&key, &stop_me, "STOPPED").await, "stop completed after restart");
    assert!(s.wait_eni(&late, "AVAILABLE").await, "create completed after restart");
    // And exactly once: the ENI is attached once, at device 1.
    let e = s.describe_eni(&eni).await;
    assert_eq!(e["Attachment"]["DeviceIndex"], json!(1));
    let on = ok(s
        .vpc("DescribeNetworkInterfaces", json!({"Filters": [{"Name": "attachment.instance-id", "Values": [ins]}]}))
        .await);
    assert_eq!(on["TotalCount"], json!(2));
}
