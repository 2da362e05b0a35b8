//! The admin API under `/_eniplane/`: JSON in and out, every endpoint behind the admin token
//! (`Authorization: Bearer TOKEN`, compared in constant time), on the main listener and on the
//! `/metrics` listener when there is one.
//!
//! Layout: this module holds what every endpoint shares — the routes, the guard (which also
//! writes the request line), the one error type and its JSON; each endpoint group is a module
//! of its own ([`actions`]) with its CLI twin in `eniplane admin …` going through [`client`].

pub mod actions;
pub mod client;
pub mod token;

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, MethodRouter};
use axum::{Json, Router};
use eniplane_api::Services;

use crate::log::{self, RequestLine};

/// Where the admin API lives.
pub const PREFIX: &str = "/_eniplane";
/// The header carrying the id of an admin request (also in its request line).
pub const REQUEST_ID_HEADER: &str = "x-eniplane-request-id";

/// What the admin endpoints share.
pub struct AdminState {
    /// The bearer token every request must carry.
    pub token: String,
    /// The services the API's endpoints act on.
    pub svc: Services,
}

/// The admin API's errors, each with one status and one code, answered as
/// `{"error": {"code": …, "message": …}}`.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Missing or wrong token.
    #[error("a valid admin token is required: Authorization: Bearer TOKEN")]
    Unauthorized,
    /// No such endpoint.
    #[error("there is no admin endpoint here; GET /_eniplane/actions lists what the server supports")]
    NotFound,
    /// The endpoint exists but not with this method.
    #[error("this admin endpoint does not take this method")]
    MethodNotAllowed,
    /// The request's parameters or body are wrong.
    #[error("{0}")]
    BadRequest(String),
    /// The store could not answer.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
}

impl AdminError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AdminError::Unauthorized => StatusCode::UNAUTHORIZED,
            AdminError::NotFound => StatusCode::NOT_FOUND,
            AdminError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AdminError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AdminError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The code in the JSON error (and the request line).
    pub fn code(&self) -> &'static str {
        match self {
            AdminError::Unauthorized => "Unauthorized",
            AdminError::NotFound => "NotFound",
            AdminError::MethodNotAllowed => "MethodNotAllowed",
            AdminError::BadRequest(_) => "BadRequest",
            AdminError::Unavailable(_) => "Unavailable",
        }
    }
}

/// The code of an error answer, kept on the response for the request line.
#[derive(Clone, Copy)]
struct AnsweredCode(&'static str);

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code(), "message": self.to_string()}});
        let mut r = (self.status(), Json(body)).into_response();
        if matches!(self, AdminError::Unauthorized) {
            r.headers_mut().insert("www-authenticate", HeaderValue::from_static("Bearer realm=\"eniplane admin\""));
        }
        r.extensions_mut().insert(AnsweredCode(self.code()));
        r
    }
}

/// The admin routes over `state`, ready to be merged into a listener's router.
pub fn routes(state: Arc<AdminState>) -> Router {
    let catch_all = || any(|| async { AdminError::NotFound });
    Router::new()
        .route(&format!("{PREFIX}/actions"), endpoint(get(actions::list)))
        .route(PREFIX, catch_all())
        .route(&format!("{PREFIX}/"), catch_all())
        .route(&format!("{PREFIX}/{{*rest}}"), catch_all())
        .route_layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

/// An endpoint's method router, answering other methods with the JSON error.
fn endpoint(methods: MethodRouter<Arc<AdminState>>) -> MethodRouter<Arc<AdminState>> {
    methods.fallback(|| async { AdminError::MethodNotAllowed })
}

/// Checks the token, runs the endpoint and writes the request line.
async fn guard(State(state): State<Arc<AdminState>>, req: Request<Body>, next: Next) -> Response {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let action = match req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string()) {
        Some(path) if !path.contains('*') && path != PREFIX && path != format!("{PREFIX}/") => path,
        _ => "unknown".to_string(),
    };
    let mut response = if crate::http::bearer_matches(req.headers(), &state.token) {
        next.run(req).await
    } else {
        AdminError::Unauthorized.into_response()
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    let code = response.extensions().get::<AnsweredCode>().map_or("Success", |c| c.0);
    log::request(&RequestLine {
        request_id: &request_id,
        account: "-",
        dialect: "admin",
        service: "-",
        action: &action,
        code,
        status: response.status().as_u16(),
        latency: started.elapsed(),
    });
    response
}
