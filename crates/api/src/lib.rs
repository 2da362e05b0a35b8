//! What both API dialects share: the plain HTTP exchange and the request parsed once within the
//! input limits, the services a request needs, the credential cache, nonce replay guard,
//! per-account rate limits, parameter decoding helpers, and the reading of the resources a
//! request names.
//!
//! Dialect crates turn a [`ParsedRequest`] into an [`HttpResponse`]; the server crate owns the
//! listener, parses the request and decides which dialect it speaks.

pub mod credentials;
mod exchange;
pub mod flat;
pub mod input;
pub mod json;
pub mod lenient;
pub mod limits;
pub mod nonces;
pub mod resources;
mod services;

pub use exchange::{HttpRequest, HttpResponse, ParsedRequest};
pub use services::{Services, Settings};

/// Largest request body accepted, in bytes.
pub const MAX_BODY: usize = 1024 * 1024;
