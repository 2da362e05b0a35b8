//! Accounts from the command line and at start-up: the check that the secret key given is the one
//! the store's secrets are sealed with (sealing any left in plain text by older versions), the
//! default account a first start creates, and `account create`.

use std::path::Path;

use eniplane_api::Services;
use eniplane_auth::policy::{Policy, MAX_DOCUMENT_BYTES};
use eniplane_auth::secrets::{SealedSecret, SecretKey};
use eniplane_auth::Secret;
use eniplane_core::model::{AccessKey, Account};
use eniplane_core::ops::accounts;
use eniplane_core::{ids, repo, time, Error};
use eniplane_store::{Record, Store, StoreError, Tx};
use serde::{Deserialize, Serialize};

use crate::secret_key;

/// Name of the account a first start creates.
pub const DEFAULT_ACCOUNT: &str = "default";
/// The variable the first start tells the user to set to the default key's id (the README's
/// examples read it).
pub const KEY_ID_ENV: &str = "ENIPLANE_ACCESS_KEY_ID";
/// The variable the first start tells the user to set to the default key's secret.
pub const KEY_SECRET_ENV: &str = "ENIPLANE_ACCESS_KEY_SECRET";

/// Store kind and id of the record that tells which key sealed the store's secrets.
const CHECK_KIND: &str = "secret_key_check";
const CHECK_ID: &str = "check";

/// The record beside the sealed secrets: the fingerprint of the key that sealed them (to name it
/// in messages) and a value only that key opens.
#[derive(Serialize, Deserialize)]
struct SealCheck {
    fingerprint: String,
    check: SealedSecret,
}

/// Why the start-up check failed.
enum OpenError {
    Store(Error),
    WrongKey(String),
}

impl From<StoreError> for OpenError {
    fn from(e: StoreError) -> Self {
        OpenError::Store(e.into())
    }
}

impl From<Error> for OpenError {
    fn from(e: Error) -> Self {
        OpenError::Store(e)
    }
}

fn corrupt(e: impl std::fmt::Display) -> OpenError {
    OpenError::Store(StoreError::Corrupt(e.to_string()).into())
}

/// One transaction: with a check record, the key must open it; without one (a store from before
/// sealing, or a new one), every sealed secret must open and the record is written. Either way
/// every secret still in plain text (left by an older version) is sealed. Returns how many were
/// sealed now. Reads every access key once per start.
fn check_or_seal(tx: &mut dyn Tx, key: &SecretKey) -> Result<usize, OpenError> {
    let checked = match tx.get(CHECK_KIND, CHECK_ID)? {
        Some(rec) => {
            let stored: SealCheck = serde_json::from_str(&rec.body).map_err(corrupt)?;
            if !key.opens_check(&stored.check) {
                return Err(OpenError::WrongKey(stored.fingerprint));
            }
            true
        }
        None => false,
    };
    let mut sealed = 0;
    for mut k in accounts::all_keys(tx)? {
        if k.secret.is_sealed() && checked {
            continue;
        }
        match key.open(&k.id, &k.secret) {
            Ok(plain) if !k.secret.is_sealed() => {
                k.secret = key.seal(&k.id, &plain);
                repo::save_access_key(tx, &k)?;
                sealed += 1;
            }
            Ok(_) => {}
            Err(_) => return Err(OpenError::WrongKey("unknown (no check record)".into())),
        }
    }
    if !checked {
        let check = SealCheck { fingerprint: key.fingerprint(), check: key.check_value() };
        let body = serde_json::to_string(&check).map_err(corrupt)?;
        let rec =
            Record { kind: CHECK_KIND.into(), id: CHECK_ID.into(), account: String::new(), scope: String::new(), body };
        tx.insert(&rec)?;
    }
    Ok(sealed)
}

fn explain(e: OpenError, key: &SecretKey, source: &secret_key::Source) -> String {
    match e {
        OpenError::Store(e) => format!("checking the secret key against the store: {e}"),
        OpenError::WrongKey(sealed_with) => format!(
            "the secret key from {source} (fingerprint {}) is not the one this store's access-key secrets are \
             sealed with (fingerprint {sealed_with}); start with that key (--secret-key-file, {} or {} in the \
             data directory); every replica of one database needs the same key",
            key.fingerprint(),
            secret_key::ENV,
            secret_key::FILE_NAME,
        ),
    }
}

fn report(sealed: usize, source: &secret_key::Source) {
    if sealed > 0 {
        tracing::info!(sealed, key = %source, "sealed access-key secrets that were stored in plain text");
    }
}

/// Start-up: checks the key against the store (sealing plain-text secrets of older versions),
/// then creates the default account on a store without accounts.
pub async fn prepare(svc: &Services, source: &secret_key::Source) -> Result<(), String> {
    let key = svc.credentials.secret_key().clone();
    let k = key.clone();
    let sealed = svc.store.write(move |tx: &mut dyn Tx| check_or_seal(tx, &k)).await;
    report(sealed.map_err(|e| explain(e, &key, source))?, source);
    ensure_default(svc).await
}

/// [`prepare`]'s check for callers outside an async runtime.
pub(crate) fn prepare_blocking(store: &Store, key: &SecretKey, source: &secret_key::Source) -> Result<(), String> {
    let k = key.clone();
    let sealed = store.write_blocking(move |tx: &mut dyn Tx| check_or_seal(tx, &k));
    report(sealed.map_err(|e| explain(e, key, source))?, source);
    Ok(())
}

/// A fresh key pair, or `given` (the root keys from the environment), with the secret sealed.
pub(crate) fn new_key(key: &SecretKey, given: Option<(String, Secret)>) -> (String, Secret, SealedSecret) {
    let (id, secret) = given.unwrap_or_else(|| {
        let (id, secret) = ids::access_key();
        (id, Secret::from(secret))
    });
    let sealed = key.seal(&id, &secret);
    (id, secret, sealed)
}

/// The write that creates an account, its key and the key's policies.
fn create_in(
    name: String,
    id: String,
    sealed: SealedSecret,
    policies: Vec<serde_json::Value>,
) -> impl FnMut(&mut dyn Tx) -> Result<(Account, AccessKey), Error> + Send + 'static {
    move |tx: &mut dyn Tx| {
        let (account, key) = accounts::create(tx, &name, &id, &sealed, time::now_ms())?;
        if policies.is_empty() {
            return Ok((account, key));
        }
        let key = accounts::set_policies(tx, &key.id, policies.clone())?;
        Ok((account, key))
    }
}

/// Creates an account with a fresh key pair carrying `policies` (documents the strict parser
/// accepted); returns the plain secret, to be shown once.
pub async fn create(
    svc: &Services,
    name: &str,
    policies: Vec<serde_json::Value>,
) -> Result<(Account, AccessKey, Secret), String> {
    let (id, secret, sealed) = new_key(svc.credentials.secret_key(), None);
    let (account, key) =
        svc.store.write(create_in(name.into(), id, sealed, policies)).await.map_err(|e: Error| e.to_string())?;
    Ok((account, key, secret))
}

fn print(account: &Account, key: &AccessKey, secret: &Secret, json: bool) {
    if json {
        let v = serde_json::json!({
            "account_id": account.id,
            "name": account.name,
            "access_key_id": key.id,
            "access_key_secret": secret.expose(),
        });
        println!("{v}");
    } else {
        println!("account {} ({})", account.name, account.id);
        println!("access key id:     {}", key.id);
        println!("access key secret: {}", secret.expose());
    }
}

/// Reads a policy file and runs the strict parser over it: a document with an element eniplane
/// does not enforce is refused with a message naming the element.
pub fn read_policy(path: &Path) -> Result<serde_json::Value, String> {
    use std::io::Read;
    let shown = path.display();
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_DOCUMENT_BYTES as u64 + 1).read_to_string(&mut text))
        .map_err(|e| format!("{shown}: {e}"))?;
    Policy::parse(&text).map_err(|e| format!("{shown}: policy refused: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{shown}: {e}"))
}

/// What `eniplane account create` is told.
pub struct CreateCommand<'a> {
    /// Account name.
    pub name: &'a str,
    /// Data directory of the embedded store (and of the default key file).
    pub data_dir: &'a Path,
    /// PostgreSQL URL of a shared store.
    pub database_url: Option<&'a str>,
    /// A JSON policy document limiting the new key.
    pub policy: Option<&'a Path>,
    /// `--secret-key-file`.
    pub secret_key_file: Option<&'a Path>,
    /// Print one JSON object.
    pub json: bool,
}

/// `eniplane account create` on PostgreSQL when `database_url` is given, else on the embedded
/// store under `data_dir`. The policy, when given, must pass the strict parser; the key may then
/// do only what it allows.
pub fn create_command(cmd: CreateCommand) -> Result<(), String> {
    let policies = match cmd.policy {
        Some(path) => vec![read_policy(path)?],
        None => Vec::new(),
    };
    let database_url = cmd.database_url.filter(|u| !u.trim().is_empty());
    let store = Store::open(cmd.data_dir, database_url).map_err(|e| e.to_string())?;
    let env = std::env::var(secret_key::ENV).ok();
    let (key, source) = secret_key::load(cmd.data_dir, cmd.secret_key_file, env)?;
    prepare_blocking(&store, &key, &source)?;
    let (id, secret, sealed) = new_key(&key, None);
    let (account, stored) =
        store.write_blocking(create_in(cmd.name.into(), id, sealed, policies)).map_err(|e: Error| e.to_string())?;
    print(&account, &stored, &secret, cmd.json);
    Ok(())
}

/// `export NAME=value` with the value quoted for a POSIX shell when it needs it.
pub fn export_line(name: &str, value: &str) -> String {
    let plain = !value.is_empty() && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-./+=:@%,".contains(&b));
    if plain {
        format!("export {name}={value}")
    } else {
        format!("export {name}='{}'", value.replace('\'', "'\\''"))
    }
}

/// On a store without accounts, creates the default one with keys from
/// `ENIPLANE_ROOT_ACCESS_KEY_ID` / `ENIPLANE_ROOT_ACCESS_KEY_SECRET` or fresh ones, and prints
/// them once.
async fn ensure_default(svc: &Services) -> Result<(), String> {
    let env_key = match (std::env::var("ENIPLANE_ROOT_ACCESS_KEY_ID"), std::env::var("ENIPLANE_ROOT_ACCESS_KEY_SECRET"))
    {
        (Ok(id), Ok(secret)) if !id.is_empty() && !secret.is_empty() => Some((id, Secret::from(secret))),
        _ => None,
    };
    let (id, secret, sealed) = new_key(svc.credentials.secret_key(), env_key);
    let created = svc
        .store
        .write(move |tx: &mut dyn Tx| {
            if accounts::count(tx)? > 0 {
                return Ok(None);
            }
            accounts::create(tx, DEFAULT_ACCOUNT, &id, &sealed, time::now_ms()).map(Some)
        })
        .await
        .map_err(|e: Error| e.to_string())?;
    if let Some((account, key)) = created {
        println!(
            "Created the default account {} ({}). Set its keys in your shell (the README's examples read them;\n\
             `eniplane account show {DEFAULT_ACCOUNT} --show-secret` shows them again):",
            account.name, account.id
        );
        println!("{}", export_line(KEY_ID_ENV, &key.id));
        println!("{}", export_line(KEY_SECRET_ENV, secret.expose()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_lines_quote_only_when_needed() {
        assert_eq!(export_line("A", "AKIDabc123"), "export A=AKIDabc123");
        assert_eq!(export_line("A", "x y"), "export A='x y'");
        assert_eq!(export_line("A", "it's"), "export A='it'\\''s'");
        assert_eq!(export_line("A", ""), "export A=''");
    }
}
