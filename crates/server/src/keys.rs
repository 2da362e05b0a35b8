//! `eniplane account list|show` and `eniplane key create|list|disable|enable|delete`: accounts
//! and their access keys, on the embedded store of a data directory or on PostgreSQL, while the
//! server runs or not. A disabled or deleted key stops signing on every running server within
//! the credential cache's lifetime (`eniplane_api::credentials::CACHE_TTL`).

use std::path::{Path, PathBuf};

use clap::Args;
use eniplane_auth::secrets::SecretKey;
use eniplane_auth::Secret;
use eniplane_core::model::{AccessKey, Account};
use eniplane_core::ops::accounts;
use eniplane_core::{time, Error};
use eniplane_store::{Store, Tx};
use serde_json::{json, Value};

use crate::accounts::{new_key, prepare_blocking, read_policy};
use crate::config::DEFAULT_DATA_DIR;
use crate::secret_key;

/// Which store a command works on.
#[derive(Args, Debug, Clone)]
pub struct StoreArgs {
    /// Data directory of the embedded store
    #[arg(long, default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// PostgreSQL URL of a shared store (instead of the embedded one)
    #[arg(long, env = "ENIPLANE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// File holding the key that seals access-key secrets (as for `serve`; read only by the
    /// commands that make or show a secret) [default: ENIPLANE_SECRET_KEY, else DATA_DIR/secret.key]
    #[arg(long)]
    pub secret_key_file: Option<PathBuf>,
}

/// The embedded store's file in a data directory.
const SQLITE_FILE: &str = "eniplane.db";

impl StoreArgs {
    /// Opens the store; an embedded one must exist already (a typo in `--data-dir` is not
    /// answered with an empty store).
    pub fn open(&self) -> Result<Store, String> {
        let url = self.database_url.as_deref().filter(|u| !u.trim().is_empty());
        if url.is_none() && !self.data_dir.join(SQLITE_FILE).is_file() {
            return Err(format!(
                "no store in {} (start `eniplane serve` there first, or give --data-dir or --database-url)",
                self.data_dir.display()
            ));
        }
        Store::open(&self.data_dir, url).map_err(|e| e.to_string())
    }

    /// [`StoreArgs::open`], plus the key that seals the store's secrets, checked against it.
    fn open_sealed(&self) -> Result<(Store, SecretKey), String> {
        let store = self.open()?;
        let env = std::env::var(secret_key::ENV).ok();
        let (key, source) = secret_key::load(&self.data_dir, self.secret_key_file.as_deref(), env)?;
        prepare_blocking(&store, &key, &source)?;
        Ok((store, key))
    }
}

fn read<R: Send + 'static>(
    store: &Store,
    f: impl FnMut(&mut dyn Tx) -> Result<R, Error> + Send + 'static,
) -> Result<R, String> {
    store.read_blocking(f).map_err(|e: Error| e.to_string())
}

fn write<R: Send + 'static>(
    store: &Store,
    f: impl FnMut(&mut dyn Tx) -> Result<R, Error> + Send + 'static,
) -> Result<R, String> {
    store.write_blocking(f).map_err(|e: Error| e.to_string())
}

fn account_named(store: &Store, name: &str) -> Result<Account, String> {
    let wanted = name.to_string();
    read(store, move |tx| accounts::by_name(tx, &wanted))?.ok_or_else(|| format!("no account named {name}"))
}

/// A key as the commands show it; its plain secret only when given.
fn key_json(key: &AccessKey, account: &Account, secret: Option<&Secret>) -> Value {
    let mut v = json!({
        "access_key_id": key.id,
        "account_id": account.id,
        "account": account.name,
        "status": if key.disabled { "disabled" } else { "enabled" },
        "policies": key.policies.len(),
        "created_at": rfc3339(key.created_at),
    });
    if let Some(secret) = secret {
        v["access_key_secret"] = Value::String(secret.expose().to_string());
    }
    v
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn key_line(k: &Value) -> String {
    let mut line = format!(
        "{}  {:<8}  created {}  policies {}",
        k["access_key_id"].as_str().unwrap_or(""),
        k["status"].as_str().unwrap_or(""),
        k["created_at"].as_str().unwrap_or(""),
        k["policies"]
    );
    if let Some(secret) = k["access_key_secret"].as_str() {
        line.push_str(&format!("  secret {secret}"));
    }
    line
}

/// `eniplane account list`.
pub fn account_list(at: &StoreArgs, as_json: bool) -> Result<(), String> {
    let store = at.open()?;
    let rows = read(&store, |tx| {
        let mut rows = Vec::new();
        for a in accounts::list(tx)? {
            let keys = accounts::keys_of(tx, &a.id)?;
            rows.push((a, keys.len(), keys.iter().filter(|k| !k.disabled).count()));
        }
        Ok(rows)
    })?;
    if as_json {
        let list: Vec<Value> = rows
            .iter()
            .map(|(a, keys, enabled)| {
                json!({"account_id": a.id, "name": a.name, "created_at": rfc3339(a.created_at), "keys": keys, "enabled_keys": enabled})
            })
            .collect();
        println!("{}", Value::Array(list));
        return Ok(());
    }
    println!("{:<24} {:<14} {:<22} KEYS (ENABLED)", "NAME", "ACCOUNT ID", "CREATED");
    for (a, keys, enabled) in &rows {
        println!("{:<24} {:<14} {:<22} {keys} ({enabled})", a.name, a.id, rfc3339(a.created_at));
    }
    Ok(())
}

/// `eniplane account show NAME [--show-secret]`.
pub fn account_show(at: &StoreArgs, name: &str, show_secret: bool, as_json: bool) -> Result<(), String> {
    let (store, sealing) = match show_secret {
        true => at.open_sealed().map(|(s, k)| (s, Some(k)))?,
        false => (at.open()?, None),
    };
    let account = account_named(&store, name)?;
    let id = account.id.clone();
    let keys = read(&store, move |tx| accounts::keys_of(tx, &id))?;
    let mut shown = Vec::with_capacity(keys.len());
    for k in &keys {
        let secret = match &sealing {
            Some(sealing) => Some(sealing.open(&k.id, &k.secret).map_err(|e| format!("access key {}: {e}", k.id))?),
            None => None,
        };
        shown.push(key_json(k, &account, secret.as_ref()));
    }
    let keys = shown;
    if as_json {
        let v = json!({"account_id": account.id, "name": account.name, "created_at": rfc3339(account.created_at), "keys": keys});
        println!("{v}");
        return Ok(());
    }
    println!("account {} ({}), created {}", account.name, account.id, rfc3339(account.created_at));
    for k in &keys {
        println!("  {}", key_line(k));
    }
    if keys.is_empty() {
        println!("  no access keys (eniplane key create {name})");
    }
    Ok(())
}

/// `eniplane key create ACCOUNT [--policy FILE]`: a new pair for the account, printed once here
/// (`account show --show-secret` shows it again).
pub fn key_create(at: &StoreArgs, account: &str, policy: Option<&Path>, as_json: bool) -> Result<(), String> {
    let policies = match policy {
        Some(path) => vec![read_policy(path)?],
        None => Vec::new(),
    };
    let (store, sealing) = at.open_sealed()?;
    let owner = account_named(&store, account)?;
    let id = owner.id.clone();
    let (key_id, secret, sealed) = new_key(&sealing, None);
    let key = write(&store, move |tx| {
        let key = accounts::add_key(tx, &id, &key_id, &sealed, time::now_ms())?;
        match policies.is_empty() {
            true => Ok(key),
            false => accounts::set_policies(tx, &key.id, policies.clone()),
        }
    })?;
    if as_json {
        println!("{}", key_json(&key, &owner, Some(&secret)));
    } else {
        println!("access key id:     {}", key.id);
        println!("access key secret: {}", secret.expose());
    }
    Ok(())
}

/// `eniplane key list ACCOUNT`.
pub fn key_list(at: &StoreArgs, account: &str, as_json: bool) -> Result<(), String> {
    let store = at.open()?;
    let owner = account_named(&store, account)?;
    let id = owner.id.clone();
    let keys = read(&store, move |tx| accounts::keys_of(tx, &id))?;
    let keys: Vec<Value> = keys.iter().map(|k| key_json(k, &owner, None)).collect();
    if as_json {
        println!("{}", Value::Array(keys));
    } else {
        for k in &keys {
            println!("{}", key_line(k));
        }
    }
    Ok(())
}

/// `eniplane key disable KEY_ID` / `eniplane key enable KEY_ID`.
pub fn key_set_disabled(at: &StoreArgs, key_id: &str, disabled: bool) -> Result<(), String> {
    let store = at.open()?;
    let id = key_id.to_string();
    let key = write(&store, move |tx| accounts::set_key_disabled(tx, &id, disabled))?;
    println!("access key {} {}", key.id, if key.disabled { "disabled" } else { "enabled" });
    Ok(())
}

/// `eniplane key delete KEY_ID`.
pub fn key_delete(at: &StoreArgs, key_id: &str) -> Result<(), String> {
    let store = at.open()?;
    let id = key_id.to_string();
    let key = write(&store, move |tx| accounts::delete_key(tx, &id))?;
    println!("access key {} deleted", key.id);
    Ok(())
}
