//! Signature nonces remembered across restarts: an append-only log under `DIR/nonces/`, so a
//! request replayed after a server restart is still refused. The check itself stays in memory;
//! this only records first uses, off the request path: a thread appends queued nonces and hands
//! each batch to the OS with one `write` (no fsync: a written batch survives the process being
//! killed, as it is in the page cache). A kill can lose the last few milliseconds of nonces
//! and an OS crash the last batches: at most a replay of those requests, never an acknowledged
//! change. Segments rotate every [`SEGMENT_MS`]; a segment is deleted once everything in it has
//! expired.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use parking_lot::Mutex;

use crate::StoreError;

/// Pause between batches.
const BATCH_PAUSE: std::time::Duration = std::time::Duration::from_millis(5);

/// How long one segment file takes entries.
const SEGMENT_MS: i64 = 10 * 60_000;

type Entry = (String, String, i64);

/// The nonce log.
pub(super) struct NonceLog {
    dir: PathBuf,
    queue: Mutex<Option<mpsc::Sender<Entry>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

fn io_err(e: std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("nonce log: {e}"))
}

/// The segment files, oldest first.
fn segments(dir: &Path) -> Result<Vec<(i64, PathBuf)>, StoreError> {
    let mut out: Vec<(i64, PathBuf)> = fs::read_dir(dir)
        .map_err(io_err)?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".log").and_then(|n| n.parse().ok()).map(|start| (start, e.path()))
        })
        .collect();
    out.sort();
    Ok(out)
}

impl NonceLog {
    /// Opens (creating) `dir/nonces/` and starts the writer.
    pub(super) fn open(dir: &Path) -> Result<Self, StoreError> {
        let dir = dir.join("nonces");
        fs::create_dir_all(&dir).map_err(io_err)?;
        let (tx, rx) = mpsc::channel();
        let writer_dir = dir.clone();
        let handle = std::thread::Builder::new()
            .name("nonce-log".into())
            .spawn(move || write_loop(&writer_dir, rx))
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(Self { dir, queue: Mutex::new(Some(tx)), writer: Mutex::new(Some(handle)) })
    }

    /// Queues a first use to be recorded.
    pub(super) fn remember(&self, key: &str, nonce: &str, expires_at_ms: i64) -> Result<(), StoreError> {
        match self.queue.lock().as_ref() {
            Some(q) => q
                .send((key.to_string(), nonce.to_string(), expires_at_ms))
                .map_err(|_| StoreError::Unavailable("nonce log stopped".into())),
            None => Err(StoreError::Unavailable("nonce log stopped".into())),
        }
    }

    /// Every recorded nonce that has not expired; deletes segments that hold nothing unexpired.
    pub(super) fn unexpired(&self, now_ms: i64) -> Result<Vec<Entry>, StoreError> {
        let mut out = Vec::new();
        for (_, path) in segments(&self.dir)? {
            let text = fs::read_to_string(&path).map_err(io_err)?;
            let before = out.len();
            for line in text.lines() {
                let mut parts = line.splitn(3, '\t');
                let (Some(exp), Some(key), Some(nonce)) = (parts.next(), parts.next(), parts.next()) else { continue };
                match exp.parse::<i64>() {
                    Ok(exp) if exp > now_ms => out.push((key.to_string(), nonce.to_string(), exp)),
                    _ => {}
                }
            }
            if out.len() == before {
                let _ = fs::remove_file(&path);
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

/// Keys and nonces are tab-free in practice; any tab or newline is replaced so a line stays one
/// entry (the in-memory check is exact either way).
fn clean(s: &str) -> String {
    s.replace(['\t', '\n', '\r'], " ")
}

fn write_loop(dir: &Path, rx: mpsc::Receiver<Entry>) {
    let mut current: Option<(i64, BufWriter<File>)> = None;
    let mut newest_expiry: Vec<(PathBuf, i64)> = Vec::new();
    while let Ok(first) = rx.recv() {
        let now = crate::memory::now_ms();
        if current.as_ref().is_none_or(|(start, _)| now - start >= SEGMENT_MS) {
            let path = dir.join(format!("{now}.log"));
            match OpenOptions::new().create(true).append(true).open(&path) {
                Ok(f) => {
                    current = Some((now, BufWriter::with_capacity(64 * 1024, f)));
                    newest_expiry.push((path, now));
                }
                Err(e) => tracing::warn!(error = %e, "could not open a nonce log segment"),
            }
            // Earlier segments of this run whose every entry has expired go (segments of earlier
            // runs are swept at the next start, by `unexpired`).
            let last = newest_expiry.len().saturating_sub(1);
            let mut index = 0;
            newest_expiry.retain(|(path, exp)| {
                let keep = index == last || *exp > now;
                index += 1;
                if !keep {
                    let _ = fs::remove_file(path);
                }
                keep
            });
        }
        let Some((_, out)) = current.as_mut() else { continue };
        let mut batch_max = first.2;
        let mut write = |out: &mut BufWriter<File>, (key, nonce, exp): Entry| {
            batch_max = batch_max.max(exp);
            let _ = writeln!(out, "{exp}\t{}\t{}", clean(&key), clean(&nonce));
        };
        write(out, first);
        while let Ok(e) = rx.try_recv() {
            write(out, e);
        }
        if let Err(e) = out.flush() {
            tracing::warn!(error = %e, "could not record nonces");
        }
        if let Some(last) = newest_expiry.last_mut() {
            last.1 = last.1.max(batch_max);
        }
        // Let the next batch gather: one wake-up and one write per few milliseconds, not per
        // request. This is the window a kill can lose.
        std::thread::sleep(BATCH_PAUSE);
    }
}
