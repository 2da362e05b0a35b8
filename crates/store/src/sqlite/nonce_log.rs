//! Signature nonces made durable for the embedded engine: an append-only log of fixed-size
//! records under `DIR/nonces/`, reloaded at start so a request replayed after a restart, even
//! after kill -9 or a power cut, is still refused.
//!
//! One writer thread takes every queued record, appends them with one `write` and makes them
//! durable with one `fdatasync` (group fsync), and only then resolves each request's receipt;
//! requests wait for their receipt before they run. While one group syncs the next gathers, so
//! the cost per request is a share of one fsync, not one fsync each.
//!
//! A record is [`RECORD_BYTES`] bytes: the 16-byte nonce digest and its expiry (Unix ms, i64
//! little-endian); what the client sent never reaches the file, so no byte of a nonce is special.
//! Segments (`<start ms>-<random>.nonces`, mode 0600) take records for [`SEGMENT_MS`]; a segment
//! is deleted once everything in it has expired. A write or sync that fails abandons its segment
//! (so a torn record can only be a segment's last) and fails that group's requests.

use std::fs::{self, File};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

use parking_lot::Mutex;
use tokio::sync::oneshot;

use crate::guards::{NonceDigest, Receipt, NONCE_DIGEST_BYTES};
use crate::{files, StoreError};

/// Bytes per record: digest and expiry.
pub(crate) const RECORD_BYTES: usize = NONCE_DIGEST_BYTES + 8;
/// How long one segment file takes records.
const SEGMENT_MS: i64 = 10 * 60_000;
/// Most records written and synced as one group.
const MAX_GROUP: usize = 4096;
/// A record expiring further ahead than this is damaged (no signature window is this long).
const MAX_EXPIRY_AHEAD_MS: i64 = 24 * 3_600_000;
/// File name suffix of segments.
const SEGMENT_SUFFIX: &str = ".nonces";

struct Append {
    digest: NonceDigest,
    expires_at_ms: i64,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// What the writer reports for health.
#[derive(Default)]
struct State {
    stopped: AtomicBool,
    failure: Mutex<Option<StoreError>>,
}

/// The nonce log.
pub(crate) struct NonceLog {
    dir: PathBuf,
    queue: Mutex<Option<mpsc::Sender<Append>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    state: Arc<State>,
}

fn io_err(e: std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("nonce log: {e}"))
}

impl NonceLog {
    /// Opens (creating, mode 0700) `dir/nonces/` and starts the writer.
    pub(crate) fn open(dir: &Path) -> Result<Self, StoreError> {
        let dir = dir.join("nonces");
        files::private_dir(&dir).map_err(io_err)?;
        let (tx, rx) = mpsc::channel();
        let state = Arc::new(State::default());
        let (writer_dir, writer_state) = (dir.clone(), state.clone());
        let handle = std::thread::Builder::new()
            .name("nonce-log".into())
            .spawn(move || write_loop(&writer_dir, rx, &writer_state))
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(Self { dir, queue: Mutex::new(Some(tx)), writer: Mutex::new(Some(handle)), state })
    }

    /// Queues a first use; the receipt resolves once it is durable.
    pub(crate) fn append(&self, digest: &NonceDigest, expires_at_ms: i64) -> Receipt {
        let (done, receipt) = Receipt::pending();
        let append = Append { digest: *digest, expires_at_ms, done };
        let refused = match self.queue.lock().as_ref() {
            Some(q) => q.send(append).err().map(|e| e.0),
            None => Some(append),
        };
        if let Some(a) = refused {
            let _ = a.done.send(Err(StoreError::Unavailable("nonce log stopped".into())));
        }
        receipt
    }

    /// Whether the last group became durable and the writer runs.
    pub(crate) fn health(&self) -> Result<(), StoreError> {
        if self.state.stopped.load(Ordering::Relaxed) {
            return Err(StoreError::Unavailable("nonce log writer stopped".into()));
        }
        match self.state.failure.lock().as_ref() {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// Every recorded nonce that has not expired. Segments holding nothing unexpired (once too old
    /// to take appends), and files of the earlier text format, are deleted.
    pub(crate) fn unexpired(&self, now_ms: i64) -> Result<Vec<(NonceDigest, i64)>, StoreError> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(io_err)? {
            let path = entry.map_err(io_err)?.path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if name.ends_with(".log") {
                let _ = fs::remove_file(&path);
                continue;
            }
            if !name.ends_with(SEGMENT_SUFFIX) {
                continue;
            }
            let before = out.len();
            read_segment(&path, now_ms, &mut out).map_err(io_err)?;
            // Another process on the same directory (`eniplane account create` beside a running
            // server) may be appending to a young segment: only one too old to take appends goes.
            let started: i64 = name.split(['-', '.']).next().and_then(|n| n.parse().ok()).unwrap_or(0);
            if out.len() == before && now_ms - started > 2 * SEGMENT_MS {
                let _ = fs::remove_file(&path);
            } else {
                files::restrict(&path).map_err(io_err)?;
            }
        }
        Ok(out)
    }
}

impl Drop for NonceLog {
    /// Writes what is queued before the engine goes (a clean shutdown loses nothing).
    fn drop(&mut self) {
        self.queue.lock().take();
        if let Some(handle) = self.writer.lock().take() {
            let _ = handle.join();
        }
    }
}

fn read_segment(path: &Path, now_ms: i64, out: &mut Vec<(NonceDigest, i64)>) -> std::io::Result<()> {
    let mut r = BufReader::with_capacity(64 * 1024, File::open(path)?);
    let mut rec = [0u8; RECORD_BYTES];
    // A torn last record (a crash mid-write) ends the segment early.
    while r.read_exact(&mut rec).is_ok() {
        let (digest, exp) = rec.split_at(NONCE_DIGEST_BYTES);
        let (Ok(digest), Ok(exp)) = (<NonceDigest>::try_from(digest), <[u8; 8]>::try_from(exp)) else { break };
        let exp = i64::from_le_bytes(exp);
        if exp > now_ms && exp <= now_ms.saturating_add(MAX_EXPIRY_AHEAD_MS) {
            out.push((digest, exp));
        }
    }
    Ok(())
}

/// The segment records are appended to.
struct Segment {
    path: PathBuf,
    file: File,
    started_ms: i64,
    newest_expiry_ms: i64,
}

/// The writer's files.
struct Files<'a> {
    dir: &'a Path,
    current: Option<Segment>,
    /// Earlier segments of this run and the newest expiry each holds.
    closed: Vec<(PathBuf, i64)>,
}

impl Files<'_> {
    /// The segment to append to now, rotating (and deleting fully expired segments) when due.
    fn segment(&mut self, now_ms: i64) -> std::io::Result<&mut Segment> {
        if self.current.as_ref().is_some_and(|s| now_ms - s.started_ms >= SEGMENT_MS) {
            if let Some(old) = self.current.take() {
                self.closed.push((old.path, old.newest_expiry_ms));
            }
        }
        self.closed.retain(|(path, newest)| {
            let keep = *newest > now_ms;
            if !keep {
                let _ = fs::remove_file(path);
            }
            keep
        });
        let seg = match self.current.take() {
            Some(seg) => seg,
            None => {
                let path = self.dir.join(format!("{now_ms:013}-{:08x}{SEGMENT_SUFFIX}", rand::random::<u32>()));
                let file = files::append_private(&path)?;
                files::sync_dir(self.dir)?;
                Segment { path, file, started_ms: now_ms, newest_expiry_ms: now_ms }
            }
        };
        Ok(self.current.insert(seg))
    }

    /// Appends and syncs one group; on failure the segment is abandoned.
    fn write_group(&mut self, group: &[Append], buf: &mut Vec<u8>, now_ms: i64) -> std::io::Result<()> {
        buf.clear();
        let mut newest = i64::MIN;
        for a in group {
            buf.extend_from_slice(&a.digest);
            buf.extend_from_slice(&a.expires_at_ms.to_le_bytes());
            newest = newest.max(a.expires_at_ms);
        }
        let seg = self.segment(now_ms)?;
        seg.newest_expiry_ms = seg.newest_expiry_ms.max(newest);
        let written = seg.file.write_all(buf).and_then(|()| seg.file.sync_data());
        if written.is_err() {
            if let Some(old) = self.current.take() {
                self.closed.push((old.path, old.newest_expiry_ms));
            }
        }
        written
    }
}

/// Marks the writer stopped however it ends (a panic included).
struct Stopped<'a>(&'a State);

impl Drop for Stopped<'_> {
    fn drop(&mut self) {
        self.0.stopped.store(true, Ordering::Relaxed);
    }
}

fn write_loop(dir: &Path, rx: mpsc::Receiver<Append>, state: &State) {
    let _stopped = Stopped(state);
    let mut files = Files { dir, current: None, closed: Vec::new() };
    let mut buf = Vec::with_capacity(MAX_GROUP * RECORD_BYTES);
    let mut group = Vec::with_capacity(MAX_GROUP);
    while let Ok(first) = rx.recv() {
        group.push(first);
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(a) => group.push(a),
                Err(_) => break,
            }
        }
        let result = files.write_group(&group, &mut buf, crate::memory::now_ms()).map_err(io_err);
        match &result {
            Ok(()) => {
                if state.failure.lock().take().is_some() {
                    tracing::info!("nonce log writes again");
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "could not make nonces durable; their requests fail");
                *state.failure.lock() = Some(e.clone());
            }
        }
        for a in group.drain(..) {
            let _ = a.done.send(result.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn now() -> i64 {
        crate::memory::now_ms()
    }

    #[test]
    fn records_are_durable_when_the_receipt_resolves_and_reload() {
        let tmp = tempfile::tempdir().unwrap();
        let t = now();
        {
            let log = NonceLog::open(tmp.path()).unwrap();
            log.append(&[1; 16], t + 60_000).wait_blocking().unwrap();
            log.append(&[2; 16], t + 1).wait_blocking().unwrap();
            log.health().unwrap();
            // Leak the writer's state as a kill would: the file must already hold both records.
            let segs: Vec<_> = fs::read_dir(tmp.path().join("nonces")).unwrap().map(|e| e.unwrap().path()).collect();
            assert_eq!(segs.len(), 1);
            assert_eq!(fs::metadata(&segs[0]).unwrap().len(), 2 * RECORD_BYTES as u64);
            assert_eq!(fs::metadata(&segs[0]).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let mode = fs::metadata(tmp.path().join("nonces")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let log = NonceLog::open(tmp.path()).unwrap();
        let got = log.unexpired(t + 10).unwrap();
        assert_eq!(got, vec![([1; 16], t + 60_000)], "the expired record is not reloaded");
    }

    #[test]
    fn torn_and_damaged_records_are_skipped_and_old_files_go() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("nonces");
        fs::create_dir_all(&dir).unwrap();
        let t = now();
        let mut bytes = Vec::new();
        for (d, exp) in [([7u8; 16], t + 5_000), ([8; 16], t + 10 * MAX_EXPIRY_AHEAD_MS)] {
            bytes.extend_from_slice(&d);
            bytes.extend_from_slice(&exp.to_le_bytes());
        }
        bytes.extend_from_slice(&[9; 10]);
        fs::write(dir.join("0000000000001-00000000.nonces"), &bytes).unwrap();
        fs::write(dir.join("123.log"), "1\tkey\tnonce\n").unwrap();
        let log = NonceLog::open(tmp.path()).unwrap();
        assert_eq!(log.unexpired(t).unwrap(), vec![([7; 16], t + 5_000)]);
        assert!(!dir.join("123.log").exists());
        assert!(dir.join("0000000000001-00000000.nonces").exists(), "it still holds an unexpired nonce");
    }

    #[test]
    fn only_segments_too_old_for_appends_are_deleted() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("nonces");
        fs::create_dir_all(&dir).unwrap();
        let t = now();
        let expired = [[1u8; 16].as_slice(), &(t - 1).to_le_bytes()].concat();
        let young = dir.join(format!("{:013}-00000001.nonces", t - 1_000));
        let old = dir.join(format!("{:013}-00000002.nonces", t - 3 * SEGMENT_MS));
        fs::write(&young, &expired).unwrap();
        fs::write(&old, &expired).unwrap();
        let log = NonceLog::open(tmp.path()).unwrap();
        assert!(log.unexpired(t).unwrap().is_empty());
        assert!(young.exists(), "a young segment may belong to a running server");
        assert!(!old.exists(), "an old fully expired segment goes");
    }
}
