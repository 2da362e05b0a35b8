//! The connection layer under the HTTP front: the accept loop with its connection cap, HTTP/1.1
//! served by hyper over plain TCP or TLS, per-connection timeouts (headers, idle keep-alive; the
//! body's is checked where bodies are read, `intake.rs`), hyper's hard header limits, answers to
//! connections over the cap, a bounded lingering close and graceful shutdown.
//!
//! A connection holds one of `max_connections` permits from accept to close. Over the cap, up to
//! [`OVERFLOW_SLOTS`] further connections at a time are served by the *overflow* router (one
//! request, the dialect's busy answer, then close, all within [`OVERFLOW_DEADLINE`]); past that
//! they are closed at once. Nothing a client does can hold a permit longer than the timeouts
//! allow, so a flood of slow or idle connections delays new clients by at most one timeout.

mod activity;
mod stats;

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::time::{sleep_until, timeout, Instant};
use tokio_rustls::TlsAcceptor;

use crate::config::HttpLimits;
use activity::{Activity, Watched};
pub use stats::ConnStats;
use stats::Event;

/// hyper's own limit on the number of header fields; above it hyper answers a plain 431 and
/// closes. It sits above the product limit (`intake::MAX_HEADERS`), which answers the dialect's
/// error envelope instead.
pub const HARD_MAX_HEADERS: usize = 256;
/// hyper's own limit on the request line plus header fields, in bytes (plain 431 above it);
/// above the product limits `intake::MAX_HEADER_BYTES` + `intake::MAX_TARGET_BYTES`.
pub const HARD_MAX_HEAD_BYTES: usize = 64 * 1024;
/// Connections over the cap answered with the busy error at the same time; more are closed
/// at once.
pub const OVERFLOW_SLOTS: usize = 64;
/// Everything an over-the-cap connection may take: the TLS handshake, its request's headers,
/// the answer and the close.
pub const OVERFLOW_DEADLINE: Duration = Duration::from_secs(2);
/// After the last answer, at most this many bytes the client still sends (the rest of a body
/// that was refused) are read and discarded before the socket closes, so the client reads the
/// answer instead of a connection reset.
pub const LINGER_BYTES: usize = 8 * 1024 * 1024;
/// The longest such a lingering close may take.
pub const LINGER_TIMEOUT: Duration = Duration::from_secs(5);
/// A lingering close also ends when the client sends nothing for this long.
pub const LINGER_QUIET: Duration = Duration::from_millis(500);
/// On shutdown, how long open connections may take to finish their requests.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// Pause after a failed `accept` (for example out of file descriptors) before the next.
pub const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// Binds a listening socket with an explicit accept queue length.
pub fn bind(addr: SocketAddr, backlog: u32) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog)
}

/// What one listener serves.
#[derive(Clone)]
pub struct Routes {
    /// Connections within the cap.
    pub main: Router,
    /// Connections over the cap: answers one request with the busy error.
    pub overflow: Router,
}

/// A stop signal shared by listeners: set to `true` to stop.
pub type Stop = watch::Receiver<bool>;

/// Serves `routes` on `listener` until `stop` turns true, then lets open connections finish
/// for up to [`SHUTDOWN_GRACE`]. What becomes of the connections is counted in `stats`.
pub async fn serve(
    listener: TcpListener,
    routes: Routes,
    limits: HttpLimits,
    tls: Option<TlsAcceptor>,
    mut stop: Stop,
    stats: Arc<ConnStats>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let overflow = Arc::new(Semaphore::new(OVERFLOW_SLOTS));
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            () = stopped(&mut stop) => break,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        if let Ok(permit) = slots.clone().try_acquire_owned() {
            stats.record(Event::Accepted);
            let conn =
                Conn { app: routes.main.clone(), limits, tls: tls.clone(), keep_alive: true, stats: stats.clone() };
            let stop = stop.clone();
            tokio::spawn(async move {
                let stats = conn.stats.clone();
                let _open = stats.open();
                conn.run(stream, stop, permit).await
            });
        } else if let Ok(permit) = overflow.clone().try_acquire_owned() {
            stats.record(Event::BusyAnswered);
            let header = limits.header_read_timeout.min(OVERFLOW_DEADLINE);
            let limits = HttpLimits { header_read_timeout: header, ..limits };
            let conn = Conn {
                app: routes.overflow.clone(),
                limits,
                tls: tls.clone(),
                keep_alive: false,
                stats: stats.clone(),
            };
            let stop = stop.clone();
            tokio::spawn(async move {
                let _ = timeout(OVERFLOW_DEADLINE, conn.run(stream, stop, permit)).await;
            });
        } else {
            stats.record(Event::ClosedOverCap);
            tracing::debug!("connection refused: over the cap and no overflow slot");
            drop(stream);
        }
    }
    drop(listener);
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if timeout(SHUTDOWN_GRACE, slots.acquire_many(all)).await.is_err() {
        tracing::warn!("connections still open after the shutdown grace period");
    }
}

/// Resolves once `stop` holds `true`; never if its sender is gone without saying so.
async fn stopped(stop: &mut Stop) {
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        if stop.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// One accepted connection and how to serve it.
struct Conn {
    app: Router,
    limits: HttpLimits,
    tls: Option<TlsAcceptor>,
    keep_alive: bool,
    stats: Arc<ConnStats>,
}

impl Conn {
    async fn run(self, stream: TcpStream, mut stop: Stop, _permit: OwnedSemaphorePermit) {
        let activity = Arc::new(Activity::new(self.limits.header_read_timeout, self.limits.idle_timeout));
        let io = Watched::new(stream, activity.clone());
        match &self.tls {
            None => self.http(io, activity, &mut stop).await,
            Some(acceptor) => match timeout(self.limits.header_read_timeout, acceptor.accept(io)).await {
                Ok(Ok(tls)) => self.http(tls, activity, &mut stop).await,
                Ok(Err(e)) => {
                    self.stats.record(Event::TlsFailed);
                    tracing::debug!(error = %e, "TLS handshake failed");
                }
                Err(_) => {
                    self.stats.record(Event::TimedOutHeaders);
                    tracing::debug!("TLS handshake timed out");
                }
            },
        }
    }

    /// Serves HTTP/1.1 on `io` until the client or a timeout ends it.
    async fn http<S>(&self, io: S, activity: Arc<Activity>, stop: &mut Stop)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let service = Tracked { app: self.app.clone(), activity: activity.clone() };
        let mut builder = http1::Builder::new();
        builder
            .keep_alive(self.keep_alive)
            .half_close(false)
            .max_headers(HARD_MAX_HEADERS)
            .max_header_size(HARD_MAX_HEAD_BYTES)
            .header_read_timeout(None);
        let mut conn = builder.serve_connection(TokioIo::new(io), service);
        let mut stopping = false;
        let finished = loop {
            let check = activity.next_check(Instant::now());
            tokio::select! {
                r = std::future::poll_fn(|cx| conn.poll_without_shutdown(cx)) => break Some(r),
                () = sleep_until(check) => {
                    if activity.expired(Instant::now()) {
                        break None;
                    }
                }
                () = activity.changed() => {}
                () = stopped(stop), if !stopping => {
                    stopping = true;
                    Pin::new(&mut conn).graceful_shutdown();
                }
            }
        };
        match finished {
            None => {
                let phase = activity.phase_name();
                self.stats.record(if activity.is_idle() { Event::TimedOutIdle } else { Event::TimedOutHeaders });
                tracing::debug!(phase, "connection timed out");
            }
            Some(result) => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                linger(conn.into_parts().io.into_inner()).await;
            }
        }
    }
}

/// Half-closes `io` and reads what the client still sends, within [`LINGER_BYTES`] and
/// [`LINGER_TIMEOUT`] and until it pauses for [`LINGER_QUIET`], so an answer sent before the end
/// of a refused body is read by the client rather than lost to the reset that closing a socket
/// with unread data causes.
async fn linger<S: AsyncRead + AsyncWrite + Unpin>(mut io: S) {
    let _ = timeout(LINGER_TIMEOUT, async {
        if io.shutdown().await.is_err() {
            return;
        }
        let mut buf = vec![0u8; 16 * 1024];
        let mut total = 0;
        while total < LINGER_BYTES {
            match timeout(LINGER_QUIET, io.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => total += n,
                _ => return,
            }
        }
    })
    .await;
}

/// The router as a hyper service that tells the connection's [`Activity`] when a request is in the
/// handler (no connection timeout runs then; the body's own timeout does).
#[derive(Clone)]
struct Tracked {
    app: Router,
    activity: Arc<Activity>,
}

type Answer = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

impl hyper::service::Service<Request<Incoming>> for Tracked {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Answer;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let busy = self.activity.begin();
        let mut app = self.app.clone();
        Box::pin(async move {
            let _busy = busy;
            tower_service::Service::call(&mut app, req).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;

    async fn started(app: Router) -> (SocketAddr, watch::Sender<bool>, tokio::task::JoinHandle<()>) {
        let tcp = bind("127.0.0.1:0".parse().unwrap(), 16).unwrap();
        let addr = tcp.local_addr().unwrap();
        let (stop, rx) = watch::channel(false);
        let routes = Routes { main: app.clone(), overflow: app };
        let stats = Arc::new(ConnStats::default());
        (addr, stop, tokio::spawn(serve(tcp, routes, HttpLimits::default(), None, rx, stats)))
    }

    async fn read_until(c: &mut TcpStream, needle: &[u8]) -> Vec<u8> {
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        while !got.windows(needle.len()).any(|w| w == needle) {
            let n = timeout(Duration::from_secs(5), c.read(&mut buf)).await.unwrap().unwrap();
            assert!(n > 0, "closed before {:?}", String::from_utf8_lossy(needle));
            got.extend_from_slice(&buf[..n]);
        }
        got
    }

    #[tokio::test]
    async fn stop_finishes_requests_in_flight_closes_idle_connections_and_returns() {
        let app = Router::new().route("/", get(|| async { "ok" })).route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                "slow done"
            }),
        );
        let (addr, stop, task) = started(app).await;
        let mut idle = TcpStream::connect(addr).await.unwrap();
        idle.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        read_until(&mut idle, b"ok").await;
        let mut busy = TcpStream::connect(addr).await.unwrap();
        busy.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        stop.send(true).unwrap();
        let answer = read_until(&mut busy, b"slow done").await;
        assert!(answer.starts_with(b"HTTP/1.1 200"), "the request in flight is answered");
        timeout(Duration::from_secs(3), task).await.expect("serve returns well within the grace period").unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(timeout(Duration::from_secs(1), idle.read(&mut buf)).await.unwrap().unwrap_or(0), 0);
        assert!(TcpStream::connect(addr).await.is_err(), "no longer accepting");
    }
}
