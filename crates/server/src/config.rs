//! Command-line flags and the optional TOML config file, merged into the running settings;
//! `eniplane config print` ([`print`]) shows the result with each value's source.

pub mod print;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use eniplane_core::Catalog;
use serde::Deserialize;

/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4577";
/// Default data directory.
pub const DEFAULT_DATA_DIR: &str = "./eniplane-data";
/// Default transition delay.
pub const DEFAULT_DELAY_MS: i64 = 500;
/// Default cap on connections served at once (per listener).
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
/// Default length of the kernel's queue of connections not yet accepted.
pub const DEFAULT_ACCEPT_BACKLOG: u32 = 1024;
/// Default time a client has to send a request's headers (TLS handshake included), in ms.
pub const DEFAULT_HEADER_READ_TIMEOUT_MS: u64 = 10_000;
/// Default time a client has to send a request's body, in ms.
pub const DEFAULT_BODY_READ_TIMEOUT_MS: u64 = 30_000;
/// Default time an idle keep-alive connection stays open, in ms.
pub const DEFAULT_IDLE_TIMEOUT_MS: u64 = 60_000;
/// Largest value accepted for any of the timeouts, in ms (one hour).
pub const MAX_TIMEOUT_MS: u64 = 3_600_000;
/// Largest connection cap accepted.
pub const MAX_MAX_CONNECTIONS: usize = 1_000_000;

/// `eniplane serve` flags. Each overrides the config file's entry of the same name, which
/// overrides the default shown in the help (a test keeps the help equal to the constants).
#[derive(Args, Debug, Clone, Default)]
pub struct ServeArgs {
    /// Address to listen on; a bare port means 127.0.0.1:PORT [default: 127.0.0.1:4577]
    #[arg(long, value_parser = parse_listen)]
    pub listen: Option<SocketAddr>,
    /// Data directory of the embedded SQLite store (also holds the admin token and the
    /// self-signed TLS files) [default: ./eniplane-data]
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL URL (`postgres://USER@HOST:PORT/DB`): run on this shared database instead of
    /// the embedded store, so several replicas serve one control plane
    #[arg(long, env = "ENIPLANE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// How long asynchronous transitions (attach, detach, start, …) take, in milliseconds
    /// (0 to 60000) [default: 500]
    #[arg(long)]
    pub transition_delay_ms: Option<i64>,
    /// TOML config file (catalogue, rate limits, connection limits, TLS, …)
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// File holding the key that seals access-key secrets (base64 of 32 bytes). Without it:
    /// `ENIPLANE_SECRET_KEY`, else `DATA_DIR/secret.key`, created on first start
    #[arg(long)]
    pub secret_key_file: Option<PathBuf>,
    /// Request log format on stderr: one line per request [default: text]
    #[arg(long, env = "ENIPLANE_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Bearer token guarding the admin API under /_eniplane/. Without it: the config file's
    /// `[admin] token`, else DATA_DIR/admin.token, generated (and printed) on first start
    #[arg(long, env = "ENIPLANE_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Connection limits, TLS and the `/metrics` guard.
    #[command(flatten)]
    pub transport: TransportArgs,
}

/// How the log (and its request lines) is written on stderr.
#[derive(clap::ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// `time LEVEL target: message key=value …`, coloured only on a terminal.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    /// The name used by the flag and the config file.
    pub fn name(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

/// An address to listen on: `HOST:PORT`, or a bare port meaning `127.0.0.1:PORT`.
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let port: u16 = text.parse().map_err(|_| format!("{text} is not a port (0 to 65535)"))?;
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    text.parse().map_err(|_| format!("{text} is neither HOST:PORT (e.g. 0.0.0.0:4577, [::1]:4577) nor a port"))
}

/// [`parse_listen`] for the config file, which may give a port as a number or a string.
fn listen_from_file<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<SocketAddr>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        Port(u16),
        Addr(String),
    }
    match Option::<Text>::deserialize(d)? {
        None => Ok(None),
        Some(Text::Port(p)) => Ok(Some(SocketAddr::from(([127, 0, 0, 1], p)))),
        Some(Text::Addr(s)) => parse_listen(&s).map(Some).map_err(serde::de::Error::custom),
    }
}

/// The fixed limits of the connection layer and request intake, for `eniplane serve --help`.
pub fn limits_help() -> String {
    use crate::{intake, listener};
    format!(
        "Fixed limits (answered with the dialect's error envelope, Tencent HTTP 200, ENS HTTP 400):\n\
         \x20 request body            {body} bytes (declared or sent; chunked bodies too)\n\
         \x20 header fields           {headers} at most, {header_bytes} bytes in all\n\
         \x20 request target          {target} bytes (path and query)\n\
         Hard limits (a plain HTTP 431): {hard_headers} header fields, {hard_head} bytes of request line and headers.\n\
         Over --max-connections, up to {slots} more connections at a time get the busy error (Tencent\n\
         RequestLimitExceeded, ENS ServiceUnavailable 503, plain 503 on /healthz) within {overflow} ms; the rest are\n\
         closed at once. After a refused body up to {linger} bytes are read and discarded within {linger_ms} ms\n\
         (or until the client pauses {quiet} ms) before the connection closes. On shutdown open connections get {grace} ms to finish.",
        body = eniplane_api::MAX_BODY,
        headers = intake::MAX_HEADERS,
        header_bytes = intake::MAX_HEADER_BYTES,
        target = intake::MAX_TARGET_BYTES,
        hard_headers = listener::HARD_MAX_HEADERS,
        hard_head = listener::HARD_MAX_HEAD_BYTES,
        slots = listener::OVERFLOW_SLOTS,
        overflow = listener::OVERFLOW_DEADLINE.as_millis(),
        linger = listener::LINGER_BYTES,
        linger_ms = listener::LINGER_TIMEOUT.as_millis(),
        quiet = listener::LINGER_QUIET.as_millis(),
        grace = listener::SHUTDOWN_GRACE.as_millis(),
    )
}

/// `eniplane serve` flags of the connection layer. Each overrides the config file's `[http]`,
/// `[tls]` or `[metrics]` entry of the same name; the defaults are in the help text (a test keeps
/// them equal to the constants).
#[derive(Args, Debug, Clone, Default)]
pub struct TransportArgs {
    /// Most connections served at once per listener; more are answered with the dialect's
    /// busy error and closed [default: 512]
    #[arg(long)]
    pub max_connections: Option<usize>,
    /// Length of the kernel's queue of connections not yet accepted [default: 1024]
    #[arg(long)]
    pub accept_backlog: Option<u32>,
    /// Milliseconds a client has to send a request's headers, counted from the connection's
    /// start or its first byte after an idle period (TLS handshake included) [default: 10000]
    #[arg(long)]
    pub header_read_timeout_ms: Option<u64>,
    /// Milliseconds a client has to send a request's body once its headers are in
    /// [default: 30000]
    #[arg(long)]
    pub body_read_timeout_ms: Option<u64>,
    /// Milliseconds an idle keep-alive connection stays open [default: 60000]
    #[arg(long)]
    pub idle_timeout_ms: Option<u64>,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key
    #[arg(long, requires = "tls_key", conflicts_with = "tls_self_signed")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM, PKCS#8, PKCS#1 or SEC1) of --tls-cert
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS with a certificate for localhost and 127.0.0.1 issued by a local CA, both
    /// created under DATA_DIR/tls on first start and reused later; trust DATA_DIR/tls/ca.pem
    #[arg(long)]
    pub tls_self_signed: bool,
    /// Require `Authorization: Bearer TOKEN` on GET /metrics
    #[arg(long, env = "ENIPLANE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Serve /metrics (and the admin API) on this address, plain HTTP; a bare port means
    /// 127.0.0.1:PORT. /metrics then leaves the main port
    #[arg(long, value_parser = parse_listen)]
    pub metrics_listen: Option<SocketAddr>,
}

/// Rate limit settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Whether limits apply at all.
    pub enabled: bool,
    /// Per-action overrides, keyed `vpc:Action`, `cvm:Action` or `ens:Action`.
    pub overrides: HashMap<String, u32>,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self { enabled: true, overrides: HashMap::new() }
    }
}

/// The config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    /// Listen address (a bare port means 127.0.0.1:PORT).
    #[serde(deserialize_with = "listen_from_file")]
    pub listen: Option<SocketAddr>,
    /// Data directory.
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL URL; the embedded store is used when absent.
    pub database_url: Option<String>,
    /// Transition delay.
    pub transition_delay_ms: Option<i64>,
    /// Rate limits.
    pub rate_limits: RateLimitConfig,
    /// Catalogue overrides (regions, zones, instance types, quotas).
    pub catalog: Option<Catalog>,
    /// File holding the key that seals access-key secrets.
    pub secret_key_file: Option<PathBuf>,
    /// Connection limits (`[http]`).
    pub http: HttpFile,
    /// HTTPS (`[tls]`).
    pub tls: TlsFile,
    /// The `/metrics` guard (`[metrics]`).
    pub metrics: MetricsFile,
    /// The log (`[log]`).
    pub log: LogFile,
    /// The admin API (`[admin]`).
    pub admin: AdminFile,
}

/// `[log]`: `format = "text" | "json"`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogFile {
    pub format: Option<LogFormat>,
}

/// `[admin]`: `token`.
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminFile {
    pub token: Option<String>,
}

impl std::fmt::Debug for AdminFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminFile").field("token", &self.token.as_ref().map(|_| "…")).finish()
    }
}

/// `[http]`: connection limits, as the flags of the same name.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpFile {
    pub max_connections: Option<usize>,
    pub accept_backlog: Option<u32>,
    pub header_read_timeout_ms: Option<u64>,
    pub body_read_timeout_ms: Option<u64>,
    pub idle_timeout_ms: Option<u64>,
}

/// `[tls]`: `cert` + `key`, or `self_signed = true`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsFile {
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub self_signed: bool,
}

/// `[metrics]`: `token` and/or `listen`.
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsFile {
    pub token: Option<String>,
    #[serde(deserialize_with = "listen_from_file")]
    pub listen: Option<SocketAddr>,
}

impl std::fmt::Debug for MetricsFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsFile")
            .field("token", &self.token.as_ref().map(|_| "…"))
            .field("listen", &self.listen)
            .finish()
    }
}

/// The connection layer's limits (see `docs/ARCHITECTURE.md`, "Connections").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Connections served at once per listener.
    pub max_connections: usize,
    /// Kernel accept queue length.
    pub accept_backlog: u32,
    /// Time for a request's headers (and the TLS handshake).
    pub header_read_timeout: Duration,
    /// Time for a request's body.
    pub body_read_timeout: Duration,
    /// Time an idle keep-alive connection stays open.
    pub idle_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            accept_backlog: DEFAULT_ACCEPT_BACKLOG,
            header_read_timeout: Duration::from_millis(DEFAULT_HEADER_READ_TIMEOUT_MS),
            body_read_timeout: Duration::from_millis(DEFAULT_BODY_READ_TIMEOUT_MS),
            idle_timeout: Duration::from_millis(DEFAULT_IDLE_TIMEOUT_MS),
        }
    }
}

/// Where the HTTPS certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    /// Operator-provided PEM files.
    Files { cert: PathBuf, key: PathBuf },
    /// A local CA and certificate under `DATA_DIR/tls`, created on first start.
    SelfSigned,
}

/// How `/metrics` is guarded.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct MetricsGuard {
    /// Bearer token required on `/metrics`.
    pub token: Option<String>,
    /// Separate listener for `/metrics` (then absent from the main port).
    pub listen: Option<SocketAddr>,
}

impl std::fmt::Debug for MetricsGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsGuard")
            .field("token", &self.token.as_ref().map(|_| "…"))
            .field("listen", &self.listen)
            .finish()
    }
}

/// The connection layer's resolved settings.
#[derive(Debug, Clone, Default)]
pub struct Transport {
    pub limits: HttpLimits,
    /// HTTPS on the main listener when set.
    pub tls: Option<TlsSource>,
    pub metrics: MetricsGuard,
}

/// Everything `serve` runs with.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub transition_delay_ms: i64,
    pub rate_limits: RateLimitConfig,
    pub catalog: Catalog,
    /// `--secret-key-file` (or the config file's `secret_key_file`); see [`crate::secret_key`].
    pub secret_key_file: Option<PathBuf>,
    /// Connection limits, TLS, `/metrics` guard.
    pub transport: Transport,
    /// Format of the log on stderr.
    pub log_format: LogFormat,
    /// The admin token given by flag, environment or file; `None` means the one in
    /// `DATA_DIR/admin.token` (see [`crate::admin::token`]).
    pub admin_token: Option<AdminToken>,
}

/// An operator-given admin token (never printed by `Debug`).
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken(pub String);

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(…)")
    }
}

impl Resolved {
    /// Defaults for everything, listening on `listen` with the embedded store in `data_dir`
    /// (what the tests start from).
    pub fn new(listen: SocketAddr, data_dir: PathBuf) -> Self {
        Self {
            listen,
            data_dir,
            transition_delay_ms: DEFAULT_DELAY_MS,
            rate_limits: RateLimitConfig::default(),
            catalog: Catalog::default(),
            secret_key_file: None,
            transport: Transport::default(),
            log_format: LogFormat::default(),
            admin_token: None,
        }
    }
}

/// Merges flags over the file over defaults.
pub fn resolve(args: &ServeArgs) -> Result<Resolved, String> {
    resolve_with_database(args).map(|(r, _)| r)
}

/// [`resolve`], plus the PostgreSQL URL to run on (flag or `ENIPLANE_DATABASE_URL` over the file;
/// `None` means the embedded store under the data directory).
pub fn resolve_with_database(args: &ServeArgs) -> Result<(Resolved, Option<String>), String> {
    resolve_from(args, read_file(args)?)
}

/// The config file `--config` names, or an empty one.
pub fn read_file(args: &ServeArgs) -> Result<FileConfig, String> {
    match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            toml::from_str::<FileConfig>(&text).map_err(|e| format!("{}: {e}", path.display()))
        }
        None => Ok(FileConfig::default()),
    }
}

/// Merges `args` over `file` over the defaults.
pub fn resolve_from(args: &ServeArgs, file: FileConfig) -> Result<(Resolved, Option<String>), String> {
    let delay = args.transition_delay_ms.or(file.transition_delay_ms).unwrap_or(DEFAULT_DELAY_MS);
    if !(0..=60_000).contains(&delay) {
        return Err(format!("transition delay {delay} ms is out of range (0 to 60000)"));
    }
    let database_url = args.database_url.clone().or(file.database_url).filter(|u| !u.trim().is_empty());
    let listen = args.listen.or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("default address"));
    let transport = resolve_transport(&args.transport, &file.http, &file.tls, &file.metrics, listen)?;
    let admin_token = args.admin_token.clone().or(file.admin.token).map(AdminToken);
    if let Some(t) = &admin_token {
        check_token("admin token", &t.0)?;
    }
    let resolved = Resolved {
        listen,
        data_dir: args.data_dir.clone().or(file.data_dir).unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
        transition_delay_ms: delay,
        rate_limits: file.rate_limits,
        catalog: file.catalog.unwrap_or_default(),
        secret_key_file: args.secret_key_file.clone().or(file.secret_key_file),
        transport,
        log_format: args.log_format.or(file.log.format).unwrap_or_default(),
        admin_token,
    };
    Ok((resolved, database_url))
}

/// A bearer token must be non-empty printable ASCII without spaces (it travels in a header).
fn check_token(what: &str, token: &str) -> Result<(), String> {
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!("the {what} must be non-empty printable ASCII without spaces"));
    }
    Ok(())
}

fn timeout(name: &str, flag: Option<u64>, file: Option<u64>, default: u64) -> Result<Duration, String> {
    let ms = flag.or(file).unwrap_or(default);
    if !(1..=MAX_TIMEOUT_MS).contains(&ms) {
        return Err(format!("{name} {ms} ms is out of range (1 to {MAX_TIMEOUT_MS})"));
    }
    Ok(Duration::from_millis(ms))
}

/// Merges the connection-layer flags over the file's `[http]`, `[tls]` and `[metrics]`.
fn resolve_transport(
    args: &TransportArgs,
    http: &HttpFile,
    tls: &TlsFile,
    metrics: &MetricsFile,
    listen: SocketAddr,
) -> Result<Transport, String> {
    let max_connections = args.max_connections.or(http.max_connections).unwrap_or(DEFAULT_MAX_CONNECTIONS);
    if !(1..=MAX_MAX_CONNECTIONS).contains(&max_connections) {
        return Err(format!("max_connections {max_connections} is out of range (1 to {MAX_MAX_CONNECTIONS})"));
    }
    let accept_backlog = args.accept_backlog.or(http.accept_backlog).unwrap_or(DEFAULT_ACCEPT_BACKLOG);
    if !(1..=65_535).contains(&accept_backlog) {
        return Err(format!("accept_backlog {accept_backlog} is out of range (1 to 65535)"));
    }
    let limits = HttpLimits {
        max_connections,
        accept_backlog,
        header_read_timeout: timeout(
            "header_read_timeout",
            args.header_read_timeout_ms,
            http.header_read_timeout_ms,
            DEFAULT_HEADER_READ_TIMEOUT_MS,
        )?,
        body_read_timeout: timeout(
            "body_read_timeout",
            args.body_read_timeout_ms,
            http.body_read_timeout_ms,
            DEFAULT_BODY_READ_TIMEOUT_MS,
        )?,
        idle_timeout: timeout("idle_timeout", args.idle_timeout_ms, http.idle_timeout_ms, DEFAULT_IDLE_TIMEOUT_MS)?,
    };
    let tls = match (&args.tls_cert, &args.tls_key, args.tls_self_signed) {
        (Some(cert), Some(key), _) => Some(TlsSource::Files { cert: cert.clone(), key: key.clone() }),
        (None, None, true) => Some(TlsSource::SelfSigned),
        (None, None, false) => match (&tls.cert, &tls.key, tls.self_signed) {
            (Some(_), Some(_), true) => return Err("[tls]: give cert and key, or self_signed, not both".into()),
            (Some(cert), Some(key), false) => Some(TlsSource::Files { cert: cert.clone(), key: key.clone() }),
            (None, None, true) => Some(TlsSource::SelfSigned),
            (None, None, false) => None,
            _ => return Err("[tls]: cert and key go together".into()),
        },
        _ => return Err("--tls-cert and --tls-key go together".into()),
    };
    let token = args.metrics_token.clone().or_else(|| metrics.token.clone());
    if let Some(t) = &token {
        check_token("metrics token", t)?;
    }
    let metrics_listen = args.metrics_listen.or(metrics.listen);
    if metrics_listen.is_some_and(|m| m == listen && m.port() != 0) {
        return Err(format!("the metrics listener {listen} must differ from the main one"));
    }
    Ok(Transport { limits, tls, metrics: MetricsGuard { token, listen: metrics_listen } })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(config: Option<PathBuf>) -> ServeArgs {
        ServeArgs { config, ..ServeArgs::default() }
    }

    fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn flags_win_over_file_and_defaults_apply() {
        let (_dir, path) = file("transition_delay_ms = 900\n[rate_limits]\nenabled = false\n");
        let args = ServeArgs { transition_delay_ms: Some(100), ..args(Some(path)) };
        let r = resolve(&args).unwrap();
        assert_eq!(r.transition_delay_ms, 100);
        assert!(!r.rate_limits.enabled);
        assert_eq!(r.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(r.catalog.tencent_regions[0].id, "ap-guangzhou");
        assert_eq!(r.transport.limits, HttpLimits::default());
        assert_eq!(r.transport.tls, None);
        assert_eq!(r.transport.metrics, MetricsGuard::default());
    }

    #[test]
    fn a_bare_port_listens_on_loopback() {
        assert_eq!(parse_listen("4577").unwrap(), "127.0.0.1:4577".parse::<SocketAddr>().unwrap());
        assert_eq!(parse_listen("0.0.0.0:80").unwrap(), "0.0.0.0:80".parse::<SocketAddr>().unwrap());
        assert_eq!(parse_listen("[::1]:9").unwrap(), "[::1]:9".parse::<SocketAddr>().unwrap());
        assert!(parse_listen("65536").is_err());
        assert!(parse_listen("localhost").is_err());
        let (_dir, path) = file("listen = 4600\n[metrics]\nlisten = \"9100\"\n");
        let r = resolve(&args(Some(path))).unwrap();
        assert_eq!(r.listen.to_string(), "127.0.0.1:4600");
        assert_eq!(r.transport.metrics.listen, Some("127.0.0.1:9100".parse().unwrap()));
    }

    #[test]
    fn log_format_and_admin_token_come_from_flags_over_file() {
        let (_dir, path) = file("[log]\nformat = \"json\"\n[admin]\ntoken = \"from-file\"\n");
        let mut a = args(Some(path));
        let r = resolve(&a).unwrap();
        assert_eq!(r.log_format, LogFormat::Json);
        assert_eq!(r.admin_token, Some(AdminToken("from-file".into())));
        assert!(!format!("{r:?}").contains("from-file"), "Debug hides the token");
        a.log_format = Some(LogFormat::Text);
        a.admin_token = Some("from-flag".into());
        let r = resolve(&a).unwrap();
        assert_eq!((r.log_format, r.admin_token), (LogFormat::Text, Some(AdminToken("from-flag".into()))));
        a.admin_token = Some("has space".into());
        assert!(resolve(&a).is_err());
        assert_eq!(resolve(&args(None)).unwrap().admin_token, None);
    }

    #[test]
    fn database_url_flag_wins_over_file() {
        let (_dir, path) = file("database_url = \"postgres://file@db/x\"\n");
        let mut args = args(Some(path));
        assert_eq!(resolve_with_database(&args).unwrap().1.as_deref(), Some("postgres://file@db/x"));
        args.database_url = Some("postgres://flag@db/y".into());
        assert_eq!(resolve_with_database(&args).unwrap().1.as_deref(), Some("postgres://flag@db/y"));
        args.database_url = Some(String::new());
        args.config = None;
        assert_eq!(resolve_with_database(&args).unwrap().1, None, "empty means the embedded store");
    }

    #[test]
    fn bad_file_is_an_error() {
        let (_dir, path) = file("bogus = 1\n");
        assert!(resolve(&args(Some(path))).is_err());
        let (_dir, path) = file("[http]\nmax_conections = 3\n");
        assert!(resolve(&args(Some(path))).is_err(), "a misspelled [http] key is refused");
    }

    #[test]
    fn http_limits_come_from_flags_over_file() {
        let (_dir, path) = file(
            "[http]\nmax_connections = 7\naccept_backlog = 9\nheader_read_timeout_ms = 1500\n\
             body_read_timeout_ms = 2500\nidle_timeout_ms = 3500\n",
        );
        let mut a = args(Some(path));
        let r = resolve(&a).unwrap().transport.limits;
        assert_eq!(
            r,
            HttpLimits {
                max_connections: 7,
                accept_backlog: 9,
                header_read_timeout: Duration::from_millis(1500),
                body_read_timeout: Duration::from_millis(2500),
                idle_timeout: Duration::from_millis(3500),
            }
        );
        a.transport.max_connections = Some(70);
        a.transport.idle_timeout_ms = Some(100);
        let r = resolve(&a).unwrap().transport.limits;
        assert_eq!((r.max_connections, r.accept_backlog, r.idle_timeout), (70, 9, Duration::from_millis(100)));
    }

    #[test]
    fn http_limits_out_of_range_are_refused() {
        for bad in [
            TransportArgs { max_connections: Some(0), ..Default::default() },
            TransportArgs { accept_backlog: Some(0), ..Default::default() },
            TransportArgs { header_read_timeout_ms: Some(0), ..Default::default() },
            TransportArgs { body_read_timeout_ms: Some(MAX_TIMEOUT_MS + 1), ..Default::default() },
            TransportArgs { idle_timeout_ms: Some(0), ..Default::default() },
        ] {
            let a = ServeArgs { transport: bad.clone(), ..args(None) };
            assert!(resolve(&a).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tls_and_metrics_settings() {
        let (_dir, path) =
            file("[tls]\nself_signed = true\n[metrics]\ntoken = \"s3cret\"\nlisten = \"127.0.0.1:9100\"\n");
        let mut a = args(Some(path));
        let t = resolve(&a).unwrap().transport;
        assert_eq!(t.tls, Some(TlsSource::SelfSigned));
        assert_eq!(t.metrics.token.as_deref(), Some("s3cret"));
        assert_eq!(t.metrics.listen, Some("127.0.0.1:9100".parse().unwrap()));
        assert!(!format!("{t:?}").contains("s3cret"), "the token is not printed");
        a.transport.tls_cert = Some("c.pem".into());
        a.transport.tls_key = Some("k.pem".into());
        a.transport.metrics_token = Some("flag".into());
        let t = resolve(&a).unwrap().transport;
        assert_eq!(t.tls, Some(TlsSource::Files { cert: "c.pem".into(), key: "k.pem".into() }));
        assert_eq!(t.metrics.token.as_deref(), Some("flag"));
        a.transport.metrics_token = Some("two words".into());
        assert!(resolve(&a).is_err());
        a.transport.metrics_token = None;
        a.transport.metrics_listen = Some(DEFAULT_LISTEN.parse().unwrap());
        assert!(resolve(&a).is_err(), "metrics on the main address");
        let (_dir, path) = file("[tls]\ncert = \"c.pem\"\n");
        assert!(resolve(&args(Some(path))).is_err(), "cert without key");
    }
}
