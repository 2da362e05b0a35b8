//! The HTTP front: the routes every listener serves (API, `/healthz`, a guarded `/metrics`),
//! request intake (limits, body) and dialect detection, and the process lifecycle of `serve`.
//! Connections themselves are handled in `listener.rs`, TLS in `tls.rs`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use axum::routing::{any, get};
use axum::Router;
use eniplane_api::limits::RateLimits;
use eniplane_api::{HttpRequest, HttpResponse, ParsedRequest, Services, Settings};
use eniplane_store::{Store, Tx};
use subtle::ConstantTimeEq;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{self, ServeArgs};
use crate::listener::{self, Routes};
use crate::metrics::Metrics;
use crate::{accounts, intake, tls, worker};

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
    connections: Arc<listener::ConnStats>,
    body_timeout: Duration,
    metrics_token: Option<String>,
}

/// The routers of one configuration.
pub struct Routers {
    /// The main listener: API, `/healthz`, and `/metrics` unless it has a listener of its own.
    pub main: Router,
    /// The main listener's connections over the cap: the dialect's busy answer.
    pub overflow: Router,
    /// `/metrics` alone, when `--metrics-listen` is set.
    pub metrics: Option<Router>,
    /// The main listener's connection counters, which `/metrics` reports.
    pub connections: Arc<listener::ConnStats>,
}

/// Builds the main router over ready services, with default limits and an open `/metrics`.
pub fn router(svc: Services) -> Router {
    routers(svc, &config::Transport::default()).main
}

/// Builds the routers for `transport`'s limits and `/metrics` guard.
pub fn routers(svc: Services, transport: &config::Transport) -> Routers {
    let connections = Arc::new(listener::ConnStats::default());
    let app = Arc::new(App {
        svc,
        metrics: Metrics::default(),
        connections: connections.clone(),
        body_timeout: transport.limits.body_read_timeout,
        metrics_token: transport.metrics.token.clone(),
    });
    let main = Router::new().route("/healthz", get(healthz));
    let (main, metrics) = match transport.metrics.listen {
        None => (main.route("/metrics", get(metrics)), None),
        Some(_) => (
            main.route("/metrics", any(not_here)),
            Some(Router::new().route("/metrics", get(metrics)).fallback(not_here).with_state(app.clone())),
        ),
    };
    let overflow = Router::new().route("/healthz", any(busy_plain)).route("/metrics", any(busy_plain)).fallback(busy);
    Routers { main: main.fallback(api).with_state(app), overflow, metrics, connections }
}

async fn not_here() -> Response<Body> {
    plain(StatusCode::NOT_FOUND, "not found")
}

async fn busy_plain() -> Response<Body> {
    let mut r = plain(StatusCode::SERVICE_UNAVAILABLE, "too many connections; retry later");
    r.headers_mut().insert("connection", HeaderValue::from_static("close"));
    r.headers_mut().insert("retry-after", HeaderValue::from_static("1"));
    r
}

/// A request on a connection over the cap: the busy error of its dialect, body unread.
async fn busy(req: Request<Body>) -> Response<Body> {
    let (parts, _body) = req.into_parts();
    into_response(intake::busy(detect(&ParsedRequest::new(head_exchange(&parts)))))
}

/// The request's line and headers as the dialects see them, body still empty.
fn head_exchange(parts: &axum::http::request::Parts) -> HttpRequest {
    HttpRequest {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        raw_query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        body: Default::default(),
    }
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

async fn metrics(State(app): State<Arc<App>>, headers: HeaderMap) -> Response<Body> {
    if let Some(token) = &app.metrics_token {
        let given = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map_or("", |(_, t)| t.trim());
        if !bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
            let mut r = plain(StatusCode::UNAUTHORIZED, "a bearer token is required");
            r.headers_mut().insert("www-authenticate", HeaderValue::from_static("Bearer realm=\"eniplane metrics\""));
            return r;
        }
    }
    let pending = app.svc.store.read(|tx: &mut dyn Tx| tx.pending_transitions()).await.ok();
    let mut text = app.metrics.render(pending);
    app.connections.render(&mut text);
    let mut r = plain(StatusCode::OK, &text);
    r.headers_mut().insert("content-type", HeaderValue::from_static("text/plain; version=0.0.4"));
    r
}

async fn api(State(app): State<Arc<App>>, req: Request<Body>) -> Response<Body> {
    let started = Instant::now();
    let svc = &app.svc;
    let (parts, body) = req.into_parts();
    let mut exchange = head_exchange(&parts);
    let (dialect, response) = match intake::read(&parts, body, app.body_timeout).await {
        Ok(bytes) => {
            exchange.body = bytes;
            let req = ParsedRequest::new(exchange);
            match detect(&req) {
                Dialect::Tencent => (Dialect::Tencent, eniplane_tencent::handle(svc, &req).await),
                Dialect::Ens => (Dialect::Ens, eniplane_ens::handle(svc, &req).await),
            }
        }
        Err(refused) => {
            // The dialect shows in the headers, the query or the start of the body.
            exchange.body = refused.body_start;
            let dialect = detect(&ParsedRequest::new(exchange));
            (dialect, refused.refusal.render(dialect))
        }
    };
    app.metrics.record(dialect, response.action, response.error_code.as_deref(), started.elapsed());
    into_response(response)
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

/// The listeners of a running server. Dropping it leaves them running (detached); [`Serving::stop`]
/// stops them.
pub struct Serving {
    /// The main listener's address.
    pub addr: SocketAddr,
    /// The `/metrics` listener's address, when it has one.
    pub metrics_addr: Option<SocketAddr>,
    /// Whether the main listener speaks HTTPS.
    pub https: bool,
    /// The CA certificate to trust, when the certificate is self-signed.
    pub tls_ca: Option<PathBuf>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Serving {
    /// Stops accepting, lets open connections finish (`listener::SHUTDOWN_GRACE`), and returns.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Binds the listeners of `cfg` (TLS, metrics listener) and serves `svc` on them.
pub async fn start(cfg: &config::Resolved, svc: Services) -> Result<Serving, String> {
    let t = &cfg.transport;
    let tls = t.tls.as_ref().map(|source| tls::load(source, &cfg.data_dir)).transpose()?;
    let main =
        listener::bind(cfg.listen, t.limits.accept_backlog).map_err(|e| format!("listening on {}: {e}", cfg.listen))?;
    let addr = main.local_addr().map_err(|e| e.to_string())?;
    let side = match t.metrics.listen {
        Some(a) => {
            let l = listener::bind(a, t.limits.accept_backlog).map_err(|e| format!("listening on {a}: {e}"))?;
            Some(l)
        }
        None => None,
    };
    let metrics_addr = side.as_ref().map(|l| l.local_addr()).transpose().map_err(|e| e.to_string())?;
    let routers = routers(svc, t);
    let (stop, stopped) = watch::channel(false);
    let https = tls.is_some();
    let tls_ca = tls.as_ref().and_then(|t| t.ca.clone());
    let routes = Routes { main: routers.main, overflow: routers.overflow };
    let acceptor = tls.map(|t| t.acceptor);
    let mut tasks =
        vec![tokio::spawn(listener::serve(main, routes, t.limits, acceptor, stopped.clone(), routers.connections))];
    if let (Some(l), Some(m)) = (side, routers.metrics) {
        let routes = Routes { main: m, overflow: Router::new().fallback(busy_plain) };
        let own = Arc::new(listener::ConnStats::default());
        tasks.push(tokio::spawn(listener::serve(l, routes, t.limits, None, stopped, own)));
    }
    Ok(Serving { addr, metrics_addr, https, tls_ca, stop, tasks })
}

async fn run(cfg: config::Resolved, database_url: Option<String>) -> Result<(), String> {
    let svc = services_on(&cfg, database_url.as_deref())?;
    accounts::ensure_default(&svc.store).await?;
    let serving = start(&cfg, svc.clone()).await?;
    let (addr, scheme) = (serving.addr, if serving.https { "https" } else { "http" });
    match svc.store.engine_name() {
        "sqlite" => {
            tracing::info!(%addr, scheme, data_dir = %cfg.data_dir.display(), engine = "sqlite", "eniplane serving")
        }
        engine => tracing::info!(%addr, scheme, engine, "eniplane serving"),
    }
    if let Some(m) = serving.metrics_addr {
        tracing::info!(addr = %m, "metrics served on their own listener");
    }
    if let Some(ca) = &serving.tls_ca {
        println!("HTTPS with a self-signed certificate; clients should trust the CA in {}", ca.display());
    }
    let stop = worker::spawn(svc.store.clone());
    shutdown_signal().await;
    serving.stop().await;
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
