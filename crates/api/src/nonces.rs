//! Signature nonce replay guard: a nonce is accepted once per access key inside the signature
//! window. Kept in memory, which is exact for one server on the embedded store; entries expire
//! with the window so memory stays bounded by the request rate.

use std::collections::HashMap;
use std::sync::Arc;

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
}

impl Nonces {
    /// Records `nonce` for `key`; `false` when it was already used and has not expired.
    pub fn first_use(&self, key: &str, nonce: &str, now_secs: i64, window_secs: i64) -> bool {
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
