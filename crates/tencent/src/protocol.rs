//! The API 3.0 envelope: where action, version, region and parameters come from (TC3 headers
//! with a JSON or flattened body, or the legacy signed form), and the success envelope.

use eniplane_api::{flat, json, HttpResponse, ParsedRequest, Services};
use serde_json::{Map, Value};

use crate::actions;
use crate::auth::{self, Credential};
use crate::context::Ctx;
use crate::error::ApiError;
use crate::idempotency;

/// Parameters the legacy signature adds next to the action's own.
const V1_COMMON: &[&str] = &[
    "Action",
    "Version",
    "Region",
    "Timestamp",
    "Nonce",
    "SecretId",
    "Signature",
    "SignatureMethod",
    "Token",
    "Language",
    "RequestClient",
];

/// How the request was signed, with what that scheme needs.
pub(crate) enum Scheme {
    /// `Authorization: TC3-HMAC-SHA256 …`.
    Tc3,
    /// Legacy `Signature` parameter (over the request's decoded parameters).
    V1,
}

/// What the envelope says.
pub(crate) struct Envelope {
    pub scheme: Scheme,
    pub action: String,
    pub version: String,
    pub region: Option<String>,
    pub params: Value,
}

/// Whether a request looks like Tencent API 3.0.
pub(crate) fn looks_like_tencent(req: &ParsedRequest) -> bool {
    if req.header("x-tc-action").is_some() || req.header("authorization").is_some_and(|a| a.starts_with("TC3-")) {
        return true;
    }
    req.params().iter().any(|(k, v)| k == "SecretId" || (k == "Version" && v == crate::VERSION))
}

fn header_param(req: &ParsedRequest, name: &str) -> Option<String> {
    req.header(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// The action a request names (`X-TC-Action`, or the legacy `Action` parameter), if any.
pub(crate) fn action_name(req: &ParsedRequest) -> Option<String> {
    header_param(req, "x-tc-action").or_else(|| req.param("Action").map(str::to_string))
}

/// An input limit exceeded, as the error every Tencent action may answer.
fn too_big(e: impl std::fmt::Display) -> ApiError {
    ApiError::new("InvalidParameter", e.to_string())
}

/// Reads the envelope. Input limits are checked here, before the signature.
pub(crate) fn parse(req: &ParsedRequest) -> Result<Envelope, ApiError> {
    if req.method != "GET" && req.method != "POST" {
        return Err(ApiError::new(
            "UnsupportedProtocol",
            format!("HTTP method {} is not supported; use GET or POST.", req.method),
        ));
    }
    if let Some(problem) = req.problem() {
        return Err(too_big(problem));
    }
    let tc3 = req.header("authorization").is_some() || req.header("x-tc-action").is_some();
    if tc3 {
        let action = header_param(req, "x-tc-action")
            .ok_or_else(|| ApiError::new("MissingParameter", "The request is missing the X-TC-Action header."))?;
        let version = header_param(req, "x-tc-version").unwrap_or_default();
        let region = header_param(req, "x-tc-region");
        let params = body_params(req)?;
        return Ok(Envelope { scheme: Scheme::Tc3, action, version, region, params });
    }
    let get = |k: &str| req.param(k).map(str::to_string);
    if get("Signature").is_none() {
        return Err(ApiError::new(
            "AuthFailure.InvalidAuthorization",
            "The request carries neither an Authorization header nor a Signature.",
        ));
    }
    let action = get("Action")
        .ok_or_else(|| ApiError::new("MissingParameter", "The request is missing the Action parameter."))?;
    let version = get("Version").unwrap_or_default();
    let region = get("Region").filter(|r| !r.is_empty());
    let params = flat::unflatten(req.params(), 0, V1_COMMON).map_err(too_big)?;
    Ok(Envelope { scheme: Scheme::V1, action, version, region, params })
}

/// The action's own parameters of a TC3 request: JSON body, or flattened query/form.
fn body_params(req: &ParsedRequest) -> Result<Value, ApiError> {
    if req.method == "GET" {
        return flat::unflatten(req.query(), 0, &[]).map_err(too_big);
    }
    match req.media_type().as_str() {
        "application/json" | "" | "text/plain" => {
            if req.body.iter().all(|b| b.is_ascii_whitespace()) {
                return Ok(Value::Object(Map::new()));
            }
            match json::parse(&req.body) {
                Ok(v @ Value::Object(_)) => Ok(v),
                Ok(_) => Err(ApiError::new("InvalidParameter", "The request body must be a JSON object.")),
                Err(json::JsonError::Limit(e)) => Err(too_big(e)),
                Err(e) => Err(ApiError::new("InvalidParameter", format!("The request body is not valid JSON: {e}."))),
            }
        }
        "application/x-www-form-urlencoded" => flat::unflatten(req.form(), 0, &[]).map_err(too_big),
        other => Err(ApiError::new(
            "InvalidParameter",
            format!("Content-Type {other} is not supported; use application/json."),
        )),
    }
}

/// Runs the whole pipeline; returns the response fields.
pub(crate) async fn serve(svc: &Services, req: &ParsedRequest, request_id: &str) -> Result<Value, ApiError> {
    let env = parse(req)?;
    let credential: Credential = auth::authenticate(svc, req, &env).await?;
    if env.version != crate::VERSION {
        return Err(ApiError::new(
            "NoSuchVersion",
            format!("The API version `{}` does not exist; use {}.", env.version, crate::VERSION),
        ));
    }
    let action = actions::find(&env.action)
        .ok_or_else(|| ApiError::new("InvalidAction", format!("The action `{}` does not exist.", env.action)))?;
    if let Some(service) = credential.service.as_deref() {
        if (service == "vpc" || service == "cvm") && service != action.service.name() {
            return Err(ApiError::new(
                "InvalidAction",
                format!("The action `{}` does not exist in service {service}.", env.action),
            ));
        }
    }
    let ctx = Ctx::new(svc, credential, &env, request_id, action.service)?;
    let rate_key = format!("{}:{}", action.service.name(), action.name);
    if !svc.limits.allow(&ctx.env.scope.account, &rate_key, action.rate) {
        return Err(ApiError::new(
            "RequestLimitExceeded",
            format!(
                "Your account exceeded {} requests per second for {}.",
                svc.limits.rate_for(&rate_key, action.rate),
                action.name
            ),
        ));
    }
    ctx.authorize(&rate_key, &action.touches, &env.params)?;
    let scope = &ctx.env.scope;
    let token = match action.idempotent() {
        true => idempotency::token_of(&env.params, &scope.account, &scope.region, action.name)?,
        false => None,
    };
    let token = match token {
        None => None,
        Some(t) => match idempotency::begin(svc, t).await? {
            idempotency::Begin::Replay(answer) => return Ok(answer),
            idempotency::Begin::Run(t) => Some(t),
        },
    };
    let outcome = (action.run)(ctx, env.params).await.map_err(|e| e.narrow(action.errors));
    if let Some(t) = token {
        idempotency::finish(svc, t, &outcome, request_id).await;
    }
    outcome
}

/// The success envelope. A replayed answer (`ClientToken`) keeps its original `RequestId`.
pub(crate) fn success(mut body: Value, request_id: &str) -> HttpResponse {
    if let Value::Object(m) = &mut body {
        m.entry("RequestId").or_insert_with(|| Value::String(request_id.into()));
    }
    let mut out = Map::new();
    out.insert("Response".into(), body);
    HttpResponse::json(200, "application/json", serde_json::to_vec(&Value::Object(out)).unwrap_or_default())
}
