//! Alibaba Cloud ACS3-HMAC-SHA256 (V3, tea SDK default): building blocks, server-side verifier and tea-style signer.
//!
//! Reference: alibaba-ens.md §2.2 (algorithm, headers tea signs, vector), §2.3 (clock checks), §11 `verify_v3`.

use crate::acs_v1::{parse_params, percent_encode};
use crate::util::{hmac_sha256, parse_iso8601_utc, sha256_hex, within_skew};
use crate::{constant_time_eq, nonce, AuthError, RequestView, SecretFor};

/// Algorithm name at the start of the `Authorization` header and of the string to sign.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";
/// Headers that must be listed in `SignedHeaders`, otherwise the endpoint, date or nonce could be swapped by a
/// replayer. Beyond these, every `x-acs-*` header the request carries must be signed ([`check_signed_headers`]).
pub const REQUIRED_SIGNED: [&str; 3] = ["host", "x-acs-date", "x-acs-signature-nonce"];
/// Prefix of the headers that must all be signed when present.
pub const SIGNED_PREFIX: &str = "x-acs-";

/// The parsed `Authorization: ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acs3Authorization {
    /// AccessKeyId from `Credential`.
    pub access_key_id: String,
    /// Header names exactly as listed in `SignedHeaders`.
    pub signed_headers: Vec<String>,
    /// 64 hex digits (lower-cased).
    pub signature: String,
}

/// What a successful [`verify`] learned about the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acs3Verified {
    /// AccessKeyId that signed the request.
    pub access_key_id: String,
    /// `x-acs-signature-nonce`, for the caller's replay check.
    pub nonce: String,
    /// `x-acs-date` as unix seconds.
    pub timestamp: i64,
}

fn malformed(why: &str) -> AuthError {
    AuthError::Malformed(why.to_string())
}

/// Parses the `Authorization` header value; spaces around the commas are tolerated.
pub fn parse_authorization(value: &str) -> Result<Acs3Authorization, AuthError> {
    let (credential, signed, signature) = crate::util::split_authorization(value, ALGORITHM)?;
    if credential.is_empty() {
        return Err(malformed("empty Credential"));
    }
    let signed_headers: Vec<String> = signed.split(';').map(str::to_string).collect();
    if signed_headers.iter().any(|h| h.is_empty() || h.contains(char::is_whitespace)) {
        return Err(malformed("bad SignedHeaders"));
    }
    if signature.len() != 64 || !signature.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(malformed("signature must be 64 hex digits"));
    }
    Ok(Acs3Authorization {
        access_key_id: credential.to_string(),
        signed_headers,
        signature: signature.to_ascii_lowercase(),
    })
}

/// `percent_encode(k)=percent_encode(v)` joined by `&`, sorted by decoded key then value.
pub fn canonical_query(decoded_query: &[(String, String)]) -> String {
    let mut pairs: Vec<&(String, String)> = decoded_query.iter().collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))).collect::<Vec<_>>().join("&")
}

/// `name:trimmed value\n` for each signed header in the order given (names lower-cased, looked up
/// case-insensitively; repeated headers joined with `,`; absent headers give an empty value).
pub fn canonical_headers(headers: &[(&str, &str)], signed_headers: &[String]) -> String {
    let mut out = String::new();
    for name in signed_headers {
        let values: Vec<&str> =
            headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()).collect();
        out.push_str(&name.to_ascii_lowercase());
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out
}

/// `Method\nPath\nCanonicalQuery\nCanonicalHeaders\nSignedHeaders\nHashedPayload`.
pub fn canonical_request(
    method: &str,
    path: &str,
    decoded_query: &[(String, String)],
    headers: &[(&str, &str)],
    signed_headers: &[String],
    hashed_payload: &str,
) -> String {
    format!(
        "{method}\n{path}\n{}\n{}\n{}\n{hashed_payload}",
        canonical_query(decoded_query),
        canonical_headers(headers, signed_headers),
        signed_headers.join(";"),
    )
}

/// `ACS3-HMAC-SHA256\n<hex sha256(canonical request)>`.
pub fn string_to_sign(canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{}", sha256_hex(canonical_request.as_bytes()))
}

/// Lower-hex HMAC-SHA256 of `string_to_sign`, keyed by the secret itself (no `&` suffix).
pub fn signature(secret: &str, string_to_sign: &str) -> String {
    hex::encode(hmac_sha256(secret.as_bytes(), string_to_sign.as_bytes()))
}

/// Refuses a `SignedHeaders` list that leaves out a [`REQUIRED_SIGNED`] header or any `x-acs-*` header present in
/// `headers` (names compared case-insensitively).
pub fn check_signed_headers(headers: &[(&str, &str)], signed: &[String]) -> Result<(), AuthError> {
    let is_signed = |name: &str| signed.iter().any(|h| h.eq_ignore_ascii_case(name));
    for required in REQUIRED_SIGNED {
        if !is_signed(required) {
            return Err(AuthError::Unbound(format!("{required} is not in SignedHeaders")));
        }
    }
    let carried = headers.iter().map(|(n, _)| *n);
    let extension = |n: &&str| n.get(..SIGNED_PREFIX.len()).is_some_and(|p| p.eq_ignore_ascii_case(SIGNED_PREFIX));
    if let Some(unsigned) = carried.filter(extension).find(|n| !is_signed(n)) {
        return Err(AuthError::Unbound(format!(
            "header {} is not in SignedHeaders (every x-acs-* header must be signed)",
            unsigned.to_ascii_lowercase()
        )));
    }
    Ok(())
}

/// Refuses a query that names a parameter twice: the canonical query is sorted, so the order of repeated values is
/// not signed and a replayer could swap them.
pub fn check_unique_keys(decoded_query: &[(String, String)]) -> Result<(), AuthError> {
    let mut keys: Vec<&str> = decoded_query.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    match keys.windows(2).find(|w| w[0] == w[1]) {
        Some(w) => Err(AuthError::Unbound(format!("parameter {} appears more than once", w[0]))),
        None => Ok(()),
    }
}

/// Server-side verification: parse → `x-acs-date` and skew → nonce and its length → signed headers (host, every
/// `x-acs-*`) → payload hash → no repeated query parameter → key lookup → signature. The Host header is used as
/// received (with its port).
pub fn verify(
    req: &RequestView,
    now_unix: i64,
    max_skew_secs: i64,
    secret_for: &mut SecretFor,
) -> Result<Acs3Verified, AuthError> {
    let auth =
        parse_authorization(req.header("Authorization").ok_or_else(|| AuthError::Missing("Authorization".into()))?)?;
    let date = req.header("x-acs-date").ok_or_else(|| AuthError::Missing("x-acs-date".into()))?.trim();
    let ts = parse_iso8601_utc(date).ok_or_else(|| malformed("x-acs-date is not yyyy-MM-ddTHH:mm:ssZ"))?;
    if !within_skew(now_unix, ts, max_skew_secs) {
        return Err(AuthError::Expired(format!("x-acs-date {date} is more than {max_skew_secs}s from server time")));
    }
    let nonce =
        req.header("x-acs-signature-nonce").ok_or_else(|| AuthError::Missing("x-acs-signature-nonce".into()))?.trim();
    nonce::check_acs("x-acs-signature-nonce", nonce)?;
    check_signed_headers(req.headers, &auth.signed_headers)?;
    let body_hash = sha256_hex(req.body);
    let payload_hash = match req.header("x-acs-content-sha256") {
        Some(claimed) => {
            let claimed = claimed.trim();
            if !constant_time_eq(claimed.to_ascii_lowercase().as_bytes(), body_hash.as_bytes()) {
                return Err(AuthError::PayloadHash);
            }
            claimed.to_string()
        }
        None => body_hash,
    };
    let query = parse_params(req.raw_query);
    check_unique_keys(&query)?;
    let secret = secret_for(&auth.access_key_id).ok_or(AuthError::UnknownKey)?;

    let creq = canonical_request(req.method, req.path, &query, req.headers, &auth.signed_headers, &payload_hash);
    let sts = string_to_sign(&creq);
    let calc = signature(secret.expose(), &sts);
    if !constant_time_eq(calc.as_bytes(), auth.signature.as_bytes()) {
        return Err(AuthError::Mismatch { string_to_sign: sts });
    }
    Ok(Acs3Verified { access_key_id: auth.access_key_id, nonce: nonce.to_string(), timestamp: ts })
}

/// Client-side signer in the tea style: signs `host`, every `extra_headers` entry (e.g. `x-acs-action`,
/// `x-acs-version`, `content-type`), `x-acs-date`, `x-acs-signature-nonce` and `x-acs-content-sha256`, all sorted by
/// lower-case name, path `/`. Returns every header to send (lower-case names, sorted) followed by `authorization`.
#[allow(clippy::too_many_arguments)]
pub fn sign(
    access_key_id: &str,
    secret: &str,
    method: &str,
    host: &str,
    query: &[(String, String)],
    extra_headers: &[(&str, &str)],
    body: &[u8],
    date: &str,
    nonce: &str,
) -> Vec<(String, String)> {
    let body_hash = sha256_hex(body);
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), host.into()),
        ("x-acs-date".into(), date.into()),
        ("x-acs-signature-nonce".into(), nonce.into()),
        ("x-acs-content-sha256".into(), body_hash.clone()),
    ];
    for (name, value) in extra_headers {
        let name = name.to_ascii_lowercase();
        headers.retain(|(n, _)| *n != name);
        headers.push((name, value.trim().to_string()));
    }
    headers.sort();
    let signed: Vec<String> = headers.iter().map(|(n, _)| n.clone()).collect();
    let view: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let creq = canonical_request(method, "/", query, &view, &signed, &body_hash);
    let sig = signature(secret, &string_to_sign(&creq));
    let auth = format!("{ALGORITHM} Credential={access_key_id},SignedHeaders={},Signature={sig}", signed.join(";"));
    headers.push(("authorization".into(), auth));
    headers
}

#[cfg(test)]
mod tests;
