//! Known-answer and edge-case tests for TC3-HMAC-SHA256 (vectors from tencent-vpc.md §2.4 and Python hashlib).

use super::*;
use crate::Secret;
use proptest::prelude::*;

const OFFICIAL_BODY: &str = r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
const OFFICIAL_TS: i64 = 1_551_113_065;
const MASKED_KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3*******";
const EXAMPLE_KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
const EXAMPLE_ID: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******";

fn official_canonical_request() -> String {
    canonical_request(
        "POST",
        "/",
        "",
        "content-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n",
        "content-type;host",
        &sha256_hex(OFFICIAL_BODY.as_bytes()),
    )
}

fn official_string_to_sign() -> String {
    string_to_sign("1551113065", &credential_scope("2019-02-25", "cvm"), &official_canonical_request())
}

fn secrets(id: &str) -> Option<Secret> {
    match id {
        "AKIDtest" => Some("testkey".into()),
        EXAMPLE_ID => Some(EXAMPLE_KEY.into()),
        _ => None,
    }
}

fn run(headers: &[(&str, &str)], method: &str, query: &str, body: &[u8], now: i64) -> Result<Tc3Verified, AuthError> {
    let req = RequestView { method, path: "/", raw_query: query, headers, body };
    verify(&req, now, 300, &mut secrets)
}

/// Headers of a Python-SDK style POST to 127.0.0.1:8080 signed with AKIDtest/testkey.
fn python_post(body: &[u8], ts: i64) -> (String, String) {
    let auth = sign("AKIDtest", "testkey", "vpc", "127.0.0.1:8080", "POST", "", "application/json", body, ts);
    (auth, ts.to_string())
}

#[test]
fn official_vector_intermediates() {
    assert_eq!(
        sha256_hex(OFFICIAL_BODY.as_bytes()),
        "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    );
    let creq = official_canonical_request();
    assert_eq!(
        creq,
        "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\n\
         content-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    );
    assert_eq!(sha256_hex(creq.as_bytes()), "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031");
    assert_eq!(
        official_string_to_sign(),
        "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n\
         5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    );
    // First step of the key derivation, HMAC("TC3" + key, date), computed with Python hmac.
    assert_eq!(
        hex::encode(hmac_sha256(format!("TC3{MASKED_KEY}").as_bytes(), b"2019-02-25")),
        "f1cb4d518a0eda9d5cbbfdb7850983f1e603eeae484edea76e4dd8d8deb5556e"
    );
}

#[test]
fn official_vector_signatures() {
    let sts = official_string_to_sign();
    assert_eq!(
        signature(MASKED_KEY, "2019-02-25", "cvm", &sts),
        "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
    );
    assert_eq!(
        signature(EXAMPLE_KEY, "2019-02-25", "cvm", &sts),
        "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    );
}

#[test]
fn signer_reproduces_official_vector_and_verifies() {
    let auth = sign(
        EXAMPLE_ID,
        EXAMPLE_KEY,
        "cvm",
        "cvm.tencentcloudapi.com",
        "POST",
        "",
        "application/json; charset=utf-8",
        OFFICIAL_BODY.as_bytes(),
        OFFICIAL_TS,
    );
    assert_eq!(
        auth,
        format!(
            "TC3-HMAC-SHA256 Credential={EXAMPLE_ID}/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, \
             Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        )
    );
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json; charset=utf-8"),
        ("Host", "cvm.tencentcloudapi.com"),
        ("X-TC-Action", "DescribeInstances"),
        ("X-TC-Timestamp", "1551113065"),
    ];
    let ok = run(&headers, "POST", "", OFFICIAL_BODY.as_bytes(), OFFICIAL_TS + 299).unwrap();
    assert_eq!(ok, Tc3Verified { access_key_id: EXAMPLE_ID.into(), timestamp: OFFICIAL_TS });
}

#[test]
fn node_get_with_stripped_host_and_service_127() {
    // Python hashlib: Node signs host "127.0.0.1" (no port) and service "127" while sending Host: 127.0.0.1:8080.
    let auth = "TC3-HMAC-SHA256 Credential=AKIDtest/2023-11-14/127/tc3_request, SignedHeaders=content-type;host, \
                Signature=10ff37f7eaafb178483eb6825e7f84d78339dac4d97249e3bfab03d5e7f749da";
    let headers = [
        ("authorization", auth),
        ("content-type", "application/x-www-form-urlencoded"),
        ("host", "127.0.0.1:8080"),
        ("x-tc-timestamp", "1700000000"),
    ];
    let q = "Limit=20&NetworkInterfaceIds.0=eni-abcdefgh";
    assert!(run(&headers, "GET", q, b"", 1_700_000_000).is_ok());
    // The query is signed as received: reordering it breaks the signature.
    let tampered = "NetworkInterfaceIds.0=eni-abcdefgh&Limit=20";
    assert!(matches!(run(&headers, "GET", tampered, b"", 1_700_000_000), Err(AuthError::Mismatch { .. })));
}

#[test]
fn unsigned_payload_kat() {
    let auth = "TC3-HMAC-SHA256 Credential=AKIDtest/2023-11-14/vpc/tc3_request, SignedHeaders=content-type;host, \
                Signature=8ac38037abaa047e6b609d8cb98c30c311335a0345ed6187c1d066dcff87fdee";
    let mut headers = vec![
        ("Authorization", auth),
        ("Content-Type", "application/json"),
        ("Host", "127.0.0.1:8080"),
        ("X-TC-Timestamp", "1700000000"),
        ("X-TC-Content-SHA256", "UNSIGNED-PAYLOAD"),
    ];
    assert!(run(&headers, "POST", "", br#"{"Limit": 20}"#, 1_700_000_000).is_ok());
    assert!(run(&headers, "POST", "", b"anything else", 1_700_000_000).is_ok());
    headers.pop();
    assert!(matches!(run(&headers, "POST", "", br#"{"Limit": 20}"#, 1_700_000_000), Err(AuthError::Mismatch { .. })));
}

#[test]
fn python_round_trip_and_tampering() {
    let body = br#"{"Limit": 20, "Offset": 0}"#;
    let (auth, ts) = python_post(body, 1_700_000_000);
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
        ("Host", "127.0.0.1:8080"),
        ("X-TC-Timestamp", ts.as_str()),
    ];
    assert!(run(&headers, "POST", "", body, 1_700_000_000).is_ok());
    let err = run(&headers, "POST", "", br#"{"Limit": 21, "Offset": 0}"#, 1_700_000_000).unwrap_err();
    let AuthError::Mismatch { string_to_sign } = err else { panic!("{err:?}") };
    assert!(string_to_sign.starts_with("TC3-HMAC-SHA256\n1700000000\n2023-11-14/vpc/tc3_request\n"));
    assert!(matches!(run(&headers, "POST", "a=b", body, 1_700_000_000), Err(AuthError::Mismatch { .. })));
    assert!(matches!(run(&headers, "GET", "", body, 1_700_000_000), Err(AuthError::Mismatch { .. })));
}

#[test]
fn tccli_literal_scheme_host_and_padded_values() {
    let auth = sign(
        "AKIDtest",
        "testkey",
        "vpc",
        "http://127.0.0.1:8080",
        "POST",
        "",
        "application/json",
        b"{}",
        1_700_000_000,
    );
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "  application/json "),
        ("Host", " http://127.0.0.1:8080"),
        ("X-TC-Timestamp", " 1700000000 "),
    ];
    assert!(run(&headers, "POST", "", b"{}", 1_700_000_000).is_ok());
}

#[test]
fn lower_cased_values_and_extra_signed_header() {
    // A third-party signer following the official doc: values lower-cased, x-tc-action signed too.
    let ch = "content-type:application/json\nhost:vpc.example.com\nx-tc-action:describevpcs\n";
    let signed = "content-type;host;x-tc-action";
    let creq = canonical_request("POST", "/", "", ch, signed, &sha256_hex(b"{}"));
    let sts = string_to_sign("1700000000", &credential_scope("2023-11-14", "vpc"), &creq);
    let sig = signature("testkey", "2023-11-14", "vpc", &sts);
    let auth = format!(
        "TC3-HMAC-SHA256 Credential=AKIDtest/2023-11-14/vpc/tc3_request,SignedHeaders={signed},Signature={sig}"
    );
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "Application/JSON"),
        ("Host", "VPC.example.com"),
        ("X-TC-Action", "DescribeVpcs"),
        ("X-TC-Timestamp", "1700000000"),
    ];
    assert!(run(&headers, "POST", "", b"{}", 1_700_000_000).is_ok());
}

/// A correct signature over only the headers in `signed` (values as sent, official canonical form).
fn signed_over(signed: &str, content_type: &str, host: &str) -> String {
    let mut ch = String::new();
    for name in signed.split(';') {
        let value = match name.to_ascii_lowercase().as_str() {
            "content-type" => content_type,
            "host" => host,
            _ => "DescribeVpcs",
        };
        ch.push_str(&format!("{}:{value}\n", name.to_ascii_lowercase()));
    }
    let creq = canonical_request("POST", "/", "", &ch, signed, &sha256_hex(b"{}"));
    let sts = string_to_sign("1700000000", &credential_scope("2023-11-14", "vpc"), &creq);
    let sig = signature("testkey", "2023-11-14", "vpc", &sts);
    format!("TC3-HMAC-SHA256 Credential=AKIDtest/2023-11-14/vpc/tc3_request, SignedHeaders={signed}, Signature={sig}")
}

#[test]
fn content_type_and_host_must_be_signed() {
    let run_with = |signed: &str| {
        let auth = signed_over(signed, "application/json", "vpc.example.com");
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
            ("Host", "vpc.example.com"),
            ("X-TC-Action", "DescribeVpcs"),
            ("X-TC-Timestamp", "1700000000"),
        ];
        run(&headers, "POST", "", b"{}", 1_700_000_000)
    };
    // The signatures are right; what they cover is not enough.
    for (signed, missing) in [("host", "content-type"), ("content-type", "host"), ("x-tc-action", "content-type")] {
        assert_eq!(
            run_with(signed),
            Err(AuthError::Unbound(format!("SignedHeaders must include {missing} (content-type;host)"))),
            "{signed}"
        );
    }
    for signed in ["content-type;host", "Content-Type;Host", "content-type;host;x-tc-action"] {
        assert!(run_with(signed).is_ok(), "{signed}");
    }
    // Checked before the clock and the key: a stale request signed over `host` alone is still refused as unbound.
    let auth = signed_over("host", "application/json", "h");
    let headers = [("Authorization", auth.as_str()), ("X-TC-Timestamp", "1")];
    assert!(matches!(run(&headers, "POST", "", b"{}", 1_700_000_000), Err(AuthError::Unbound(_))));
    assert_eq!(check_signed_headers(&["host".into(), "content-type".into()]), Ok(()));
}

#[test]
fn clock_and_scope_checks() {
    let (auth, ts) = python_post(b"{}", 1_700_000_000);
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
        ("Host", "127.0.0.1:8080"),
        ("X-TC-Timestamp", ts.as_str()),
    ];
    assert!(run(&headers, "POST", "", b"{}", 1_700_000_300).is_ok());
    assert!(run(&headers, "POST", "", b"{}", 1_699_999_700).is_ok());
    assert!(matches!(run(&headers, "POST", "", b"{}", 1_700_000_301), Err(AuthError::Expired(_))));
    assert!(matches!(run(&headers, "POST", "", b"{}", 1_699_999_699), Err(AuthError::Expired(_))));

    // Scope date one day off from the timestamp's UTC date.
    let wrong = auth.replace("2023-11-14", "2023-11-15");
    let headers = [("Authorization", wrong.as_str()), ("Host", "h"), ("X-TC-Timestamp", "1700000000")];
    assert!(matches!(run(&headers, "POST", "", b"{}", 1_700_000_000), Err(AuthError::Malformed(_))));
}

#[test]
fn missing_unknown_and_check_order() {
    let (auth, _) = python_post(b"{}", 1_700_000_000);
    let now = 1_700_000_000;
    assert_eq!(
        run(&[("X-TC-Timestamp", "1700000000")], "POST", "", b"", now),
        Err(AuthError::Missing("Authorization".into()))
    );
    assert_eq!(
        run(&[("Authorization", &auth)], "POST", "", b"", now),
        Err(AuthError::Missing("X-TC-Timestamp".into()))
    );
    let bad_ts = [("Authorization", auth.as_str()), ("X-TC-Timestamp", "17e8")];
    assert!(matches!(run(&bad_ts, "POST", "", b"", now), Err(AuthError::Malformed(_))));
    let garbled = [("Authorization", "TC3-HMAC-SHA256 garbage"), ("X-TC-Timestamp", "x")];
    assert!(matches!(run(&garbled, "POST", "", b"", now), Err(AuthError::Malformed(_))));

    let unknown = auth.replace("AKIDtest", "AKIDnobody");
    let headers = [("Authorization", unknown.as_str()), ("X-TC-Timestamp", "1700000000")];
    assert_eq!(run(&headers, "POST", "", b"{}", now), Err(AuthError::UnknownKey));
    // Skew is checked before the key lookup.
    assert!(matches!(run(&headers, "POST", "", b"{}", now + 1000), Err(AuthError::Expired(_))));
}

#[test]
fn parse_accepts_both_comma_styles() {
    let sig = "a".repeat(64);
    for v in [
        format!("TC3-HMAC-SHA256 Credential=AKID/2019-02-25/vpc/tc3_request, SignedHeaders=content-type;host, Signature={sig}"),
        format!("TC3-HMAC-SHA256 Credential=AKID/2019-02-25/vpc/tc3_request,SignedHeaders=content-type;host,Signature={sig}"),
        format!("  TC3-HMAC-SHA256   Credential=AKID/2019-02-25/vpc/tc3_request ,  SignedHeaders=content-type;host,Signature={}  ", sig.to_uppercase()),
    ] {
        let a = parse_authorization(&v).unwrap();
        assert_eq!(a.access_key_id, "AKID");
        assert_eq!(a.date, "2019-02-25");
        assert_eq!(a.service, "vpc");
        assert_eq!(a.signed_headers, ["content-type", "host"]);
        assert_eq!(a.signature, sig);
    }
}

#[test]
fn parse_rejects_garbage() {
    let sig = "0".repeat(64);
    let cases = [
        String::new(),
        "TC3-HMAC-SHA256".into(),
        "TC3-HMAC-SHA256 Credential=AKID/2019-02-25/vpc/tc3_request, SignedHeaders=host".into(),
        format!("TC3-HMAC-SHA256 Credential=AKID/2019-02-25/vpc/tc3, SignedHeaders=host, Signature={sig}"),
        format!("TC3-HMAC-SHA256 Credential=/2019-02-25/vpc/tc3_request, SignedHeaders=host, Signature={sig}"),
        format!("TC3-HMAC-SHA256 Credential=AKID/2019-2-25/vpc/tc3_request, SignedHeaders=host, Signature={sig}"),
        format!("TC3-HMAC-SHA256 Credential=AKID/2019-02-25//tc3_request, SignedHeaders=host, Signature={sig}"),
        format!("TC3-HMAC-SHA256 Credential=2019-02-25/vpc/tc3_request, SignedHeaders=host, Signature={sig}"),
        format!("TC3-HMAC-SHA256 Credential=AKID/2019-02-25/vpc/tc3_request, SignedHeaders=, Signature={sig}"),
        format!("TC3-HMAC-SHA256 Credential=AKID/2019-02-25/vpc/tc3_request, SignedHeaders=a;;b, Signature={sig}"),
        "TC3-HMAC-SHA256 Credential=AKID/2019-02-25/vpc/tc3_request, SignedHeaders=host, Signature=abc".into(),
        format!("TC3-HMAC-SHA256 Credential=AKID/2019-02-25/vpc/tc3_request, Credential=x, SignedHeaders=host, Signature={sig}"),
        format!("TC3-HMAC-SHA256 Credential=AKID/2019-02-25/vpc/tc3_request, Foo=1, SignedHeaders=host, Signature={sig}"),
        format!("Credential=AKID/2019-02-25/vpc/tc3_request, SignedHeaders=host, Signature={sig}"),
    ];
    for c in &cases {
        assert!(matches!(parse_authorization(c), Err(AuthError::Malformed(_))), "{c:?}");
    }
    assert_eq!(
        parse_authorization("HMAC-SHA256 Credential=x"),
        Err(AuthError::UnsupportedMethod("HMAC-SHA256".into()))
    );
}

#[test]
fn credential_id_may_contain_slash() {
    let v = format!(
        "TC3-HMAC-SHA256 Credential=a/b/2019-02-25/vpc/tc3_request, SignedHeaders=host, Signature={}",
        "f".repeat(64)
    );
    assert_eq!(parse_authorization(&v).unwrap().access_key_id, "a/b");
}

proptest! {
    #[test]
    fn parse_authorization_never_panics(s in "\\PC*") {
        let _ = parse_authorization(&s);
    }

    #[test]
    fn parse_authorization_structured_never_panics(
        id in "[ -~]{0,12}", date in "[0-9-]{0,12}", svc in "[ -~]{0,6}", sh in "[a-z;, =]{0,20}", sig in "[0-9a-fA-F=, ]{0,70}",
    ) {
        let _ = parse_authorization(&format!("TC3-HMAC-SHA256 Credential={id}/{date}/{svc}/tc3_request, SignedHeaders={sh}, Signature={sig}"));
    }

    #[test]
    fn verify_never_panics(auth in "\\PC*", ts in "\\PC{0,20}", host in "\\PC{0,20}", q in "\\PC{0,20}", now in any::<i64>(), skew in any::<i64>()) {
        let headers = [("Authorization", auth.as_str()), ("X-TC-Timestamp", ts.as_str()), ("Host", host.as_str())];
        let req = RequestView { method: "POST", path: "/", raw_query: &q, headers: &headers, body: b"" };
        let _ = verify(&req, now, skew, &mut secrets);
    }

    #[test]
    fn sign_then_verify_round_trips(body in proptest::collection::vec(any::<u8>(), 0..64), q in "[A-Za-z0-9=&.%]{0,30}", ts in 0i64..4_000_000_000) {
        let auth = sign("AKIDtest", "testkey", "vpc", "127.0.0.1:8080", "POST", &q, "application/json", &body, ts);
        let ts_s = ts.to_string();
        let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/json"), ("Host", "127.0.0.1:8080"), ("X-TC-Timestamp", ts_s.as_str())];
        let req = RequestView { method: "POST", path: "/", raw_query: &q, headers: &headers, body: &body };
        prop_assert!(verify(&req, ts, 300, &mut secrets).is_ok());
    }
}
