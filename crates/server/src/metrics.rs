//! Request metrics, exposed at `GET /metrics` in the Prometheus text format: requests and
//! latency per dialect, action and answer code, plus the pending transitions.
//!
//! Labels come from fixed sets (the dialects' action tables and error codes; an action a dialect
//! does not know is labelled `unknown`), so the series stay bounded. Recording is a read lock
//! and a few atomic adds.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;

use crate::http::Dialect;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 10] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5];

#[derive(Default)]
struct Series {
    count: AtomicU64,
    micros: AtomicU64,
    buckets: [AtomicU64; BUCKETS.len()],
}

type Key = (Dialect, &'static str, Option<String>);

/// The registry.
#[derive(Default)]
pub struct Metrics {
    series: RwLock<HashMap<Key, Arc<Series>>>,
}

impl Metrics {
    /// Records one answered request.
    pub fn record(&self, dialect: Dialect, action: Option<&'static str>, code: Option<&str>, took: Duration) {
        // No allocation for the common case: successes carry no code.
        let key = (dialect, action.unwrap_or("unknown"), code.map(str::to_string));
        let found = self.series.read().get(&key).cloned();
        let series = match found {
            Some(s) => s,
            None => self.series.write().entry(key).or_default().clone(),
        };
        let secs = took.as_secs_f64();
        series.count.fetch_add(1, Ordering::Relaxed);
        series.micros.fetch_add(took.as_micros() as u64, Ordering::Relaxed);
        for (bound, bucket) in BUCKETS.iter().zip(series.buckets.iter()) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The Prometheus text exposition; `pending` is the number of pending transitions.
    pub fn render(&self, pending: Option<u64>) -> String {
        let mut out = String::new();
        let series = self.series.read();
        let mut keys: Vec<&Key> = series.keys().collect();
        keys.sort();
        out.push_str("# HELP eniplane_requests_total API requests answered, by dialect, action and code.\n");
        out.push_str("# TYPE eniplane_requests_total counter\n");
        for k in &keys {
            let s = &series[*k];
            let _ = writeln!(out, "eniplane_requests_total{{{}}} {}", labels(k), s.count.load(Ordering::Relaxed));
        }
        out.push_str("# HELP eniplane_request_duration_seconds Time from request to answer.\n");
        out.push_str("# TYPE eniplane_request_duration_seconds histogram\n");
        for k in &keys {
            let s = &series[*k];
            let l = labels(k);
            for (bound, bucket) in BUCKETS.iter().zip(s.buckets.iter()) {
                let _ = writeln!(
                    out,
                    "eniplane_request_duration_seconds_bucket{{{l},le=\"{bound}\"}} {}",
                    bucket.load(Ordering::Relaxed)
                );
            }
            let count = s.count.load(Ordering::Relaxed);
            let _ = writeln!(out, "eniplane_request_duration_seconds_bucket{{{l},le=\"+Inf\"}} {count}");
            let sum = s.micros.load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(out, "eniplane_request_duration_seconds_sum{{{l}}} {sum}");
            let _ = writeln!(out, "eniplane_request_duration_seconds_count{{{l}}} {count}");
        }
        if let Some(p) = pending {
            out.push_str("# HELP eniplane_pending_transitions Asynchronous transitions not yet completed.\n");
            out.push_str("# TYPE eniplane_pending_transitions gauge\n");
            let _ = writeln!(out, "eniplane_pending_transitions {p}");
        }
        out
    }
}

fn labels((dialect, action, code): &Key) -> String {
    let code = code.as_deref().unwrap_or("Success").replace('"', "");
    format!("dialect=\"{}\",action=\"{action}\",code=\"{code}\"", dialect.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_buckets() {
        let m = Metrics::default();
        m.record(Dialect::Tencent, Some("DescribeVpcs"), None, Duration::from_micros(700));
        m.record(Dialect::Tencent, Some("DescribeVpcs"), None, Duration::from_millis(30));
        m.record(Dialect::Ens, None, Some("InvalidAction.NotFound"), Duration::from_micros(100));
        let text = m.render(Some(3));
        assert!(
            text.contains(r#"eniplane_requests_total{dialect="tencent",action="DescribeVpcs",code="Success"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"eniplane_requests_total{dialect="ens",action="unknown",code="InvalidAction.NotFound"} 1"#)
        );
        assert!(text.contains(r#"action="DescribeVpcs",code="Success",le="0.001"} 1"#), "{text}");
        assert!(text.contains(r#"action="DescribeVpcs",code="Success",le="0.05"} 2"#));
        assert!(text.contains("eniplane_pending_transitions 3"));
    }
}
