//! The eniplane server as a library: the connection layer (listener, TLS), the HTTP front, the
//! admin API, the request log, the transition worker, configuration, and the account and key
//! commands. The `eniplane` binary is a thin CLI over it; tests start it in-process.

pub mod accounts;
pub mod admin;
pub mod config;
pub mod http;
pub mod intake;
pub mod keys;
pub mod listener;
pub mod log;
pub mod metrics;
pub mod secret_key;
pub mod tls;
pub mod worker;
