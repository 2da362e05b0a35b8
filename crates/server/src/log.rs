//! The log on stderr and its request lines: one line per API or admin request at info level,
//! as text or JSON (`--log-format`), without ANSI colours unless stderr is a terminal.
//!
//! A request line carries only what the server itself chose or looked up: the time, the
//! `RequestId`, the signer's account id, the dialect, the action's service and name from the
//! action tables (`unknown` for anything else), the answer's code and status and the latency.
//! Nothing the client sent is copied into it: no header (so no `Authorization`), no parameter,
//! no signature, no secret.

use std::io::IsTerminal;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// The `tracing` target of request lines (filter them with `ENIPLANE_LOG=eniplane::request=…`).
pub const REQUEST_TARGET: &str = "eniplane::request";
/// The environment variable holding the log filter (`info` when unset).
pub const FILTER_ENV: &str = "ENIPLANE_LOG";
/// The filter used when [`FILTER_ENV`] is unset or invalid.
pub const DEFAULT_FILTER: &str = "info";

/// One answered request, as the request log shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestLine<'a> {
    /// `RequestId` answered (`-` when there is none).
    pub request_id: &'a str,
    /// The signer's account id (`-` before authentication succeeded).
    pub account: &'a str,
    /// `tencent`, `ens` or `admin`.
    pub dialect: &'a str,
    /// `vpc`, `cvm`, `ens` (`-` when the action is unknown or the request is an admin one).
    pub service: &'a str,
    /// The action, from the action tables (`unknown` otherwise), or the admin endpoint.
    pub action: &'a str,
    /// The answer's error code, or `Success`.
    pub code: &'a str,
    /// HTTP status.
    pub status: u16,
    /// Time from the request's arrival to its answer.
    pub latency: Duration,
}

/// Writes one request line at info level.
pub fn request(line: &RequestLine<'_>) {
    tracing::info!(
        target: REQUEST_TARGET,
        request_id = line.request_id,
        account = line.account,
        dialect = line.dialect,
        service = line.service,
        action = line.action,
        code = line.code,
        status = line.status,
        latency_ms = (line.latency.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
        "request"
    );
}

/// Whether colours may be used: stderr is a terminal and `NO_COLOR` is unset.
pub fn colours_on_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The log filter from [`FILTER_ENV`], else [`DEFAULT_FILTER`].
pub fn filter_from_env() -> EnvFilter {
    EnvFilter::try_from_env(FILTER_ENV).unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER))
}

/// A subscriber writing `format` to `writer`.
pub fn subscriber<W>(
    format: LogFormat,
    ansi: bool,
    filter: EnvFilter,
    writer: W,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer);
    match format {
        LogFormat::Text => Box::new(builder.with_ansi(ansi).finish()),
        LogFormat::Json => Box::new(
            builder.json().flatten_event(true).with_current_span(false).with_span_list(false).with_ansi(false).finish(),
        ),
    }
}

/// Installs the process's log on stderr (once; later calls keep the first).
pub fn init(format: LogFormat) {
    let sub = subscriber(format, colours_on_stderr(), filter_from_env(), std::io::stderr);
    let _ = tracing::subscriber::set_global_default(sub);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::Arc;

    use parking_lot::Mutex;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn line() -> RequestLine<'static> {
        RequestLine {
            request_id: "0f3c1c1e-4b8e-4d0e-9a53-6b1f4c2d9e11",
            account: "100000000001",
            dialect: "tencent",
            service: "vpc",
            action: "DescribeVpcs",
            code: "Success",
            status: 200,
            latency: Duration::from_micros(1_234),
        }
    }

    fn capture(format: LogFormat, ansi: bool) -> String {
        let out = Captured::default();
        let writer = out.clone();
        let sub = subscriber(format, ansi, EnvFilter::new("info"), move || writer.clone());
        tracing::subscriber::with_default(sub, || request(&line()));
        let text = String::from_utf8(out.0.lock().clone()).unwrap();
        text
    }

    #[test]
    fn json_lines_carry_every_field() {
        let text = capture(LogFormat::Json, false);
        assert_eq!(text.lines().count(), 1, "{text}");
        let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(v["level"], "INFO");
        assert_eq!(v["target"], REQUEST_TARGET);
        assert!(v["timestamp"].as_str().is_some_and(|t| t.contains('T')), "{v}");
        for (field, want) in [
            ("request_id", "0f3c1c1e-4b8e-4d0e-9a53-6b1f4c2d9e11"),
            ("account", "100000000001"),
            ("dialect", "tencent"),
            ("service", "vpc"),
            ("action", "DescribeVpcs"),
            ("code", "Success"),
        ] {
            assert_eq!(v[field], want, "{field} in {v}");
        }
        assert_eq!(v["status"], 200);
        assert_eq!(v["latency_ms"], 1.234);
    }

    #[test]
    fn text_lines_without_a_terminal_have_no_colours() {
        let text = capture(LogFormat::Text, false);
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(!text.contains('\u{1b}'), "no escape sequences: {text:?}");
        for part in ["INFO", "request_id=\"0f3c1c1e-", "account=\"100000000001\"", "dialect=\"tencent\""] {
            assert!(text.contains(part), "{part} in {text}");
        }
        for part in ["service=\"vpc\"", "action=\"DescribeVpcs\"", "code=\"Success\"", "status=200", "latency_ms=1.234"]
        {
            assert!(text.contains(part), "{part} in {text}");
        }
        let coloured = capture(LogFormat::Text, true);
        assert!(coloured.contains('\u{1b}'), "colours on a terminal: {coloured:?}");
    }
}
