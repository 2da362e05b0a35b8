//! The Alibaba Cloud ENS OpenAPI (2017-11-10) dialect: ENIs, security groups, networks,
//! vSwitches and instances of the Edge Node Service.
//!
//! Request pipeline ([`handle`]): read the RPC envelope (parameters from query and form body,
//! `Action`/`Version` from parameters or `x-acs-*` headers) within the input limits,
//! authenticate (RPC V1 HMAC-SHA1 or ACS3-HMAC-SHA256, with clock skew and nonce replay checks),
//! check version and action, rate-limit, authorize every resource the request names (RAM-style
//! policies, [`ram`]), decode the typed request, run the handler in one
//! store transaction, encode the typed response with `RequestId`. Every failure is rendered by
//! [`error::ApiError`] into `{"RequestId","HostId","Code","Message","Recommend"}` with the
//! documented HTTP status.

mod actions;
mod auth;
mod context;
pub mod error;
mod protocol;
mod ram;
mod views;

use eniplane_api::{HttpResponse, ParsedRequest, Services};
use eniplane_core::{ids, Cloud};

pub use actions::names as action_names;
pub use error::ApiError;

/// The API version.
pub const VERSION: &str = "2017-11-10";

/// Content-Type of every answer, as the real service sends it.
pub const CONTENT_TYPE: &str = "application/json;charset=utf-8";

/// Whether a request speaks ENS: `x-acs-*` headers, an ACS3 Authorization, or RPC parameters
/// with this version or Alibaba's signature parameters (`AccessKeyId`, `SignatureNonce`).
pub fn claims(req: &ParsedRequest) -> bool {
    protocol::looks_like_ens(req)
}

/// Serves one request.
pub async fn handle(svc: &Services, req: &ParsedRequest) -> HttpResponse {
    let request_id = ids::request_id(Cloud::Ens);
    let action = protocol::action_name(req).and_then(actions::find).map(|a| a.name);
    match protocol::serve(svc, req, &request_id).await {
        Ok(body) => protocol::success(body, &request_id).labelled(action, None),
        Err(e) => e.render(&request_id).labelled(action, Some(e.code.clone())),
    }
}

/// An ENS error envelope for a request refused before it was read (body too large).
pub fn reject(status: u16, code: &str, message: String) -> HttpResponse {
    ApiError::with_status(status, code, message).render(&ids::request_id(Cloud::Ens))
}
