//! Signature nonce replay guard: a nonce is accepted once per access key inside the signature
//! window. Kept in memory, which is exact for one server on the embedded store; entries expire
//! with the window so memory stays bounded by the request rate. On a shared engine (PostgreSQL,
//! several replicas) the guard records nonces in the database instead, so a replay sent to
//! another replica is refused too.

use std::collections::HashMap;
use std::sync::Arc;

use eniplane_store::Store;
use parking_lot::Mutex;

#[derive(Default)]
struct Seen {
    entries: HashMap<(String, String), i64>,
    next_sweep: i64,
}

/// The guard.
#[derive(Clone, Default)]
pub struct Nonces {
    inner: Arc<Mutex<Seen>>,
    shared: Option<Store>,
}

impl Nonces {
    /// The guard for `store`: in the database when the store is shared by replicas, else in
    /// memory.
    pub fn for_store(store: &Store) -> Self {
        Self { inner: Arc::default(), shared: store.is_shared().then(|| store.clone()) }
    }

    /// Records `nonce` for `key`; `false` when it was already used and has not expired.
    ///
    /// On a shared store this is one database round trip. If the database cannot answer, the
    /// nonce is accepted (and logged): the request then fails anyway when it reaches the store,
    /// and refusing it would misreport an outage as a replay.
    pub fn first_use(&self, key: &str, nonce: &str, now_secs: i64, window_secs: i64) -> bool {
        if let Some(store) = &self.shared {
            let expires = now_secs.saturating_add(window_secs.saturating_mul(2)).saturating_mul(1000);
            return match store.first_use_nonce(key, nonce, now_secs.saturating_mul(1000), expires) {
                Ok(first) => first,
                Err(e) => {
                    tracing::warn!(error = %e, "nonce check skipped: store unavailable");
                    true
                }
            };
        }
        let mut seen = self.inner.lock();
        if now_secs >= seen.next_sweep {
            seen.entries.retain(|_, exp| *exp > now_secs);
            seen.next_sweep = now_secs + 10;
        }
        let k = (key.to_string(), nonce.to_string());
        match seen.entries.get(&k) {
            Some(exp) if *exp > now_secs => false,
            _ => {
                seen.entries.insert(k, now_secs + 2 * window_secs);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn nonce_is_accepted_once_then_expires() {
        let n = super::Nonces::default();
        assert!(n.first_use("k", "abc", 1000, 900));
        assert!(!n.first_use("k", "abc", 1001, 900));
        assert!(n.first_use("other", "abc", 1001, 900), "nonces are per key");
        assert!(n.first_use("k", "abc", 1000 + 1801, 900), "expired after twice the window");
    }
}
