//! Access key lookups with an in-memory cache of keys already seen. Keys are immutable once
//! created, so a cached key stays valid; a miss always asks the store, so keys created by
//! `eniplane account create` while the server runs work at once.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Arc;

use eniplane_auth::policy::{evaluate, Decision, Policy, Request};
use eniplane_auth::Secret;
use eniplane_core::model::AccessKey;
use eniplane_core::{repo, Error};
use eniplane_store::{Store, Tx};
use parking_lot::RwLock;

/// What a key may do, decided once when it enters the cache.
enum Grants {
    /// No policies: an account's own key may do everything in its account.
    Everything,
    /// The parsed policies decide.
    Policies(Vec<Policy>),
    /// A stored document no longer passes the strict parser: nothing is allowed, since dropping
    /// just that document could drop a Deny and widen what the others allow.
    Nothing,
}

/// A key as the request path needs it: the stored key plus its policy documents parsed once,
/// when the key enters the cache.
pub struct Signer {
    key: AccessKey,
    secret: Secret,
    grants: Grants,
}

impl Signer {
    fn new(key: AccessKey) -> Self {
        let grants = if key.policies.is_empty() {
            Grants::Everything
        } else {
            match key.policies.iter().map(Policy::from_value).collect::<Result<Vec<_>, _>>() {
                Ok(policies) => Grants::Policies(policies),
                Err(e) => {
                    tracing::warn!(key = %key.id, error = %e, "stored policy refused: the key is denied everything");
                    Grants::Nothing
                }
            }
        };
        let secret = Secret::from(key.secret.clone());
        Self { key, secret, grants }
    }

    /// The key's secret, for verifying signatures.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// Whether the key may do `action` (`vpc:Name`, `ens:Name`) on `resource` (a CAM
    /// `qcs::…` or RAM `acs:…` resource string; segments not known given as `*`): always
    /// without policies (an account's own key), else by the policies (explicit Deny wins).
    pub fn allows(&self, action: &str, resource: &str) -> bool {
        match &self.grants {
            Grants::Everything => true,
            Grants::Nothing => false,
            Grants::Policies(p) => {
                let req = Request { action, resource, account: &self.key.account_id };
                evaluate(p, &req) == Decision::Allow
            }
        }
    }
}

impl Deref for Signer {
    type Target = AccessKey;
    fn deref(&self) -> &AccessKey {
        &self.key
    }
}

/// The access key cache.
#[derive(Clone)]
pub struct Credentials {
    store: Store,
    cache: Arc<RwLock<HashMap<String, Arc<Signer>>>>,
}

impl Credentials {
    /// A cache over `store`.
    pub fn new(store: Store) -> Self {
        Self { store, cache: Arc::default() }
    }

    /// The key with this id, if any (an empty id names no key).
    pub async fn lookup(&self, id: &str) -> Result<Option<Arc<Signer>>, Error> {
        if id.is_empty() {
            return Ok(None);
        }
        if let Some(k) = self.cache.read().get(id) {
            return Ok(Some(k.clone()));
        }
        let wanted = id.to_string();
        let found = self.store.read(move |tx: &mut dyn Tx| repo::access_key(tx, &wanted)).await?;
        Ok(found.map(|k| {
            let k = Arc::new(Signer::new(k));
            self.cache.write().insert(k.id.clone(), k.clone());
            k
        }))
    }

    /// Forgets a cached key (after its policies change).
    pub fn forget(&self, id: &str) {
        self.cache.write().remove(id);
    }
}
