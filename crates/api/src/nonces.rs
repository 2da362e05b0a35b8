//! Signature nonce replay guard: a nonce is accepted once per access key and signature scheme
//! inside the signature window, and its first use is durable before the request runs, so no
//! acknowledged request can be replayed, not even after the server is killed.
//!
//! What the store keeps is a fixed-size digest, SHA-256 over the namespace, the access key id and
//! the nonce (length-prefixed, so no two different triples collide by concatenation), cut to
//! [`NONCE_DIGEST_BYTES`]. Every byte of a nonce counts the same (tabs and newlines included),
//! every entry costs the same whatever the client sent, and a nonce longer than
//! [`MAX_NONCE_BYTES`] never reaches the store. The store decides where digests live: in process
//! memory backed by an fsynced log on the embedded engine, in a logged table on a shared engine
//! (a replay sent to another replica is refused too).

use eniplane_store::{NonceDigest, NonceUse, Store, NONCE_DIGEST_BYTES};
use sha2::{Digest, Sha256};

/// Longest nonce accepted, in bytes. ENS SDKs send 32 hex digits (UUIDs with dashes are 36);
/// Tencent legacy nonces are integers of at most 20 digits.
pub const MAX_NONCE_BYTES: usize = 64;

/// Signature schemes whose nonces are kept apart: the same string used as a Tencent legacy
/// `Nonce` and as an ENS `SignatureNonce` by one key are two different nonces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    /// Tencent Cloud API 3.0 legacy signatures (`Nonce` parameter).
    TencentLegacy,
    /// Alibaba ENS RPC V1 (`SignatureNonce`) and ACS3 (`x-acs-signature-nonce`).
    Ens,
}

impl Namespace {
    fn tag(self) -> u8 {
        match self {
            Namespace::TencentLegacy => 1,
            Namespace::Ens => 2,
        }
    }
}

/// What the guard decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// First use; recorded durably. The request may run.
    First,
    /// Used before inside the window: a replay.
    Replayed,
    /// Empty or longer than [`MAX_NONCE_BYTES`].
    Invalid,
    /// The guard holds its maximum of unexpired nonces; retry later.
    Busy,
    /// The store could not record it durably: the request must not run.
    Unavailable(eniplane_store::StoreError),
}

/// The digest the store keeps for `nonce` of `key` in `namespace`.
pub fn digest(namespace: Namespace, key: &str, nonce: &str) -> NonceDigest {
    let mut h = Sha256::new();
    h.update([namespace.tag()]);
    h.update((key.len() as u64).to_be_bytes());
    h.update(key.as_bytes());
    h.update((nonce.len() as u64).to_be_bytes());
    h.update(nonce.as_bytes());
    let full = h.finalize();
    let mut out = [0u8; NONCE_DIGEST_BYTES];
    out.copy_from_slice(&full[..NONCE_DIGEST_BYTES]);
    out
}

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

    /// Records `nonce` of `key` in `namespace` and waits until that is durable. Nonces are kept
    /// for twice the window after first use, so any timestamp the skew check admits is covered.
    pub async fn first_use(
        &self,
        namespace: Namespace,
        key: &str,
        nonce: &str,
        now_secs: i64,
        window_secs: i64,
    ) -> Verdict {
        if nonce.is_empty() || nonce.len() > MAX_NONCE_BYTES {
            return Verdict::Invalid;
        }
        let expires = now_secs.saturating_add(window_secs.saturating_mul(2)).saturating_mul(1000);
        let now_ms = now_secs.saturating_mul(1000);
        match self.store.first_use_nonce(digest(namespace, key, nonce), now_ms, expires).await {
            Ok(NonceUse::First) => Verdict::First,
            Ok(NonceUse::Replayed) => Verdict::Replayed,
            Ok(NonceUse::Full) => {
                tracing::warn!("nonce table full: refusing signed requests until entries expire");
                Verdict::Busy
            }
            Err(e) => {
                tracing::warn!(error = %e, "nonce could not be recorded; request refused");
                Verdict::Unavailable(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_separate_namespaces_keys_and_boundaries() {
        let d = |ns, k, n| digest(ns, k, n);
        assert_ne!(d(Namespace::Ens, "k", "1"), d(Namespace::TencentLegacy, "k", "1"));
        assert_ne!(d(Namespace::Ens, "k", "1"), d(Namespace::Ens, "k2", "1"));
        assert_ne!(d(Namespace::Ens, "ab", "c"), d(Namespace::Ens, "a", "bc"), "length-prefixed");
        assert_ne!(d(Namespace::Ens, "k", "a\tb"), d(Namespace::Ens, "k", "a b"), "tabs are ordinary bytes");
        assert_ne!(d(Namespace::Ens, "k", "a\nb"), d(Namespace::Ens, "k", "a\rb"));
        assert_eq!(d(Namespace::Ens, "k", "n"), d(Namespace::Ens, "k", "n"));
    }

    #[tokio::test]
    async fn single_use_bounded_and_durable() {
        let dir = tempfile::tempdir().unwrap();
        let g = Nonces::for_store(&Store::open_sqlite(dir.path()).unwrap());
        let now = 1_700_000_000;
        assert_eq!(g.first_use(Namespace::Ens, "k", "n\t1", now, 900).await, Verdict::First);
        assert_eq!(g.first_use(Namespace::Ens, "k", "n\t1", now + 1, 900).await, Verdict::Replayed);
        assert_eq!(g.first_use(Namespace::Ens, "k", "n 1", now + 1, 900).await, Verdict::First);
        assert_eq!(g.first_use(Namespace::TencentLegacy, "k", "n\t1", now, 300).await, Verdict::First);
        assert_eq!(g.first_use(Namespace::Ens, "k2", "n\t1", now, 900).await, Verdict::First);
        let longest = "x".repeat(MAX_NONCE_BYTES);
        assert_eq!(g.first_use(Namespace::Ens, "k", &longest, now, 900).await, Verdict::First);
        let over = "x".repeat(MAX_NONCE_BYTES + 1);
        assert_eq!(g.first_use(Namespace::Ens, "k", &over, now, 900).await, Verdict::Invalid);
        assert_eq!(g.first_use(Namespace::Ens, "k", "", now, 900).await, Verdict::Invalid);
        // Kept for twice the window: a replay at the last admissible moment is still refused.
        assert_eq!(g.first_use(Namespace::Ens, "k", "n\t1", now + 1_799, 900).await, Verdict::Replayed);
        assert_eq!(g.first_use(Namespace::Ens, "k", "n\t1", now + 1_800, 900).await, Verdict::First);
    }
}
