//! The services every request handler reaches: store, catalogue, settings, caches and limits.

use std::sync::Arc;

use eniplane_auth::secrets::SecretKey;
use eniplane_core::Catalog;
use eniplane_store::Store;

use crate::credentials::Credentials;
use crate::limits::RateLimits;
use crate::nonces::Nonces;

/// Operator settings that shape behaviour.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long asynchronous transitions take, in milliseconds.
    pub transition_delay_ms: i64,
    /// Allowed clock skew for Tencent signatures, seconds (documented: 300).
    pub tencent_skew_secs: i64,
    /// Allowed clock skew for ENS signatures, seconds (commonly documented: 900).
    pub ens_skew_secs: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Self { transition_delay_ms: 500, tencent_skew_secs: 300, ens_skew_secs: 900 }
    }
}

/// Shared, cheap-to-clone handle on everything a request needs.
#[derive(Clone)]
pub struct Services {
    /// The store.
    pub store: Store,
    /// Operator catalogue.
    pub catalog: Arc<Catalog>,
    /// Settings.
    pub settings: Arc<Settings>,
    /// Access key lookups.
    pub credentials: Credentials,
    /// Signature nonce replay guard.
    pub nonces: Nonces,
    /// Per-account, per-action rate limits.
    pub limits: Arc<RateLimits>,
}

impl Services {
    /// Builds the services over a store whose access-key secrets `secret_key` seals.
    pub fn new(store: Store, catalog: Catalog, settings: Settings, limits: RateLimits, secret_key: SecretKey) -> Self {
        Self {
            credentials: Credentials::new(store.clone(), Arc::new(secret_key)),
            nonces: Nonces::for_store(&store),
            limits: Arc::new(limits.share(&store)),
            store,
            catalog: Arc::new(catalog),
            settings: Arc::new(settings),
        }
    }
}
