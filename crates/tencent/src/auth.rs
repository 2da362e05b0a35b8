//! Authentication of a Tencent request: TC3-HMAC-SHA256 or the legacy HmacSHA1/HmacSHA256
//! signature, against the stored access keys, with clock skew and (legacy) nonce replay checks; a
//! legacy request runs only once its nonce is durably recorded.

use std::sync::Arc;

use eniplane_api::credentials::Signer;
use eniplane_api::nonces::{Namespace, Verdict, MAX_NONCE_BYTES};
use eniplane_api::{ParsedRequest, Services};
use eniplane_auth::{tc3, tencent_v1, AuthError, RequestView};

use crate::error::{from_auth, from_domain, ApiError, Service};
use crate::protocol::{Envelope, Scheme};

/// Who signed the request.
pub(crate) struct Credential {
    /// The key.
    pub key: Arc<Signer>,
    /// Service named in the TC3 credential scope (`vpc`, `cvm`, or a Node SDK host label).
    pub service: Option<String>,
}

fn now_secs() -> i64 {
    eniplane_core::time::now_ms() / 1000
}

/// Verifies the signature and returns the signer.
pub(crate) async fn authenticate(svc: &Services, req: &ParsedRequest, env: &Envelope) -> Result<Credential, ApiError> {
    if req.header("x-tc-token").is_some_and(|t| !t.is_empty()) {
        return Err(ApiError::new(
            "AuthFailure.TokenFailure",
            "Temporary credentials (X-TC-Token) are not supported by this server.",
        ));
    }
    match &env.scheme {
        Scheme::Tc3 => {
            let header = req
                .header("authorization")
                .ok_or_else(|| from_auth(&AuthError::Missing("Authorization header".into())))?;
            let parsed = tc3::parse_authorization(header).map_err(|e| match e {
                AuthError::UnsupportedMethod(_) | AuthError::Malformed(_) | AuthError::Missing(_) => ApiError::new(
                    "AuthFailure.InvalidAuthorization",
                    format!("The Authorization header is invalid: {e}."),
                ),
                other => from_auth(&other),
            })?;
            let key = lookup(svc, &parsed.access_key_id).await?;
            let headers = req.header_refs();
            let view = RequestView {
                method: &req.method,
                path: &req.path,
                raw_query: &req.raw_query,
                headers: &headers,
                body: &req.body,
            };
            let secret = key.as_ref().map(|k| k.secret().clone());
            tc3::verify(&view, now_secs(), svc.settings.tencent_skew_secs, &mut |_| secret.clone())
                .map_err(|e| from_auth(&e))?;
            let key = key.ok_or_else(|| from_auth(&AuthError::UnknownKey))?;
            Ok(Credential { key, service: Some(parsed.service) })
        }
        Scheme::V1 => {
            let params = req.params();
            let id = req.param("SecretId").unwrap_or_default().to_string();
            let key = lookup(svc, &id).await?;
            let secret = key.as_ref().map(|k| k.secret().clone());
            let host = req.header("host").unwrap_or("");
            let verified = tencent_v1::verify(
                &req.method,
                host,
                &req.path,
                params,
                now_secs(),
                svc.settings.tencent_skew_secs,
                &mut |_| secret.clone(),
            )
            .map_err(|e| from_auth(&e))?;
            let key = key.ok_or_else(|| from_auth(&AuthError::UnknownKey))?;
            let skew = svc.settings.tencent_skew_secs;
            match svc.nonces.first_use(Namespace::TencentLegacy, &key.id, &verified.nonce, now_secs(), skew).await {
                Verdict::First => Ok(Credential { key, service: None }),
                Verdict::Replayed => {
                    Err(ApiError::new("AuthFailure.SignatureFailure", "The request Nonce has already been used."))
                }
                Verdict::Invalid => Err(ApiError::new(
                    "InvalidParameter",
                    format!("The Nonce must be 1 to {MAX_NONCE_BYTES} characters long."),
                )),
                Verdict::Busy => Err(ApiError::new(
                    "RequestLimitExceeded",
                    "The server holds too many recent nonces; retry in a moment.",
                )),
                Verdict::Unavailable(e) => Err(from_domain(e.into(), Service::Vpc)),
            }
        }
    }
}

/// The signing key; a disabled key is answered like an unknown one
/// (`AuthFailure.SecretIdNotFound`: "Check if the key has been deleted or disabled").
async fn lookup(svc: &Services, id: &str) -> Result<Option<Arc<Signer>>, ApiError> {
    let key = svc.credentials.lookup(id).await.map_err(|e| from_domain(e, Service::Vpc))?;
    Ok(key.filter(|k| !k.disabled))
}
