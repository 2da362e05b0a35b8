//! The Alibaba Cloud ENS OpenAPI (2017-11-10) dialect.
//!
//! Placeholder until the dialect lands: it recognises ENS requests and answers every action
//! with `InvalidAction.NotFound` in the ENS error envelope.

use eniplane_api::{HttpRequest, HttpResponse, Services};
use eniplane_core::{ids, Cloud};

/// The API version.
pub const VERSION: &str = "2017-11-10";

/// Whether a request speaks ENS: `x-acs-*` headers, an ACS3 Authorization, or RPC parameters
/// with this version.
pub fn claims(req: &HttpRequest) -> bool {
    if req.header("x-acs-action").is_some()
        || req.header("x-acs-version").is_some()
        || req.header("authorization").is_some_and(|a| a.starts_with("ACS3-"))
    {
        return true;
    }
    req.query_params().iter().chain(req.form_params().iter()).any(|(k, v)| k == "Version" && v == VERSION)
}

/// Serves one request.
pub async fn handle(_svc: &Services, _req: HttpRequest) -> HttpResponse {
    reject(404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.".into())
}

/// An ENS error envelope.
pub fn reject(status: u16, code: &str, message: String) -> HttpResponse {
    let request_id = ids::request_id(Cloud::Ens);
    let body = serde_json::json!({
        "RequestId": request_id,
        "HostId": "ens.aliyuncs.com",
        "Code": code,
        "Message": message,
        "Recommend": format!("https://api.aliyun.com/troubleshoot?q={code}&product=Ens"),
    });
    HttpResponse::json(status, "application/json;charset=utf-8", serde_json::to_vec(&body).unwrap_or_default())
}
