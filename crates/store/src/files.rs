//! Private files: the data directory is created `0700` and every file the store writes there (the
//! SQLite database and its `-wal`/`-shm`, nonce log segments) is `0600`, whatever the umask.
//! A directory that already exists keeps its mode (it may be shared, like `/tmp`); a warning says
//! when others can enter it.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Mode of directories the store creates.
pub const DIR_MODE: u32 = 0o700;
/// Mode of files the store creates.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) with mode `0700`; an existing directory is left as it is.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {
            if m.permissions().mode() & 0o077 != 0 {
                tracing::warn!(dir = %dir.display(), mode = format!("{:o}", m.permissions().mode() & 0o777),
                    "the data directory is accessible to other users; `chmod 700` it");
            }
            Ok(())
        }
        Ok(_) => Err(io::Error::new(io::ErrorKind::AlreadyExists, "exists and is not a directory")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            std::fs::DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)?;
            // The umask can only narrow the mode; set it exactly.
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))
        }
        Err(e) => Err(e),
    }
}

/// Opens `path` for appending, creating it `0600` when missing.
pub(crate) fn append_private(path: &Path) -> io::Result<File> {
    let f = OpenOptions::new().create(true).append(true).mode(FILE_MODE).open(path)?;
    restrict(path)?;
    Ok(f)
}

/// Sets an existing file to `0600` (files created by older versions or another umask); a missing
/// file is no error.
pub(crate) fn restrict(path: &Path) -> io::Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.permissions().mode() & 0o777 != FILE_MODE => {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(FILE_MODE))
        }
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Makes a directory's entries (a file just created or removed) durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn created_private_existing_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o755, "an existing directory keeps its mode");
        let file = dir.join("f");
        std::fs::write(&file, b"x").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        append_private(&file).unwrap();
        assert_eq!(mode(&file), 0o600, "an existing file is tightened");
        append_private(&dir.join("g")).unwrap();
        assert_eq!(mode(&dir.join("g")), 0o600);
        restrict(&dir.join("missing")).unwrap();
    }
}
