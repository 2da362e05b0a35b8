//! The store's one error type.

/// Everything that can go wrong below the core. Engine details stay in the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// An insert met an existing (kind, id).
    #[error("record already exists: {0}")]
    Conflict(String),
    /// An update met no record.
    #[error("record not found: {0}")]
    NotFound(String),
    /// The engine could not serialise this transaction against a concurrent one; the engine
    /// retries these itself, callers only see it when retries ran out.
    #[error("transaction conflict, retry: {0}")]
    Retry(String),
    /// The database is unreachable or failed.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Stored data could not be read back (corrupt JSON, wrong schema).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
}
