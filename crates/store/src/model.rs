//! Plain data the store keeps: records (JSON documents with an owner) and scheduled transitions.

/// One stored resource: the core decides what `body` (JSON) holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Resource kind, e.g. `eni`, `vpc`, `access_key`.
    pub kind: String,
    /// Resource id, unique within its kind.
    pub id: String,
    /// Owning account id (empty for global records).
    pub account: String,
    /// Partition inside the account, e.g. `tencent/ap-guangzhou`.
    pub scope: String,
    /// The JSON document.
    pub body: String,
}

/// A transition waiting to be scheduled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTransition {
    /// When it becomes due, in Unix milliseconds.
    pub due_at_ms: i64,
    /// What it does (the core's name for it).
    pub kind: String,
    /// The resource it completes, for inspection and tests.
    pub resource: String,
    /// The core's JSON payload.
    pub payload: String,
}

/// A scheduled transition as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// Store-assigned id.
    pub id: i64,
    /// When it becomes due, in Unix milliseconds.
    pub due_at_ms: i64,
    /// What it does.
    pub kind: String,
    /// The resource it completes.
    pub resource: String,
    /// The core's JSON payload.
    pub payload: String,
}
