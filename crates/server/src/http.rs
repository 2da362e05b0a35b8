//! The HTTP front: the routes every listener serves (API, `/healthz`, `/readyz`, a guarded
//! `/metrics`, the admin API), request intake (limits, body), dialect detection and the request
//! log, and the process lifecycle of `serve` (start-up, graceful shutdown). Connections
//! themselves are handled in `listener.rs`, TLS in `tls.rs`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
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

use crate::admin::{self, token, AdminState};
use crate::config::{self, ServeArgs};
use crate::listener::{self, Routes};
use crate::log::{self, RequestLine};
use crate::metrics::Metrics;
use crate::{accounts, intake, secret_key, tls, worker};

/// On shutdown, after the listeners are done, how long the worker may take to commit its round.
pub const WORKER_STOP_GRACE: Duration = Duration::from_secs(5);
/// On shutdown, how long the writes already queued may take to commit before the process exits.
pub const STORE_FLUSH_GRACE: Duration = Duration::from_secs(5);

impl Dialect {
    /// The name in metrics and the request log.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Tencent => "tencent",
            Dialect::Ens => "ens",
        }
    }
}

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
    /// Set once shutdown begins: `/readyz` then answers 503.
    draining: Arc<AtomicBool>,
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

/// Builds the routers for `transport`'s limits and `/metrics` guard, with the admin API guarded
/// by `admin_token`; `draining` turns `/readyz` to 503.
pub fn routers(svc: Services, transport: &config::Transport, admin_token: &str, draining: Arc<AtomicBool>) -> Routers {
    let connections = Arc::new(listener::ConnStats::default());
    let admin = admin::routes(Arc::new(AdminState { token: admin_token.to_string(), svc: svc.clone() }));
    let app = Arc::new(App {
        svc,
        metrics: Metrics::default(),
        connections: connections.clone(),
        body_timeout: transport.limits.body_read_timeout,
        metrics_token: transport.metrics.token.clone(),
        draining,
    });
    let main = Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz));
    let (main, metrics) = match transport.metrics.listen {
        None => (main.route("/metrics", get(metrics)), None),
        Some(_) => (
            main.route("/metrics", any(not_here)),
            Some(
                Router::new()
                    .route("/metrics", get(metrics))
                    .fallback(not_here)
                    .with_state(app.clone())
                    .merge(admin.clone()),
            ),
        ),
    };
    let overflow = Router::new()
        .route("/healthz", any(busy_plain))
        .route("/readyz", any(busy_plain))
        .route("/metrics", any(busy_plain))
        .route(admin::PREFIX, any(busy_plain))
        .route(&format!("{}/{{*rest}}", admin::PREFIX), any(busy_plain))
        .fallback(busy);
    Routers { main: main.fallback(api).with_state(app).merge(admin), overflow, metrics, connections }
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

/// Ready for traffic: the store answers (its migrations were applied when it was opened, before
/// any listener was bound) and the server is not shutting down.
async fn readyz(State(app): State<Arc<App>>) -> Response<Body> {
    if app.draining.load(Ordering::Relaxed) {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    }
    match app.svc.store.check().await {
        Ok(()) => plain(StatusCode::OK, "ready"),
        Err(e) => plain(StatusCode::SERVICE_UNAVAILABLE, &format!("store unavailable: {e}")),
    }
}

/// Whether `headers` carry `Authorization: Bearer <token>` (compared in constant time).
pub fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map_or("", |(_, t)| t.trim());
    bool::from(given.as_bytes().ct_eq(token.as_bytes()))
}

fn plain(status: StatusCode, text: &str) -> Response<Body> {
    let mut r = Response::new(Body::from(text.to_string()));
    *r.status_mut() = status;
    r
}

async fn metrics(State(app): State<Arc<App>>, headers: HeaderMap) -> Response<Body> {
    if let Some(token) = &app.metrics_token {
        if !bearer_matches(&headers, token) {
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
    let took = started.elapsed();
    app.metrics.record(dialect, response.action, response.error_code.as_deref(), took);
    let caller = &response.caller;
    log::request(&RequestLine {
        request_id: if caller.request_id.is_empty() { "-" } else { &caller.request_id },
        account: caller.account.as_deref().unwrap_or("-"),
        dialect: dialect.name(),
        service: caller.service.unwrap_or("-"),
        action: response.action.unwrap_or("unknown"),
        code: response.error_code.as_deref().unwrap_or("Success"),
        status: response.status,
        latency: took,
    });
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
pub fn services(cfg: &config::Resolved) -> Result<(Services, secret_key::Source), String> {
    services_on(cfg, None)
}

/// Opens the store (PostgreSQL when `database_url` is given, else the embedded SQLite store under
/// the data directory), loads the secret key and builds the services for resolved settings;
/// [`accounts::prepare`] then checks the key against the store.
pub fn services_on(
    cfg: &config::Resolved,
    database_url: Option<&str>,
) -> Result<(Services, secret_key::Source), String> {
    let store = Store::open(&cfg.data_dir, database_url).map_err(|e| format!("opening the store: {e}"))?;
    let env = std::env::var(secret_key::ENV).ok();
    let (key, source) = secret_key::load(&cfg.data_dir, cfg.secret_key_file.as_deref(), env)?;
    let settings = Settings { transition_delay_ms: cfg.transition_delay_ms, ..Settings::default() };
    let limits = RateLimits::new(cfg.rate_limits.enabled, cfg.rate_limits.overrides.clone());
    Ok((Services::new(store, cfg.catalog.clone(), settings, limits, key), source))
}

/// `eniplane serve`.
pub fn serve(args: ServeArgs) -> Result<(), String> {
    let (cfg, database_url) = config::resolve_with_database(&args)?;
    log::init(cfg.log_format);
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
    /// The admin API's token and where it came from.
    pub admin_token: token::Token,
    draining: Arc<AtomicBool>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Serving {
    /// Stops accepting (`/readyz` answers 503 from now on), lets open connections finish
    /// (`listener::SHUTDOWN_GRACE`), and returns.
    pub async fn stop(self) {
        self.draining.store(true, Ordering::Relaxed);
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
    let admin_token = token::resolve(cfg.admin_token.as_ref(), &cfg.data_dir)?;
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
    let draining = Arc::new(AtomicBool::new(false));
    let routers = routers(svc, t, &admin_token.value, draining.clone());
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
    Ok(Serving { addr, metrics_addr, https, tls_ca, admin_token, draining, stop, tasks })
}

async fn run(cfg: config::Resolved, database_url: Option<String>) -> Result<(), String> {
    let signalled = shutdown_signal()?;
    let (svc, key_source) = services_on(&cfg, database_url.as_deref())?;
    accounts::prepare(&svc, &key_source).await?;
    if let secret_key::Source::DataDir { path, created: true } = &key_source {
        tracing::info!(file = %path.display(), "created the key that seals access-key secrets; back it up");
    }
    let serving = start(&cfg, svc.clone()).await?;
    let (addr, scheme) = (serving.addr, if serving.https { "https" } else { "http" });
    match svc.store.engine_name() {
        "sqlite" => {
            tracing::info!(%addr, scheme, data_dir = %cfg.data_dir.display(), engine = "sqlite", "eniplane serving")
        }
        engine => tracing::info!(%addr, scheme, engine, "eniplane serving"),
    }
    if let Some(m) = serving.metrics_addr {
        tracing::info!(addr = %m, "metrics and the admin API served on their own listener too");
    }
    if let Some(ca) = &serving.tls_ca {
        println!("HTTPS with a self-signed certificate; clients should trust the CA in {}", ca.display());
    }
    announce_admin_token(&serving.admin_token, svc.store.is_shared());
    let worker = worker::spawn(svc.store.clone());
    signalled.await;
    tracing::info!(
        grace_ms = listener::SHUTDOWN_GRACE.as_millis() as u64,
        "shutting down: no new connections, finishing requests in flight"
    );
    serving.stop().await;
    if !worker.stop(WORKER_STOP_GRACE).await {
        tracing::warn!("the transition worker did not finish its round in time; its transitions stay pending");
    }
    // Writes are committed in order, so once this empty one is, every write queued before it is.
    let flushed = tokio::time::timeout(
        STORE_FLUSH_GRACE,
        svc.store.write(|_tx: &mut dyn Tx| Ok::<_, eniplane_store::StoreError>(())),
    );
    match flushed.await {
        Ok(Ok(())) => tracing::info!("stopped"),
        Ok(Err(e)) => tracing::warn!(error = %e, "stopped; the store refused the last write"),
        Err(_) => tracing::warn!("stopped before the store committed every queued write"),
    }
    Ok(())
}

/// Prints a token this start generated (once: later starts read the file), and warns when
/// replicas on a shared database would not share it.
fn announce_admin_token(t: &token::Token, shared_store: bool) {
    if let token::Origin::DataDir { path, created } = &t.origin {
        if *created {
            println!("Generated the admin token (saved in {}, mode 0600):", path.display());
            println!("export ENIPLANE_ADMIN_TOKEN={}", t.value);
        }
        if shared_store {
            tracing::warn!(
                file = %path.display(),
                "the admin token is this replica's own; give every replica the same --admin-token or ENIPLANE_ADMIN_TOKEN"
            );
        }
    }
}

/// Listens for SIGTERM and SIGINT from now on (so a signal arriving while the server starts is
/// not lost to the default action) and resolves when one arrives.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).map_err(|e| format!("listening for SIGTERM: {e}"))?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| format!("listening for SIGINT: {e}"))?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
    })
}
