//! Request authentication for both API dialects: signature schemes, clock and nonce checks, policies, sealed secrets.
//!
//! Every scheme module has three layers: pure building blocks (canonical request, string to sign, signature)
//! with known-answer tests, a server-side `verify` that works on a [`RequestView`] or on decoded parameters,
//! and a client-side `sign` used by the benchmark and the tests.
//!
//! * [`tc3`] — Tencent Cloud TC3-HMAC-SHA256 (`Authorization` header).
//! * [`tencent_v1`] — Tencent Cloud legacy HmacSHA1 / HmacSHA256 (`Signature` parameter).
//! * [`acs_v1`] — Alibaba Cloud RPC V1 HMAC-SHA1 (`Signature` parameter).
//! * [`acs3`] — Alibaba Cloud ACS3-HMAC-SHA256 (`Authorization` header).
//! * [`nonce`] — the shape of the signature nonces (bounded before anything else is done).
//! * [`policy`] — CAM / RAM policy documents: a strict parser that refuses what is not enforced, and evaluation.
//! * [`secrets`] — access-key secrets in memory ([`secrets::Secret`]) and at rest ([`secrets::SealedSecret`]).
//!
//! Nothing here keeps state: nonce replay tracking and key storage belong to the caller, which passes a
//! `secret_for` closure mapping an access key id to its secret.

pub mod acs3;
pub mod acs_v1;
pub mod nonce;
pub mod policy;
pub mod secrets;
pub mod tc3;
pub mod tencent_v1;

mod ct;
mod util;

pub use ct::constant_time_eq;
pub use secrets::Secret;
pub use util::sha256_hex;

/// What a verifier asks of its caller: the secret of an access key id, `None` when the id is unknown.
pub type SecretFor<'a> = dyn FnMut(&str) -> Option<Secret> + 'a;

/// What every verifier needs to see of the HTTP request. Header names are matched case-insensitively.
#[derive(Debug, Clone, Copy)]
pub struct RequestView<'a> {
    /// `"POST"` / `"GET"`.
    pub method: &'a str,
    /// Request path, normally `"/"`.
    pub path: &'a str,
    /// Query exactly as on the request line, without `?`; may be `""`.
    pub raw_query: &'a str,
    /// `(name, value)` pairs as received.
    pub headers: &'a [(&'a str, &'a str)],
    /// Raw body bytes as received.
    pub body: &'a [u8],
}

impl<'a> RequestView<'a> {
    /// Value of the first header called `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
    }
}

/// Why a request's signature was not accepted. Dialects map these to their own wire codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header / no `Signature` parameter, or a required companion is absent.
    #[error("missing authentication: {0}")]
    Missing(String),
    /// Garbled header, bad timestamp format, date/scope mismatch and the like.
    #[error("malformed authorization: {0}")]
    Malformed(String),
    /// The access key id is not known to `secret_for`.
    #[error("unknown access key")]
    UnknownKey,
    /// Clock skew beyond the allowed window.
    #[error("request expired: {0}")]
    Expired(String),
    /// The signature did not match; carries the server's string to sign (the ENS V1 error message needs it).
    #[error("signature mismatch")]
    Mismatch {
        /// String to sign as computed by the server.
        string_to_sign: String,
    },
    /// Signature algorithm or method other than the ones the scheme supports.
    #[error("unsupported signature method: {0}")]
    UnsupportedMethod(String),
    /// ACS3 `x-acs-content-sha256` differs from the SHA-256 of the body.
    #[error("payload hash mismatch")]
    PayloadHash,
    /// A nonce outside its documented shape or length ([`nonce`]).
    #[error("invalid nonce: {0}")]
    InvalidNonce(String),
    /// The request holds something its signature scheme cannot bind unambiguously (a repeated parameter, `&` in a
    /// Tencent legacy value, an unsigned header that must be signed); the message names it.
    #[error("not bound by the signature: {0}")]
    Unbound(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lookup_is_case_insensitive_and_first_match() {
        let headers = [("Host", "a"), ("x-tc-action", "B"), ("HOST", "c")];
        let req = RequestView { method: "POST", path: "/", raw_query: "", headers: &headers, body: b"" };
        assert_eq!(req.header("host"), Some("a"));
        assert_eq!(req.header("X-TC-Action"), Some("B"));
        assert_eq!(req.header("missing"), None);
    }

    #[test]
    fn errors_render() {
        assert_eq!(AuthError::UnknownKey.to_string(), "unknown access key");
        assert_eq!(AuthError::Missing("Authorization".into()).to_string(), "missing authentication: Authorization");
        let m = AuthError::Mismatch { string_to_sign: "x".into() };
        assert_eq!(m.to_string(), "signature mismatch");
    }
}
