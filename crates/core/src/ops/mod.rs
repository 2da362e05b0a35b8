//! The operations both dialects run. Each takes the open transaction, an [`Env`] and a typed
//! input, checks every rule, and writes its whole effect or returns an error (the caller rolls
//! the transaction back, so nothing is half-applied).

pub mod accounts;
pub mod eni;
pub mod ens;
pub mod instance;
pub mod network;
pub mod private_ip;
pub mod security_group;
pub mod task;
pub mod transitions;

use std::sync::Arc;

use crate::{Catalog, Cloud, Error, Scope};

/// Everything an operation needs besides the transaction and its input.
#[derive(Debug, Clone)]
pub struct Env {
    /// Caller's account, cloud and region.
    pub scope: Scope,
    /// Operator catalogue.
    pub catalog: Arc<Catalog>,
    /// Request time, Unix ms.
    pub now_ms: i64,
    /// How long asynchronous transitions take.
    pub delay_ms: i64,
    /// The request id; asynchronous tasks are keyed by it.
    pub request_id: String,
}

impl Env {
    /// When a transition started now becomes due.
    pub fn due(&self) -> i64 {
        self.now_ms + self.delay_ms
    }

    /// The cloud of the caller.
    pub fn cloud(&self) -> Cloud {
        self.scope.cloud
    }
}

/// Rejects lists longer than `max`.
pub fn check_len<T>(field: &str, items: &[T], max: usize) -> Result<(), Error> {
    if items.len() > max {
        return Err(Error::TooMany { field: field.into(), max });
    }
    Ok(())
}

/// Removes duplicates keeping the first occurrence.
pub fn dedup(items: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    items.iter().filter(|i| seen.insert(i.as_str())).cloned().collect()
}
