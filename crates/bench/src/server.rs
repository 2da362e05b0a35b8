//! Starts a real `eniplane serve` process on a free port over a fresh data directory, or on a
//! PostgreSQL database given by URL (rate limits off), creates the bench account with the CLI, and stops the process when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::client::Key;

/// A server process owned by the bench.
pub struct Managed {
    child: Child,
    /// `127.0.0.1:port`.
    pub addr: String,
    /// The bench account's key.
    pub key: Key,
    /// Where the server's stdout/stderr go.
    pub log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Managed {
    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts `bin` and waits for `/healthz`.
    pub fn start(bin: &Path, transition_delay_ms: i64, database_url: Option<&str>) -> Result<Self, String> {
        if !bin.exists() {
            return Err(format!(
                "server binary {} not found; build it with `cargo build --release -p eniplane` or pass --server-bin",
                bin.display()
            ));
        }
        let dir = tempfile::Builder::new().prefix("eniplane-bench-").tempdir().map_err(|e| e.to_string())?;
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
        let config = dir.path().join("bench.toml");
        std::fs::write(&config, "[rate_limits]\nenabled = false\n").map_err(|e| e.to_string())?;

        // The data directory also holds the key that seals access-key secrets, which `account
        // create` and `serve` must share (on PostgreSQL too).
        let mut store_args: Vec<String> = vec!["--data-dir".into(), data.display().to_string()];
        if let Some(url) = database_url {
            store_args.extend(["--database-url".into(), url.into()]);
        }
        let out = Command::new(bin)
            .args(["account", "create", "bench"])
            .args(&store_args)
            .arg("--json")
            .output()
            .map_err(|e| format!("running {}: {e}", bin.display()))?;
        if !out.status.success() {
            return Err(format!("account create failed: {}", String::from_utf8_lossy(&out.stderr)));
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("account create printed non-JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))?;
        let field = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string).ok_or(format!("no {k} in {v}"));
        let key = Key { id: field("access_key_id")?, secret: field("access_key_secret")? };

        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("finding a free port: {e}"))?
            .port();
        let addr = format!("127.0.0.1:{port}");
        let log = dir.path().join("server.log");
        let log_file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let child = Command::new(bin)
            .args(["serve", "--listen", &addr])
            .args(&store_args)
            .args(["--transition-delay-ms", &transition_delay_ms.to_string(), "--config"])
            .arg(&config)
            .env("ENIPLANE_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", bin.display()))?;
        let mut m = Self { child, addr, key, log, _dir: dir };
        m.wait_healthy()?;
        Ok(m)
    }

    fn wait_healthy(&mut self) -> Result<(), String> {
        use std::io::{Read, Write};
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                return Err(format!("server exited with {status}:\n{log}"));
            }
            if let Ok(mut s) = std::net::TcpStream::connect(&self.addr) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let req = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.addr);
                let mut buf = String::new();
                if s.write_all(req.as_bytes()).is_ok() && s.read_to_string(&mut buf).is_ok() && buf.contains(" 200 ") {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err("server did not become healthy within 30 s".into())
    }
}

impl Drop for Managed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
