//! Signature nonce replay guard: a nonce is accepted once per access key inside the signature
//! window. The store decides where nonces live: in process memory backed by a side file on the
//! embedded engine (so a replay after a restart is still refused), in the database on a shared
//! engine (so a replay sent to another replica is refused too).

use eniplane_store::Store;

/// The guard.
#[derive(Clone)]
pub struct Nonces {
    store: Store,
}

impl Nonces {
    /// The guard for `store`.
    pub fn for_store(store: &Store) -> Self {
        Self { store: store.clone() }
    }

    /// Records `nonce` for `key`; `false` when it was already used and has not expired (nonces
    /// are kept for twice the window, so any timestamp the skew check admits is covered).
    ///
    /// If a shared store cannot answer, the nonce is accepted (and logged): the request then
    /// fails anyway when it reaches the store, and refusing it would misreport an outage as a
    /// replay.
    pub fn first_use(&self, key: &str, nonce: &str, now_secs: i64, window_secs: i64) -> bool {
        let expires = now_secs.saturating_add(window_secs.saturating_mul(2)).saturating_mul(1000);
        match self.store.first_use_nonce(key, nonce, now_secs.saturating_mul(1000), expires) {
            Ok(first) => first,
            Err(e) => {
                tracing::warn!(error = %e, "nonce check skipped: store unavailable");
                true
            }
        }
    }
}
