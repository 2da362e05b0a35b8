//! Reading a request before a dialect sees it: the product limits on the header block and the
//! request target, the body within `MAX_BODY` and the body-read timeout, and the dialect's error
//! answer when any of these fails, or when the server is over its connection cap.
//!
//! The limits are checked on what hyper has already parsed (hyper's own hard limits,
//! `listener::HARD_MAX_*`, sit above these), so an oversize header block gets the dialect's
//! envelope rather than a bare 431. Every refusal closes the connection (`Connection: close`);
//! the listener's lingering close lets the client read the answer.

use std::time::Duration;

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use eniplane_api::{HttpResponse, MAX_BODY};
use http::request::Parts;
use http_body_util::BodyExt;
use tokio::time::{timeout_at, Instant};

use crate::http::Dialect;

/// Most header fields a request may carry.
pub const MAX_HEADERS: usize = 64;
/// Most bytes the header fields may take (each counted as `name: value` plus CRLF).
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Longest request target (path and query), in bytes.
pub const MAX_TARGET_BYTES: usize = 32 * 1024;
/// Of a body refused as too large, how much of its start is read to tell the dialect (for
/// example from form parameters), in bytes.
pub const BODY_START_BYTES: usize = 8 * 1024;
/// How long to wait for that start.
pub const BODY_START_WAIT: Duration = Duration::from_secs(2);

/// Why a request is refused before a dialect reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// More than [`MAX_HEADERS`] header fields (the count).
    TooManyHeaders(usize),
    /// Header fields over [`MAX_HEADER_BYTES`] (the size).
    HeadersTooLarge(usize),
    /// Request target over [`MAX_TARGET_BYTES`] (the size).
    TargetTooLong(usize),
    /// A body over `MAX_BODY`, declared or sent.
    BodyTooLarge,
    /// A body hyper could not decode (bad chunked framing, cut short).
    BodyMalformed(String),
    /// The body did not arrive within the body-read timeout.
    BodyTimeout(Duration),
}

/// A refusal and the start of the body read so far (for dialect detection).
#[derive(Debug)]
pub struct Refused {
    pub refusal: Refusal,
    pub body_start: Bytes,
}

impl Refusal {
    fn message(&self) -> String {
        match self {
            Self::TooManyHeaders(n) => {
                format!("The request carries {n} header fields; at most {MAX_HEADERS} are accepted.")
            }
            Self::HeadersTooLarge(n) => {
                format!("The request's header fields take {n} bytes; at most {MAX_HEADER_BYTES} are accepted.")
            }
            Self::TargetTooLong(n) => {
                format!(
                    "The request target (path and query) is {n} bytes long; at most {MAX_TARGET_BYTES} are accepted."
                )
            }
            Self::BodyTooLarge => format!("The request body exceeds the limit of {MAX_BODY} bytes."),
            Self::BodyMalformed(why) => format!("The request body is malformed: {why}."),
            Self::BodyTimeout(t) => format!("The request body was not received within {} ms.", t.as_millis()),
        }
    }

    /// The dialect's error envelope for this refusal, closing the connection.
    pub fn render(&self, dialect: Dialect) -> HttpResponse {
        let message = self.message();
        let r = match dialect {
            Dialect::Tencent => eniplane_tencent::reject("InvalidParameter", message),
            Dialect::Ens => eniplane_ens::reject(400, "InvalidParameter", message),
        };
        closing(r)
    }
}

/// The dialect's answer to a request on a connection over the cap.
pub fn busy(dialect: Dialect) -> HttpResponse {
    let r = match dialect {
        Dialect::Tencent => eniplane_tencent::reject(
            "RequestLimitExceeded",
            "The server is serving as many connections as it allows; retry later.".into(),
        ),
        Dialect::Ens => eniplane_ens::reject(
            503,
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.".into(),
        ),
    };
    closing(r)
}

fn closing(mut r: HttpResponse) -> HttpResponse {
    r.headers.push(("Connection".into(), "close".into()));
    r
}

/// Checks the header block and the request target against the product limits.
pub fn check_head(head: &Parts) -> Result<(), Refusal> {
    let count = head.headers.len();
    if count > MAX_HEADERS {
        return Err(Refusal::TooManyHeaders(count));
    }
    let bytes: usize = head.headers.iter().map(|(n, v)| n.as_str().len() + v.len() + 4).sum();
    if bytes > MAX_HEADER_BYTES {
        return Err(Refusal::HeadersTooLarge(bytes));
    }
    let target = head.uri.authority().map_or(0, |a| a.as_str().len())
        + head.uri.path_and_query().map_or(0, |p| p.as_str().len());
    if target > MAX_TARGET_BYTES {
        return Err(Refusal::TargetTooLong(target));
    }
    Ok(())
}

/// Checks the head, then reads the body: at most `MAX_BODY` bytes, all within `body_timeout`.
pub async fn read(head: &Parts, body: Body, body_timeout: Duration) -> Result<Bytes, Refused> {
    check_head(head).map_err(|refusal| Refused { refusal, body_start: Bytes::new() })?;
    let deadline = Instant::now() + body_timeout;
    let declared = head.headers.get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        // A client waiting for `100 Continue` has not sent the body and need not: reading it
        // would invite the whole upload.
        let waiting =
            head.headers.get(http::header::EXPECT).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        let start =
            if waiting { Bytes::new() } else { read_start(body, deadline.min(Instant::now() + BODY_START_WAIT)).await };
        return Err(Refused { refusal: Refusal::BodyTooLarge, body_start: start });
    }
    // `declared` is at most MAX_BODY here.
    let mut buf = BytesMut::with_capacity(declared.unwrap_or(0) as usize);
    let mut body = body;
    loop {
        let refusal = match timeout_at(deadline, body.frame()).await {
            Ok(None) => return Ok(buf.freeze()),
            Ok(Some(Ok(frame))) => match frame.into_data() {
                Ok(data) if buf.len() + data.len() > MAX_BODY => Refusal::BodyTooLarge,
                Ok(data) => {
                    buf.extend_from_slice(&data);
                    continue;
                }
                Err(_trailers) => continue,
            },
            Ok(Some(Err(e))) => Refusal::BodyMalformed(innermost(&e)),
            Err(_) => Refusal::BodyTimeout(body_timeout),
        };
        buf.truncate(BODY_START_BYTES);
        return Err(Refused { refusal, body_start: buf.freeze() });
    }
}

/// Up to [`BODY_START_BYTES`] of the body, whatever arrives before `until`.
async fn read_start(mut body: Body, until: Instant) -> Bytes {
    let mut buf = BytesMut::new();
    while buf.len() < BODY_START_BYTES {
        match timeout_at(until, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    let take = data.len().min(BODY_START_BYTES - buf.len());
                    buf.extend_from_slice(&data[..take]);
                }
            }
            _ => break,
        }
    }
    buf.freeze()
}

/// The most specific message in an error's source chain.
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    let text = cur.to_string();
    let text = text.trim_end_matches('.');
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => "unreadable".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(headers: &[(&str, String)], target: &str) -> Parts {
        let mut b = http::Request::builder().uri(target);
        for (n, v) in headers {
            b = b.header(*n, v.as_str());
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn header_limits() {
        let many: Vec<(&str, String)> = (0..=MAX_HEADERS).map(|_| ("x-a", "1".to_string())).collect();
        assert_eq!(check_head(&head(&many, "/")), Err(Refusal::TooManyHeaders(MAX_HEADERS + 1)));
        let ok: Vec<(&str, String)> = (0..MAX_HEADERS).map(|_| ("x-a", "1".to_string())).collect();
        assert_eq!(check_head(&head(&ok, "/")), Ok(()));
        let big = vec![("x-big", "v".repeat(MAX_HEADER_BYTES))];
        assert!(matches!(check_head(&head(&big, "/")), Err(Refusal::HeadersTooLarge(n)) if n > MAX_HEADER_BYTES));
        let long = format!("/?a={}", "b".repeat(MAX_TARGET_BYTES));
        assert!(matches!(check_head(&head(&[], &long)), Err(Refusal::TargetTooLong(n)) if n > MAX_TARGET_BYTES));
    }

    #[tokio::test]
    async fn bodies_within_and_over_the_limit() {
        let h = head(&[], "/");
        let ok = read(&h, Body::from(vec![b'a'; MAX_BODY]), Duration::from_secs(5)).await.unwrap();
        assert_eq!(ok.len(), MAX_BODY);
        let over = read(&h, Body::from(vec![b'a'; MAX_BODY + 1]), Duration::from_secs(5)).await.unwrap_err();
        assert_eq!(over.refusal, Refusal::BodyTooLarge);
        assert_eq!(over.body_start.len(), 0, "one frame over the limit is not kept");
        let declared = head(&[("content-length", (MAX_BODY + 1).to_string())], "/");
        let over = read(&declared, Body::from("Version=2017-11-10&x=1"), Duration::from_secs(5)).await.unwrap_err();
        assert_eq!(over.refusal, Refusal::BodyTooLarge);
        assert_eq!(&over.body_start[..], b"Version=2017-11-10&x=1", "the start is kept for detection");
    }

    #[test]
    fn messages_name_the_limit() {
        let r = Refusal::BodyTooLarge.render(Dialect::Ens);
        assert_eq!(r.status, 400);
        assert!(r.headers.iter().any(|(n, v)| n == "Connection" && v == "close"));
        let text = String::from_utf8(r.body).unwrap();
        assert!(text.contains("InvalidParameter") && text.contains(&MAX_BODY.to_string()), "{text}");
        let r = Refusal::TooManyHeaders(70).render(Dialect::Tencent);
        assert_eq!(r.status, 200);
        assert!(String::from_utf8(r.body).unwrap().contains("at most 64"));
        let b = busy(Dialect::Ens);
        assert_eq!(b.status, 503);
        assert!(String::from_utf8(busy(Dialect::Tencent).body).unwrap().contains("RequestLimitExceeded"));
    }
}
