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
    repo::create_account(tx, &account)?;
    let key = insert_key(tx, &account.id, key_id, secret, now_ms)?;
    Ok((account, key))
}

/// Stores a new key `key_id` of `account_id` with its sealed secret.
fn insert_key(
    tx: &mut dyn Tx,
    account_id: &str,
    key_id: &str,
    secret: &SealedSecret,
    now_ms: i64,
) -> Result<AccessKey, Error> {
    let key = AccessKey {
        id: key_id.into(),
        secret: secret.clone(),
        account_id: account_id.into(),
        policies: Vec::new(),
        created_at: now_ms,
        disabled: false,
    };
    repo::create_access_key(tx, &key).map_err(|e| match e {
        Error::Store(eniplane_store::StoreError::Conflict(_)) => {
            Error::Duplicate { what: format!("access key {}", key.id) }
        }
        other => other,
    })?;
    Ok(key)
}

/// Every account, by name. Reads one record per account: meant for the operator's listing,
/// not for the request path.
pub fn list(tx: &mut dyn Tx) -> Result<Vec<Account>, Error> {
    let mut names = tx.claimed(NAME_SPACE)?;
    names.sort();
    let mut out = Vec::with_capacity(names.len());
    for (_, id) in names {
        out.extend(repo::account(tx, &id)?);
    }
    Ok(out)
}

/// The access keys of an account, oldest first.
pub fn keys_of(tx: &mut dyn Tx, account_id: &str) -> Result<Vec<AccessKey>, Error> {
    repo::access_keys_of(tx, account_id)
}

/// Adds the access key `key_id`, whose secret the caller has sealed (as for [`create`]), to an
/// account.
pub fn add_key(
    tx: &mut dyn Tx,
    account_id: &str,
    key_id: &str,
    secret: &SealedSecret,
    now_ms: i64,
) -> Result<AccessKey, Error> {
    if repo::account(tx, account_id)?.is_none() {
        return Err(Error::InvalidValue { field: "account".into(), reason: format!("{account_id} not found") });
    }
    insert_key(tx, account_id, key_id, secret, now_ms)
}

/// Disables (or enables again) an access key; returns it as stored.
pub fn set_key_disabled(tx: &mut dyn Tx, key_id: &str, disabled: bool) -> Result<AccessKey, Error> {
    let mut key = key_or_not_found(tx, key_id)?;
    key.disabled = disabled;
    repo::save_access_key(tx, &key)?;
    Ok(key)
}

/// Deletes an access key; returns the key it deleted.
pub fn delete_key(tx: &mut dyn Tx, key_id: &str) -> Result<AccessKey, Error> {
    let key = key_or_not_found(tx, key_id)?;
    tx.delete(repo::ACCESS_KEY, key_id)?;
    Ok(key)
}

fn key_or_not_found(tx: &mut dyn Tx, key_id: &str) -> Result<AccessKey, Error> {
    repo::access_key(tx, key_id)?
        .ok_or_else(|| Error::InvalidValue { field: "access key".into(), reason: format!("{key_id} not found") })
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
    let mut key = key_or_not_found(tx, key_id)?;
    key.policies = policies;
    repo::save_access_key(tx, &key)?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use eniplane_auth::secrets::SecretKey;
    use eniplane_auth::Secret;
    use eniplane_store::Store;

    fn sealed(id: &str) -> SealedSecret {
        SecretKey::generate().seal(id, &Secret::from("s3cret"))
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_sqlite(dir.path()).unwrap();
        (dir, store)
    }

    #[test]
    fn keys_are_added_listed_disabled_and_deleted() {
        let (_dir, store) = store();
        let (a, first) =
            store.write_blocking(|tx: &mut dyn Tx| create(tx, "alice", "AKIDa1", &sealed("AKIDa1"), 1)).unwrap();
        store.write_blocking(|tx: &mut dyn Tx| create(tx, "bob", "AKIDb1", &sealed("AKIDb1"), 2)).unwrap();
        let names: Vec<String> =
            store.read_blocking(|tx: &mut dyn Tx| list(tx)).unwrap().into_iter().map(|a| a.name).collect();
        assert_eq!(names, ["alice", "bob"]);

        let id = a.id.clone();
        let second =
            store.write_blocking(move |tx: &mut dyn Tx| add_key(tx, &id, "AKIDa2", &sealed("AKIDa2"), 3)).unwrap();
        assert_ne!(second.id, first.id);
        assert!(!second.disabled);
        let id = a.id.clone();
        let keys = store.read_blocking(move |tx: &mut dyn Tx| keys_of(tx, &id)).unwrap();
        assert_eq!(keys.iter().map(|k| k.id.as_str()).collect::<Vec<_>>(), [first.id.as_str(), second.id.as_str()]);

        let k = second.id.clone();
        assert!(store.write_blocking(move |tx: &mut dyn Tx| set_key_disabled(tx, &k, true)).unwrap().disabled);
        let k = second.id.clone();
        assert!(store.read_blocking(move |tx: &mut dyn Tx| repo::access_key(tx, &k)).unwrap().unwrap().disabled);
        let k = second.id.clone();
        assert!(!store.write_blocking(move |tx: &mut dyn Tx| set_key_disabled(tx, &k, false)).unwrap().disabled);

        let k = first.id.clone();
        store.write_blocking(move |tx: &mut dyn Tx| delete_key(tx, &k)).unwrap();
        let k = first.id.clone();
        assert!(store.read_blocking(move |tx: &mut dyn Tx| repo::access_key(tx, &k)).unwrap().is_none());
        let k = first.id.clone();
        let again = store.write_blocking(move |tx: &mut dyn Tx| delete_key(tx, &k));
        assert!(matches!(again, Err(Error::InvalidValue { .. })), "{again:?}");
        let missing = store.write_blocking(|tx: &mut dyn Tx| add_key(tx, "000000000000", "AKIDx", &sealed("AKIDx"), 4));
        assert!(matches!(missing, Err(Error::InvalidValue { .. })), "{missing:?}");
    }

    #[test]
    fn a_key_stored_before_the_disabled_flag_reads_as_enabled() {
        let old = r#"{"id":"AKIDx","secret":"s","account_id":"1","policies":[],"created_at":0}"#;
        let key: AccessKey = serde_json::from_str(old).unwrap();
        assert!(!key.disabled);
    }
}
