//! Where the key that seals access-key secrets comes from: `--secret-key-file FILE`, else
//! `ENIPLANE_SECRET_KEY` (base64), else `DATA_DIR/secret.key`, created (mode 0600) on first start.
//! The key never goes into the store; replicas on one PostgreSQL database must be given the same
//! key (the environment or a shared file), or the start-up check refuses them.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use eniplane_auth::secrets::SecretKey;

/// Environment variable holding the key in base64.
pub const ENV: &str = "ENIPLANE_SECRET_KEY";
/// Name of the default key file inside the data directory.
pub const FILE_NAME: &str = "secret.key";

/// Where a key came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `--secret-key-file`.
    Flag(PathBuf),
    /// `ENIPLANE_SECRET_KEY`.
    Env,
    /// The data directory's key file; `created` when this start wrote it.
    DataDir { path: PathBuf, created: bool },
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Flag(p) => write!(f, "--secret-key-file {}", p.display()),
            Source::Env => write!(f, "{ENV}"),
            Source::DataDir { path, created: false } => write!(f, "{}", path.display()),
            Source::DataDir { path, created: true } => write!(f, "{} (created now)", path.display()),
        }
    }
}

/// Loads the key: `flag` when given, else `env` (the value of [`ENV`], when set and not empty),
/// else the key file in `data_dir`, created if missing.
pub fn load(data_dir: &Path, flag: Option<&Path>, env: Option<String>) -> Result<(SecretKey, Source), String> {
    if let Some(path) = flag {
        return read_file(path).map(|k| (k, Source::Flag(path.to_path_buf())));
    }
    if let Some(text) = env.filter(|t| !t.trim().is_empty()) {
        let key = SecretKey::from_base64(&text).map_err(|e| format!("{ENV}: {e}"))?;
        return Ok((key, Source::Env));
    }
    let path = data_dir.join(FILE_NAME);
    match read_file(&path) {
        Ok(key) => Ok((key, Source::DataDir { path, created: false })),
        Err(_) if !path.exists() => {
            create_file(data_dir, &path).map(|key| (key, Source::DataDir { path, created: true }))
        }
        Err(e) => Err(e),
    }
}

fn read_file(path: &Path) -> Result<SecretKey, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("secret key file {shown}: {e}"))?;
    if meta.len() > 1024 {
        return Err(format!("secret key file {shown}: not a secret key (longer than 1024 bytes)"));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        tracing::warn!(file = %shown, "the secret key file is readable by group or others; chmod 600 it");
    }
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?);
    SecretKey::from_base64(&text).map_err(|e| format!("secret key file {shown}: {e}"))
}

/// Writes a fresh key to `path` (mode 0600, created exclusively, synced with its directory). A
/// concurrent start that created it first wins; its key is read instead.
fn create_file(data_dir: &Path, path: &Path) -> Result<SecretKey, String> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(data_dir)
        .map_err(|e| format!("creating {}: {e}", data_dir.display()))?;
    let key = SecretKey::generate();
    let opened = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path);
    let mut file = match opened {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return read_file(path),
        Err(e) => return Err(format!("creating secret key file {}: {e}", path.display())),
    };
    let text = key.to_base64();
    file.write_all(format!("{}\n", text.expose()).as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::File::open(data_dir)?.sync_all())
        .map_err(|e| format!("writing secret key file {}: {e}", path.display()))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_file_is_created_once_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let (first, source) = load(&data, None, None).unwrap();
        let path = data.join(FILE_NAME);
        assert_eq!(source, Source::DataDir { path: path.clone(), created: true });
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(&data).unwrap().permissions().mode() & 0o777, 0o700);
        let (again, source) = load(&data, None, Some(String::new())).unwrap();
        assert_eq!(source, Source::DataDir { path, created: false });
        assert_eq!(again.fingerprint(), first.fingerprint());
    }

    #[test]
    fn flag_wins_over_environment_wins_over_file() {
        let dir = tempfile::tempdir().unwrap();
        let (file_key, _) = load(dir.path(), None, None).unwrap();
        let env_key = SecretKey::generate();
        let env = Some(env_key.to_base64().expose().to_string());
        let (k, source) = load(dir.path(), None, env.clone()).unwrap();
        assert_eq!((k.fingerprint(), source), (env_key.fingerprint(), Source::Env));
        let flag = dir.path().join("shared.key");
        let flag_key = SecretKey::generate();
        std::fs::write(&flag, flag_key.to_base64().expose()).unwrap();
        let (k, source) = load(dir.path(), Some(&flag), env).unwrap();
        assert_eq!((k.fingerprint(), source), (flag_key.fingerprint(), Source::Flag(flag)));
        assert_ne!(file_key.fingerprint(), flag_key.fingerprint());
    }

    #[test]
    fn bad_keys_are_refused_with_their_source() {
        let dir = tempfile::tempdir().unwrap();
        let e = load(dir.path(), None, Some("not-base64!".into())).unwrap_err();
        assert!(e.starts_with("ENIPLANE_SECRET_KEY: not a secret key"), "{e}");
        let missing = dir.path().join("missing.key");
        let e = load(dir.path(), Some(&missing), None).unwrap_err();
        assert!(e.contains("missing.key"), "{e}");
        assert!(!missing.exists(), "an explicit key file is never created");
        std::fs::write(dir.path().join(FILE_NAME), "AAAA\n").unwrap();
        let e = load(dir.path(), None, None).unwrap_err();
        assert!(e.contains("secret.key: not a secret key"), "{e}");
    }
}
