//! Request guards: signature nonces and per-second request counters. They are state every request
//! consults before it runs, not transactions, so engines offer them apart from [`crate::Engine`]:
//! in process memory with a durable side log for the embedded engine, in the database for the
//! shared one.
//!
//! A nonce reaches the store only as a fixed-size digest ([`NonceDigest`]); the caller decides
//! what goes into it (access key, signature scheme, the nonce itself), so every stored entry has
//! the same size whatever the client sent.

use tokio::sync::oneshot;

use crate::StoreError;

/// Bytes in a [`NonceDigest`].
pub const NONCE_DIGEST_BYTES: usize = 16;

/// A nonce as the store keeps it: a digest naming one nonce of one access key in one namespace.
pub type NonceDigest = [u8; NONCE_DIGEST_BYTES];

/// What recording a nonce found, once the answer is durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceUse {
    /// Never seen (or expired): now recorded, durably.
    First,
    /// Already recorded and unexpired: a replay.
    Replayed,
    /// The guard holds as many unexpired nonces as it may; nothing was recorded.
    Full,
}

/// What a guard answers at once: a verdict, and for a first use the receipt of its durability.
pub enum Recorded {
    /// Recorded; durable once the receipt resolves.
    First(Receipt),
    /// Already recorded and unexpired.
    Replayed,
    /// At capacity; nothing recorded.
    Full,
}

/// Resolves once a recorded nonce is durable (immediately for engines that record synchronously).
pub struct Receipt(Option<oneshot::Receiver<Result<(), StoreError>>>);

impl Receipt {
    /// A receipt for something already durable.
    pub fn durable() -> Self {
        Self(None)
    }

    /// A receipt resolved by whoever holds the sender.
    pub(crate) fn pending() -> (oneshot::Sender<Result<(), StoreError>>, Self) {
        let (tx, rx) = oneshot::channel();
        (tx, Self(Some(rx)))
    }

    /// Waits until the nonce is durable.
    pub async fn wait(self) -> Result<(), StoreError> {
        match self.0 {
            None => Ok(()),
            Some(rx) => rx.await.unwrap_or_else(|_| Err(StoreError::Unavailable("nonce log stopped".into()))),
        }
    }

    /// [`Receipt::wait`] for callers outside an async runtime.
    pub fn wait_blocking(self) -> Result<(), StoreError> {
        match self.0 {
            None => Ok(()),
            Some(rx) => rx.blocking_recv().unwrap_or_else(|_| Err(StoreError::Unavailable("nonce log stopped".into()))),
        }
    }
}

/// Where an engine keeps request guards.
pub trait Guards: Send + Sync + 'static {
    /// Whether several processes share this state (then calls go to the database and block on
    /// the network: the facade runs them off the async runtime).
    fn shared(&self) -> bool;
    /// Records the first use of `nonce` until `expires_at_ms`. An expired entry counts as unused.
    fn first_use_nonce(&self, nonce: &NonceDigest, now_ms: i64, expires_at_ms: i64) -> Result<Recorded, StoreError>;
    /// Counts one request of (account, action) in the current one-second window and returns the
    /// count including it.
    fn count_request(&self, account: &str, action: &str, now_ms: i64) -> Result<u64, StoreError>;
    /// Whether the guards can record nonces now (for `/healthz`); cheap.
    fn health(&self) -> Result<(), StoreError>;
}
