//! The RPC envelope: where action, version and parameters come from (query string and form
//! body merged; `Action`/`Version` as parameters or `x-acs-action`/`x-acs-version` headers),
//! which signature scheme applies, and the success envelope.

use eniplane_api::{flat, HttpResponse, ParsedRequest, Services};
use serde_json::Value;

use crate::actions;
use crate::auth;
use crate::context::Ctx;
use crate::error::ApiError;

/// Parameters the SDKs add next to the action's own (signature, format, client region).
pub(crate) const COMMON: &[&str] = &[
    "Action",
    "Version",
    "Format",
    "Timestamp",
    "SignatureNonce",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureType",
    "AccessKeyId",
    "Signature",
    "RegionId",
    "SecurityToken",
];

/// How the request was signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// `Authorization: ACS3-HMAC-SHA256 …` (tea SDK default).
    Acs3,
    /// `Signature` parameter, HMAC-SHA1 (core SDK, tea `v2`).
    V1,
}

/// What the envelope says.
pub(crate) struct Envelope {
    pub scheme: Scheme,
    pub action: String,
    pub version: String,
    /// The action's own parameters, `.N` lists unflattened (1-based).
    pub params: Value,
}

fn has(req: &ParsedRequest, key: &str) -> bool {
    req.param(key).is_some()
}

/// The action a request names (`Action` parameter or `x-acs-action` header), if any.
pub(crate) fn action_name(req: &ParsedRequest) -> Option<String> {
    header(req, "x-acs-action").or_else(|| req.param("Action").map(str::to_string))
}

fn header(req: &ParsedRequest, name: &str) -> Option<String> {
    req.header(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// Whether a request looks like Alibaba RPC.
pub(crate) fn looks_like_ens(req: &ParsedRequest) -> bool {
    if req.header("x-acs-action").is_some()
        || req.header("x-acs-version").is_some()
        || req.header("authorization").is_some_and(|a| a.trim_start().starts_with("ACS3-"))
    {
        return true;
    }
    req.params()
        .iter()
        .any(|(k, v)| (k == "Version" && v == crate::VERSION) || k == "AccessKeyId" || k == "SignatureNonce")
}

/// An input limit exceeded, as ENS reports a bad parameter (HTTP 400).
fn too_big(e: impl std::fmt::Display) -> ApiError {
    ApiError::new("InvalidParameter", e.to_string())
}

/// Reads the envelope. Input limits are checked here, before the signature.
pub(crate) fn parse(req: &ParsedRequest) -> Result<Envelope, ApiError> {
    if req.method != "GET" && req.method != "POST" {
        return Err(ApiError::with_status(
            404,
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        ));
    }
    if let Some(problem) = req.problem() {
        return Err(too_big(problem));
    }
    let scheme = match req.header("authorization") {
        Some(a) if a.trim_start().starts_with("ACS3-") => Scheme::Acs3,
        Some(_) if !has(req, "Signature") => {
            return Err(ApiError::new(
                "IncompleteSignature",
                "The request signature does not conform to Aliyun standards: unsupported Authorization scheme.",
            ))
        }
        _ if has(req, "Signature") => Scheme::V1,
        _ => return Err(ApiError::missing("Signature")),
    };
    let action = req
        .param("Action")
        .map(str::to_string)
        .or_else(|| header(req, "x-acs-action"))
        .ok_or_else(|| ApiError::missing("Action"))?;
    let version = req
        .param("Version")
        .map(str::to_string)
        .or_else(|| header(req, "x-acs-version"))
        .ok_or_else(|| ApiError::missing("Version"))?;
    let params = flat::unflatten(req.params(), 1, COMMON).map_err(too_big)?;
    Ok(Envelope { scheme, action, version, params })
}

/// Runs the whole pipeline; returns the response fields.
pub(crate) async fn serve(svc: &Services, req: &ParsedRequest, request_id: &str) -> Result<Value, ApiError> {
    let env = parse(req)?;
    let key = auth::authenticate(svc, req, &env).await?;
    if env.version != crate::VERSION {
        return Err(ApiError::new("InvalidVersion", "Specified parameter Version is not valid."));
    }
    let action = actions::find(&env.action).ok_or_else(|| {
        ApiError::with_status(
            404,
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        )
    })?;
    let ctx = Ctx::new(svc, key, request_id, action.family);
    let rate_key = format!("ens:{}", action.name);
    if !svc.limits.allow(&ctx.account, &rate_key, action.rate) {
        return Err(ApiError::new("Throttling.User", "Request was denied due to user flow control."));
    }
    ctx.authorize(&rate_key, &action.touches, &env.params)?;
    (action.run)(ctx, env.params).await
}

/// The success envelope: the response fields plus `RequestId`.
pub(crate) fn success(mut body: Value, request_id: &str) -> HttpResponse {
    if let Value::Object(m) = &mut body {
        m.insert("RequestId".into(), Value::String(request_id.into()));
    }
    HttpResponse::json(200, crate::CONTENT_TYPE, serde_json::to_vec(&body).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(query: &str, headers: &[(&str, &str)]) -> ParsedRequest {
        ParsedRequest::new(eniplane_api::HttpRequest {
            method: "POST".into(),
            path: "/".into(),
            raw_query: query.into(),
            headers: headers.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
            body: Default::default(),
        })
    }

    #[test]
    fn v1_envelope_strips_common_params_and_unflattens() {
        let r = req(
            "Action=DescribeNetworkInterfaces&Version=2017-11-10&Signature=x&AccessKeyId=k&RegionId=cn-hangzhou&SignatureType=&NetworkInterfaceIds.1=eni-a&NetworkInterfaceIds.2=eni-b",
            &[],
        );
        assert!(looks_like_ens(&r));
        let e = parse(&r).unwrap();
        assert_eq!(e.scheme, Scheme::V1);
        assert_eq!(e.action, "DescribeNetworkInterfaces");
        assert_eq!(e.params, serde_json::json!({"NetworkInterfaceIds": ["eni-a", "eni-b"]}));
    }

    #[test]
    fn acs3_takes_action_from_headers_and_unsigned_is_refused() {
        let r = req(
            "",
            &[("authorization", "ACS3-HMAC-SHA256 Credential=k"), ("x-acs-action", "A"), ("x-acs-version", "V")],
        );
        let e = parse(&r).unwrap();
        assert_eq!((e.scheme, e.action.as_str(), e.version.as_str()), (Scheme::Acs3, "A", "V"));
        let err = parse(&req("Action=A&Version=2017-11-10", &[])).err().unwrap();
        assert_eq!(err.code, "MissingParameter");
        assert!(!looks_like_ens(&req("Action=A&Version=2017-03-12&SecretId=x", &[])));
    }
}
