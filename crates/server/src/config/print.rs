//! `eniplane config print`: the configuration `serve` would run with, given the same flags,
//! environment and config file, each value with where it came from (`flag --…`, `env …`,
//! `file PATH`, `data dir`, `default`). Secrets are never printed: tokens and the root key's
//! secret show as `(set, redacted)`, a database URL's password as `***`.

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, Command};
use serde::Serialize;

use super::{read_file, resolve_from, ServeArgs, TlsSource};
use crate::admin::token;
use crate::secret_key;

/// One line of the output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting {
    /// The config file's key (`http.max_connections`); flags have the same name with dashes.
    pub setting: String,
    /// The effective value, secrets redacted.
    pub value: String,
    /// Where it came from.
    pub source: String,
}

/// What a value is shown as when it is a secret that is set.
pub const REDACTED: &str = "(set, redacted)";

/// Where each setting comes from: the flag or its environment variable (as clap saw them), else
/// the file when it has the key, else the default.
struct Sources<'a> {
    matches: &'a ArgMatches,
    command: Command,
    file: String,
}

impl Sources<'_> {
    fn of(&self, id: &str, in_file: bool) -> String {
        match self.matches.value_source(id) {
            Some(ValueSource::CommandLine) => format!("flag --{}", id.replace('_', "-")),
            Some(ValueSource::EnvVariable) => {
                let env = self.command.get_arguments().find(|a| a.get_id() == id).and_then(|a| a.get_env());
                format!("env {}", env.map(|e| e.to_string_lossy().into_owned()).unwrap_or_default())
            }
            _ if in_file => format!("file {}", self.file),
            _ => "default".into(),
        }
    }
}

/// A PostgreSQL URL or key=value string with its password replaced by `***`.
pub fn redact_database_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        let (authority, tail) = rest.split_once('/').map_or((rest, None), |(a, t)| (a, Some(t)));
        let authority = match authority.rsplit_once('@') {
            Some((user, host)) => match user.split_once(':') {
                Some((name, _password)) => format!("{name}:***@{host}"),
                None => authority.to_string(),
            },
            None => authority.to_string(),
        };
        let tail = tail.map(|t| format!("/{}", redact_password_params(t, '&'))).unwrap_or_default();
        return format!("{scheme}://{authority}{tail}");
    }
    redact_password_params(url, ' ')
}

fn redact_password_params(text: &str, sep: char) -> String {
    let parts: Vec<String> = text
        .split(sep)
        .map(|p| {
            let lower = p.to_ascii_lowercase();
            let at = lower.find("password=");
            match at {
                Some(i) if i == 0 || lower[..i].ends_with('?') => format!("{}password=***", &p[..i]),
                _ => p.to_string(),
            }
        })
        .collect();
    parts.join(&sep.to_string())
}

/// The effective settings for `args` (as parsed into `matches`), in a fixed order.
pub fn explain(args: &ServeArgs, matches: &ArgMatches) -> Result<Vec<Setting>, String> {
    let file = read_file(args)?;
    let (cfg, database_url) = resolve_from(args, file.clone())?;
    let src = Sources {
        matches,
        command: ServeArgs::augment_args(Command::new("serve")),
        file: args.config.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
    };
    let mut out = Vec::new();
    let mut add = |setting: &str, value: String, source: String| {
        out.push(Setting { setting: setting.into(), value, source });
    };
    let t = &cfg.transport;
    let l = &t.limits;
    add("config", args.config.as_ref().map_or("(none)".into(), |p| p.display().to_string()), src.of("config", false));
    add("listen", cfg.listen.to_string(), src.of("listen", file.listen.is_some()));
    add("data_dir", cfg.data_dir.display().to_string(), src.of("data_dir", file.data_dir.is_some()));
    add(
        "database_url",
        database_url.as_deref().map_or("(none: the embedded SQLite store in data_dir)".into(), redact_database_url),
        src.of("database_url", file.database_url.is_some()),
    );
    add(
        "transition_delay_ms",
        cfg.transition_delay_ms.to_string(),
        src.of("transition_delay_ms", file.transition_delay_ms.is_some()),
    );
    add("log.format", cfg.log_format.name().into(), src.of("log_format", file.log.format.is_some()));
    let (filter, filter_source) = match std::env::var(crate::log::FILTER_ENV) {
        Ok(v) if !v.is_empty() => (v, format!("env {}", crate::log::FILTER_ENV)),
        _ => (crate::log::DEFAULT_FILTER.to_string(), "default".to_string()),
    };
    add("log filter", filter, filter_source);
    let (sealing, sealing_source) = sealing_key(&cfg, &src, file.secret_key_file.is_some());
    add("secret_key_file", sealing, sealing_source);
    let (admin, admin_source) = admin_token(&cfg, &src, file.admin.token.is_some());
    add("admin.token", admin, admin_source);
    add(
        "http.max_connections",
        l.max_connections.to_string(),
        src.of("max_connections", file.http.max_connections.is_some()),
    );
    add(
        "http.accept_backlog",
        l.accept_backlog.to_string(),
        src.of("accept_backlog", file.http.accept_backlog.is_some()),
    );
    for (key, id, value, in_file) in [
        (
            "http.header_read_timeout_ms",
            "header_read_timeout_ms",
            l.header_read_timeout,
            file.http.header_read_timeout_ms.is_some(),
        ),
        (
            "http.body_read_timeout_ms",
            "body_read_timeout_ms",
            l.body_read_timeout,
            file.http.body_read_timeout_ms.is_some(),
        ),
        ("http.idle_timeout_ms", "idle_timeout_ms", l.idle_timeout, file.http.idle_timeout_ms.is_some()),
    ] {
        add(key, value.as_millis().to_string(), src.of(id, in_file));
    }
    let (tls, tls_source) = match &t.tls {
        None => ("off (plain HTTP)".to_string(), "default".to_string()),
        Some(TlsSource::SelfSigned) => (
            format!("self-signed, CA in {}", cfg.data_dir.join("tls/ca.pem").display()),
            src.of("tls_self_signed", true),
        ),
        Some(TlsSource::Files { cert, key }) => {
            (format!("cert {} key {}", cert.display(), key.display()), src.of("tls_cert", true))
        }
    };
    add("tls", tls, tls_source);
    let metrics_token = t.metrics.token.as_ref().map_or("(none: /metrics is open)".to_string(), |_| REDACTED.into());
    add("metrics.token", metrics_token, src.of("metrics_token", file.metrics.token.is_some()));
    let metrics_listen = t.metrics.listen.map_or("(none: on the main listener)".into(), |a| a.to_string());
    add("metrics.listen", metrics_listen, src.of("metrics_listen", file.metrics.listen.is_some()));
    let from_file = if args.config.is_some() { format!("file {}", src.file) } else { "default".into() };
    add("rate_limits.enabled", cfg.rate_limits.enabled.to_string(), from_file.clone());
    let mut overrides: Vec<String> = cfg.rate_limits.overrides.iter().map(|(k, v)| format!("{k}={v}")).collect();
    overrides.sort();
    add("rate_limits.overrides", if overrides.is_empty() { "(none)".into() } else { overrides.join(", ") }, from_file);
    let catalog =
        format!("{} Tencent regions, {} ENS regions", cfg.catalog.tencent_regions.len(), cfg.catalog.ens_regions.len());
    add("catalog", catalog, if file.catalog.is_some() { format!("file {}", src.file) } else { "default".into() });
    for (name, secret) in [("ENIPLANE_ROOT_ACCESS_KEY_ID", false), ("ENIPLANE_ROOT_ACCESS_KEY_SECRET", true)] {
        let (value, source) = match std::env::var(name) {
            Ok(v) if !v.is_empty() => (if secret { REDACTED.to_string() } else { v }, format!("env {name}")),
            _ => ("(none: generated at the first start)".to_string(), "default".to_string()),
        };
        add(&format!("first start: {name}"), value, source);
    }
    Ok(out)
}

/// Where the key sealing access-key secrets comes from (never read here).
fn sealing_key(cfg: &super::Resolved, src: &Sources<'_>, in_file: bool) -> (String, String) {
    if let Some(path) = &cfg.secret_key_file {
        return (path.display().to_string(), src.of("secret_key_file", in_file));
    }
    if std::env::var(secret_key::ENV).is_ok_and(|v| !v.trim().is_empty()) {
        return (REDACTED.into(), format!("env {}", secret_key::ENV));
    }
    let path = cfg.data_dir.join(secret_key::FILE_NAME);
    if path.exists() {
        (path.display().to_string(), "data dir".into())
    } else {
        (format!("(none yet: created at the first start as {})", path.display()), "default".into())
    }
}

fn admin_token(cfg: &super::Resolved, src: &Sources<'_>, in_file: bool) -> (String, String) {
    if cfg.admin_token.is_some() {
        return (REDACTED.into(), src.of("admin_token", in_file));
    }
    let path = cfg.data_dir.join(token::TOKEN_FILE);
    match token::read_saved(&cfg.data_dir) {
        Ok(Some(_)) => (format!("{REDACTED}, in {}", path.display()), "data dir".into()),
        Ok(None) => (format!("(none yet: generated at the first start into {})", path.display()), "default".into()),
        Err(e) => (format!("(unreadable: {e})"), "data dir".into()),
    }
}

/// The settings as aligned text.
pub fn render(settings: &[Setting]) -> String {
    let width = |f: fn(&Setting) -> &str| settings.iter().map(|s| f(s).chars().count()).max().unwrap_or(0);
    let (w0, w1) = (width(|s| &s.setting).max(7), width(|s| &s.value).max(5));
    let mut out = format!("{:<w0$}  {:<w1$}  SOURCE\n", "SETTING", "VALUE");
    for s in settings {
        out.push_str(&format!("{:<w0$}  {:<w1$}  {}\n", s.setting, s.value, s.source));
    }
    out
}

/// `eniplane config print`.
pub fn command(args: &ServeArgs, matches: &ArgMatches, as_json: bool) -> Result<(), String> {
    let settings = explain(args, matches)?;
    if as_json {
        println!("{}", serde_json::to_string(&settings).map_err(|e| e.to_string())?);
    } else {
        print!("{}", render(&settings));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::FromArgMatches;

    fn parse(argv: &[&str]) -> (ServeArgs, ArgMatches) {
        let cmd = ServeArgs::augment_args(Command::new("serve"));
        let matches = cmd.try_get_matches_from(std::iter::once("serve").chain(argv.iter().copied())).unwrap();
        (ServeArgs::from_arg_matches(&matches).unwrap(), matches)
    }

    fn find<'a>(all: &'a [Setting], key: &str) -> &'a Setting {
        all.iter().find(|s| s.setting == key).unwrap_or_else(|| panic!("{key} in {all:?}"))
    }

    #[test]
    fn each_value_names_its_source() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("e.toml");
        std::fs::write(
            &file,
            "transition_delay_ms = 900\n[http]\nidle_timeout_ms = 1234\n[metrics]\ntoken = \"file-secret\"\n",
        )
        .unwrap();
        let data = dir.path().join("data");
        let (args, m) = parse(&[
            "--config",
            file.to_str().unwrap(),
            "--listen",
            "4999",
            "--data-dir",
            data.to_str().unwrap(),
            "--admin-token",
            "flag-secret",
        ]);
        let all = explain(&args, &m).unwrap();
        let listen = find(&all, "listen");
        assert_eq!((listen.value.as_str(), listen.source.as_str()), ("127.0.0.1:4999", "flag --listen"));
        assert_eq!(find(&all, "transition_delay_ms").value, "900");
        assert!(find(&all, "transition_delay_ms").source.starts_with("file "), "{all:?}");
        assert_eq!(find(&all, "http.idle_timeout_ms").value, "1234");
        assert_eq!(find(&all, "http.max_connections").source, "default");
        assert_eq!(find(&all, "admin.token").source, "flag --admin-token");
        assert_eq!(find(&all, "metrics.token").value, REDACTED);
        let text = render(&all);
        assert!(!text.contains("flag-secret") && !text.contains("file-secret"), "{text}");
        assert!(!data.exists(), "printing the configuration creates nothing");
    }

    #[test]
    fn the_admin_token_file_and_its_absence_are_told() {
        let dir = tempfile::tempdir().unwrap();
        let (args, m) = parse(&["--data-dir", dir.path().to_str().unwrap()]);
        let before = explain(&args, &m).unwrap();
        assert!(find(&before, "admin.token").value.contains("generated at the first start"));
        token::resolve(None, dir.path()).unwrap();
        let after = explain(&args, &m).unwrap();
        let t = find(&after, "admin.token");
        assert_eq!(t.source, "data dir");
        let saved = token::read_saved(dir.path()).unwrap().unwrap();
        assert!(!t.value.contains(&saved), "{t:?}");
    }

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(redact_database_url("postgres://u:pw@db:5432/x"), "postgres://u:***@db:5432/x");
        assert_eq!(
            redact_database_url("postgres://u@db/x?password=pw&sslmode=off"),
            "postgres://u@db/x?password=***&sslmode=off"
        );
        assert_eq!(redact_database_url("host=db user=u password=pw"), "host=db user=u password=***");
        assert_eq!(
            redact_database_url("postgres://postgres@127.0.0.1:5432/test"),
            "postgres://postgres@127.0.0.1:5432/test"
        );
    }
}
