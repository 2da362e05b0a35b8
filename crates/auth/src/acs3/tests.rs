//! Known-answer and edge-case tests for ACS3-HMAC-SHA256 (vectors from alibaba-ens.md §2.2 and Python `verify_v3`).

use super::*;
use crate::Secret;
use proptest::prelude::*;

const EMPTY_SHA: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const T0: i64 = 1_704_067_200; // 2024-01-01T00:00:00Z
const DOC_AUTH: &str = "ACS3-HMAC-SHA256 Credential=testak,SignedHeaders=host;x-acs-action;x-acs-content-sha256;\
x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=9f12c25ba43ab236ccaa7f354cb883c2712b545239d3d7b0c4edda6ddf814cef";

/// Form body and headers of the second Python vector (tea-style ReinitInstance with space and é in the query).
const FORM_BODY: &[u8] = b"ImageId=m-1&InstanceId=i-1&Password=p%40ss+w%2Frd%2A";
const FORM_SHA: &str = "9479b733858289da87d869582fc7131f7fe907a162ab881e7dc8cf5b42773b59";
const FORM_SIG: &str = "e8443bc390124bd3fb4632d369dd40f9d523f0e7c17e91d390f11d375280ecaf";

fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn secrets(id: &str) -> Option<Secret> {
    (id == "testak").then(|| "testsecret".into())
}

fn doc_headers(auth: &str) -> Vec<(&str, &str)> {
    vec![
        ("host", "ens.aliyuncs.com"),
        ("x-acs-action", "DetachNetworkInterface"),
        ("x-acs-version", "2017-11-10"),
        ("x-acs-date", "2024-01-01T00:00:00Z"),
        ("x-acs-signature-nonce", "00000000000000000000000000000001"),
        ("x-acs-content-sha256", EMPTY_SHA),
        ("authorization", auth),
    ]
}

fn run(headers: &[(&str, &str)], query: &str, body: &[u8], now: i64) -> Result<Acs3Verified, AuthError> {
    let req = RequestView { method: "POST", path: "/", raw_query: query, headers, body };
    verify(&req, now, 900, &mut secrets)
}

const DOC_QUERY: &str = "NetworkInterfaceId=eni-58z57orgmt6d1%2A%2A%2A%2A";

#[test]
fn doc_vector_intermediates() {
    let headers = doc_headers("");
    let signed: Vec<String> =
        ["host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"]
            .map(String::from)
            .to_vec();
    let creq = canonical_request("POST", "/", &parse_params(DOC_QUERY), &headers, &signed, EMPTY_SHA);
    assert_eq!(
        creq,
        "POST\n/\nNetworkInterfaceId=eni-58z57orgmt6d1%2A%2A%2A%2A\nhost:ens.aliyuncs.com\n\
         x-acs-action:DetachNetworkInterface\nx-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
         x-acs-date:2024-01-01T00:00:00Z\nx-acs-signature-nonce:00000000000000000000000000000001\nx-acs-version:2017-11-10\n\n\
         host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n\
         e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(sha256_hex(creq.as_bytes()), "ee928fbdb59db1009c7022ff8aa3bfdeafa523809c5ceb7aa0426a1d3536f998");
    assert_eq!(
        signature("testsecret", &string_to_sign(&creq)),
        "9f12c25ba43ab236ccaa7f354cb883c2712b545239d3d7b0c4edda6ddf814cef"
    );
}

#[test]
fn doc_vector_verifies_and_signer_reproduces_it() {
    let ok = run(&doc_headers(DOC_AUTH), DOC_QUERY, b"", T0).unwrap();
    assert_eq!(
        ok,
        Acs3Verified {
            access_key_id: "testak".into(),
            nonce: "00000000000000000000000000000001".into(),
            timestamp: T0
        }
    );
    let out = sign(
        "testak",
        "testsecret",
        "POST",
        "ens.aliyuncs.com",
        &p(&[("NetworkInterfaceId", "eni-58z57orgmt6d1****")]),
        &[("x-acs-action", "DetachNetworkInterface"), ("X-Acs-Version", "2017-11-10")],
        b"",
        "2024-01-01T00:00:00Z",
        "00000000000000000000000000000001",
    );
    let mut expected: Vec<(String, String)> =
        doc_headers(DOC_AUTH).into_iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    let auth = expected.pop().unwrap();
    expected.sort();
    expected.push(auth);
    assert_eq!(out, expected);
}

fn form_headers(auth: &str) -> Vec<(&str, &str)> {
    vec![
        ("Host", "127.0.0.1:8080"),
        ("Accept", "application/json"),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("X-Acs-Action", "ReinitInstance"),
        ("x-acs-version", " 2017-11-10 "),
        ("x-acs-date", "2024-01-01T00:00:00Z"),
        ("x-acs-signature-nonce", "1e60b73f28678263758e1700a8d72175"),
        ("x-acs-content-sha256", FORM_SHA),
        ("content-length", "52"),
        ("accept-encoding", "identity"),
        ("Authorization", auth),
    ]
}

fn form_auth() -> String {
    format!(
        "ACS3-HMAC-SHA256 Credential=testak,SignedHeaders=accept;content-type;host;x-acs-action;x-acs-content-sha256;\
         x-acs-date;x-acs-signature-nonce;x-acs-version,Signature={FORM_SIG}"
    )
}

#[test]
fn python_vector_with_space_non_ascii_and_form_body() {
    let auth = form_auth();
    let headers = form_headers(&auth);
    // tea wire form ('+' for space) and core wire form ('%20') decode to the same values.
    for q in [
        "NetworkInterfaceName=a+b%2A~%2F%C3%A9&EnsRegionId=cn-beijing-15",
        "EnsRegionId=cn-beijing-15&NetworkInterfaceName=a%20b*%7E/%c3%a9",
    ] {
        assert!(run(&headers, q, FORM_BODY, T0).is_ok(), "{q}");
    }
    let q = "NetworkInterfaceName=a+c%2A~%2F%C3%A9&EnsRegionId=cn-beijing-15";
    assert!(matches!(run(&headers, q, FORM_BODY, T0), Err(AuthError::Mismatch { .. })));
}

#[test]
fn one_byte_body_change_fails() {
    let auth = form_auth();
    let q = "EnsRegionId=cn-beijing-15&NetworkInterfaceName=a%20b%2A~%2F%C3%A9";
    let mut body = FORM_BODY.to_vec();
    body[0] ^= 1;
    assert_eq!(run(&form_headers(&auth), q, &body, T0), Err(AuthError::PayloadHash));
    // Without x-acs-content-sha256 the computed hash goes into the canonical request and the signature fails.
    let headers: Vec<_> = form_headers(&auth).into_iter().filter(|(n, _)| *n != "x-acs-content-sha256").collect();
    assert!(matches!(run(&headers, q, &body, T0), Err(AuthError::Mismatch { .. })));
}

#[test]
fn signer_round_trip_with_space_and_non_ascii() {
    let query = p(&[("NetworkInterfaceName", "a b*~/é"), ("SecurityGroupIds", r#"["sg-1","sg-2"]"#), ("Empty", "")]);
    let body = "Password=p%40ss+w%2Frd%2A".as_bytes();
    let sent = sign(
        "testak",
        "testsecret",
        "POST",
        "127.0.0.1:8080",
        &query,
        &[
            ("x-acs-action", "CreateNetworkInterface"),
            ("x-acs-version", "2017-11-10"),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        body,
        "2024-01-01T00:00:00Z",
        "nonce-1",
    );
    let raw: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(&query).finish();
    let headers: Vec<(&str, &str)> = sent.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let ok = run(&headers, &raw, body, T0 + 60).unwrap();
    assert_eq!(ok.nonce, "nonce-1");
    assert!(matches!(run(&headers, &raw, b"Password=p%40ss+w%2Frd%2B", T0), Err(AuthError::PayloadHash)));
    // The port is signed verbatim: a proxy that drops it breaks the signature.
    let stripped: Vec<(&str, &str)> =
        headers.iter().map(|&(n, v)| if n == "host" { (n, "127.0.0.1") } else { (n, v) }).collect();
    assert!(matches!(run(&stripped, &raw, body, T0), Err(AuthError::Mismatch { .. })));
}

#[test]
fn missing_malformed_expired_unknown() {
    let without =
        |name: &str| -> Vec<(&str, &str)> { doc_headers(DOC_AUTH).into_iter().filter(|(n, _)| *n != name).collect() };
    let replace = |name: &'static str, v: &'static str| -> Vec<(&'static str, &'static str)> {
        doc_headers(DOC_AUTH).into_iter().map(|(n, old)| (n, if n == name { v } else { old })).collect()
    };
    assert_eq!(run(&without("authorization"), DOC_QUERY, b"", T0), Err(AuthError::Missing("Authorization".into())));
    assert_eq!(run(&without("x-acs-date"), DOC_QUERY, b"", T0), Err(AuthError::Missing("x-acs-date".into())));
    assert_eq!(
        run(&without("x-acs-signature-nonce"), DOC_QUERY, b"", T0),
        Err(AuthError::Missing("x-acs-signature-nonce".into()))
    );
    assert!(matches!(
        run(&replace("x-acs-date", "2024-01-01T00:00:00"), DOC_QUERY, b"", T0),
        Err(AuthError::Malformed(_))
    ));
    assert!(run(&doc_headers(DOC_AUTH), DOC_QUERY, b"", T0 + 900).is_ok());
    assert!(matches!(run(&doc_headers(DOC_AUTH), DOC_QUERY, b"", T0 + 901), Err(AuthError::Expired(_))));
    assert!(matches!(run(&doc_headers(DOC_AUTH), DOC_QUERY, b"", T0 - 901), Err(AuthError::Expired(_))));
    let other = DOC_AUTH.replace("Credential=testak", "Credential=nobody");
    assert_eq!(run(&doc_headers(&other), DOC_QUERY, b"", T0), Err(AuthError::UnknownKey));
    let unsigned_nonce = DOC_AUTH.replace("x-acs-signature-nonce;", "");
    assert_eq!(
        run(&doc_headers(&unsigned_nonce), DOC_QUERY, b"", T0),
        Err(AuthError::Unbound("x-acs-signature-nonce is not in SignedHeaders".into()))
    );
    assert_eq!(
        run(&doc_headers("HMAC-SHA1 x"), DOC_QUERY, b"", T0),
        Err(AuthError::UnsupportedMethod("HMAC-SHA1".into()))
    );
    let err = run(&doc_headers(DOC_AUTH), "NetworkInterfaceId=eni-x", b"", T0).unwrap_err();
    let AuthError::Mismatch { string_to_sign } = err else { panic!("{err:?}") };
    assert!(string_to_sign.starts_with("ACS3-HMAC-SHA256\n"));
}

/// Signs `signed` (a subset of the headers sent) correctly, so only the binding rules can refuse it.
fn signed_subset(headers: &[(&str, &str)], signed: &[&str], query: &str) -> String {
    let signed: Vec<String> = signed.iter().map(|s| s.to_string()).collect();
    let creq = canonical_request("POST", "/", &parse_params(query), headers, &signed, EMPTY_SHA);
    let sig = signature("testsecret", &string_to_sign(&creq));
    format!("ACS3-HMAC-SHA256 Credential=testak,SignedHeaders={},Signature={sig}", signed.join(";"))
}

#[test]
fn host_and_every_x_acs_header_must_be_signed() {
    let mut headers = doc_headers("");
    headers.pop();
    headers.push(("X-Acs-Credentials-Provider", "static_ak"));
    headers.push(("user-agent", "AlibabaCloud"));
    let all = [
        "host",
        "x-acs-action",
        "x-acs-content-sha256",
        "x-acs-credentials-provider",
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-version",
    ];
    let run_signed = |signed: &[&str]| {
        let auth = signed_subset(&headers, signed, DOC_QUERY);
        let mut h = headers.clone();
        h.push(("authorization", auth.as_str()));
        run(&h, DOC_QUERY, b"", T0)
    };
    // Everything signed (user-agent need not be): accepted.
    assert!(run_signed(&all).is_ok());
    for left_out in all {
        let signed: Vec<&str> = all.iter().copied().filter(|h| *h != left_out).collect();
        let err = run_signed(&signed).unwrap_err();
        let AuthError::Unbound(m) = &err else { panic!("{left_out}: {err:?}") };
        assert!(m.contains(left_out), "{left_out}: {m}");
    }
    // A header listed in SignedHeaders but absent is signed as empty, as tea does; that is not a binding hole.
    let mut extra = all.to_vec();
    extra.push("x-acs-security-token");
    assert!(run_signed(&extra).is_ok());
    // Header names that are not ASCII or shorter than the prefix are no trouble.
    let odd = [("x-ac", "1"), ("é-acs-x", "2")];
    assert_eq!(check_signed_headers(&odd, &all.map(String::from)), Ok(()));
}

#[test]
fn repeated_query_parameters_are_refused() {
    let headers = doc_headers("");
    let signed =
        ["host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"];
    // Both orders have the same canonical query, so the signature cannot tell which value comes first.
    let (a, b) =
        ("NetworkInterfaceId=eni-1&NetworkInterfaceId=eni-2", "NetworkInterfaceId=eni-2&NetworkInterfaceId=eni-1");
    assert_eq!(canonical_query(&parse_params(a)), canonical_query(&parse_params(b)));
    let auth = signed_subset(&headers, &signed, a);
    let mut h = headers.clone();
    h.pop();
    h.push(("authorization", &auth));
    for q in [a, b] {
        assert_eq!(
            run(&h, q, b"", T0),
            Err(AuthError::Unbound("parameter NetworkInterfaceId appears more than once".into()))
        );
    }
    assert_eq!(check_unique_keys(&p(&[("a", "1"), ("b", "1"), ("A", "1")])), Ok(()));
}

#[test]
fn nonce_length_is_bounded() {
    let long = "n".repeat(crate::nonce::ACS_NONCE_MAX_LEN + 1);
    let headers: Vec<(&str, &str)> = doc_headers(DOC_AUTH)
        .into_iter()
        .map(|(n, v)| if n == "x-acs-signature-nonce" { (n, long.as_str()) } else { (n, v) })
        .collect();
    assert!(matches!(run(&headers, DOC_QUERY, b"", T0), Err(AuthError::InvalidNonce(_))));
    let empty: Vec<(&str, &str)> = doc_headers(DOC_AUTH)
        .into_iter()
        .map(|(n, v)| if n == "x-acs-signature-nonce" { (n, " ") } else { (n, v) })
        .collect();
    assert!(matches!(run(&empty, DOC_QUERY, b"", T0), Err(AuthError::InvalidNonce(_))));
}

#[test]
fn parse_authorization_forms() {
    let sig = "9f12c25ba43ab236ccaa7f354cb883c2712b545239d3d7b0c4edda6ddf814cef";
    for v in [
        format!("ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=host;x-acs-date,Signature={sig}"),
        format!("ACS3-HMAC-SHA256  Credential=ak, SignedHeaders=host;x-acs-date , Signature={} ", sig.to_uppercase()),
    ] {
        let a = parse_authorization(&v).unwrap();
        assert_eq!(
            a,
            Acs3Authorization {
                access_key_id: "ak".into(),
                signed_headers: vec!["host".into(), "x-acs-date".into()],
                signature: sig.into()
            }
        );
    }
    for bad in [
        String::new(),
        "ACS3-HMAC-SHA256".into(),
        format!("ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature={sig}"),
        format!("ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=host;;a,Signature={sig}"),
        format!("ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=host,Signature={sig}0"),
        format!("ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=host,Signature={sig},Signature={sig}"),
        format!("ACS3-HMAC-SHA256 Credential=ak,Signature={sig}"),
        "ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=host".into(),
        format!("ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=host,Signature={sig},X"),
        format!("Credential=ak,SignedHeaders=host,Signature={sig}"),
    ] {
        assert!(matches!(parse_authorization(&bad), Err(AuthError::Malformed(_))), "{bad:?}");
    }
}

#[test]
fn canonical_headers_trim_join_and_case() {
    let headers = [("X-A", "  one "), ("x-a", "two"), ("Host", "h:1")];
    let signed = vec!["host".to_string(), "X-A".to_string(), "x-missing".to_string()];
    assert_eq!(canonical_headers(&headers, &signed), "host:h:1\nx-a:one,two\nx-missing:\n");
    assert_eq!(canonical_query(&p(&[("b", "2"), ("a b", "é"), ("a", "*")])), "a=%2A&a%20b=%C3%A9&b=2");
}

proptest! {
    #[test]
    fn parse_authorization_never_panics(s in "\\PC*") {
        let _ = parse_authorization(&s);
    }

    #[test]
    fn parse_authorization_structured_never_panics(cred in "[ -~]{0,10}", sh in "[a-z;, =-]{0,20}", sig in "[0-9a-fA-F=, ]{0,70}") {
        let _ = parse_authorization(&format!("ACS3-HMAC-SHA256 Credential={cred},SignedHeaders={sh},Signature={sig}"));
    }

    #[test]
    fn verify_never_panics(auth in "\\PC*", date in "\\PC{0,24}", sha in "\\PC{0,70}", q in "\\PC{0,30}", now in any::<i64>(), skew in any::<i64>()) {
        let headers = [("authorization", auth.as_str()), ("x-acs-date", date.as_str()), ("x-acs-signature-nonce", "n"), ("x-acs-content-sha256", sha.as_str())];
        let req = RequestView { method: "POST", path: "/", raw_query: &q, headers: &headers, body: b"" };
        let _ = verify(&req, now, skew, &mut secrets);
    }
}
