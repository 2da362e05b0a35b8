//! The eniplane server as a library: the connection layer (listener, TLS), the HTTP front, the
//! transition worker, configuration and account bootstrap. The `eniplane` binary is a thin CLI over it; tests start it in-process.

pub mod accounts;
pub mod config;
pub mod http;
pub mod intake;
pub mod listener;
pub mod metrics;
pub mod tls;
pub mod worker;
