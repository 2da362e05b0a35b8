//! Accounts and their access keys.

use eniplane_auth::secrets::SealedSecret;
use eniplane_store::Tx;

use crate::error::Error;
use crate::ids;
use crate::model::{AccessKey, Account};
use crate::repo;

/// Claim space that keeps account names unique.
const NAME_SPACE: &str = "account-name";

/// Creates an account with one access key `key_id` whose secret the caller has already sealed
/// (the sealing key lives outside the store, so the core never sees a plain secret; a fresh pair
/// comes from [`ids::access_key`]).
pub fn create(
    tx: &mut dyn Tx,
    name: &str,
    key_id: &str,
    secret: &SealedSecret,
    now_ms: i64,
) -> Result<(Account, AccessKey), Error> {
    if name.is_empty() || name.len() > 64 {
        return Err(Error::InvalidValue { field: "name".into(), reason: "1 to 64 characters".into() });
    }
    let account = Account { id: ids::account_id(), name: name.into(), created_at: now_ms };
    if !tx.claim(NAME_SPACE, name, &account.id)? {
        return Err(Error::Duplicate { what: format!("account {name}") });
    }
    let key = AccessKey {
        id: key_id.to_string(),
        secret: secret.clone(),
        account_id: account.id.clone(),
        policies: Vec::new(),
        created_at: now_ms,
    };
    repo::create_account(tx, &account)?;
    repo::create_access_key(tx, &key).map_err(|e| match e {
        Error::Store(eniplane_store::StoreError::Conflict(_)) => {
            Error::Duplicate { what: format!("access key {}", key.id) }
        }
        other => other,
    })?;
    Ok((account, key))
}

/// How many accounts exist.
pub fn count(tx: &mut dyn Tx) -> Result<u64, Error> {
    Ok(tx.count_claimed(NAME_SPACE)?)
}

/// Finds the account that owns `name`.
pub fn by_name(tx: &mut dyn Tx, name: &str) -> Result<Option<Account>, Error> {
    let owner = tx.claimed(NAME_SPACE)?.into_iter().find(|(k, _)| k == name).map(|(_, o)| o);
    match owner {
        Some(id) => repo::account(tx, &id),
        None => Ok(None),
    }
}

/// Every access key of every account (read once at start-up to seal secrets stored before
/// sealing existed; cost grows with the number of accounts).
pub fn all_keys(tx: &mut dyn Tx) -> Result<Vec<AccessKey>, Error> {
    let mut keys = Vec::new();
    for (_, account) in tx.claimed(NAME_SPACE)? {
        keys.extend(repo::access_keys_of(tx, &account)?);
    }
    Ok(keys)
}

/// Attaches policy documents to an access key (replacing any).
pub fn set_policies(tx: &mut dyn Tx, key_id: &str, policies: Vec<serde_json::Value>) -> Result<AccessKey, Error> {
    let mut key = repo::access_key(tx, key_id)?
        .ok_or_else(|| Error::InvalidValue { field: "access key".into(), reason: format!("{key_id} not found") })?;
    key.policies = policies;
    repo::save_access_key(tx, &key)?;
    Ok(key)
}
