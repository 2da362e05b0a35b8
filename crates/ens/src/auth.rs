//! Authentication of an ENS request: RPC V1 HMAC-SHA1 (`Signature` parameter) or
//! ACS3-HMAC-SHA256 (`Authorization` header), against the stored access keys, with the clock
//! skew window (`Settings::ens_skew_secs`) and signature nonce replay checks for both; a request
//! runs only once its nonce is durably recorded.

use std::sync::Arc;

use eniplane_api::credentials::Signer;
use eniplane_api::nonces::{Namespace, Verdict, MAX_NONCE_BYTES};
use eniplane_api::{ParsedRequest, Services};
use eniplane_auth::{acs3, acs_v1, AuthError, RequestView};

use crate::error::{from_auth, from_domain, ApiError, Family};
use crate::protocol::{Envelope, Scheme};

fn now_secs() -> i64 {
    eniplane_core::time::now_ms() / 1000
}

/// Verifies the signature and returns the signing key.
pub(crate) async fn authenticate(svc: &Services, req: &ParsedRequest, env: &Envelope) -> Result<Arc<Signer>, ApiError> {
    let skew = svc.settings.ens_skew_secs;
    let v1 = env.scheme == Scheme::V1;
    let key_id = match env.scheme {
        Scheme::Acs3 => {
            let header = req.header("authorization").unwrap_or_default();
            acs3::parse_authorization(header).map_err(|e| from_auth(&e, false))?.access_key_id
        }
        Scheme::V1 => req.param("AccessKeyId").unwrap_or_default().to_string(),
    };
    let key = lookup(svc, &key_id).await?;
    let secret = key.as_ref().map(|k| k.secret().clone());
    let nonce = match env.scheme {
        Scheme::Acs3 => {
            let headers = req.header_refs();
            let view = RequestView {
                method: &req.method,
                path: &req.path,
                raw_query: &req.raw_query,
                headers: &headers,
                body: &req.body,
            };
            acs3::verify(&view, now_secs(), skew, &mut |_| secret.clone()).map_err(|e| from_auth(&e, false))?.nonce
        }
        Scheme::V1 => {
            acs_v1::verify(&req.method, req.params(), now_secs(), skew, &mut |_| secret.clone())
                .map_err(|e| from_auth(&e, true))?
                .nonce
        }
    };
    let key = key.ok_or_else(|| from_auth(&AuthError::UnknownKey, v1))?;
    match svc.nonces.first_use(Namespace::Ens, &key.id, &nonce, now_secs(), skew).await {
        Verdict::First => Ok(key),
        Verdict::Replayed => Err(ApiError::new("SignatureNonceUsed", "Specified signature nonce was used already.")),
        Verdict::Invalid => Err(ApiError::new(
            "InvalidParameter",
            format!("The specified parameter \"SignatureNonce\" is not valid: it must be 1 to {MAX_NONCE_BYTES} characters long."),
        )),
        Verdict::Busy => Err(ApiError::new("Throttling", "Request was denied due to request throttling.")),
        Verdict::Unavailable(e) => Err(from_domain(e.into(), Family::Network)),
    }
}

/// The signing key; a disabled one is refused here, before its signature is checked, as the
/// Alibaba gateway does (`InvalidAccessKeyId.Inactive`, HTTP 400).
async fn lookup(svc: &Services, id: &str) -> Result<Option<Arc<Signer>>, ApiError> {
    let key = svc.credentials.lookup(id).await.map_err(|e| from_domain(e, Family::Network))?;
    if key.as_ref().is_some_and(|k| k.disabled) {
        return Err(ApiError::with_status(400, "InvalidAccessKeyId.Inactive", "Specified access key is disabled."));
    }
    Ok(key)
}
