//! The Tencent API 3.0 envelope over HTTP: JSON, GET and form encodings, lenient input and strict
//! output types, signatures (TC3 and legacy), common error codes and hostile input.

mod common;

use common::tencent::{err, ok, Tc3, REGION};
use common::{code, Answer, Key, TestServer};
use serde_json::{json, Value};

fn is_uuid(v: &Value) -> bool {
    v.as_str().is_some_and(|s| uuid::Uuid::parse_str(s).is_ok() && s.len() == 36)
}

/// Every API-level answer: HTTP 200, `Content-Type: application/json` exactly, a `Response` with a RequestId.
fn envelope(a: &Answer) -> &Value {
    assert_eq!(a.status, 200, "{:?}", a);
    assert_eq!(a.content_type, "application/json", "{:?}", a);
    let r = &a.body["Response"];
    assert!(r.is_object(), "no Response object: {}", String::from_utf8_lossy(&a.raw));
    assert!(is_uuid(&r["RequestId"]), "RequestId: {r}");
    r
}

/// An error answer: the envelope with exactly `Error{Code,Message}` and `RequestId`.
fn error_code(a: &Answer) -> String {
    let r = envelope(a);
    let obj = r.as_object().unwrap();
    assert_eq!(obj.len(), 2, "error Response has only Error and RequestId: {r}");
    let e = r["Error"].as_object().unwrap_or_else(|| panic!("no Error: {r}"));
    assert_eq!(e.len(), 2, "{r}");
    assert!(e["Message"].as_str().is_some_and(|m| !m.is_empty()), "{r}");
    e["Code"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn success_envelope_and_exact_output_types() {
    let s = TestServer::start().await;
    let a = s.tc3_as(&s.key, "vpc", "DescribeNetworkInterfaces", Some(REGION), json!({})).await;
    let r = envelope(&a);
    assert_eq!(r["TotalCount"], json!(0));
    assert!(r["TotalCount"].is_u64(), "TotalCount is an integer: {r}");
    assert_eq!(r["NetworkInterfaceSet"], json!([]), "empty sets are [] not null");
    assert!(r.get("Error").is_none());

    let net = s.net().await;
    let created = ok(s
        .vpc(
            "CreateNetworkInterface",
            json!({"VpcId": net.vpc, "SubnetId": net.subnet, "NetworkInterfaceName": "typed"}),
        )
        .await);
    let e = &created["NetworkInterface"];
    assert_eq!(e["Attachment"], Value::Null, "unattached ENI has Attachment: null");
    assert!(e.as_object().unwrap().contains_key("Attachment"));
    assert_eq!(e["GroupSet"], json!([]));
    assert_eq!(e["Ipv6AddressSet"], json!([]));
    assert_eq!(e["TagSet"], json!([]));
    assert_eq!(e["Primary"], json!(false));
    assert!(e["EniType"].is_u64() && e["AttachType"].is_u64(), "{e}");
    assert_eq!(e["PrivateIpAddressSet"][0]["Primary"], json!(true));
    assert!(e["CreatedTime"].as_str().unwrap().len() == 19, "YYYY-MM-DD HH:MM:SS: {e}");

    let subnets = ok(s.vpc("DescribeSubnets", json!({"SubnetIds": [net.subnet]})).await);
    let sn = &subnets["SubnetSet"][0];
    assert!(sn["AvailableIpAddressCount"].is_u64() && sn["TotalIpAddressCount"].is_u64(), "{sn}");
    assert!(sn["IsDefault"].is_boolean(), "{sn}");
    let sgs = ok(s.vpc("DescribeSecurityGroups", json!({"SecurityGroupIds": [net.sgs[0]]})).await);
    assert_eq!(sgs["SecurityGroupSet"][0]["ProjectId"], json!("0"), "ProjectId is the string \"0\"");
    assert!(sgs["SecurityGroupSet"][0]["IsDefault"].is_boolean());
    assert!(sgs["TotalCount"].is_u64());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_envelope_is_http_200_json() {
    let s = TestServer::start().await;
    let a = s.tc3_as(&s.key, "vpc", "NoSuchThing", Some(REGION), json!({})).await;
    assert_eq!(error_code(&a), "InvalidAction");
    // Even an unauthenticated error keeps the envelope.
    let a = s.raw("POST", "/", &[("X-TC-Action".into(), "DescribeVpcs".into())], b"{}".to_vec()).await;
    assert_eq!(error_code(&a), "AuthFailure.InvalidAuthorization");
    // Request ids are unique per request.
    let b = s.tc3_as(&s.key, "vpc", "NoSuchThing", Some(REGION), json!({})).await;
    assert_ne!(a.body["Response"]["RequestId"], b.body["Response"]["RequestId"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_with_flattened_query_parameters() {
    let s = TestServer::start().await;
    let net = s.net().await;
    ok(s.vpc("CreateVpc", json!({"VpcName": "other", "CidrBlock": "172.16.0.0/16"})).await);
    let req = Tc3::get(
        "vpc",
        "DescribeVpcs",
        &[("Filters.0.Name", "vpc-id"), ("Filters.0.Values.0", &net.vpc), ("Offset", "0"), ("Limit", "20")],
    );
    let a = s.tc3_send(&s.key, &req).await;
    let r = envelope(&a);
    assert_eq!(r["TotalCount"], json!(1), "{r}");
    assert_eq!(r["VpcSet"][0]["VpcId"], json!(net.vpc));

    // Two values of one filter are OR-ed, also through the flattened encoding.
    let req = Tc3::get(
        "vpc",
        "DescribeSecurityGroups",
        &[
            ("Filters.0.Name", "security-group-id"),
            ("Filters.0.Values.0", &net.sgs[0]),
            ("Filters.0.Values.1", &net.sgs[1]),
        ],
    );
    let r = envelope(&s.tc3_send(&s.key, &req).await).clone();
    assert_eq!(r["TotalCount"], json!(2), "{r}");

    // Python renders booleans as True in GET: PrivateIpAddresses.0.Primary=True.
    let req = Tc3::get(
        "vpc",
        "CreateNetworkInterface",
        &[
            ("VpcId", &net.vpc),
            ("SubnetId", &net.subnet),
            ("NetworkInterfaceName", "from-get"),
            ("PrivateIpAddresses.0.PrivateIpAddress", "10.0.1.77"),
            ("PrivateIpAddresses.0.Primary", "True"),
            ("SecurityGroupIds.0", &net.sgs[0]),
        ],
    );
    let r = envelope(&s.tc3_send(&s.key, &req).await).clone();
    let e = &ok(r)["NetworkInterface"];
    assert_eq!(e["PrivateIpAddressSet"][0]["PrivateIpAddress"], json!("10.0.1.77"));
    assert_eq!(e["PrivateIpAddressSet"][0]["Primary"], json!(true));
    assert_eq!(e["GroupSet"], json!([net.sgs[0]]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_post_with_flattened_parameters() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let req = Tc3::form(
        "vpc",
        "DescribeSubnets",
        &[("Filters.0.Name", "vpc-id"), ("Filters.0.Values.0", &net.vpc), ("Limit", "1")],
    );
    let r = envelope(&s.tc3_send(&s.key, &req).await).clone();
    assert_eq!(r["TotalCount"], json!(1), "{r}");
    assert_eq!(r["SubnetSet"][0]["SubnetId"], json!(net.subnet));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lenient_scalar_input() {
    let s = TestServer::start().await;
    let net = s.net().await;
    // "Limit": "1" as in the official DescribeSecurityGroups example.
    let r = ok(s.vpc("DescribeSecurityGroups", json!({"Limit": "1", "Offset": "0"})).await);
    assert_eq!(r["TotalCount"], json!(2));
    assert_eq!(r["SecurityGroupSet"].as_array().unwrap().len(), 1);
    let r = ok(s.vpc("DescribeNetworkInterfaces", json!({"Limit": 1, "Offset": 0})).await);
    assert!(r["TotalCount"].is_u64());
    // "Primary": "True" / "true" strings are booleans.
    for (ip, primary) in [("10.0.1.30", json!("True")), ("10.0.1.31", json!("true")), ("10.0.1.32", json!(true))] {
        let r = ok(s
            .vpc(
                "CreateNetworkInterface",
                json!({"VpcId": net.vpc, "SubnetId": net.subnet, "NetworkInterfaceName": "l",
                       "PrivateIpAddresses": [{"PrivateIpAddress": ip, "Primary": primary}]}),
            )
            .await);
        let first = &r["NetworkInterface"]["PrivateIpAddressSet"][0];
        assert_eq!(first["PrivateIpAddress"], json!(ip));
        assert_eq!(first["Primary"], json!(true), "Primary is emitted as a JSON bool");
    }
    // A non-numeric string where a number is declared is refused.
    let r = s.vpc("DescribeSecurityGroups", json!({"Limit": "one"})).await;
    err(&r, "InvalidParameter");
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc3_signature_failures() {
    let s = TestServer::start().await;
    let good = Tc3::post("vpc", "DescribeVpcs", &json!({}));
    envelope(&s.tc3_send(&s.key, &good).await);

    // Five-minute skew either way.
    for skew in [-301, 301, -3600] {
        let r = Tc3 { timestamp: now() + skew, ..good.clone() };
        assert_eq!(error_code(&s.tc3_send(&s.key, &r).await), "AuthFailure.SignatureExpire", "skew {skew}");
    }
    // Within the window is fine.
    let r = Tc3 { timestamp: now() - 120, ..good.clone() };
    assert!(code(envelope(&s.tc3_send(&s.key, &r).await)).is_none());

    let wrong = Key { secret: "not-the-secret".into(), ..s.key.clone() };
    assert_eq!(error_code(&s.tc3_send(&wrong, &good).await), "AuthFailure.SignatureFailure");

    let unknown = Key { id: "AKIDdoesnotexist0000000000000000".into(), ..s.key.clone() };
    assert_eq!(error_code(&s.tc3_send(&unknown, &good).await), "AuthFailure.SecretIdNotFound");

    // Garbled Authorization headers.
    for garbage in [
        "garbage",
        "TC3-HMAC-SHA256",
        "TC3-HMAC-SHA256 Credential=abc",
        "TC3-HMAC-SHA256 Credential=AKID/2020-01-01/vpc/tc3_request, SignedHeaders=content-type;host, Signature=zz",
        "Basic dXNlcjpwYXNz",
        "",
    ] {
        let mut headers = s.tc3_headers(&s.key, &good);
        for h in headers.iter_mut().filter(|(n, _)| n == "Authorization") {
            h.1 = garbage.to_string();
        }
        let a = s.raw("POST", "/", &headers, good.body.clone()).await;
        assert_eq!(error_code(&a), "AuthFailure.InvalidAuthorization", "Authorization `{garbage}`");
    }

    // Body changed after signing.
    let headers = s.tc3_headers(&s.key, &Tc3::post("vpc", "DeleteVpc", &json!({"VpcId": "vpc-aaaaaaaa"})));
    let a = s.raw("POST", "/", &headers, serde_json::to_vec(&json!({"VpcId": "vpc-bbbbbbbb"})).unwrap()).await;
    assert_eq!(error_code(&a), "AuthFailure.SignatureFailure");
    // Action header changed after signing is not covered by content-type;host, but the body is:
    // a changed Content-Type is.
    let mut headers = s.tc3_headers(&s.key, &good);
    for h in headers.iter_mut().filter(|(n, _)| n == "Content-Type") {
        h.1 = "application/json; charset=utf-8".into();
    }
    assert_eq!(error_code(&s.raw("POST", "/", &headers, good.body.clone()).await), "AuthFailure.SignatureFailure");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tc3_sdk_quirks_are_accepted() {
    let s = TestServer::start().await;
    // Node SDK: service from the first label of the endpoint (`127`), host signed without the port.
    let node = Tc3 {
        service: "127".into(),
        sign_host: Some("127.0.0.1".into()),
        ..Tc3::post("vpc", "CreateVpc", &json!({"VpcName": "node", "CidrBlock": "10.1.0.0/16"}))
    };
    let r = envelope(&s.tc3_send(&s.key, &node).await).clone();
    assert!(ok(r)["Vpc"]["VpcId"].as_str().unwrap().starts_with("vpc-"));
    // Service `127` alone (host with port).
    let r = Tc3 { service: "127".into(), ..Tc3::post("vpc", "DescribeVpcs", &json!({})) };
    assert_eq!(envelope(&s.tc3_send(&s.key, &r).await)["TotalCount"], json!(1));
    // Host without port alone.
    let r = Tc3 { sign_host: Some("127.0.0.1".into()), ..Tc3::post("vpc", "DescribeVpcs", &json!({})) };
    assert_eq!(envelope(&s.tc3_send(&s.key, &r).await)["TotalCount"], json!(1));
    // A different host is not accepted.
    let r = Tc3 { sign_host: Some("10.9.9.9:1".into()), ..Tc3::post("vpc", "DescribeVpcs", &json!({})) };
    assert_eq!(error_code(&s.tc3_send(&s.key, &r).await), "AuthFailure.SignatureFailure");
    // No X-TC-Region: the default region serves.
    let r = Tc3 { region: None, ..Tc3::post("vpc", "DescribeVpcs", &json!({})) };
    assert!(code(envelope(&s.tc3_send(&s.key, &r).await)).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_signatures_and_nonce_replay() {
    let s = TestServer::start().await;
    let net = s.net().await;
    // HmacSHA1 form POST with flattened parameters.
    let a = s
        .v1_as(
            &s.key,
            "POST",
            "HmacSHA1",
            "DescribeVpcs",
            &[("Filters.0.Name", "vpc-id"), ("Filters.0.Values.0", &net.vpc)],
            "11886",
        )
        .await;
    let r = envelope(&a);
    assert_eq!(r["TotalCount"], json!(1), "{r}");
    // HmacSHA256 GET.
    let a = s.v1_as(&s.key, "GET", "HmacSHA256", "DescribeSecurityGroups", &[("Limit", "1")], "22001").await;
    let r = envelope(&a);
    assert_eq!(r["TotalCount"], json!(2), "{r}");
    assert_eq!(r["SecurityGroupSet"].as_array().unwrap().len(), 1);
    // HmacSHA256 POST that changes something.
    let a = s
        .v1_as(
            &s.key,
            "POST",
            "HmacSHA256",
            "ModifyVpcAttribute",
            &[("VpcId", &net.vpc), ("VpcName", "renamed-v1")],
            "33001",
        )
        .await;
    assert!(code(envelope(&a)).is_none(), "{:?}", a.body);
    let r = ok(s.vpc("DescribeVpcs", json!({"VpcIds": [net.vpc]})).await);
    assert_eq!(r["VpcSet"][0]["VpcName"], json!("renamed-v1"));

    // Replaying a Nonce is refused.
    let a = s.v1_as(&s.key, "POST", "HmacSHA1", "DescribeVpcs", &[], "11886").await;
    assert_eq!(error_code(&a), "AuthFailure.SignatureFailure");
    // Wrong secret and unknown key.
    let wrong = Key { secret: "nope".into(), ..s.key.clone() };
    assert_eq!(
        error_code(&s.v1_as(&wrong, "POST", "HmacSHA1", "DescribeVpcs", &[], "44001").await),
        "AuthFailure.SignatureFailure"
    );
    let unknown = Key { id: "AKIDnobody".into(), ..s.key.clone() };
    assert_eq!(
        error_code(&s.v1_as(&unknown, "POST", "HmacSHA256", "DescribeVpcs", &[], "44002").await),
        "AuthFailure.SecretIdNotFound"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn common_error_codes() {
    let s = TestServer::start().await;
    let send = |r: Tc3| {
        let s = &s;
        async move { error_code(&s.tc3_send(&s.key, &r).await) }
    };
    assert_eq!(send(Tc3::post("vpc", "DescribeEverything", &json!({}))).await, "InvalidAction");
    assert_eq!(send(Tc3::post("vpc", "DeleteVpc", &json!({}))).await, "MissingParameter");
    assert_eq!(send(Tc3::post("vpc", "DescribeVpcs", &json!({"Bogus": 1}))).await, "UnknownParameter");
    assert_eq!(send(Tc3::post_raw("vpc", "DescribeVpcs", b"{\"Limit\": ".to_vec())).await, "InvalidParameter");
    assert_eq!(send(Tc3::post_raw("vpc", "DescribeVpcs", b"[1,2]".to_vec())).await, "InvalidParameter");
    assert_eq!(send(Tc3::post("vpc", "DescribeVpcs", &json!({"VpcIds": 5}))).await, "InvalidParameter");
    assert_eq!(send(Tc3::post("vpc", "DescribeVpcs", &json!({"Limit": [1]}))).await, "InvalidParameter");
    assert_eq!(send(Tc3::post("vpc", "DescribeVpcs", &json!({"Limit": -1}))).await, "InvalidParameter");
    assert_eq!(
        send(Tc3::post("vpc", "CreateVpc", &json!({"VpcName": "x", "CidrBlock": "8.8.8.0/24"}))).await,
        "InvalidParameterValue"
    );
    assert_eq!(send(Tc3::post("vpc", "DescribeVpcs", &json!({"Limit": 101}))).await, "InvalidParameterValue.Range");
    assert_eq!(
        send(Tc3 { region: Some("ap-mars".into()), ..Tc3::post("vpc", "DescribeVpcs", &json!({})) }).await,
        "UnsupportedRegion"
    );
    assert_eq!(
        send(Tc3 { version: "2020-01-01".into(), ..Tc3::post("vpc", "DescribeVpcs", &json!({})) }).await,
        "NoSuchVersion"
    );
    assert_eq!(
        send(Tc3 { version: String::new(), ..Tc3::post("vpc", "DescribeVpcs", &json!({})) }).await,
        "NoSuchVersion"
    );
    // Missing X-TC-Action with a valid-looking signature.
    let mut headers = s.tc3_headers(&s.key, &Tc3::post("vpc", "DescribeVpcs", &json!({})));
    headers.retain(|(n, _)| n != "X-TC-Action");
    assert_eq!(error_code(&s.raw("POST", "/", &headers, b"{}".to_vec()).await), "MissingParameter");
    // Other HTTP methods.
    for method in ["PUT", "DELETE", "PATCH"] {
        let headers =
            s.tc3_headers(&s.key, &Tc3 { method: method.into(), ..Tc3::post("vpc", "DescribeVpcs", &json!({})) });
        let a = s.raw(method, "/", &headers, b"{}".to_vec()).await;
        assert_eq!(error_code(&a), "UnsupportedProtocol", "{method}");
    }
    // A body over 1 MiB still gets the envelope.
    let big = format!("{{\"VpcName\": \"{}\"}}", "x".repeat(1024 * 1024 + 10));
    let headers = s.tc3_headers(&s.key, &Tc3::post_raw("vpc", "ModifyVpcAttribute", big.clone().into_bytes()));
    let a = s.raw("POST", "/", &headers, big.into_bytes()).await;
    let c = error_code(&a);
    assert!(c.starts_with("InvalidParameter"), "{c}");
    // Unsupported content type.
    let r = Tc3 { content_type: "application/xml".into(), ..Tc3::post_raw("vpc", "DescribeVpcs", b"<x/>".to_vec()) };
    assert_eq!(send(r).await, "InvalidParameter");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_barrage_never_panics_nor_half_applies() {
    let s = TestServer::start().await;
    let net = s.net().await;
    let eni = s.eni(&net, &net.sgs).await;
    let before = s.describe_eni(&eni).await;

    let deep = "[".repeat(5000) + &"]".repeat(5000);
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"\"str\"".to_vec(),
        b"{\"NetworkInterfaceIds\": null, \"SecurityGroupIds\": null}".to_vec(),
        deep.into_bytes(),
        vec![0xff, 0xfe, 0x00, 0x7b],
        b"{\"NetworkInterfaceIds\": [\"\\u0000\"], \"SecurityGroupIds\": [\"sg-\"]}".to_vec(),
        format!("{{\"NetworkInterfaceIds\": [\"{eni}\"], \"SecurityGroupIds\": [\"{}\", 7]}}", net.sgs[0]).into_bytes(),
        format!("{{\"NetworkInterfaceIds\": [\"{eni}\"], \"SecurityGroupIds\": [\"{}\"], \"X\": 1}}", net.sgs[0])
            .into_bytes(),
        format!(
            "{{\"NetworkInterfaceIds\": [\"{eni}\", \"eni-zzzzzzzz\"], \"SecurityGroupIds\": [\"{}\"]}}",
            net.sgs[0]
        )
        .into_bytes(),
        format!("{{\"NetworkInterfaceIds\": \"{eni}\", \"SecurityGroupIds\": {{\"a\": 1}}}}").into_bytes(),
        b"{\"NetworkInterfaceIds\": [1e999], \"SecurityGroupIds\": [-0]}".to_vec(),
    ];
    for body in bodies {
        let r = Tc3::post_raw("vpc", "DisassociateNetworkInterfaceSecurityGroups", body.clone());
        let a = s.tc3_send(&s.key, &r).await;
        error_code(&a);
    }
    let junk_actions = ["", " ", "../../etc/passwd", &"A".repeat(10_000)];
    for action in junk_actions {
        let headers = vec![
            ("Host".to_string(), s.host()),
            ("X-TC-Action".to_string(), action.to_string()),
            ("Authorization".to_string(), "TC3-HMAC-SHA256 Credential=a/b/c/d".to_string()),
        ];
        let a = s.raw("POST", "/", &headers, b"{}".to_vec()).await;
        assert_eq!(a.status, 200);
    }
    for path in ["/?Signature=x", "/?Action=DescribeVpcs&Signature=", "/?SecretId=%ff%fe&Signature=1&Timestamp=x"] {
        let a = s.raw("GET", path, &[], Vec::new()).await;
        error_code(&a);
    }
    let a = s.raw("POST", "/", &[("Content-Type".into(), "application/json".into())], b"{}".to_vec()).await;
    error_code(&a);

    let health = s.raw("GET", "/healthz", &[], Vec::new()).await;
    assert_eq!(health.status, 200);
    let after = s.describe_eni(&eni).await;
    assert_eq!(before["GroupSet"], after["GroupSet"], "nothing half-applied");
    assert_eq!(after["GroupSet"].as_array().unwrap().len(), 2);
    // And the server still works.
    ok(s.vpc("DescribeNetworkInterfaces", json!({"Filters": [{"Name": "subnet-id", "Values": [net.subnet]}]})).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_listed_action_is_served_by_its_service() {
    let s = TestServer::start().await;
    let cvm = [
        "RunInstances",
        "DescribeInstances",
        "DescribeInstancesStatus",
        "StartInstances",
        "StopInstances",
        "RebootInstances",
        "TerminateInstances",
        "DescribeZones",
    ];
    let names: Vec<&str> = eniplane_tencent::action_names().collect();
    assert_eq!(names.len(), 41, "33 VPC + 8 CVM actions: {names:?}");
    for action in names {
        let service = if cvm.contains(&action) { "cvm" } else { "vpc" };
        let a = s.tc3_as(&s.key, service, action, Some(REGION), json!({})).await;
        let r = envelope(&a);
        assert_ne!(code(r), Some("InvalidAction"), "{action}: {r}");
        // Unknown parameters are refused by every action.
        let a = s.tc3_as(&s.key, service, action, Some(REGION), json!({"NoSuchParameter": 1})).await;
        assert_eq!(error_code(&a), "UnknownParameter", "{action}");
    }
}

/// A chunked body (no Content-Length) that grows past 1 MiB is cut off while it streams and still
/// answered with the Tencent envelope.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_body_over_one_mebibyte_gets_the_envelope() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = TestServer::start().await;
    let mut conn = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nX-TC-Action: DescribeVpcs\r\n\
         X-TC-Version: 2017-03-12\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        s.host()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    for _ in 0..20 {
        let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
        frame.extend_from_slice(&chunk);
        frame.extend_from_slice(b"\r\n");
        if conn.write_all(&frame).await.is_err() {
            break; // the server may stop reading once over the limit
        }
    }
    let _ = conn.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 200"), "{}", &text[..text.len().min(200)]);
    assert!(text.contains("content-type: application/json\r\n"), "{text}");
    assert!(text.contains(r#""Code":"InvalidParameter""#) && text.contains("exceeds the limit"), "{text}");
    let health = s.raw("GET", "/healthz", &[], Vec::new()).await;
    assert_eq!(health.status, 200);
}
