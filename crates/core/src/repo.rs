//! Typed access to stored resources, always through a scope so tenants stay isolated.

use eniplane_store::{Record, StoreError, Tx};
use serde::{de::DeserializeOwned, Serialize};

use crate::error::{Error, Kind};
use crate::model::{AccessKey, Account, Eni, Instance, SecurityGroup, Subnet, Task, Vpc};
use crate::Scope;

/// A stored resource type.
pub trait Resource: Serialize + DeserializeOwned {
    /// Store kind name.
    const KIND: &'static str;
    /// Domain kind, for errors.
    const DOMAIN: Kind;
    /// Its id.
    fn id(&self) -> &str;
    /// Its owner and region.
    fn scope(&self) -> &Scope;
}

macro_rules! resource {
    ($t:ty, $kind:literal, $domain:expr) => {
        impl Resource for $t {
            const KIND: &'static str = $kind;
            const DOMAIN: Kind = $domain;
            fn id(&self) -> &str {
                &self.id
            }
            fn scope(&self) -> &Scope {
                &self.scope
            }
        }
    };
}

resource!(Vpc, "vpc", Kind::Vpc);
resource!(Subnet, "subnet", Kind::Subnet);
resource!(SecurityGroup, "sg", Kind::SecurityGroup);
resource!(Instance, "instance", Kind::Instance);
resource!(Eni, "eni", Kind::Eni);
resource!(Task, "task", Kind::Task);

fn decode<T: DeserializeOwned>(rec: &Record) -> Result<T, Error> {
    serde_json::from_str(&rec.body).map_err(|e| StoreError::Corrupt(format!("{}/{}: {e}", rec.kind, rec.id)).into())
}

fn encode<T: Serialize>(kind: &str, id: &str, account: &str, scope: String, value: &T) -> Result<Record, Error> {
    let body = serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Record { kind: kind.into(), id: id.into(), account: account.into(), scope, body })
}

fn to_record<R: Resource>(r: &R) -> Result<Record, Error> {
    encode(R::KIND, r.id(), &r.scope().account, r.scope().key(), r)
}

/// Loads a resource visible in `scope`, or `None`.
pub fn find<R: Resource>(tx: &mut dyn Tx, scope: &Scope, id: &str) -> Result<Option<R>, Error> {
    match tx.get(R::KIND, id)? {
        Some(rec) if rec.account == scope.account && rec.scope == scope.key() => Ok(Some(decode(&rec)?)),
        _ => Ok(None),
    }
}

/// Loads a resource visible in `scope`, or [`Error::NotFound`].
pub fn load<R: Resource>(tx: &mut dyn Tx, scope: &Scope, id: &str) -> Result<R, Error> {
    find(tx, scope, id)?.ok_or_else(|| Error::NotFound { kind: R::DOMAIN, id: id.into() })
}

/// Every resource of a type in `scope`, oldest first.
pub fn list<R: Resource>(tx: &mut dyn Tx, scope: &Scope) -> Result<Vec<R>, Error> {
    tx.list(R::KIND, &scope.account, &scope.key())?.iter().map(decode).collect()
}

/// How many resources of a type exist in `scope`.
pub fn count<R: Resource>(tx: &mut dyn Tx, scope: &Scope) -> Result<u64, Error> {
    Ok(tx.count(R::KIND, &scope.account, &scope.key())?)
}

/// Stores a new resource.
pub fn create<R: Resource>(tx: &mut dyn Tx, r: &R) -> Result<(), Error> {
    Ok(tx.insert(&to_record(r)?)?)
}

/// Stores a changed resource.
pub fn save<R: Resource>(tx: &mut dyn Tx, r: &R) -> Result<(), Error> {
    Ok(tx.update(&to_record(r)?)?)
}

/// Removes a resource.
pub fn remove<R: Resource>(tx: &mut dyn Tx, r: &R) -> Result<(), Error> {
    tx.delete(R::KIND, r.id())?;
    Ok(())
}

/// Store kind of accounts.
pub const ACCOUNT: &str = "account";
/// Store kind of access keys.
pub const ACCESS_KEY: &str = "access_key";

/// Stores a new account.
pub fn create_account(tx: &mut dyn Tx, a: &Account) -> Result<(), Error> {
    Ok(tx.insert(&encode(ACCOUNT, &a.id, &a.id, String::new(), a)?)?)
}

/// Loads an account by id.
pub fn account(tx: &mut dyn Tx, id: &str) -> Result<Option<Account>, Error> {
    tx.get(ACCOUNT, id)?.map(|r| decode(&r)).transpose()
}

/// Stores a new access key.
pub fn create_access_key(tx: &mut dyn Tx, k: &AccessKey) -> Result<(), Error> {
    Ok(tx.insert(&encode(ACCESS_KEY, &k.id, &k.account_id, String::new(), k)?)?)
}

/// Stores a changed access key.
pub fn save_access_key(tx: &mut dyn Tx, k: &AccessKey) -> Result<(), Error> {
    Ok(tx.update(&encode(ACCESS_KEY, &k.id, &k.account_id, String::new(), k)?)?)
}

/// Looks an access key up by id.
pub fn access_key(tx: &mut dyn Tx, id: &str) -> Result<Option<AccessKey>, Error> {
    tx.get(ACCESS_KEY, id)?.map(|r| decode(&r)).transpose()
}

/// The access keys of one account.
pub fn access_keys_of(tx: &mut dyn Tx, account: &str) -> Result<Vec<AccessKey>, Error> {
    tx.list(ACCESS_KEY, account, "")?.iter().map(decode).collect()
}
