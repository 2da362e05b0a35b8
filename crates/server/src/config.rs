//! Command-line flags and the optional TOML config file, merged into the running settings.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use eniplane_core::Catalog;
use serde::Deserialize;

/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4577";
/// Default data directory.
pub const DEFAULT_DATA_DIR: &str = "./eniplane-data";
/// Default transition delay.
pub const DEFAULT_DELAY_MS: i64 = 500;

/// `eniplane serve` flags.
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Data directory of the embedded SQLite store.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL URL (`postgres://USER@HOST:PORT/DB`): run on this shared database instead of
    /// the embedded store, so several replicas serve one control plane.
    #[arg(long, env = "ENIPLANE_DATABASE_URL")]
    pub database_url: Option<String>,
    /// How long asynchronous transitions (attach, detach, start, …) take, in milliseconds.
    #[arg(long)]
    pub transition_delay_ms: Option<i64>,
    /// TOML config file (catalogue, rate limits, defaults).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// File holding the key that seals access-key secrets (base64 of 32 bytes). Without it:
    /// `ENIPLANE_SECRET_KEY`, else `DATA_DIR/secret.key`, created on first start.
    #[arg(long)]
    pub secret_key_file: Option<PathBuf>,
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
    /// Listen address.
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
}

/// Merges flags over the file over defaults.
pub fn resolve(args: &ServeArgs) -> Result<Resolved, String> {
    resolve_with_database(args).map(|(r, _)| r)
}

/// [`resolve`], plus the PostgreSQL URL to run on (flag or `ENIPLANE_DATABASE_URL` over the file;
/// `None` means the embedded store under the data directory).
pub fn resolve_with_database(args: &ServeArgs) -> Result<(Resolved, Option<String>), String> {
    let file = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            toml::from_str::<FileConfig>(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => FileConfig::default(),
    };
    let delay = args.transition_delay_ms.or(file.transition_delay_ms).unwrap_or(DEFAULT_DELAY_MS);
    if !(0..=60_000).contains(&delay) {
        return Err(format!("transition delay {delay} ms is out of range (0 to 60000)"));
    }
    let database_url = args.database_url.clone().or(file.database_url).filter(|u| !u.trim().is_empty());
    let resolved = Resolved {
        listen: args.listen.or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("default address")),
        data_dir: args.data_dir.clone().or(file.data_dir).unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
        transition_delay_ms: delay,
        rate_limits: file.rate_limits,
        catalog: file.catalog.unwrap_or_default(),
        secret_key_file: args.secret_key_file.clone().or(file.secret_key_file),
    };
    Ok((resolved, database_url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_file_and_defaults_apply() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "transition_delay_ms = 900\n[rate_limits]\nenabled = false\n").unwrap();
        let args = ServeArgs {
            listen: None,
            data_dir: None,
            database_url: None,
            transition_delay_ms: Some(100),
            config: Some(path),
            secret_key_file: None,
        };
        let r = resolve(&args).unwrap();
        assert_eq!(r.transition_delay_ms, 100);
        assert!(!r.rate_limits.enabled);
        assert_eq!(r.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(r.catalog.tencent_regions[0].id, "ap-guangzhou");
    }

    #[test]
    fn database_url_flag_wins_over_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "database_url = \"postgres://file@db/x\"\n").unwrap();
        let mut args = ServeArgs {
            listen: None,
            data_dir: None,
            database_url: None,
            transition_delay_ms: None,
            config: Some(path),
            secret_key_file: None,
        };
        assert_eq!(resolve_with_database(&args).unwrap().1.as_deref(), Some("postgres://file@db/x"));
        args.database_url = Some("postgres://flag@db/y".into());
        assert_eq!(resolve_with_database(&args).unwrap().1.as_deref(), Some("postgres://flag@db/y"));
        args.database_url = Some(String::new());
        args.config = None;
        assert_eq!(resolve_with_database(&args).unwrap().1, None, "empty means the embedded store");
    }

    #[test]
    fn bad_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "bogus = 1\n").unwrap();
        let args = ServeArgs {
            listen: None,
            data_dir: None,
            database_url: None,
            transition_delay_ms: None,
            config: Some(path),
            secret_key_file: None,
        };
        assert!(resolve(&args).is_err());
    }
}
