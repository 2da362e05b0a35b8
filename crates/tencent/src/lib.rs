//! The Tencent Cloud API 3.0 dialect: VPC (2017-03-12) and the CVM instance actions.
//!
//! Request pipeline ([`handle`]): read the envelope (TC3 headers + JSON/flattened parameters, or
//! the legacy `Signature` form) within the input limits, authenticate, check version/action/region,
//! rate-limit, authorize every resource the request names ([`cam`]), decode the typed request, run
//! the handler, encode `{"Response": {…, "RequestId"}}`.
//! Every failure is rendered by [`error::ApiError`] into the error envelope, always HTTP 200 with
//! `Content-Type: application/json` exactly (the Python SDK needs both).

mod actions;
mod auth;
mod cam;
mod context;
pub mod error;
mod filters;
mod idempotency;
mod protocol;
mod views;

use eniplane_api::{HttpResponse, ParsedRequest, Services};
use eniplane_core::{ids, Cloud};

pub use actions::names as action_names;
pub use error::ApiError;

/// The API version both services speak.
pub const VERSION: &str = "2017-03-12";

/// Whether a request speaks this dialect: TC3 headers, or legacy parameters with this version.
pub fn claims(req: &ParsedRequest) -> bool {
    protocol::looks_like_tencent(req)
}

/// Serves one request.
pub async fn handle(svc: &Services, req: &ParsedRequest) -> HttpResponse {
    let request_id = ids::request_id(Cloud::Tencent);
    let action = protocol::action_name(req).and_then(actions::find).map(|a| a.name);
    match protocol::serve(svc, req, &request_id).await {
        Ok(body) => protocol::success(body, &request_id).labelled(action, None),
        Err(e) => e.render(&request_id).labelled(action, Some(e.code)),
    }
}

/// The error envelope for a request refused before it was read (body too large).
pub fn reject(code: &'static str, message: String) -> HttpResponse {
    ApiError::new(code, message).render(&ids::request_id(Cloud::Tencent))
}
