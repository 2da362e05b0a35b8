//! Access key lookups with an in-memory cache of keys already seen. A miss always asks the
//! store, so keys created by `eniplane account create` / `key create` while the server runs work
//! at once; a cached key is read again after [`CACHE_TTL`], so a key disabled or deleted (or given
//! other policies) by the CLI or by another replica stops signing within that time.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eniplane_auth::policy::{evaluate, Decision, PolicyDocument};
use eniplane_core::model::AccessKey;
use eniplane_core::{repo, Error};
use eniplane_store::{Store, Tx};
use parking_lot::RwLock;

/// A key as the request path needs it: the stored key plus its policy documents parsed once,
/// when the key enters the cache.
pub struct Signer {
    key: AccessKey,
    policies: Vec<PolicyDocument>,
}

impl Signer {
    fn new(key: AccessKey) -> Self {
        // A stored document that no longer parses grants nothing (its statements are absent).
        let policies = key.policies.iter().filter_map(|p| serde_json::from_value(p.clone()).ok()).collect();
        Self { key, policies }
    }

    /// Whether the key may do `action` (`vpc:Name`, `ens:Name`) on `resource`: always without
    /// policies (an account's own key), else by the policies (explicit Deny wins).
    pub fn allows(&self, action: &str, resource: &str) -> bool {
        self.key.policies.is_empty() || evaluate(&self.policies, action, resource) == Decision::Allow
    }
}

impl Deref for Signer {
    type Target = AccessKey;
    fn deref(&self) -> &AccessKey {
        &self.key
    }
}

/// How long a cached key is trusted before the store is asked again.
pub const CACHE_TTL: Duration = Duration::from_secs(2);

/// A cached key and when it was read.
type Cached = (Arc<Signer>, Instant);

/// The access key cache.
#[derive(Clone)]
pub struct Credentials {
    store: Store,
    cache: Arc<RwLock<HashMap<String, Cached>>>,
}

impl Credentials {
    /// A cache over `store`.
    pub fn new(store: Store) -> Self {
        Self { store, cache: Arc::default() }
    }

    /// The key with this id, if any (an empty id names no key). A disabled key is returned
    /// too: the dialect answers it with its own error.
    pub async fn lookup(&self, id: &str) -> Result<Option<Arc<Signer>>, Error> {
        if id.is_empty() {
            return Ok(None);
        }
        if let Some((k, at)) = self.cache.read().get(id) {
            if at.elapsed() < CACHE_TTL {
                return Ok(Some(k.clone()));
            }
        }
        let wanted = id.to_string();
        let found = self.store.read(move |tx: &mut dyn Tx| repo::access_key(tx, &wanted)).await?;
        let mut cache = self.cache.write();
        Ok(match found {
            Some(k) => {
                let k = Arc::new(Signer::new(k));
                cache.insert(k.id.clone(), (k.clone(), Instant::now()));
                Some(k)
            }
            None => {
                cache.remove(id);
                None
            }
        })
    }

    /// Forgets a cached key (after its policies change).
    pub fn forget(&self, id: &str) {
        self.cache.write().remove(id);
    }
}
