//! Accounts from the command line, and the default account a first start creates.

use std::path::Path;

use eniplane_core::model::{AccessKey, Account};
use eniplane_core::ops::accounts;
use eniplane_core::{time, Error};
use eniplane_store::{Store, Tx};

/// Name of the account a first start creates.
pub const DEFAULT_ACCOUNT: &str = "default";

fn print(account: &Account, key: &AccessKey, json: bool) {
    if json {
        let v = serde_json::json!({
            "account_id": account.id,
            "name": account.name,
            "access_key_id": key.id,
            "access_key_secret": key.secret,
        });
        println!("{v}");
    } else {
        println!("account {} ({})", account.name, account.id);
        println!("access key id:     {}", key.id);
        println!("access key secret: {}", key.secret);
    }
}

/// Reads a policy file and runs the strict parser over it: a document with an element eniplane
/// does not enforce is refused with a message naming the element.
pub fn read_policy(path: &Path) -> Result<serde_json::Value, String> {
    use std::io::Read;
    let shown = path.display();
    let limit = eniplane_auth::policy::MAX_DOCUMENT_BYTES;
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(limit as u64 + 1).read_to_string(&mut text))
        .map_err(|e| format!("{shown}: {e}"))?;
    eniplane_auth::policy::Policy::parse(&text).map_err(|e| format!("{shown}: policy refused: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{shown}: {e}"))
}

/// `eniplane account create` on PostgreSQL when `database_url` is given, else on the embedded
/// store under `data_dir`. `policy`, when given, is a JSON policy document (CAM/RAM grammar)
/// attached to the new key: the key may then do only what the policy allows.
pub fn create_command_on(
    name: &str,
    data_dir: &Path,
    database_url: Option<&str>,
    policy: Option<&Path>,
    json: bool,
) -> Result<(), String> {
    let policies = match policy {
        Some(path) => vec![read_policy(path)?],
        None => Vec::new(),
    };
    let database_url = database_url.filter(|u| !u.trim().is_empty());
    let store = Store::open(data_dir, database_url).map_err(|e| e.to_string())?;
    let owned = name.to_string();
    let (account, key) = store
        .write_blocking(move |tx: &mut dyn Tx| {
            let (account, key) = accounts::create(tx, &owned, None, time::now_ms())?;
            if policies.is_empty() {
                return Ok((account, key));
            }
            let key = accounts::set_policies(tx, &key.id, policies.clone())?;
            Ok((account, key))
        })
        .map_err(|e: Error| e.to_string())?;
    print(&account, &key, json);
    Ok(())
}

/// On a store without accounts, creates the default one with keys from
/// `ENIPLANE_ROOT_ACCESS_KEY_ID` / `ENIPLANE_ROOT_ACCESS_KEY_SECRET` or fresh ones, and prints
/// them once.
pub async fn ensure_default(store: &Store) -> Result<(), String> {
    let env_key = match (std::env::var("ENIPLANE_ROOT_ACCESS_KEY_ID"), std::env::var("ENIPLANE_ROOT_ACCESS_KEY_SECRET"))
    {
        (Ok(id), Ok(secret)) if !id.is_empty() && !secret.is_empty() => Some((id, secret)),
        _ => None,
    };
    let created = store
        .write(move |tx: &mut dyn Tx| {
            if accounts::count(tx)? > 0 {
                return Ok(None);
            }
            accounts::create(tx, DEFAULT_ACCOUNT, env_key.clone(), time::now_ms()).map(Some)
        })
        .await
        .map_err(|e: Error| e.to_string())?;
    if let Some((account, key)) = created {
        println!("Created the default account; these keys are shown only once:");
        print(&account, &key, false);
    }
    Ok(())
}
