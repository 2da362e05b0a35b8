//! Test support: a private schema per test on the test database, dropped when the test ends, so
//! runs never collide. The database comes from `ENIPLANE_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`); the value `off` skips PostgreSQL tests.

use postgres::{Client, NoTls};

use super::pg_err;
use crate::StoreError;

/// Default test database.
pub const DEFAULT_TEST_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The test database URL, or `None` when PostgreSQL tests are switched off.
pub fn test_database_url() -> Option<String> {
    match std::env::var("ENIPLANE_TEST_DATABASE_URL") {
        Ok(v) if v == "off" => None,
        Ok(v) if !v.is_empty() => Some(v),
        _ => Some(DEFAULT_TEST_URL.to_string()),
    }
}

/// `url` with `search_path` pinned to `schema` (URL or key=value form).
pub fn with_search_path(url: &str, schema: &str) -> String {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}options=-c%20search_path%3D{schema}")
    } else {
        format!("{url} options='-c search_path={schema}'")
    }
}

/// A schema of its own on the test database; dropped (with everything in it) on drop.
pub struct TestSchema {
    base: String,
    name: String,
    url: String,
}

impl TestSchema {
    /// Creates `eniplane_t_<random>` on the test database; `None` when tests are switched off.
    pub fn create() -> Result<Option<Self>, StoreError> {
        let Some(base) = test_database_url() else { return Ok(None) };
        let name = format!("eniplane_t_{:016x}", rand::random::<u64>());
        off_runtime(|| {
            let mut admin = Client::connect(&base, NoTls).map_err(pg_err)?;
            admin.batch_execute(&format!("CREATE SCHEMA {name}")).map_err(pg_err)
        })?;
        let url = with_search_path(&base, &name);
        let url = if url.contains("://") {
            format!("{url}&application_name={name}")
        } else {
            format!("{url} application_name={name}")
        };
        Ok(Some(Self { base, name, url }))
    }

    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A database URL whose connections work inside the schema and carry its name as their
    /// `application_name` (so a test can find, or kill, exactly its own connections).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A plain client inside the schema, for checkers that look at the tables directly. The
    /// synchronous client must not be used on an async runtime's thread: see [`off_runtime`].
    pub fn client(&self) -> Result<Client, StoreError> {
        Client::connect(&self.url, NoTls).map_err(pg_err)
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let (base, name) = (&self.base, &self.name);
        off_runtime(|| {
            if let Ok(mut admin) = Client::connect(base, NoTls) {
                let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"));
            }
        });
    }
}

/// Runs blocking database code on a thread of its own, so it works from inside an async runtime
/// (the synchronous driver starts a runtime of its own and refuses to nest).
pub fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| match s.spawn(f).join() {
        Ok(v) => v,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}
