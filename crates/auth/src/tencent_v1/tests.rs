//! Known-answer and edge-case tests for the Tencent legacy v1 signature (vectors from Python hmac/hashlib
//! following the Python SDK's `_format_sign_string`).

use super::*;
use crate::Secret;
use proptest::prelude::*;

const KAT_STS: &str = "POST127.0.0.1:8080/?Action=DescribeNetworkInterfaces&Filters.0.Name=vpc-id\
&Filters.0.Values.0=vpc-12345678&Language=en-US&Limit=20&Nonce=11886&Offset=0&Region=ap-guangzhou\
&RequestClient=SDK_PYTHON_3.1.195&SecretId=AKIDtest&SignatureMethod=HmacSHA256&Some.Key=a b/é\
&Timestamp=1700000000&Version=2017-03-12";
const KAT_SHA256: &str = "3+PMCAeoGI3kuDKqFBaaIZluKHjSdqND7qgyHrds9iY=";
const KAT_SHA1: &str = "hdbBO9d3isJUPoftlF5KpIegBzk=";

fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Wire-order (unsorted) parameters of the KAT, `Some_Key` still carrying its underscore.
fn kat_params(method: &str) -> Vec<(String, String)> {
    p(&[
        ("Version", "2017-03-12"),
        ("Action", "DescribeNetworkInterfaces"),
        ("Some_Key", "a b/é"),
        ("Filters.0.Values.0", "vpc-12345678"),
        ("Filters.0.Name", "vpc-id"),
        ("Offset", "0"),
        ("Limit", "20"),
        ("Region", "ap-guangzhou"),
        ("RequestClient", "SDK_PYTHON_3.1.195"),
        ("Nonce", "11886"),
        ("Timestamp", "1700000000"),
        ("SecretId", "AKIDtest"),
        ("SignatureMethod", method),
        ("Language", "en-US"),
    ])
}

fn secrets(id: &str) -> Option<Secret> {
    (id == "AKIDtest").then(|| "testkey".into())
}

/// [`kat_params`] without the underscore key: what an SDK sends for a VPC action.
fn clean_params(method: &str) -> Vec<(String, String)> {
    kat_params(method).into_iter().filter(|(k, _)| k != "Some_Key").collect()
}

/// Python `_format_sign_string` + `Sign.sign` on [`clean_params`] plus `NetworkInterfaceName=a b/é=x`.
const CLEAN_STS: &str = "POST127.0.0.1:8080/?Action=DescribeNetworkInterfaces&Filters.0.Name=vpc-id\
&Filters.0.Values.0=vpc-12345678&Language=en-US&Limit=20&NetworkInterfaceName=a b/é=x&Nonce=11886&Offset=0\
&Region=ap-guangzhou&RequestClient=SDK_PYTHON_3.1.195&SecretId=AKIDtest&SignatureMethod=HmacSHA256\
&Timestamp=1700000000&Version=2017-03-12";
const CLEAN_SHA256: &str = "NoDIoo/FM+cngIijPGWuBq/DDHDGSOaq2R8taSiRRaM=";

fn signed(method: &str, host: &str) -> Vec<(String, String)> {
    let mut params = clean_params(method);
    let sig = sign("testkey", method, "POST", host, "/", &params);
    params.push(("Signature".into(), sig));
    params
}

fn run(host: &str, params: &[(String, String)], now: i64) -> Result<TencentV1Verified, AuthError> {
    verify("POST", host, "/", params, now, 300, &mut secrets)
}

#[test]
fn string_to_sign_kat() {
    let mut params = kat_params("HmacSHA256");
    params.push(("Signature".into(), "ignored".into()));
    assert_eq!(string_to_sign("POST", "127.0.0.1:8080", "/", &params), KAT_STS);
}

#[test]
fn signature_kats() {
    assert_eq!(signature_for("testkey", SignatureMethod::HmacSha256, KAT_STS), KAT_SHA256);
    assert_eq!(signature_for("testkey", SignatureMethod::HmacSha1, KAT_STS), KAT_SHA1);
    let params = kat_params("HmacSHA256");
    assert_eq!(sign("testkey", "HmacSHA256", "POST", "127.0.0.1:8080", "/", &params), KAT_SHA256);
    // Unknown names sign with SHA-1 like the Go SDK.
    assert_eq!(sign("testkey", "Whatever", "POST", "127.0.0.1:8080", "/", &params), KAT_SHA1);
}

#[test]
fn verifies_kat_request() {
    let mut params = clean_params("HmacSHA256");
    params.push(("NetworkInterfaceName".into(), "a b/é=x".into()));
    assert_eq!(string_to_sign("POST", "127.0.0.1:8080", "/", &params), CLEAN_STS);
    params.push(("Signature".into(), CLEAN_SHA256.into()));
    let ok = run("127.0.0.1:8080", &params, 1_700_000_000).unwrap();
    assert_eq!(
        ok,
        TencentV1Verified { access_key_id: "AKIDtest".into(), timestamp: 1_700_000_000, nonce: "11886".into() }
    );
}

#[test]
fn underscore_keys_are_not_bound() {
    // The SDK signs `Some_Key` as `Some.Key`, so the underscore itself is not covered by the signature.
    let mut params = kat_params("HmacSHA256");
    params.push(("Signature".into(), KAT_SHA256.into()));
    let err = run("127.0.0.1:8080", &params, 1_700_000_000).unwrap_err();
    let AuthError::Unbound(m) = err else { panic!("{err:?}") };
    assert!(m.contains("\"Some_Key\" holds '_'") && m.contains("TC3-HMAC-SHA256"), "{m}");
}

/// Parameters of a legacy call around `extra`, signed over the parameters given.
fn legacy(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut params = p(&[
        ("Action", "DescribeVpcs"),
        ("Nonce", "1"),
        ("SecretId", "AKIDtest"),
        ("SignatureMethod", "HmacSHA256"),
        ("Timestamp", "1700000000"),
    ]);
    params.extend(p(extra));
    let sig = sign("testkey", "HmacSHA256", "POST", "h", "/", &params);
    params.push(("Signature".into(), sig));
    params
}

#[test]
fn ampersand_in_a_value_is_ambiguous_and_refused() {
    // Two different requests, one string to sign: the SDKs' form cannot tell them apart.
    let split = legacy(&[("Limit", "1"), ("Name", "x")]);
    let joined = legacy(&[("Limit", "1&Name=x")]);
    assert_eq!(string_to_sign("POST", "h", "/", &split), string_to_sign("POST", "h", "/", &joined));
    assert_eq!(param(&split, "Signature"), param(&joined, "Signature"));
    assert!(run("h", &split, 1_700_000_000).is_ok());
    let err = run("h", &joined, 1_700_000_000).unwrap_err();
    assert_eq!(
        err,
        AuthError::Unbound(
            "the value of Limit holds '&', which the legacy signature cannot bind unambiguously; \
             sign with TC3-HMAC-SHA256 instead"
                .into()
        )
    );
}

#[test]
fn unambiguity_rules() {
    let ok = p(&[("A.B", "x=y"), ("C", ""), ("D", "é /?")]);
    assert_eq!(check_unambiguous(&ok), Ok(()));
    for bad in [
        p(&[("A", "1&")]),
        p(&[("A=B", "1")]),
        p(&[("A&B", "1")]),
        p(&[("A_B", "1")]),
        p(&[("", "1")]),
        p(&[("A", "1"), ("B", "2"), ("A", "3")]),
    ] {
        assert!(matches!(check_unambiguous(&bad), Err(AuthError::Unbound(_))), "{bad:?}");
    }
    // A repeated key is refused even when its signature is right (values sort, so their order is not signed).
    let twice = legacy(&[("Limit", "1"), ("Limit", "2")]);
    assert!(matches!(run("h", &twice, 1_700_000_000), Err(AuthError::Unbound(_))));
}

#[test]
fn nonce_shape() {
    for bad in ["abc", "-1", "1.5", "123456789012345678901", ""] {
        let mut params: Vec<_> = legacy(&[]).into_iter().filter(|(k, _)| k != "Nonce").collect();
        params.push(("Nonce".into(), bad.into()));
        assert!(matches!(run("h", &params, 1_700_000_000), Err(AuthError::InvalidNonce(_))), "{bad:?}");
    }
}

#[test]
fn signature_method_selection() {
    assert_eq!(SignatureMethod::from_param(None), Ok(SignatureMethod::HmacSha1));
    assert_eq!(SignatureMethod::from_param(Some("HmacSHA1")), Ok(SignatureMethod::HmacSha1));
    assert_eq!(SignatureMethod::from_param(Some("HmacSHA256")), Ok(SignatureMethod::HmacSha256));
    assert_eq!(SignatureMethod::from_param(Some("hmacsha256")), Err(AuthError::UnsupportedMethod("hmacsha256".into())));

    // Absent SignatureMethod means HMAC-SHA1.
    let mut params: Vec<_> = clean_params("x").into_iter().filter(|(k, _)| k != "SignatureMethod").collect();
    let sig = sign("testkey", "HmacSHA1", "POST", "127.0.0.1:8080", "/", &params);
    params.push(("Signature".into(), sig));
    assert!(run("127.0.0.1:8080", &params, 1_700_000_000).is_ok());

    let mut bad = signed("HmacSHA1", "h");
    bad.retain(|(k, _)| k != "SignatureMethod");
    bad.push(("SignatureMethod".into(), "HmacMD5".into()));
    assert_eq!(run("h", &bad, 1_700_000_000), Err(AuthError::UnsupportedMethod("HmacMD5".into())));
}

#[test]
fn host_with_port_stripped() {
    // Signed against "127.0.0.1" while the Host header carries the port.
    let params = signed("HmacSHA1", "127.0.0.1");
    assert!(run("127.0.0.1:8080", &params, 1_700_000_000).is_ok());
    assert!(matches!(run("127.0.0.2:8080", &params, 1_700_000_000), Err(AuthError::Mismatch { .. })));
}

#[test]
fn tampering_and_mismatch_string_to_sign() {
    let mut params = signed("HmacSHA256", "127.0.0.1:8080");
    params[1].1 = "DescribeVpcs".into();
    let err = run("127.0.0.1:8080", &params, 1_700_000_000).unwrap_err();
    let AuthError::Mismatch { string_to_sign } = err else { panic!("{err:?}") };
    assert!(string_to_sign.starts_with("POST127.0.0.1:8080/?Action=DescribeVpcs&"));
    let params = signed("HmacSHA256", "127.0.0.1:8080");
    assert!(matches!(
        verify("GET", "127.0.0.1:8080", "/", &params, 1_700_000_000, 300, &mut secrets),
        Err(AuthError::Mismatch { .. })
    ));
}

#[test]
fn missing_expired_unknown() {
    let params = signed("HmacSHA1", "h");
    for key in ["Signature", "SecretId", "Timestamp", "Nonce"] {
        let cut: Vec<_> = params.iter().filter(|(k, _)| k != key).cloned().collect();
        assert_eq!(run("h", &cut, 1_700_000_000), Err(AuthError::Missing(key.into())), "{key}");
    }
    let mut bad_ts = params.clone();
    bad_ts.retain(|(k, _)| k != "Timestamp");
    bad_ts.insert(0, ("Timestamp".into(), "-5".into()));
    assert!(matches!(run("h", &bad_ts, 1_700_000_000), Err(AuthError::Malformed(_))));

    assert!(run("h", &params, 1_700_000_300).is_ok());
    assert!(matches!(run("h", &params, 1_700_000_301), Err(AuthError::Expired(_))));
    assert!(matches!(run("h", &params, 1_699_999_699), Err(AuthError::Expired(_))));

    let mut other = params.clone();
    other.retain(|(k, _)| k != "SecretId");
    other.push(("SecretId".into(), "AKIDnobody".into()));
    assert_eq!(run("h", &other, 1_700_000_000), Err(AuthError::UnknownKey));
}

proptest! {
    #[test]
    fn verify_never_panics(
        pairs in proptest::collection::vec(("\\PC{0,12}", "\\PC{0,12}"), 0..8),
        host in "\\PC{0,20}", now in any::<i64>(), skew in any::<i64>(),
    ) {
        let _ = verify("POST", &host, "/", &pairs, now, skew, &mut secrets);
    }

    #[test]
    fn sign_then_verify_round_trips(v in "[^&\\p{C}]{0,20}", sha256 in any::<bool>()) {
        let m = if sha256 { "HmacSHA256" } else { "HmacSHA1" };
        let mut params = clean_params(m);
        params.push(("Name".into(), v));
        let sig = sign("testkey", m, "POST", "localhost:9000", "/", &params);
        params.push(("Signature".into(), sig));
        prop_assert!(verify("POST", "localhost:9000", "/", &params, 1_700_000_000, 300, &mut secrets).is_ok());
    }
}
