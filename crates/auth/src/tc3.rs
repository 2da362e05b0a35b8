//! Tencent Cloud TC3-HMAC-SHA256: building blocks, the server-side verifier and the Python-SDK-compatible signer.
//!
//! Reference: tencent-vpc.md §2.4 (algorithm and official vector), §2.5 (SDK quirks), §11 items 6-8.

use zeroize::Zeroizing;

use crate::util::{hmac_sha256, parse_unix_digits, sha256_hex, strip_port, utc_date, within_skew};
use crate::{constant_time_eq, AuthError, RequestView, SecretFor};

/// Algorithm name at the start of the `Authorization` header and of the string to sign.
pub const ALGORITHM: &str = "TC3-HMAC-SHA256";
/// Last element of the credential scope.
pub const TERMINATOR: &str = "tc3_request";
/// Value of `X-TC-Content-SHA256` that makes the payload hash cover this literal instead of the body.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// Headers Tencent requires in `SignedHeaders` ("content-type and host are required"): without them the body's
/// type and the endpoint it was meant for could be swapped without breaking the signature.
pub const REQUIRED_SIGNED: [&str; 2] = ["content-type", "host"];

/// The parsed `Authorization: TC3-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tc3Authorization {
    /// SecretId from the credential.
    pub access_key_id: String,
    /// `YYYY-MM-DD` from the credential scope.
    pub date: String,
    /// Service from the credential scope (`vpc`, or e.g. `127` from the Node SDK).
    pub service: String,
    /// Header names exactly as listed in `SignedHeaders`.
    pub signed_headers: Vec<String>,
    /// 64 hex digits.
    pub signature: String,
}

/// What a successful [`verify`] learned about the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tc3Verified {
    /// SecretId that signed the request.
    pub access_key_id: String,
    /// `X-TC-Timestamp` as unix seconds.
    pub timestamp: i64,
}

fn malformed(why: &str) -> AuthError {
    AuthError::Malformed(why.to_string())
}

fn is_scope_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10 && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
}

/// Parses the `Authorization` header value; spaces after the commas are optional.
pub fn parse_authorization(value: &str) -> Result<Tc3Authorization, AuthError> {
    let (credential, signed, signature) = crate::util::split_authorization(value, ALGORITHM)?;

    let mut scope = credential.rsplitn(4, '/');
    let (terminator, service, date, id) = (scope.next(), scope.next(), scope.next(), scope.next());
    let (Some(terminator), Some(service), Some(date), Some(id)) = (terminator, service, date, id) else {
        return Err(malformed("credential must be <id>/<date>/<service>/tc3_request"));
    };
    if terminator != TERMINATOR || id.is_empty() || service.is_empty() {
        return Err(malformed("credential must be <id>/<date>/<service>/tc3_request"));
    }
    if !is_scope_date(date) {
        return Err(malformed("credential date must be YYYY-MM-DD"));
    }
    let signed_headers: Vec<String> = signed.split(';').map(str::to_string).collect();
    if signed_headers.iter().any(|h| h.is_empty() || h.contains(char::is_whitespace)) {
        return Err(malformed("bad SignedHeaders"));
    }
    if signature.len() != 64 || !signature.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(malformed("signature must be 64 hex digits"));
    }
    Ok(Tc3Authorization {
        access_key_id: id.to_string(),
        date: date.to_string(),
        service: service.to_string(),
        signed_headers,
        signature: signature.to_ascii_lowercase(),
    })
}

/// `Method\nURI\nQuery\nCanonicalHeaders\nSignedHeaders\nHashedPayload`; `canonical_headers` ends in `\n` already.
pub fn canonical_request(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    canonical_headers: &str,
    signed_headers: &str,
    hashed_payload: &str,
) -> String {
    format!("{method}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{hashed_payload}")
}

/// `<date>/<service>/tc3_request`.
pub fn credential_scope(date: &str, service: &str) -> String {
    format!("{date}/{service}/{TERMINATOR}")
}

/// `TC3-HMAC-SHA256\n<timestamp>\n<scope>\n<hex sha256(canonical request)>`.
pub fn string_to_sign(timestamp: &str, credential_scope: &str, canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{timestamp}\n{credential_scope}\n{}", sha256_hex(canonical_request.as_bytes()))
}

/// `HMAC(HMAC(HMAC("TC3" + secret, date), service), "tc3_request")`.
pub fn signing_key(secret: &str, date: &str, service: &str) -> [u8; 32] {
    let k_date = hmac_sha256(Zeroizing::new(format!("TC3{secret}")).as_bytes(), date.as_bytes());
    let k_service = hmac_sha256(&k_date, service.as_bytes());
    hmac_sha256(&k_service, TERMINATOR.as_bytes())
}

/// Lower-hex signature of `string_to_sign`.
pub fn signature(secret: &str, date: &str, service: &str, string_to_sign: &str) -> String {
    hex::encode(hmac_sha256(&signing_key(secret, date, service), string_to_sign.as_bytes()))
}

/// Canonical header block for `signed`: `name:value\n` per header, in the order given.
/// `host` replaces the Host header's value; `lower` lower-cases the (trimmed) values.
fn canonical_headers(req: &RequestView, signed: &[String], host: Option<&str>, lower: bool) -> String {
    let mut out = String::new();
    for name in signed {
        let name = name.to_ascii_lowercase();
        let value = match host {
            Some(h) if name == "host" => h,
            _ => req.header(&name).unwrap_or(""),
        }
        .trim();
        out.push_str(&name);
        out.push(':');
        if lower {
            out.push_str(&value.to_lowercase());
        } else {
            out.push_str(value);
        }
        out.push('\n');
    }
    out
}

/// Refuses a `SignedHeaders` list without every [`REQUIRED_SIGNED`] header (names compared case-insensitively).
pub fn check_signed_headers(signed: &[String]) -> Result<(), AuthError> {
    for required in REQUIRED_SIGNED {
        if !signed.iter().any(|h| h.eq_ignore_ascii_case(required)) {
            return Err(AuthError::Unbound(format!("SignedHeaders must include {required} (content-type;host)")));
        }
    }
    Ok(())
}

/// Server-side verification (tencent-vpc.md §2.5): parse → required signed headers → timestamp/skew → scope date
/// → key → signature.
pub fn verify(
    req: &RequestView,
    now_unix: i64,
    max_skew_secs: i64,
    secret_for: &mut SecretFor,
) -> Result<Tc3Verified, AuthError> {
    let auth =
        parse_authorization(req.header("Authorization").ok_or_else(|| AuthError::Missing("Authorization".into()))?)?;
    check_signed_headers(&auth.signed_headers)?;
    let ts_raw = req.header("X-TC-Timestamp").ok_or_else(|| AuthError::Missing("X-TC-Timestamp".into()))?.trim();
    let ts = parse_unix_digits(ts_raw).ok_or_else(|| malformed("X-TC-Timestamp is not unix seconds"))?;
    if !within_skew(now_unix, ts, max_skew_secs) {
        return Err(AuthError::Expired(format!(
            "X-TC-Timestamp {ts} is more than {max_skew_secs}s from server time {now_unix}"
        )));
    }
    if utc_date(ts).as_deref() != Some(auth.date.as_str()) {
        return Err(malformed("credential date is not the UTC date of X-TC-Timestamp"));
    }
    let secret = secret_for(&auth.access_key_id).ok_or(AuthError::UnknownKey)?;

    let unsigned = req.header("X-TC-Content-SHA256").is_some_and(|v| v.trim() == UNSIGNED_PAYLOAD);
    let payload_hash = if unsigned { sha256_hex(UNSIGNED_PAYLOAD.as_bytes()) } else { sha256_hex(req.body) };
    let scope = credential_scope(&auth.date, &auth.service);
    let signed_line = auth.signed_headers.join(";");
    let mut hosts = vec![None];
    if let Some(stripped) = req.header("Host").and_then(|h| strip_port(h.trim())) {
        hosts.push(Some(stripped));
    }

    let mut first_sts = None;
    let mut tried: Vec<String> = Vec::new();
    for host in hosts {
        for lower in [false, true] {
            let ch = canonical_headers(req, &auth.signed_headers, host, lower);
            if tried.contains(&ch) {
                continue;
            }
            let creq = canonical_request(req.method, req.path, req.raw_query, &ch, &signed_line, &payload_hash);
            let sts = string_to_sign(ts_raw, &scope, &creq);
            let calc = signature(secret.expose(), &auth.date, &auth.service, &sts);
            if constant_time_eq(calc.as_bytes(), auth.signature.as_bytes()) {
                return Ok(Tc3Verified { access_key_id: auth.access_key_id, timestamp: ts });
            }
            tried.push(ch);
            first_sts.get_or_insert(sts);
        }
    }
    Err(AuthError::Mismatch { string_to_sign: first_sts.unwrap_or_default() })
}

/// Client-side signer, byte-for-byte what the Python SDK does: path `/`, `SignedHeaders=content-type;host`.
/// Returns the `Authorization` header value.
#[allow(clippy::too_many_arguments)]
pub fn sign(
    secret_id: &str,
    secret_key: &str,
    service: &str,
    host: &str,
    method: &str,
    raw_query: &str,
    content_type: &str,
    body: &[u8],
    timestamp: i64,
) -> String {
    let date = utc_date(timestamp).unwrap_or_default();
    let signed_headers = "content-type;host";
    let ch = format!("content-type:{content_type}\nhost:{host}\n");
    let creq = canonical_request(method, "/", raw_query, &ch, signed_headers, &sha256_hex(body));
    let scope = credential_scope(&date, service);
    let sts = string_to_sign(&timestamp.to_string(), &scope, &creq);
    let sig = signature(secret_key, &date, service, &sts);
    format!("{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={signed_headers}, Signature={sig}")
}

#[cfg(test)]
mod tests;
