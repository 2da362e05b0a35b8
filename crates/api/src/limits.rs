//! Per-account, per-action request rate limits (token buckets from `governor`). Each action has
//! its documented rate; the operator may override rates or switch limits off. One account never
//! slows another: buckets are keyed by (account, action).
//!
//! With one server (SQLite) the buckets live in memory. On a shared store (PostgreSQL, several
//! replicas) the limit must hold per account across replicas, so it is counted in the database
//! instead: a fixed one-second window per (account, action), on the database's clock. A request
//! is allowed when it is among the first `rate` of its window, whichever replica it reached.
//! That is exact per calendar second, but like every fixed window it lets up to twice the rate
//! through across a window boundary; token buckets per replica would instead let `replicas ×
//! rate` through, and a database-side token bucket costs the same round trip for no real gain.
//! If the database cannot answer the request is allowed: it then fails on the store anyway.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;

use eniplane_store::Store;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use parking_lot::RwLock;

/// One token-bucket limiter keyed by (account, action).
type Bucket = Arc<DefaultKeyedRateLimiter<(String, String)>>;

/// The limiter set.
pub struct RateLimits {
    enabled: bool,
    overrides: HashMap<String, u32>,
    buckets: RwLock<HashMap<u32, Bucket>>,
    shared: Option<Store>,
}

impl RateLimits {
    /// Limits with optional per-action overrides (`vpc:DescribeNetworkInterfaces` → rate).
    pub fn new(enabled: bool, overrides: HashMap<String, u32>) -> Self {
        Self { enabled, overrides, buckets: RwLock::default(), shared: None }
    }

    /// Counts in `store` when it is shared by replicas (see the module docs); no change otherwise.
    pub fn share(mut self, store: &Store) -> Self {
        if store.is_shared() {
            self.shared = Some(store.clone());
        }
        self
    }

    /// No limits at all.
    pub fn disabled() -> Self {
        Self::new(false, HashMap::new())
    }

    /// The rate in force for an action with a documented rate.
    pub fn rate_for(&self, action: &str, documented: u32) -> u32 {
        self.overrides.get(action).copied().unwrap_or(documented)
    }

    /// Takes one token for (account, action); `false` when the account is over the rate.
    pub fn allow(&self, account: &str, action: &str, documented: u32) -> bool {
        if !self.enabled {
            return true;
        }
        let rate = self.rate_for(action, documented);
        let Some(per_second) = NonZeroU32::new(rate) else { return true };
        if let Some(store) = &self.shared {
            return match store.count_request(account, action) {
                Ok(n) => n <= u64::from(rate),
                Err(e) => {
                    tracing::warn!(error = %e, "rate limit skipped: store unavailable");
                    true
                }
            };
        }
        let limiter = self.bucket(rate, per_second);
        limiter.check_key(&(account.to_string(), action.to_string())).is_ok()
    }

    fn bucket(&self, rate: u32, per_second: NonZeroU32) -> Bucket {
        if let Some(b) = self.buckets.read().get(&rate) {
            return b.clone();
        }
        self.buckets
            .write()
            .entry(rate)
            .or_insert_with(|| Arc::new(RateLimiter::keyed(Quota::per_second(per_second))))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_account_and_action() {
        let l = RateLimits::new(true, HashMap::new());
        let allowed = (0..30).filter(|_| l.allow("a", "vpc:X", 20)).count();
        assert_eq!(allowed, 20, "burst equals the per-second rate");
        assert!(l.allow("b", "vpc:X", 20), "another account has its own bucket");
        assert!(l.allow("a", "vpc:Y", 20), "another action has its own bucket");
    }

    #[test]
    fn overrides_and_disabled() {
        let l = RateLimits::new(true, [("vpc:X".to_string(), 2)].into_iter().collect());
        assert_eq!((0..5).filter(|_| l.allow("a", "vpc:X", 20)).count(), 2);
        let off = RateLimits::disabled();
        assert!((0..1000).all(|_| off.allow("a", "vpc:X", 1)));
    }
}
