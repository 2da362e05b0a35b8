//! Alibaba Cloud RPC V1 signature (HMAC-SHA1, `Signature` parameter), as sent by the core SDK and tea `v2`.
//!
//! Reference: alibaba-ens.md §2.1 (algorithm and vectors), §2.3 (clock checks), §11 `verify_v1`.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::util::{hmac_sha1, param, parse_iso8601_utc, within_skew};
use crate::{acs3, constant_time_eq, nonce, AuthError, SecretFor};

/// The only `SignatureMethod` V1 accepts.
pub const SIGNATURE_METHOD: &str = "HMAC-SHA1";

/// RFC 3986 unreserved characters stay, everything else is `%XX`.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// What a successful [`verify`] learned about the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcsV1Verified {
    /// `AccessKeyId` parameter.
    pub access_key_id: String,
    /// `SignatureNonce` parameter, for the caller's replay check.
    pub nonce: String,
    /// `Timestamp` parameter as unix seconds.
    pub timestamp: i64,
}

/// RFC 3986 encoding of the UTF-8 bytes: keeps `A-Za-z0-9-_.~`, everything else `%XX` with upper-case hex.
pub fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, RFC3986).to_string()
}

/// Form decoding of a query string or `application/x-www-form-urlencoded` body (`+` → space, `%XX` as UTF-8;
/// invalid UTF-8 is replaced, never rejected).
pub fn parse_params(raw_query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(raw_query.as_bytes()).into_owned().collect()
}

/// `percent_encode(k)=percent_encode(v)` joined by `&`, sorted by key (byte order) then value, `Signature` left out.
pub fn canonicalized_query(params: &[(String, String)]) -> String {
    let mut pairs: Vec<&(String, String)> = params.iter().filter(|(k, _)| k != "Signature").collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))).collect::<Vec<_>>().join("&")
}

/// `<METHOD>&%2F&<percent_encode(canonicalized query)>`.
pub fn string_to_sign(method: &str, params: &[(String, String)]) -> String {
    format!("{method}&{}&{}", percent_encode("/"), percent_encode(&canonicalized_query(params)))
}

/// Base64 HMAC-SHA1 of `string_to_sign` with key `secret + "&"`.
pub fn sign(secret: &str, string_to_sign: &str) -> String {
    B64.encode(hmac_sha1(format!("{secret}&").as_bytes(), string_to_sign.as_bytes()))
}

fn required<'a>(params: &'a [(String, String)], key: &str) -> Result<&'a str, AuthError> {
    param(params, key).ok_or_else(|| AuthError::Missing(key.to_string()))
}

/// Server-side verification over `params` = decoded query ∪ decoded form body (including `Signature`).
/// Checks, in order: presence of `Signature`, `SignatureMethod` = HMAC-SHA1, `AccessKeyId`, `Timestamp` format,
/// `SignatureNonce` and its length, clock skew, no parameter named twice (the canonical form sorts, so neither the
/// order of repeated values nor whether one came in the query or the body is signed), key lookup, signature.
pub fn verify(
    method: &str,
    params: &[(String, String)],
    now_unix: i64,
    max_skew_secs: i64,
    secret_for: &mut SecretFor,
) -> Result<AcsV1Verified, AuthError> {
    let given = required(params, "Signature")?;
    let sig_method = required(params, "SignatureMethod")?;
    if sig_method != SIGNATURE_METHOD {
        return Err(AuthError::UnsupportedMethod(sig_method.to_string()));
    }
    let access_key_id = required(params, "AccessKeyId")?;
    let ts_raw = required(params, "Timestamp")?;
    let ts = parse_iso8601_utc(ts_raw)
        .ok_or_else(|| AuthError::Malformed(format!("Timestamp {ts_raw:?} is not yyyy-MM-ddTHH:mm:ssZ")))?;
    let nonce = required(params, "SignatureNonce")?;
    nonce::check_acs("SignatureNonce", nonce)?;
    if !within_skew(now_unix, ts, max_skew_secs) {
        return Err(AuthError::Expired(format!("Timestamp {ts_raw} is more than {max_skew_secs}s from server time")));
    }
    acs3::check_unique_keys(params)?;
    let secret = secret_for(access_key_id).ok_or(AuthError::UnknownKey)?;
    let sts = string_to_sign(method, params);
    let calc = sign(secret.expose(), &sts);
    if !constant_time_eq(calc.as_bytes(), given.as_bytes()) {
        return Err(AuthError::Mismatch { string_to_sign: sts });
    }
    Ok(AcsV1Verified { access_key_id: access_key_id.to_string(), nonce: nonce.to_string(), timestamp: ts })
}

#[cfg(test)]
mod tests;
