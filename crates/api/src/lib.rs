//! What both API dialects share: the plain HTTP exchange, the services a request needs, the
//! credential cache, nonce replay guard, per-account rate limits, and parameter decoding helpers.
//!
//! Dialect crates turn an [`HttpRequest`] into an [`HttpResponse`]; the server crate owns the
//! listener and decides which dialect a request speaks.

pub mod credentials;
mod exchange;
pub mod flat;
pub mod lenient;
pub mod limits;
pub mod nonces;
mod services;

pub use exchange::{HttpRequest, HttpResponse};
pub use services::{Services, Settings};

/// Largest request body accepted, in bytes.
pub const MAX_BODY: usize = 1024 * 1024;
