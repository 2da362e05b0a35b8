//! The engine-neutral transactional store the core runs on: records, claims and due transitions.
//!
//! The core sees only [`Tx`]: a handful of document-store primitives that every SQL engine can offer
//! inside one transaction. [`Store`] is the facade the rest of the system holds; engines (embedded
//! SQLite, shared PostgreSQL) sit behind the object-safe [`Engine`] trait and are chosen at start-up;
//! the request guards they keep (signature nonces, rate windows) sit behind [`Guards`].

mod error;
mod facade;
pub mod fault_suite;
pub mod files;
mod guards;
mod memory;
mod model;
pub mod postgres;
pub mod sqlite;
pub mod suite;

pub use error::StoreError;
pub use facade::{Engine, Outcome, ReadJob, Store, WriteDone, WriteJob};
pub use guards::{Guards, NonceDigest, NonceUse, Receipt, Recorded, NONCE_DIGEST_BYTES};
pub use memory::MAX_NONCES;
pub use model::{NewTransition, Record, Transition};

/// The primitives a transaction offers. Every method runs inside the transaction that was opened
/// for the closure given to [`Store::write`] or [`Store::read`]; nothing is visible to others
/// until that closure returns `Ok` and the engine commits.
pub trait Tx {
    /// One record by kind and id.
    fn get(&mut self, kind: &str, id: &str) -> Result<Option<Record>, StoreError>;
    /// Every record of a kind owned by `account` in `scope`, oldest first.
    fn list(&mut self, kind: &str, account: &str, scope: &str) -> Result<Vec<Record>, StoreError>;
    /// How many records of a kind `account` owns in `scope`.
    fn count(&mut self, kind: &str, account: &str, scope: &str) -> Result<u64, StoreError>;
    /// Inserts a new record; [`StoreError::Conflict`] when (kind, id) exists.
    fn insert(&mut self, record: &Record) -> Result<(), StoreError>;
    /// Replaces the body of an existing record; [`StoreError::NotFound`] when it is missing.
    fn update(&mut self, record: &Record) -> Result<(), StoreError>;
    /// Deletes a record; returns whether it existed.
    fn delete(&mut self, kind: &str, id: &str) -> Result<bool, StoreError>;
    /// Claims a unique key in a space (a private IP in a subnet, a MAC address) for `owner`.
    /// Returns `false` when someone already holds it. Enforced by a unique constraint, so it holds
    /// across concurrent transactions and replicas.
    fn claim(&mut self, space: &str, key: &str, owner: &str) -> Result<bool, StoreError>;
    /// Gives a claimed key back.
    fn release(&mut self, space: &str, key: &str) -> Result<(), StoreError>;
    /// Every (key, owner) claimed in a space.
    fn claimed(&mut self, space: &str) -> Result<Vec<(String, String)>, StoreError>;
    /// How many keys are claimed in a space.
    fn count_claimed(&mut self, space: &str) -> Result<u64, StoreError>;
    /// Records a transition to complete at `due_at_ms`; returns its id.
    fn schedule(&mut self, transition: &NewTransition) -> Result<i64, StoreError>;
    /// Removes and returns a transition, locking it against other replicas; `None` when another
    /// worker already completed it.
    fn take_transition(&mut self, id: i64) -> Result<Option<Transition>, StoreError>;
    /// Transitions due at or before `now_ms`, earliest first (read only).
    fn due_transitions(&mut self, now_ms: i64, limit: u32) -> Result<Vec<Transition>, StoreError>;
    /// The earliest due time of any pending transition.
    fn next_due(&mut self) -> Result<Option<i64>, StoreError>;
    /// Number of pending transitions.
    fn pending_transitions(&mut self) -> Result<u64, StoreError>;
}
