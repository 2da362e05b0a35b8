//! Crash trials: a real `eniplane serve` under mixed signed load in both dialects is killed with
//! SIGKILL at a random moment, restarted, and checked ([`verify`]). Every trial works in an account
//! of its own (created with `eniplane account create`, as an operator would), so each trial costs
//! the same however many ran before, while the data directory or database keeps everything the
//! earlier trials wrote and survived.
#![allow(dead_code)]

pub mod load;
pub mod verify;
pub mod wire;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eniplane_store::postgres::testing::off_runtime;
use eniplane_store::Store;
use parking_lot::Mutex;
use rand::Rng;

use crate::replicas::{Api, Replica, SECRET_KEY};
use wire::{Client, Key};

/// Transition delay of the server under trial: long enough that kills find transitions pending.
const DELAY_MS: &str = "100";
/// Window after the load starts in which the kill falls.
const KILL_AFTER_MS: std::ops::Range<u64> = 200..2_500;

/// The catalogue of the trials: the seed batch puts 101 groups on an ENI.
const CONFIG: &str = "[rate_limits]\nenabled = false\n[catalog]\ngroups_per_eni = 128\ngroups_per_region = 100000\n\
                      vpcs_per_region = 1000\nenis_per_vpc = 100000\n";

/// The figures of a run.
#[derive(Default, Debug)]
pub struct Totals {
    pub trials: usize,
    pub requests: u64,
    pub acknowledged: u64,
    pub lost_at_kill: u64,
    pub checked: u64,
    pub replays: u64,
    pub violations: Vec<String>,
    pub elapsed: Duration,
}

impl std::fmt::Display for Totals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} trials in {:.1} s: {} requests sent, {} acknowledged, {} unanswered at the kill; {} acknowledged \
             changes checked, {} replays tried; {} violations",
            self.trials,
            self.elapsed.as_secs_f64(),
            self.requests,
            self.acknowledged,
            self.lost_at_kill,
            self.checked,
            self.replays,
            self.violations.len()
        )
    }
}

/// How many trials to run: `ENIPLANE_CRASH_TRIALS`, else `default`.
pub fn trials(default: usize) -> usize {
    std::env::var("ENIPLANE_CRASH_TRIALS").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Runs `trials` trials on the embedded store (no `database_url`) or on PostgreSQL.
pub async fn run(trials: usize, database_url: Option<&str>) -> Totals {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("eniplane.toml");
    std::fs::write(&config, CONFIG).expect("config");
    let config = config.to_string_lossy().into_owned();
    let extra = ["--config", config.as_str(), "--transition-delay-ms", DELAY_MS];
    let root = Api::new("AKIDcrashtrialroot00000000000000001", "crash-trial-root-secret-000000001");
    let spawn = || Replica::spawn_with("crash", dir.path(), database_url, &root, &extra).expect("spawn eniplane");
    let mut server = spawn();
    assert!(server.wait_healthy(Duration::from_secs(30)).await, "server did not start: {}", server.log_tail());
    let data_dir = dir.path().join("crash");
    let store = open_store(&data_dir, database_url);
    let client = Client::default();
    let mut totals = Totals::default();
    for trial in 0..trials {
        let key = create_account(&data_dir, database_url, trial);
        let world = load::fixture(&client, server.addr, &key, &store).await;
        let ledger = Arc::new(Mutex::new(load::Ledger::default()));
        let writers = load::start(&client, server.addr, &world, &ledger);
        let kill_after = rand::thread_rng().gen_range(KILL_AFTER_MS);
        tokio::time::sleep(Duration::from_millis(kill_after)).await;
        server.kill9();
        for w in writers {
            w.await.expect("a writer panicked");
        }
        server = spawn();
        if !server.wait_healthy(Duration::from_secs(30)).await {
            totals.violations.push(format!("trial {trial}: no restart after the kill: {}", server.log_tail()));
            break;
        }
        let ledger = std::mem::take(&mut *ledger.lock());
        if !load::settle(&store, Duration::from_secs(30)).await {
            totals.violations.push(format!("trial {trial}: transitions still pending 30 s after the restart"));
        }
        let found = verify::verify(&client, server.addr, &store, &world, &ledger).await;
        totals.trials += 1;
        totals.requests += ledger.sent + found.replays;
        totals.acknowledged += ledger.acked;
        totals.lost_at_kill += ledger.lost;
        totals.checked += found.checked;
        totals.replays += found.replays;
        totals
            .violations
            .extend(found.violations.into_iter().map(|v| format!("trial {trial} (kill at {kill_after} ms): {v}")));
        eprintln!(
            "trial {trial}: kill at {kill_after} ms, {} sent, {} acknowledged, {} refused ({:?}), {} unanswered; {} violations so far",
            ledger.sent,
            ledger.acked,
            ledger.refused.values().sum::<u64>(),
            ledger.refused,
            ledger.lost,
            totals.violations.len()
        );
    }
    server.stop();
    totals.elapsed = started.elapsed();
    totals
}

/// The harness's own handle on the server's store, for settling and the invariant checks.
fn open_store(data_dir: &Path, database_url: Option<&str>) -> Store {
    match database_url {
        Some(url) => {
            let url = url.to_string();
            off_runtime(move || Store::open_postgres(&url)).expect("open the trial database")
        }
        None => Store::open_sqlite(data_dir).expect("open the trial data directory"),
    }
}

/// `eniplane account create trial-N --json` on the server's store.
fn create_account(data_dir: &Path, database_url: Option<&str>, trial: usize) -> Key {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_eniplane"));
    cmd.args(["account", "create", &format!("trial-{trial}"), "--json", "--data-dir"]).arg(data_dir);
    if let Some(url) = database_url {
        cmd.args(["--database-url", url]);
    }
    let out = cmd
        .env("ENIPLANE_LOG", "warn")
        .env("ENIPLANE_SECRET_KEY", SECRET_KEY)
        .output()
        .expect("run eniplane account create");
    assert!(out.status.success(), "account create: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("account create --json");
    let field = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    Key { account: field("account_id"), id: field("access_key_id"), secret: field("access_key_secret") }
}
