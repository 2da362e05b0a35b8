//! The HTTP front: one listener for every dialect, body limits, dialect detection, `/healthz`,
//! and the process lifecycle of `serve`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Request, Response, StatusCode};
use axum::routing::get;
use axum::Router;
use eniplane_api::limits::RateLimits;
use eniplane_api::{HttpRequest, HttpResponse, ParsedRequest, Services, Settings, MAX_BODY};
use eniplane_store::{Store, Tx};
use http_body_util::BodyExt;

use crate::config::{self, ServeArgs};
use crate::metrics::Metrics;
use crate::{accounts, worker};

/// Which API a request speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dialect {
    /// Tencent Cloud API 3.0.
    Tencent,
    /// Alibaba Cloud ENS RPC.
    Ens,
}

/// Decides the dialect from headers and the parameters decoded once; Tencent is the fallback
/// envelope.
pub fn detect(req: &ParsedRequest) -> Dialect {
    if eniplane_ens::claims(req) {
        Dialect::Ens
    } else {
        Dialect::Tencent
    }
}

/// What the HTTP handlers share.
struct App {
    svc: Services,
    metrics: Metrics,
}

/// Builds the router over ready services.
pub fn router(svc: Services) -> Router {
    let app = Arc::new(App { svc, metrics: Metrics::default() });
    Router::new().route("/healthz", get(healthz)).route("/metrics", get(metrics)).fallback(api).with_state(app)
}

async fn healthz(State(app): State<Arc<App>>) -> Response<Body> {
    match app.svc.store.check().await {
        Ok(()) => plain(StatusCode::OK, "ok"),
        Err(e) => plain(StatusCode::SERVICE_UNAVAILABLE, &format!("store unavailable: {e}")),
    }
}

fn plain(status: StatusCode, text: &str) -> Response<Body> {
    let mut r = Response::new(Body::from(text.to_string()));
    *r.status_mut() = status;
    r
}

async fn metrics(State(app): State<Arc<App>>) -> Response<Body> {
    let pending = app.svc.store.read(|tx: &mut dyn Tx| tx.pending_transitions()).await.ok();
    let mut r = plain(StatusCode::OK, &app.metrics.render(pending));
    r.headers_mut().insert("content-type", HeaderValue::from_static("text/plain; version=0.0.4"));
    r
}

async fn api(State(app): State<Arc<App>>, req: Request<Body>) -> Response<Body> {
    let started = Instant::now();
    let svc = &app.svc;
    let (parts, body) = req.into_parts();
    let mut exchange = HttpRequest {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        raw_query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        body: Default::default(),
    };
    let declared =
        parts.headers.get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    let too_large = declared.is_some_and(|n| n > MAX_BODY);
    let body = if too_large { Err(()) } else { read_limited(body).await };
    let (dialect, response) = match body {
        Ok(bytes) => {
            exchange.body = bytes;
            let req = ParsedRequest::new(exchange);
            match detect(&req) {
                Dialect::Tencent => (Dialect::Tencent, eniplane_tencent::handle(svc, &req).await),
                Dialect::Ens => (Dialect::Ens, eniplane_ens::handle(svc, &req).await),
            }
        }
        Err(()) => {
            let message = format!("The request body exceeds the limit of {MAX_BODY} bytes.");
            match detect(&ParsedRequest::new(exchange)) {
                Dialect::Tencent => (Dialect::Tencent, eniplane_tencent::reject("InvalidParameter", message)),
                Dialect::Ens => (Dialect::Ens, eniplane_ens::reject(400, "InvalidParameter", message)),
            }
        }
    };
    app.metrics.record(dialect, response.action, response.error_code.as_deref(), started.elapsed());
    into_response(response)
}

async fn read_limited(body: Body) -> Result<bytes::Bytes, ()> {
    let limited = http_body_util::Limited::new(body, MAX_BODY);
    limited.collect().await.map(|c| c.to_bytes()).map_err(|_| ())
}

fn into_response(r: HttpResponse) -> Response<Body> {
    let mut out = Response::new(Body::from(r.body));
    *out.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = out.headers_mut();
    headers.insert("content-type", HeaderValue::from_static(r.content_type));
    for (name, value) in r.headers {
        if let (Ok(n), Ok(v)) = (axum::http::HeaderName::try_from(name), HeaderValue::try_from(value)) {
            headers.insert(n, v);
        }
    }
    out
}

/// Opens the embedded store and builds the services for resolved settings.
pub fn services(cfg: &config::Resolved) -> Result<Services, String> {
    services_on(cfg, None)
}

/// Opens the store (PostgreSQL when `database_url` is given, else the embedded SQLite store under
/// the data directory) and builds the services for resolved settings.
pub fn services_on(cfg: &config::Resolved, database_url: Option<&str>) -> Result<Services, String> {
    let store = Store::open(&cfg.data_dir, database_url).map_err(|e| format!("opening the store: {e}"))?;
    let settings = Settings { transition_delay_ms: cfg.transition_delay_ms, ..Settings::default() };
    let limits = RateLimits::new(cfg.rate_limits.enabled, cfg.rate_limits.overrides.clone());
    Ok(Services::new(store, cfg.catalog.clone(), settings, limits))
}

/// `eniplane serve`.
pub fn serve(args: ServeArgs) -> Result<(), String> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("ENIPLANE_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let (cfg, database_url) = config::resolve_with_database(&args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(run(cfg, database_url))
}

async fn run(cfg: config::Resolved, database_url: Option<String>) -> Result<(), String> {
    let svc = services_on(&cfg, database_url.as_deref())?;
    accounts::ensure_default(&svc.store).await?;
    let listener =
        tokio::net::TcpListener::bind(cfg.listen).await.map_err(|e| format!("listening on {}: {e}", cfg.listen))?;
    let addr: SocketAddr = listener.local_addr().map_err(|e| e.to_string())?;
    match svc.store.engine_name() {
        "sqlite" => tracing::info!(%addr, data_dir = %cfg.data_dir.display(), engine = "sqlite", "eniplane serving"),
        engine => tracing::info!(%addr, engine, "eniplane serving"),
    }
    let stop = worker::spawn(svc.store.clone());
    axum::serve(listener, router(svc)).with_graceful_shutdown(shutdown_signal()).await.map_err(|e| e.to_string())?;
    stop.notify_one();
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
