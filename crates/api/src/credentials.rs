//! Access key lookups with an in-memory cache of keys already seen. Keys are immutable once
//! created, so a cached key stays valid; a miss always asks the store, so keys created by
//! `eniplane account create` while the server runs work at once.

use std::collections::HashMap;
use std::sync::Arc;

use eniplane_core::model::AccessKey;
use eniplane_core::{repo, Error};
use eniplane_store::{Store, Tx};
use parking_lot::RwLock;

/// The access key cache.
#[derive(Clone)]
pub struct Credentials {
    store: Store,
    cache: Arc<RwLock<HashMap<String, Arc<AccessKey>>>>,
}

impl Credentials {
    /// A cache over `store`.
    pub fn new(store: Store) -> Self {
        Self { store, cache: Arc::default() }
    }

    /// The key with this id, if any.
    pub async fn lookup(&self, id: &str) -> Result<Option<Arc<AccessKey>>, Error> {
        if let Some(k) = self.cache.read().get(id) {
            return Ok(Some(k.clone()));
        }
        let wanted = id.to_string();
        let found = self.store.read(move |tx: &mut dyn Tx| repo::access_key(tx, &wanted)).await?;
        Ok(found.map(|k| {
            let k = Arc::new(k);
            self.cache.write().insert(k.id.clone(), k.clone());
            k
        }))
    }

    /// Forgets a cached key (after its policies change).
    pub fn forget(&self, id: &str) {
        self.cache.write().remove(id);
    }
}
