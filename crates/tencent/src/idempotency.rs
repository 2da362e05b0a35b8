//! `ClientToken` idempotency (reference §11 item 15): a write repeated with the same token and the
//! same parameters returns the first call's answer, RequestId included (so `DescribeVpcTaskResult`
//! keeps following the one task), instead of running again; the same token with other parameters
//! is `UnsupportedOperation.IdempotentParameterMismatch`, and a repeat while the first call runs is
//! `UnsupportedOperation.IdempotentProcessing`. The Go SDK injects tokens precisely so that its
//! network retries are safe. A token belongs to one account, region and action.
//!
//! Two short transactions bracket the action's own: the first reserves the token, the second
//! records the answer (or releases the token when the action failed, so it may be retried). A
//! process killed between the action's commit and the second leaves the token reserved; after
//! [`ABANDONED_MS`] a repeat runs the action again (documented: at-least-once in that window).

use eniplane_api::Services;
use eniplane_core::time;
use eniplane_store::{Record, StoreError, Tx};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{from_domain, ApiError, Service};

/// Store kind of token records.
const KIND: &str = "client_token";
/// A reservation older than this is taken to be abandoned by a dead process.
pub(crate) const ABANDONED_MS: i64 = 60_000;

/// A token presented with a request.
pub(crate) struct Token {
    key: String,
    account: String,
    digest: String,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    digest: String,
    reserved_at: i64,
    /// The first call's answer (`Response` fields including `RequestId`) once it succeeded.
    answer: Option<Value>,
}

/// What to do with a request carrying a token.
pub(crate) enum Begin {
    /// Run it; the token is reserved.
    Run(Token),
    /// Return this earlier answer.
    Replay(Value),
}

/// The token of a request, if it carries one; validates its shape. A token is scoped by account,
/// region and action: the same token in another region or for another action is another token.
pub(crate) fn token_of(params: &Value, account: &str, region: &str, action: &str) -> Result<Option<Token>, ApiError> {
    let Some(raw) = params.get("ClientToken") else { return Ok(None) };
    let token = match raw {
        Value::String(s) if s.is_empty() => return Ok(None),
        Value::String(s) if s.len() <= 64 && s.is_ascii() => s.clone(),
        _ => return Err(ApiError::new("InvalidParameterValue", "ClientToken must be at most 64 ASCII characters.")),
    };
    let mut rest = params.clone();
    if let Value::Object(m) = &mut rest {
        m.remove("ClientToken");
    }
    // `serde_json::Value` objects are sorted maps, so equal parameters serialize equally.
    let digest = hex::encode(Sha256::digest(rest.to_string().as_bytes()));
    Ok(Some(Token { key: format!("{account}/{region}/{action}/{token}"), account: account.into(), digest }))
}

fn record(t: &Token, e: &Entry) -> Result<Record, StoreError> {
    let body = serde_json::to_string(e).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Record { kind: KIND.into(), id: t.key.clone(), account: t.account.clone(), scope: "tencent".into(), body })
}

enum Seen {
    Fresh,
    Replay(Value),
    Mismatch,
    Busy,
}

/// Reserves the token or finds the earlier answer.
pub(crate) async fn begin(svc: &Services, t: Token) -> Result<Begin, ApiError> {
    let (key, account, digest) = (t.key.clone(), t.account.clone(), t.digest.clone());
    let seen = svc
        .store
        .write(move |tx: &mut dyn Tx| {
            let now = time::now_ms();
            let t = Token { key: key.clone(), account: account.clone(), digest: digest.clone() };
            let fresh = Entry { digest: digest.clone(), reserved_at: now, answer: None };
            match tx.get(KIND, &key)? {
                None => {
                    tx.insert(&record(&t, &fresh)?)?;
                    Ok(Seen::Fresh)
                }
                Some(rec) => {
                    let old: Entry = serde_json::from_str(&rec.body).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    if old.digest != digest {
                        Ok(Seen::Mismatch)
                    } else if let Some(answer) = old.answer {
                        Ok(Seen::Replay(answer))
                    } else if now - old.reserved_at < ABANDONED_MS {
                        Ok(Seen::Busy)
                    } else {
                        tx.update(&record(&t, &fresh)?)?;
                        Ok(Seen::Fresh)
                    }
                }
            }
        })
        .await
        .map_err(|e: StoreError| from_domain(e.into(), Service::Vpc))?;
    match seen {
        Seen::Fresh => Ok(Begin::Run(t)),
        Seen::Replay(v) => Ok(Begin::Replay(v)),
        Seen::Mismatch => Err(ApiError::new(
            "UnsupportedOperation.IdempotentParameterMismatch",
            "The ClientToken was used by an earlier request with other parameters.",
        )),
        Seen::Busy => Err(ApiError::new(
            "UnsupportedOperation.IdempotentProcessing",
            "The earlier request with this ClientToken is still being processed; try again later.",
        )),
    }
}

/// Records the answer of a successful call, or releases the token of a failed one.
pub(crate) async fn finish(svc: &Services, t: Token, outcome: &Result<Value, ApiError>, request_id: &str) {
    let answer = outcome.as_ref().ok().map(|v| {
        let mut v = v.clone();
        if let Value::Object(m) = &mut v {
            m.insert("RequestId".into(), Value::String(request_id.into()));
        }
        v
    });
    let result = svc
        .store
        .write(move |tx: &mut dyn Tx| match &answer {
            Some(a) => {
                let e = Entry { digest: t.digest.clone(), reserved_at: time::now_ms(), answer: Some(a.clone()) };
                tx.update(&record(&t, &e)?)
            }
            None => tx.delete(KIND, &t.key).map(|_| ()),
        })
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not record a ClientToken outcome");
    }
}
