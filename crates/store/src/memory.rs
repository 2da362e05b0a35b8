//! In-process nonce and request-counter state for engines that are not shared between processes
//! (SQLite): exact for one server, with the same semantics the shared engine gives in its database.

use std::collections::HashMap;

use parking_lot::Mutex;

/// Wall-clock Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

#[derive(Default)]
struct Nonces {
    expiry: HashMap<(String, String), i64>,
    next_sweep_ms: i64,
}

/// The state.
#[derive(Default)]
pub(crate) struct Local {
    nonces: Mutex<Nonces>,
    windows: Mutex<HashMap<(String, String), (i64, u64)>>,
}

impl Local {
    pub(crate) fn first_use_nonce(&self, key: &str, nonce: &str, now_ms: i64, expires_at_ms: i64) -> bool {
        let mut n = self.nonces.lock();
        if now_ms >= n.next_sweep_ms {
            n.expiry.retain(|_, exp| *exp > now_ms);
            n.next_sweep_ms = now_ms + 10_000;
        }
        let k = (key.to_string(), nonce.to_string());
        match n.expiry.get(&k) {
            Some(exp) if *exp > now_ms => false,
            _ => {
                n.expiry.insert(k, expires_at_ms);
                true
            }
        }
    }

    pub(crate) fn count_request(&self, account: &str, action: &str, now_ms: i64) -> u64 {
        let second = now_ms.div_euclid(1000);
        let mut w = self.windows.lock();
        if w.len() > 100_000 {
            w.retain(|_, (s, _)| *s == second);
        }
        let slot = w.entry((account.to_string(), action.to_string())).or_insert((second, 0));
        if slot.0 != second {
            *slot = (second, 0);
        }
        slot.1 += 1;
        slot.1
    }
}
