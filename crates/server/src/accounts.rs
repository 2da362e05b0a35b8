//! Accounts from the command line, and the default account a first start creates.

use std::path::Path;

use eniplane_core::model::{AccessKey, Account};
use eniplane_core::ops::accounts;
use eniplane_core::{time, Error};
use eniplane_store::{Store, Tx};

/// Name of the account a first start creates.
pub const DEFAULT_ACCOUNT: &str = "default";
/// The variable the first start tells the user to set to the default key's id (the README's
/// examples read it).
pub const KEY_ID_ENV: &str = "ENIPLANE_ACCESS_KEY_ID";
/// The variable the first start tells the user to set to the default key's secret.
pub const KEY_SECRET_ENV: &str = "ENIPLANE_ACCESS_KEY_SECRET";

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
    let policies = read_policy(policy)?;
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

/// The policy document in `path` (CAM / RAM grammar), checked, as a key's policy list.
pub(crate) fn read_policy(path: Option<&Path>) -> Result<Vec<serde_json::Value>, String> {
    let Some(path) = path else { return Ok(Vec::new()) };
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    eniplane_auth::policy::PolicyDocument::from_json(&text)
        .map_err(|e| format!("{}: not a policy document: {e}", path.display()))?;
    Ok(vec![doc])
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
        println!(
            "Created the default account {} ({}). Set its keys in your shell (the README's examples read them;\n\
             `eniplane account show {DEFAULT_ACCOUNT} --show-secret` shows them again):",
            account.name, account.id
        );
        println!("{}", export_line(KEY_ID_ENV, &key.id));
        println!("{}", export_line(KEY_SECRET_ENV, &key.secret));
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
