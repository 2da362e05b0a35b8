//! Tencent Cloud legacy signature v1 (`SignatureMethod` HmacSHA1 / HmacSHA256, `Signature` parameter).
//!
//! Reference: tencent-vpc.md §2.6. String to sign is `<METHOD><host><path>?k=v&…` over the parameters sorted by
//! key (with `_` replaced by `.`), raw values (not URL-encoded), `Signature` excluded.
//!
//! Raw values make that string ambiguous: `{A: "1&B=2"}` and `{A: "1", B: "2"}` sign the same, so a captured
//! signature would authorise either. The verifier keeps the SDKs' form but accepts only requests whose string to
//! sign parses back into exactly their own parameters ([`check_unambiguous`]): no key with `&`, `=` or `_`, no value
//! with `&`, no key twice. Everything the SDKs send for the VPC and CVM actions passes; a value that needs `&` must
//! be sent with TC3-HMAC-SHA256, which signs the body as sent.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

use crate::util::{hmac_sha1, hmac_sha256, param, parse_unix_digits, strip_port, within_skew};
use crate::{constant_time_eq, nonce, AuthError, SecretFor};

/// What a successful [`verify`] learned about the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TencentV1Verified {
    /// `SecretId` parameter.
    pub access_key_id: String,
    /// `Timestamp` parameter as unix seconds.
    pub timestamp: i64,
    /// `Nonce` parameter, for the caller's replay check.
    pub nonce: String,
}

/// The two HMACs the legacy scheme knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureMethod {
    /// `HmacSHA1` (also the default when `SignatureMethod` is absent).
    HmacSha1,
    /// `HmacSHA256`.
    HmacSha256,
}

impl SignatureMethod {
    /// Maps the `SignatureMethod` parameter: absent or `HmacSHA1` → SHA-1, `HmacSHA256` → SHA-256.
    pub fn from_param(value: Option<&str>) -> Result<Self, AuthError> {
        match value {
            None | Some("HmacSHA1") => Ok(Self::HmacSha1),
            Some("HmacSHA256") => Ok(Self::HmacSha256),
            Some(other) => Err(AuthError::UnsupportedMethod(other.to_string())),
        }
    }
}

/// `<method><host><path>?` + `&`-joined `k=v` sorted by key (`_` → `.` in keys), `Signature` left out.
pub fn string_to_sign(method: &str, host: &str, path: &str, params: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, &str)> =
        params.iter().filter(|(k, _)| k != "Signature").map(|(k, v)| (k.replace('_', "."), v.as_str())).collect();
    pairs.sort();
    let mut out = format!("{method}{host}{path}?");
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Base64 HMAC of `string_to_sign` under `secret_key`.
pub fn signature_for(secret_key: &str, method: SignatureMethod, string_to_sign: &str) -> String {
    let (key, msg) = (secret_key.as_bytes(), string_to_sign.as_bytes());
    match method {
        SignatureMethod::HmacSha1 => B64.encode(hmac_sha1(key, msg)),
        SignatureMethod::HmacSha256 => B64.encode(hmac_sha256(key, msg)),
    }
}

/// Client-side signer: base64 signature for `params` (`method_name` `HmacSHA256` → SHA-256, anything else SHA-1,
/// as the Go SDK does).
pub fn sign(
    secret_key: &str,
    method_name: &str,
    http_method: &str,
    host: &str,
    path: &str,
    params: &[(String, String)],
) -> String {
    let method = if method_name == "HmacSHA256" { SignatureMethod::HmacSha256 } else { SignatureMethod::HmacSha1 };
    signature_for(secret_key, method, &string_to_sign(http_method, host, path, params))
}

/// Refuses parameters whose string to sign would not parse back into exactly themselves (see the module docs).
/// The message names the parameter and points to TC3.
pub fn check_unambiguous(params: &[(String, String)]) -> Result<(), AuthError> {
    let unbound = |what: String| {
        AuthError::Unbound(format!(
            "{what}, which the legacy signature cannot bind unambiguously; sign with TC3-HMAC-SHA256 instead"
        ))
    };
    let mut keys: Vec<&str> = Vec::with_capacity(params.len());
    for (k, v) in params {
        if k.is_empty() {
            return Err(unbound("a parameter has an empty name".into()));
        }
        if let Some(c) = k.chars().find(|c| matches!(c, '&' | '=' | '_')) {
            return Err(unbound(format!("parameter name {k:?} holds {c:?}")));
        }
        if v.contains('&') {
            return Err(unbound(format!("the value of {k} holds '&'")));
        }
        keys.push(k);
    }
    keys.sort_unstable();
    if let Some(w) = keys.windows(2).find(|w| w[0] == w[1]) {
        return Err(unbound(format!("parameter {} appears more than once", w[0])));
    }
    Ok(())
}

fn required<'a>(params: &'a [(String, String)], key: &str) -> Result<&'a str, AuthError> {
    param(params, key).ok_or_else(|| AuthError::Missing(key.to_string()))
}

/// Server-side verification over decoded parameters (query or form body, including `Signature`, `SecretId`,
/// `Timestamp`, `Nonce`, `SignatureMethod`). `host` is the Host header; it is tried as given and without port.
/// Order: required parameters and the nonce's shape → clock → [`check_unambiguous`] → key → signature.
#[allow(clippy::too_many_arguments)]
pub fn verify(
    method: &str,
    host: &str,
    path: &str,
    params: &[(String, String)],
    now_unix: i64,
    max_skew_secs: i64,
    secret_for: &mut SecretFor,
) -> Result<TencentV1Verified, AuthError> {
    let given = required(params, "Signature")?;
    let sig_method = SignatureMethod::from_param(param(params, "SignatureMethod"))?;
    let secret_id = required(params, "SecretId")?;
    let ts = parse_unix_digits(required(params, "Timestamp")?)
        .ok_or_else(|| AuthError::Malformed("Timestamp is not unix seconds".into()))?;
    let nonce = required(params, "Nonce")?;
    nonce::check_tencent(nonce)?;
    if !within_skew(now_unix, ts, max_skew_secs) {
        return Err(AuthError::Expired(format!(
            "Timestamp {ts} is more than {max_skew_secs}s from server time {now_unix}"
        )));
    }
    check_unambiguous(params)?;
    let secret = secret_for(secret_id).ok_or(AuthError::UnknownKey)?;

    let host = host.trim();
    let mut first_sts = None;
    for h in std::iter::once(host).chain(strip_port(host)) {
        let sts = string_to_sign(method, h, path, params);
        let calc = signature_for(secret.expose(), sig_method, &sts);
        if constant_time_eq(calc.as_bytes(), given.as_bytes()) {
            return Ok(TencentV1Verified {
                access_key_id: secret_id.to_string(),
                timestamp: ts,
                nonce: nonce.to_string(),
            });
        }
        first_sts.get_or_insert(sts);
    }
    Err(AuthError::Mismatch { string_to_sign: first_sts.unwrap_or_default() })
}

#[cfg(test)]
mod tests;
