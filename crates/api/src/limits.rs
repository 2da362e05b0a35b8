//! Per-account, per-action request rate limits (token buckets from `governor`). Each action has
//! its documented rate; the operator may override rates or switch limits off. One account never
//! slows another: buckets are keyed by (account, action).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use parking_lot::RwLock;

/// The limiter set.
pub struct RateLimits {
    enabled: bool,
    overrides: HashMap<String, u32>,
    buckets: RwLock<HashMap<u32, Arc<DefaultKeyedRateLimiter<(String, String)>>>>,
}

impl RateLimits {
    /// Limits with optional per-action overrides (`vpc:DescribeNetworkInterfaces` → rate).
    pub fn new(enabled: bool, overrides: HashMap<String, u32>) -> Self {
        Self { enabled, overrides, buckets: RwLock::default() }
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
        let limiter = self.bucket(rate, per_second);
        limiter.check_key(&(account.to_string(), action.to_string())).is_ok()
    }

    fn bucket(&self, rate: u32, per_second: NonZeroU32) -> Arc<DefaultKeyedRateLimiter<(String, String)>> {
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
