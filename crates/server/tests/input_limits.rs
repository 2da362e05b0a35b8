//! The input limits over HTTP, in both dialects: each is answered with the dialect's envelope
//! (Tencent `InvalidParameter` with HTTP 200, ENS HTTP 400 `InvalidParameter`) naming the limit,
//! before the signature is looked at; a request exactly at a limit gets past it; and the server
//! keeps serving. The 8 KB name of 4,000 dot-separated parts once overflowed the stack.

#[allow(clippy::field_reassign_with_default)]
mod common;
mod ens_support;

use common::tencent::{ok, Tc3};
use common::{code, Answer, TestServer};
use eniplane_api::input::{MAX_DEPTH, MAX_JSON_NODES, MAX_KEY_LEN, MAX_LIST_INDEX, MAX_PARAMS};
use serde_json::{json, Value};

/// Unsigned query requests that look like each dialect (legacy Tencent, ENS RPC).
const TENCENT: &str = "Action=DescribeVpcs&Version=2017-03-12&SecretId=AKIDx&Signature=x";
const ENS: &str = "Action=DescribeNetworks&Version=2017-11-10&AccessKeyId=x&Signature=x";

async fn get(s: &TestServer, query: &str) -> Answer {
    s.raw("GET", &format!("/?{query}"), &[("Host".to_string(), s.host())], Vec::new()).await
}

async fn form(s: &TestServer, body: String) -> Answer {
    let headers = vec![
        ("Host".to_string(), s.host()),
        ("Content-Type".to_string(), "application/x-www-form-urlencoded".to_string()),
    ];
    s.raw("POST", "/", &headers, body.into_bytes()).await
}

/// The Tencent limit error; returns its message.
#[track_caller]
fn tencent_limit(a: &Answer, needle: &str) -> String {
    assert_eq!((a.status, a.content_type.as_str()), (200, "application/json"), "{}", a.body);
    let r = &a.body["Response"];
    assert_eq!(code(r), Some("InvalidParameter"), "{r}");
    let m = r["Error"]["Message"].as_str().unwrap().to_string();
    assert!(m.contains(needle), "{m}");
    m
}

/// The ENS limit error; returns its message.
#[track_caller]
fn ens_limit(a: &Answer, needle: &str) -> String {
    let m = ens_support::fails(a, 400, "InvalidParameter");
    assert!(m.contains(needle), "{m}");
    m
}

/// Past the limits: the unsigned request failed on its signature instead.
#[track_caller]
fn tencent_past_limits(a: &Answer) {
    let c = code(&a.body["Response"]).unwrap_or_default().to_string();
    assert!(c.starts_with("AuthFailure"), "{c}: {}", a.body);
}

#[track_caller]
fn ens_past_limits(a: &Answer) {
    assert_ne!(a.body["Code"], "InvalidParameter", "{}", a.body);
    assert!(a.status == 400 || a.status == 403 || a.status == 404, "{}", a.body);
}

async fn still_serving(s: &TestServer) {
    ok(s.vpc("CreateSecurityGroup", json!({"GroupName": "after", "GroupDescription": "d"})).await);
    ens_support::ok(&s.ens("DescribeEnsRegions", &[]).await);
}

fn dotted(parts: usize) -> String {
    vec!["a"; parts].join(".")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deep_name_that_overflowed_the_stack() {
    let s = TestServer::start().await;
    let deep = format!("{}=1", dotted(4000));
    assert!(deep.len() > 8000);
    tencent_limit(&get(&s, &format!("{TENCENT}&{deep}")).await, "longer than 256 bytes");
    ens_limit(&get(&s, &format!("{ENS}&{deep}")).await, "longer than 256 bytes");
    // No dialect hint at all: the Tencent envelope.
    tencent_limit(&get(&s, &deep).await, "longer than 256 bytes");
    // Within the name length, still far too deep.
    let short_deep = format!("{}=1", vec!["a"; 100].join("."));
    tencent_limit(&get(&s, &format!("{TENCENT}&{short_deep}")).await, "more than 10 dot-separated parts");
    ens_limit(&get(&s, &format!("{ENS}&{short_deep}")).await, "more than 10 dot-separated parts");
    still_serving(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_name_limit_at_and_one_past() {
    let s = TestServer::start().await;
    let cases = [
        (format!("{}=1", dotted(MAX_DEPTH)), format!("{}=1", dotted(MAX_DEPTH + 1)), "dot-separated parts"),
        (format!("{}=1", "k".repeat(MAX_KEY_LEN)), format!("{}=1", "k".repeat(MAX_KEY_LEN + 1)), "bytes"),
        (format!("Ids.{MAX_LIST_INDEX}=i"), format!("Ids.{}=i", MAX_LIST_INDEX + 1), "list index"),
    ];
    for (at, over, needle) in cases {
        tencent_past_limits(&get(&s, &format!("{TENCENT}&{at}")).await);
        tencent_limit(&get(&s, &format!("{TENCENT}&{over}")).await, needle);
        ens_past_limits(&get(&s, &format!("{ENS}&{at}")).await);
        ens_limit(&get(&s, &format!("{ENS}&{over}")).await, needle);
    }
    still_serving(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameter_count_at_and_one_past_across_query_and_form() {
    let s = TestServer::start().await;
    // The dialect's own parameters count too: fill up to the limit with the rest in the body.
    let own = |q: &str| q.split('&').count();
    for (dialect, query) in [("tencent", TENCENT), ("ens", ENS)] {
        let fill = |n: usize| (0..n).map(|i| format!("K{i}=v")).collect::<Vec<_>>().join("&");
        let at = format!("{query}&{}", fill(MAX_PARAMS - own(query)));
        let over = format!("{query}&{}", fill(MAX_PARAMS - own(query) + 1));
        match dialect {
            "tencent" => {
                tencent_past_limits(&form(&s, at).await);
                tencent_limit(&form(&s, over).await, &format!("more than {MAX_PARAMS} parameters"));
            }
            _ => {
                ens_past_limits(&form(&s, at).await);
                ens_limit(&form(&s, over).await, &format!("more than {MAX_PARAMS} parameters"));
            }
        }
    }
    still_serving(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_body_depth_and_size_at_and_one_past() {
    let s = TestServer::start().await;
    let send = |body: String| {
        let r = Tc3::post_raw("vpc", "DescribeVpcs", body.into_bytes());
        let s = &s;
        async move { s.tc3_send(&s.key, &r).await }
    };
    // {"Filters": [[[…]]]}: the outer object and Filters' array are two levels.
    let nested = |depth: usize| format!("{{\"Filters\": {}{}}}", "[".repeat(depth - 1), "]".repeat(depth - 1));
    let at = send(nested(MAX_DEPTH)).await;
    assert_ne!(code(&at.body["Response"]), Some("InvalidParameter"), "{}", at.body);
    tencent_limit(&send(nested(MAX_DEPTH + 1)).await, "levels deep");
    tencent_limit(&send(format!("{{\"A\": {}}}", "[".repeat(100_000))).await, "levels deep");

    // The outer object, the list, and its items.
    let items = |n: usize| format!("{{\"VpcIds\": [{}]}}", vec!["\"vpc-x\""; n].join(","));
    let at = send(items(MAX_JSON_NODES - 2)).await;
    assert_ne!(code(&at.body["Response"]), Some("InvalidParameter"), "{}", at.body);
    tencent_limit(&send(items(MAX_JSON_NODES - 1)).await, "values");
    still_serving(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_lists_inside_parameters_are_bounded_too() {
    let s = TestServer::start().await;
    let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    let a = s.ens("DescribeInstances", &[("InstanceIds", &deep)]).await;
    let m = ens_support::fails(&a, 400, "InvalidParameter.InstanceIds");
    assert!(m.contains("levels deep"), "{m}");
    let r = s.vpc("DescribeVpcs", json!({"VpcIds": deep})).await;
    assert_eq!(code(&r), Some("InvalidParameter"), "{r}");
    assert!(r["Error"]["Message"].as_str().unwrap().contains("levels deep"), "{r}");
    still_serving(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cvm_filters_at_and_one_past_the_documented_bounds() {
    let s = TestServer::start().await;
    let filters = |n: usize, values: usize| -> Value {
        let f = json!({"Name": "instance-name", "Values": (0..values).map(|i| format!("n{i}")).collect::<Vec<_>>()});
        json!({ "Filters": vec![f; n] })
    };
    ok(s.cvm("DescribeInstances", filters(10, 5)).await);
    assert!(code(&s.cvm("DescribeInstances", filters(11, 1)).await).is_some());
    let r = s.cvm("DescribeInstances", filters(1, 6)).await;
    assert!(r["Error"]["Message"].as_str().unwrap().contains("at most 5"), "{r}");
}
