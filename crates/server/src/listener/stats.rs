//! Counters of one listener's connections, rendered into `/metrics`: how many are open, how many
//! were turned away over the cap, and how many were cut off by a timeout or a failed handshake.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// The counters; cheap to bump from any connection task.
#[derive(Debug, Default)]
pub struct ConnStats {
    open: AtomicU64,
    accepted: AtomicU64,
    busy_answered: AtomicU64,
    closed_over_cap: AtomicU64,
    timed_out_headers: AtomicU64,
    timed_out_idle: AtomicU64,
    tls_failed: AtomicU64,
}

/// Something that happened to a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Event {
    /// Accepted within the cap.
    Accepted,
    /// Over the cap, served by the overflow router.
    BusyAnswered,
    /// Over the cap with no overflow slot: closed at once.
    ClosedOverCap,
    /// Cut off waiting for a request's headers (or the TLS handshake).
    TimedOutHeaders,
    /// Cut off idle between requests.
    TimedOutIdle,
    /// The TLS handshake failed.
    TlsFailed,
}

/// Counts a connection as open until dropped.
pub(super) struct Open<'a>(&'a ConnStats);

impl Drop for Open<'_> {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl ConnStats {
    pub(super) fn record(&self, event: Event) {
        let counter = match event {
            Event::Accepted => &self.accepted,
            Event::BusyAnswered => &self.busy_answered,
            Event::ClosedOverCap => &self.closed_over_cap,
            Event::TimedOutHeaders => &self.timed_out_headers,
            Event::TimedOutIdle => &self.timed_out_idle,
            Event::TlsFailed => &self.tls_failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn open(&self) -> Open<'_> {
        self.open.fetch_add(1, Ordering::Relaxed);
        Open(self)
    }

    /// Appends the Prometheus text of the counters to `out`.
    pub fn render(&self, out: &mut String) {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        out.push_str("# HELP eniplane_connections_open Connections being served (within the cap).\n");
        out.push_str("# TYPE eniplane_connections_open gauge\n");
        let _ = writeln!(out, "eniplane_connections_open {}", get(&self.open));
        out.push_str("# HELP eniplane_connections_total Connections accepted, by what became of them.\n");
        out.push_str("# TYPE eniplane_connections_total counter\n");
        for (outcome, c) in [
            ("served", &self.accepted),
            ("busy_answered", &self.busy_answered),
            ("closed_over_cap", &self.closed_over_cap),
        ] {
            let _ = writeln!(out, "eniplane_connections_total{{outcome=\"{outcome}\"}} {}", get(c));
        }
        out.push_str("# HELP eniplane_connections_cut_total Connections cut off, by reason.\n");
        out.push_str("# TYPE eniplane_connections_cut_total counter\n");
        for (reason, c) in [
            ("header_timeout", &self.timed_out_headers),
            ("idle_timeout", &self.timed_out_idle),
            ("tls_handshake", &self.tls_failed),
        ] {
            let _ = writeln!(out, "eniplane_connections_cut_total{{reason=\"{reason}\"}} {}", get(c));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_renders() {
        let s = ConnStats::default();
        let a = s.open();
        let _b = s.open();
        drop(a);
        s.record(Event::Accepted);
        s.record(Event::TimedOutHeaders);
        s.record(Event::TimedOutHeaders);
        let mut text = String::new();
        s.render(&mut text);
        assert!(text.contains("eniplane_connections_open 1\n"), "{text}");
        assert!(text.contains("eniplane_connections_total{outcome=\"served\"} 1\n"), "{text}");
        assert!(text.contains("eniplane_connections_cut_total{reason=\"header_timeout\"} 2\n"), "{text}");
        assert!(text.contains("eniplane_connections_cut_total{reason=\"idle_timeout\"} 0\n"), "{text}");
    }
}
