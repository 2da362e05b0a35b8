//! The admin token: given by the operator (`--admin-token`, `ENIPLANE_ADMIN_TOKEN` or the config
//! file's `[admin] token`), else the one saved in `DATA_DIR/admin.token`, generated on first
//! start (32 random bytes, hex; mode 0600; printed once by `serve`).
//!
//! On PostgreSQL the data directory still holds the token (and the self-signed TLS files), so
//! each replica with its own data directory would generate its own: replicas behind one load
//! balancer should be given the same token by flag, environment or file.

use std::fs;
use std::path::{Path, PathBuf};

use rand::RngCore;

use crate::config::AdminToken;

/// The file under the data directory holding a generated token.
pub const TOKEN_FILE: &str = "admin.token";
/// Random bytes in a generated token (hex-encoded: twice as many characters).
pub const GENERATED_BYTES: usize = 32;

/// Where the token in force came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Flag, environment or config file.
    Given,
    /// `DATA_DIR/admin.token`; `created` when this start generated it.
    DataDir { path: PathBuf, created: bool },
}

/// The token in force.
#[derive(Clone)]
pub struct Token {
    /// The bearer token.
    pub value: String,
    /// Where it came from.
    pub origin: Origin,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token").field("value", &"…").field("origin", &self.origin).finish()
    }
}

/// The token to guard the admin API with: `given`, else the saved one, else a new one saved
/// under `data_dir`.
pub fn resolve(given: Option<&AdminToken>, data_dir: &Path) -> Result<Token, String> {
    if let Some(t) = given {
        return Ok(Token { value: t.0.clone(), origin: Origin::Given });
    }
    let path = data_dir.join(TOKEN_FILE);
    if let Some(value) = read_saved(data_dir)? {
        return Ok(Token { value, origin: Origin::DataDir { path, created: false } });
    }
    let mut bytes = [0u8; GENERATED_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let value = hex::encode(bytes);
    fs::create_dir_all(data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
    crate::tls::write_private(&path, format!("{value}\n").as_bytes())
        .map_err(|e| format!("saving the admin token in {}: {e}", path.display()))?;
    Ok(Token { value, origin: Origin::DataDir { path, created: true } })
}

/// The token saved in `DATA_DIR/admin.token`, if there is one.
pub fn read_saved(data_dir: &Path) -> Result<Option<String>, String> {
    let path = data_dir.join(TOKEN_FILE);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("reading the admin token {}: {e}", path.display())),
    };
    let value = text.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!("{}: not a token (one line of printable ASCII); delete it for a new one", path.display()));
    }
    Ok(Some(value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn generated_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = resolve(None, &data).unwrap();
        assert_eq!(first.origin, Origin::DataDir { path: data.join(TOKEN_FILE), created: true });
        assert_eq!(first.value.len(), GENERATED_BYTES * 2);
        assert!(first.value.bytes().all(|b| b.is_ascii_hexdigit()));
        let mode = fs::metadata(data.join(TOKEN_FILE)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let again = resolve(None, &data).unwrap();
        assert_eq!(again.value, first.value);
        assert_eq!(again.origin, Origin::DataDir { path: data.join(TOKEN_FILE), created: false });
        assert!(!format!("{again:?}").contains(&again.value), "Debug hides the token");
    }

    #[test]
    fn a_given_token_wins_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let t = resolve(Some(&AdminToken("operator-token".into())), dir.path()).unwrap();
        assert_eq!((t.value.as_str(), t.origin), ("operator-token", Origin::Given));
        assert!(!dir.path().join(TOKEN_FILE).exists());
    }

    #[test]
    fn a_damaged_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(TOKEN_FILE), "two words\n").unwrap();
        let e = resolve(None, dir.path()).unwrap_err();
        assert!(e.contains(TOKEN_FILE), "{e}");
    }
}
