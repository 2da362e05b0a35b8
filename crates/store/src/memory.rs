//! Request guards kept in process memory, for engines that are not shared between processes
//! (SQLite): exact for one server, with the semantics the shared engine gives in its database.
//!
//! Nonces are fixed-size digests in one hash table capped at [`MAX_NONCES`] unexpired entries, so
//! its memory is bounded: at most 2^22 buckets of 25 bytes (a 16-byte digest, an 8-byte expiry, a
//! control byte), 100 MiB. When it is full even after dropping expired entries, new nonces are
//! refused ([`NonceUse::Full`](crate::NonceUse::Full)): an unexpired nonce is never forgotten
//! early, as that would re-open the replay window. With a log ([`crate::sqlite`]'s nonce log), a
//! first use is durable before its receipt resolves, and the table is reloaded from the log at
//! start.

use std::collections::HashMap;

use parking_lot::Mutex;

use crate::guards::{Guards, NonceDigest, Receipt, Recorded};
use crate::sqlite::nonce_log::NonceLog;
use crate::StoreError;

/// Most unexpired nonces held at once: fills 2^22 hash buckets to their 7/8 load limit, so the
/// table never grows past 2^22 buckets (about 2,000 nonce-carrying requests per second sustained
/// over a 30-minute expiry).
pub const MAX_NONCES: usize = (1 << 22) / 8 * 7;

/// How often expired nonces are swept while the table has room.
const SWEEP_EVERY_MS: i64 = 10_000;
/// How often a full table may be swept again (a sweep walks the whole table).
const FULL_SWEEP_EVERY_MS: i64 = 1_000;
/// Above this many (account, action) windows, windows of earlier seconds are dropped.
const MAX_WINDOWS: usize = 100_000;

/// Wall-clock Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

struct Nonces {
    expiry: HashMap<NonceDigest, i64>,
    last_sweep_ms: i64,
    capacity: usize,
}

impl Nonces {
    fn sweep(&mut self, now_ms: i64) {
        self.expiry.retain(|_, exp| *exp > now_ms);
        self.last_sweep_ms = now_ms;
    }

    /// Inserts a first use; `None` when it is a replay, `Some(false)` when the table is full.
    fn insert(&mut self, nonce: &NonceDigest, now_ms: i64, expires_at_ms: i64) -> Option<bool> {
        if now_ms - self.last_sweep_ms >= SWEEP_EVERY_MS {
            self.sweep(now_ms);
        }
        match self.expiry.get_mut(nonce) {
            Some(exp) if *exp > now_ms => return None,
            Some(exp) => {
                *exp = expires_at_ms;
                return Some(true);
            }
            None => {}
        }
        if self.expiry.len() >= self.capacity {
            if now_ms - self.last_sweep_ms >= FULL_SWEEP_EVERY_MS {
                self.sweep(now_ms);
            }
            if self.expiry.len() >= self.capacity {
                return Some(false);
            }
        }
        self.expiry.insert(*nonce, expires_at_ms);
        Some(true)
    }
}

/// The in-process guards, optionally backed by a durable nonce log.
pub(crate) struct LocalGuards {
    nonces: Mutex<Nonces>,
    windows: Mutex<HashMap<(String, String), (i64, u64)>>,
    log: Option<NonceLog>,
}

impl LocalGuards {
    /// Guards with nothing durable (tests, tools).
    pub(crate) fn in_memory(capacity: usize) -> Self {
        Self {
            nonces: Mutex::new(Nonces { expiry: HashMap::new(), last_sweep_ms: 0, capacity }),
            windows: Mutex::default(),
            log: None,
        }
    }

    /// Guards whose nonces are made durable in `log`, starting from what it holds.
    pub(crate) fn logged(log: NonceLog, capacity: usize) -> Result<Self, StoreError> {
        let now = now_ms();
        let guards = Self::in_memory(capacity);
        {
            let mut n = guards.nonces.lock();
            for (digest, expires) in log.unexpired(now)? {
                if n.expiry.len() >= capacity {
                    tracing::warn!(capacity, "nonce log holds more unexpired nonces than the table takes");
                    break;
                }
                n.expiry.insert(digest, expires);
            }
            n.last_sweep_ms = now;
        }
        Ok(Self { log: Some(log), ..guards })
    }

    /// Nonces held (some may have expired since the last sweep).
    #[cfg(test)]
    fn nonce_count(&self) -> usize {
        self.nonces.lock().expiry.len()
    }
}

impl Guards for LocalGuards {
    fn shared(&self) -> bool {
        false
    }

    fn first_use_nonce(&self, nonce: &NonceDigest, now_ms: i64, expires_at_ms: i64) -> Result<Recorded, StoreError> {
        match self.nonces.lock().insert(nonce, now_ms, expires_at_ms) {
            None => return Ok(Recorded::Replayed),
            Some(false) => return Ok(Recorded::Full),
            Some(true) => {}
        }
        match &self.log {
            Some(log) => Ok(Recorded::First(log.append(nonce, expires_at_ms))),
            None => Ok(Recorded::First(Receipt::durable())),
        }
    }

    fn count_request(&self, account: &str, action: &str, now_ms: i64) -> Result<u64, StoreError> {
        let second = now_ms.div_euclid(1000);
        let mut w = self.windows.lock();
        if w.len() > MAX_WINDOWS {
            w.retain(|_, (s, _)| *s == second);
        }
        let slot = w.entry((account.to_string(), action.to_string())).or_insert((second, 0));
        if slot.0 != second {
            *slot = (second, 0);
        }
        slot.1 += 1;
        Ok(slot.1)
    }

    fn health(&self) -> Result<(), StoreError> {
        match &self.log {
            Some(log) => log.health(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: u8) -> NonceDigest {
        [n; 16]
    }

    fn first(g: &LocalGuards, n: u8, now: i64, exp: i64) -> &'static str {
        match g.first_use_nonce(&d(n), now, exp).unwrap() {
            Recorded::First(_) => "first",
            Recorded::Replayed => "replayed",
            Recorded::Full => "full",
        }
    }

    #[test]
    fn replays_refused_until_expiry() {
        let g = LocalGuards::in_memory(8);
        assert_eq!(first(&g, 1, 1_000, 2_000), "first");
        assert_eq!(first(&g, 1, 1_999, 3_000), "replayed");
        assert_eq!(first(&g, 2, 1_999, 3_000), "first");
        assert_eq!(first(&g, 1, 2_000, 3_000), "first", "usable again once expired");
        assert_eq!(first(&g, 1, 2_500, 3_500), "replayed");
    }

    #[test]
    fn a_full_table_refuses_and_never_forgets_early() {
        let g = LocalGuards::in_memory(3);
        for n in 0..3 {
            assert_eq!(first(&g, n, 1_000, 100_000), "first");
        }
        assert_eq!(first(&g, 9, 1_000, 100_000), "full");
        assert_eq!(first(&g, 0, 1_000, 100_000), "replayed", "held nonces stay held when full");
        assert_eq!(g.nonce_count(), 3);
        // Once entries expire, a sweep makes room again.
        assert_eq!(first(&g, 9, 100_000, 200_000), "first");
        assert_eq!(g.nonce_count(), 1);
    }

    #[test]
    fn the_cap_fits_two_to_the_22_buckets() {
        // A table of 2^22 buckets takes exactly 7/8 of them; one of 2^23 would report twice that.
        let m: HashMap<NonceDigest, i64> = HashMap::with_capacity(MAX_NONCES);
        assert_eq!(m.capacity(), MAX_NONCES);
    }

    #[test]
    fn request_windows_count_per_second() {
        let g = LocalGuards::in_memory(1);
        assert_eq!(g.count_request("a", "x", 1_000).unwrap(), 1);
        assert_eq!(g.count_request("a", "x", 1_999).unwrap(), 2);
        assert_eq!(g.count_request("b", "x", 1_999).unwrap(), 1);
        assert_eq!(g.count_request("a", "x", 2_000).unwrap(), 1);
    }
}
