//! What a connection is doing, for its timeouts: reading a request's headers (from the
//! connection's start, or from the first byte after an idle period), in the handler, or idle
//! between requests (while the last answer is written and after). [`Watched`] wraps the socket
//! and reports bytes read and written; the service reports when a request enters and leaves the
//! handler; the connection task sleeps until the next deadline (woken early when a phase change
//! brings it forward) and cuts the connection when it passes.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

/// How long the connection task sleeps while a request is in the handler (it is woken when
/// the request leaves it).
const IN_HANDLER_NAP: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for (the rest of) a request's headers since this instant.
    Head(Instant),
    /// In the handler (that many requests; HTTP/1.1 has at most one).
    Busy(u32),
    /// Between requests; the last byte went out (or the handler finished) at this instant.
    Idle(Instant),
}

/// A connection's phase and its two connection-level timeouts.
#[derive(Debug)]
pub(super) struct Activity {
    header: Duration,
    idle: Duration,
    phase: Mutex<Phase>,
    /// Signalled when a deadline moves earlier (idle → headers, handler → idle).
    changed: Notify,
}

/// Marks a request as in the handler until dropped.
pub(super) struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.end(Instant::now());
    }
}

impl Activity {
    /// A fresh connection: its first request's headers are due within `header`.
    pub(super) fn new(header: Duration, idle: Duration) -> Self {
        Self { header, idle, phase: Mutex::new(Phase::Head(Instant::now())), changed: Notify::new() }
    }

    fn read(&self, now: Instant) {
        let mut p = self.phase.lock();
        if let Phase::Idle(_) = *p {
            *p = Phase::Head(now);
            self.changed.notify_one();
        }
    }

    fn wrote(&self, now: Instant) {
        let mut p = self.phase.lock();
        if let Phase::Idle(_) = *p {
            *p = Phase::Idle(now);
        }
    }

    /// A request's headers are in and it goes to the handler.
    pub(super) fn begin(self: &Arc<Self>) -> Busy {
        let mut p = self.phase.lock();
        *p = match *p {
            Phase::Busy(n) => Phase::Busy(n.saturating_add(1)),
            Phase::Head(_) | Phase::Idle(_) => Phase::Busy(1),
        };
        Busy(self.clone())
    }

    fn end(&self, now: Instant) {
        let mut p = self.phase.lock();
        *p = match *p {
            Phase::Busy(n) if n > 1 => Phase::Busy(n - 1),
            _ => {
                self.changed.notify_one();
                Phase::Idle(now)
            }
        };
    }

    /// Resolves when the deadline may have moved earlier.
    pub(super) async fn changed(&self) {
        self.changed.notified().await
    }

    fn deadline(&self) -> Option<Instant> {
        match *self.phase.lock() {
            Phase::Head(since) => Some(since + self.header),
            Phase::Idle(since) => Some(since + self.idle),
            Phase::Busy(_) => None,
        }
    }

    /// When to look again: the current deadline, or (in the handler) a long nap.
    pub(super) fn next_check(&self, now: Instant) -> Instant {
        self.deadline().unwrap_or(now + IN_HANDLER_NAP)
    }

    /// Whether the connection is past its deadline.
    pub(super) fn expired(&self, now: Instant) -> bool {
        self.deadline().is_some_and(|d| now >= d)
    }

    /// Whether the connection is between requests.
    pub(super) fn is_idle(&self) -> bool {
        matches!(*self.phase.lock(), Phase::Idle(_))
    }

    /// The phase, for logs.
    pub(super) fn phase_name(&self) -> &'static str {
        match *self.phase.lock() {
            Phase::Head(_) => "headers",
            Phase::Busy(_) => "handler",
            Phase::Idle(_) => "idle",
        }
    }
}

/// A socket that reports its traffic to an [`Activity`].
pub(super) struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Watched<S> {
    pub(super) fn new(inner: S, activity: Arc<Activity>) -> Self {
        Self { inner, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read(Instant::now());
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote(Instant::now());
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote(Instant::now());
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: Duration = Duration::from_secs(10);
    const I: Duration = Duration::from_secs(60);

    #[test]
    fn a_fresh_connection_owes_its_headers_within_the_header_timeout() {
        let a = Activity::new(H, I);
        let t0 = Instant::now();
        assert!(!a.expired(t0));
        assert!(a.expired(t0 + H + Duration::from_millis(1)));
        // Trickled bytes do not extend the header deadline.
        a.read(t0 + Duration::from_secs(9));
        assert!(a.expired(t0 + H + Duration::from_millis(1)));
    }

    #[test]
    fn in_the_handler_nothing_expires_and_checks_stay_early() {
        let a = Arc::new(Activity::new(H, I));
        let t0 = Instant::now();
        let busy = a.begin();
        assert!(!a.expired(t0 + Duration::from_secs(3600)));
        assert!(a.next_check(t0) > t0 + I, "no deadline in the handler");
        drop(busy);
        let t1 = Instant::now();
        assert!(!a.expired(t1 + H + Duration::from_millis(1)), "idle now, not reading headers");
        assert!(a.expired(t1 + I + Duration::from_millis(1)));
        assert_eq!(a.phase_name(), "idle");
    }

    #[test]
    fn writes_extend_idle_and_the_first_read_starts_the_header_clock() {
        let a = Arc::new(Activity::new(H, I));
        drop(a.begin());
        let t = Instant::now();
        a.wrote(t + Duration::from_secs(50));
        assert!(!a.expired(t + Duration::from_secs(100)), "a slow reader of the answer keeps the connection");
        a.read(t + Duration::from_secs(100));
        assert_eq!(a.phase_name(), "headers");
        assert!(a.expired(t + Duration::from_secs(100) + H));
        a.wrote(t + Duration::from_secs(105));
        assert!(a.expired(t + Duration::from_secs(100) + H), "writes do not extend the header clock");
    }

    #[tokio::test]
    async fn phase_changes_that_bring_the_deadline_forward_wake_the_connection_task() {
        let a = Arc::new(Activity::new(H, I));
        drop(a.begin());
        tokio::time::timeout(Duration::from_secs(1), a.changed()).await.expect("handler → idle wakes");
        a.read(Instant::now());
        tokio::time::timeout(Duration::from_secs(1), a.changed()).await.expect("idle → headers wakes");
        a.read(Instant::now());
        assert!(tokio::time::timeout(Duration::from_millis(50), a.changed()).await.is_err(), "later reads do not");
    }

    #[test]
    fn nested_busy_marks_count() {
        let a = Arc::new(Activity::new(H, I));
        let one = a.begin();
        let two = a.begin();
        drop(one);
        assert_eq!(a.phase_name(), "handler");
        drop(two);
        assert_eq!(a.phase_name(), "idle");
    }
}
