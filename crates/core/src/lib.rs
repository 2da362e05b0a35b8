//! eniplane's domain core: resources, IDs, state machines, invariants, quotas, address management
//! and the operations both API dialects run, each inside one store transaction.
//!
//! Nothing here knows HTTP, SQL or either vendor's wire names: the dialect crates translate their
//! requests into the typed inputs of [`ops`] and map [`Error`] to their own error codes.

pub mod catalog;
mod error;
pub mod ids;
pub mod ipam;
pub mod model;
pub mod ops;
pub mod repo;
mod scope;
pub mod time;

pub use catalog::Catalog;
pub use error::{Error, Kind, Quota};
pub use scope::{Cloud, Scope};
