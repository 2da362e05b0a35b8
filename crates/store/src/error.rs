//! The store's one error type.

/// How much of a panic's message is kept (it may quote request data).
const PANIC_MESSAGE_CHARS: usize = 200;

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
    /// The transaction body panicked; the engine rolled it back and carries on with other jobs.
    #[error("the transaction panicked and was rolled back: {0}")]
    Panicked(String),
}

impl StoreError {
    /// The error for a caught panic, with (the start of) the panic's message when it carried one.
    pub fn from_panic(payload: &(dyn std::any::Any + Send)) -> Self {
        let message = match (payload.downcast_ref::<&str>(), payload.downcast_ref::<String>()) {
            (Some(s), _) => s,
            (_, Some(s)) => s.as_str(),
            _ => "no message",
        };
        Self::Panicked(message.chars().take(PANIC_MESSAGE_CHARS).collect())
    }
}
