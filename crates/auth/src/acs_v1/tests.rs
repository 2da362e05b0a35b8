//! Known-answer and edge-case tests for Alibaba RPC V1 (vectors from alibaba-ens.md §2.1 and Python `verify_v1`).

use super::*;
use crate::Secret;
use proptest::prelude::*;

fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn secrets(id: &str) -> Option<Secret> {
    (id == "testak").then(|| "testsecret".into())
}

const T0: i64 = 1_704_067_200; // 2024-01-01T00:00:00Z

fn detach_params() -> Vec<(String, String)> {
    p(&[
        ("AccessKeyId", "testak"),
        ("Action", "DetachNetworkInterface"),
        ("Format", "json"),
        ("NetworkInterfaceId", "eni-58z57orgmt6d1****"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "00000000000000000000000000000001"),
        ("SignatureVersion", "1.0"),
        ("Timestamp", "2024-01-01T00:00:00Z"),
        ("Version", "2017-11-10"),
    ])
}

/// Core-SDK style request with space, `*`, `~`, `/`, `é`, a JSON string value and the empty `SignatureType`.
fn edge_params() -> Vec<(String, String)> {
    p(&[
        ("Version", "2017-11-10"),
        ("Timestamp", "2024-01-01T00:00:00Z"),
        ("SignatureType", ""),
        ("SecurityGroupIds", r#"["sg-1", "sg-2"]"#),
        ("NetworkInterfaceName", "a b*~/é"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", "n1"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("Format", "JSON"),
        ("Action", "CreateNetworkInterface"),
        ("AccessKeyId", "testak"),
    ])
}

fn with_sig(mut params: Vec<(String, String)>, sig: &str) -> Vec<(String, String)> {
    params.push(("Signature".into(), sig.into()));
    params
}

#[test]
fn percent_encode_rules() {
    assert_eq!(percent_encode("AZaz09-_.~"), "AZaz09-_.~");
    assert_eq!(percent_encode(" "), "%20");
    assert_eq!(percent_encode("*"), "%2A");
    assert_eq!(percent_encode("/"), "%2F");
    assert_eq!(percent_encode("+=&%"), "%2B%3D%26%25");
    assert_eq!(percent_encode("é"), "%C3%A9");
    assert_eq!(percent_encode("未命名"), "%E6%9C%AA%E5%91%BD%E5%90%8D");
    assert_eq!(percent_encode(r#"["sg-1", "sg-2"]"#), "%5B%22sg-1%22%2C%20%22sg-2%22%5D");
}

#[test]
fn parse_params_form_decodes() {
    assert_eq!(
        parse_params("a=x+y%2A~%2F%C3%A9&b=&c&d=%E6%9C%AA&e=1%2B1"),
        p(&[("a", "x y*~/é"), ("b", ""), ("c", ""), ("d", "未"), ("e", "1+1")])
    );
    assert!(parse_params("").is_empty());
    // Invalid UTF-8 and stray '%' are tolerated.
    assert_eq!(parse_params("x=%FF%&y"), p(&[("x", "\u{FFFD}%"), ("y", "")]));
}

#[test]
fn published_describe_regions_vector() {
    let params = p(&[
        ("Version", "2014-05-26"),
        ("Timestamp", "2016-02-23T12:46:24Z"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("Format", "XML"),
        ("Action", "DescribeRegions"),
        ("AccessKeyId", "testid"),
    ]);
    let sts = string_to_sign("GET", &params);
    assert_eq!(sign("testsecret", &sts), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
}

#[test]
fn detach_vector_with_exact_string_to_sign() {
    let sts = string_to_sign("POST", &with_sig(detach_params(), "ignored"));
    assert_eq!(
        sts,
        "POST&%2F&AccessKeyId%3Dtestak%26Action%3DDetachNetworkInterface%26Format%3Djson\
         %26NetworkInterfaceId%3Deni-58z57orgmt6d1%252A%252A%252A%252A%26SignatureMethod%3DHMAC-SHA1\
         %26SignatureNonce%3D00000000000000000000000000000001%26SignatureVersion%3D1.0\
         %26Timestamp%3D2024-01-01T00%253A00%253A00Z%26Version%3D2017-11-10"
    );
    assert_eq!(sign("testsecret", &sts), "0lV7w8cEwBi8IG2P1niXUL2eIr0=");
    let ok = verify("POST", &with_sig(detach_params(), "0lV7w8cEwBi8IG2P1niXUL2eIr0="), T0, 900, &mut secrets).unwrap();
    assert_eq!(
        ok,
        AcsV1Verified {
            access_key_id: "testak".into(),
            nonce: "00000000000000000000000000000001".into(),
            timestamp: T0
        }
    );
}

#[test]
fn edge_character_vector() {
    // Python `verify_v1` (urllib.parse.quote(safe="~")) on the same parameters.
    let sts = string_to_sign("POST", &edge_params());
    assert_eq!(
        sts,
        "POST&%2F&AccessKeyId%3Dtestak%26Action%3DCreateNetworkInterface%26Format%3DJSON\
         %26NetworkInterfaceName%3Da%2520b%252A~%252F%25C3%25A9\
         %26SecurityGroupIds%3D%255B%2522sg-1%2522%252C%2520%2522sg-2%2522%255D\
         %26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dn1%26SignatureType%3D%26SignatureVersion%3D1.0\
         %26Timestamp%3D2024-01-01T00%253A00%253A00Z%26Version%3D2017-11-10"
    );
    assert_eq!(sign("testsecret", &sts), "zhY/1Mbbfi1mqd1gWvpWx36FGbY=");
    assert!(verify("POST", &with_sig(edge_params(), "zhY/1Mbbfi1mqd1gWvpWx36FGbY="), T0, 900, &mut secrets).is_ok());
}

#[test]
fn tea_and_core_wire_forms_decode_to_the_same_signature() {
    // tea puts '+' for space, core '%20'; both must verify after form decoding.
    let sig = sign("testsecret", &string_to_sign("POST", &edge_params()));
    let base = "AccessKeyId=testak&Action=CreateNetworkInterface&Format=JSON&SignatureMethod=HMAC-SHA1\
                &SignatureNonce=n1&SignatureType=&SignatureVersion=1.0&Timestamp=2024-01-01T00%3A00%3A00Z\
                &Version=2017-11-10&SecurityGroupIds=%5B%22sg-1%22%2C+%22sg-2%22%5D";
    let sig_enc: String = form_urlencoded::byte_serialize(sig.as_bytes()).collect();
    for name in ["a+b%2A~%2F%C3%A9", "a%20b*%7E/%c3%a9"] {
        let q = format!("{base}&NetworkInterfaceName={name}&Signature={sig_enc}");
        assert!(verify("POST", &parse_params(&q), T0, 900, &mut secrets).is_ok(), "{name}");
    }
}

#[test]
fn canonical_order_is_by_key_then_value() {
    let params = p(&[("b", "1"), ("a", "2"), ("a", "1"), ("Signature", "x"), ("B", "")]);
    assert_eq!(canonicalized_query(&params), "B=&a=1&a=2&b=1");
}

#[test]
fn mismatch_carries_string_to_sign() {
    let mut params = with_sig(detach_params(), "0lV7w8cEwBi8IG2P1niXUL2eIr0=");
    params[3].1 = "eni-other".into();
    let err = verify("POST", &params, T0, 900, &mut secrets).unwrap_err();
    assert_eq!(err, AuthError::Mismatch { string_to_sign: string_to_sign("POST", &params) });
    let params = with_sig(detach_params(), "0lV7w8cEwBi8IG2P1niXUL2eIr0=");
    assert!(matches!(verify("GET", &params, T0, 900, &mut secrets), Err(AuthError::Mismatch { .. })));
}

#[test]
fn missing_malformed_expired_unknown_unsupported() {
    let good = with_sig(detach_params(), "0lV7w8cEwBi8IG2P1niXUL2eIr0=");
    let without = |key: &str| -> Vec<(String, String)> { good.iter().filter(|(k, _)| k != key).cloned().collect() };
    let replace = |key: &str, v: &str| -> Vec<(String, String)> {
        good.iter().map(|(k, old)| (k.clone(), if k == key { v.to_string() } else { old.clone() })).collect()
    };
    for key in ["Signature", "SignatureMethod", "AccessKeyId", "Timestamp", "SignatureNonce"] {
        assert_eq!(verify("POST", &without(key), T0, 900, &mut secrets), Err(AuthError::Missing(key.into())));
    }
    assert_eq!(
        verify("POST", &replace("SignatureMethod", "HMAC-SHA256"), T0, 900, &mut secrets),
        Err(AuthError::UnsupportedMethod("HMAC-SHA256".into()))
    );
    for ts in ["2024-01-01 00:00:00", "1704067200", "2024-01-01T00:00:00.000Z", ""] {
        assert!(matches!(
            verify("POST", &replace("Timestamp", ts), T0, 900, &mut secrets),
            Err(AuthError::Malformed(_))
        ));
    }
    assert!(verify("POST", &good, T0 + 900, 900, &mut secrets).is_ok());
    assert!(matches!(verify("POST", &good, T0 + 901, 900, &mut secrets), Err(AuthError::Expired(_))));
    assert!(matches!(verify("POST", &good, T0 - 901, 900, &mut secrets), Err(AuthError::Expired(_))));
    assert_eq!(verify("POST", &replace("AccessKeyId", "nobody"), T0, 900, &mut secrets), Err(AuthError::UnknownKey));
}

#[test]
fn repeated_parameters_and_nonce_length() {
    // `NetworkInterfaceId` once in the query and once in the body: both sign the same whatever their order.
    let mut params = detach_params();
    params.push(("NetworkInterfaceId".into(), "eni-other".into()));
    let sig = sign("testsecret", &string_to_sign("POST", &params));
    let mut swapped = params.clone();
    let n = swapped.len();
    swapped.swap(3, n - 1);
    assert_eq!(string_to_sign("POST", &params), string_to_sign("POST", &swapped));
    for p in [params, swapped] {
        assert_eq!(
            verify("POST", &with_sig(p, &sig), T0, 900, &mut secrets),
            Err(AuthError::Unbound("parameter NetworkInterfaceId appears more than once".into()))
        );
    }
    let long = "0".repeat(crate::nonce::ACS_NONCE_MAX_LEN + 1);
    for nonce in [long.as_str(), ""] {
        let params: Vec<_> = detach_params()
            .into_iter()
            .map(|(k, v)| if k == "SignatureNonce" { (k, nonce.to_string()) } else { (k, v) })
            .collect();
        let params = with_sig(params.clone(), &sign("testsecret", &string_to_sign("POST", &params)));
        assert!(matches!(verify("POST", &params, T0, 900, &mut secrets), Err(AuthError::InvalidNonce(_))));
    }
}

proptest! {
    #[test]
    fn parse_params_never_panics(s in "\\PC*") {
        let _ = parse_params(&s);
    }

    #[test]
    fn verify_never_panics(pairs in proptest::collection::vec(("\\PC{0,12}", "\\PC{0,24}"), 0..10), now in any::<i64>(), skew in any::<i64>()) {
        let _ = verify("POST", &pairs, now, skew, &mut secrets);
    }

    #[test]
    fn encode_is_reversible_by_form_decoding(s in "\\PC*") {
        let decoded = parse_params(&format!("k={}", percent_encode(&s)));
        prop_assert_eq!(decoded, vec![("k".to_string(), s)]);
    }
}
