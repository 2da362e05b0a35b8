//! The closed-loop load driver: C workers, each on its own connection, run for warm-up + D seconds;
//! only calls that start after the warm-up and finish inside the window are recorded.

use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Timing of one run, shared by its workers.
#[derive(Clone, Copy)]
pub struct Window {
    /// Recording starts here (end of warm-up).
    pub from: Instant,
    /// Workers stop issuing calls here.
    pub until: Instant,
}

impl Window {
    /// Whether the run is over.
    pub fn over(&self) -> bool {
        Instant::now() >= self.until
    }
}

/// One worker's record.
pub struct Rec {
    window: Window,
    /// Latency of every recorded call, in microseconds.
    pub lat_us: Vec<u32>,
    /// Recorded calls that failed.
    pub errors: u64,
    /// The first failure seen (recorded or not), for the report.
    pub first_error: Option<String>,
}

impl Rec {
    /// An empty record.
    pub fn new(window: Window) -> Self {
        Self { window, lat_us: Vec::with_capacity(1 << 14), errors: 0, first_error: None }
    }

    /// Records one call that started at `started`; `error` is `Some` when it failed.
    pub fn record(&mut self, started: Instant, error: Option<String>) {
        let now = Instant::now();
        if let Some(e) = &error {
            if self.first_error.is_none() {
                self.first_error = Some(e.clone());
            }
        }
        if started >= self.window.from && now <= self.window.until {
            self.lat_us.push(now.duration_since(started).as_micros().min(u32::MAX as u128) as u32);
            if error.is_some() {
                self.errors += 1;
            }
        }
    }
}

/// Summary of one scenario.
#[derive(Debug, Clone)]
pub struct Stats {
    /// Scenario name.
    pub scenario: String,
    /// Workers / connections.
    pub connections: usize,
    /// Measured seconds.
    pub seconds: f64,
    /// Recorded calls.
    pub requests: u64,
    /// Recorded failures.
    pub errors: u64,
    /// Requests per second.
    pub rps: f64,
    /// Latency percentiles in milliseconds.
    pub p50: f64,
    /// 90th percentile (ms).
    pub p90: f64,
    /// 99th percentile (ms).
    pub p99: f64,
    /// Maximum (ms).
    pub max: f64,
    /// Server CPU use during the window, in cores (when the bench started the server).
    pub server_cpu: Option<f64>,
    /// Load-generator CPU use during the window, in cores.
    pub bench_cpu: Option<f64>,
    /// First failure seen.
    pub first_error: Option<String>,
    /// Why the scenario did not run.
    pub skipped: Option<String>,
}

impl Stats {
    /// A scenario that did not run.
    pub fn skipped(scenario: &str, why: String) -> Self {
        Self {
            scenario: scenario.to_string(),
            connections: 0,
            seconds: 0.0,
            requests: 0,
            errors: 0,
            rps: 0.0,
            p50: 0.0,
            p90: 0.0,
            p99: 0.0,
            max: 0.0,
            server_cpu: None,
            bench_cpu: None,
            first_error: None,
            skipped: Some(why),
        }
    }

    /// JSON form.
    pub fn to_json(&self) -> Value {
        json!({
            "scenario": self.scenario,
            "connections": self.connections,
            "seconds": self.seconds,
            "requests": self.requests,
            "errors": self.errors,
            "requests_per_second": (self.rps * 10.0).round() / 10.0,
            "latency_ms": {"p50": self.p50, "p90": self.p90, "p99": self.p99, "max": self.max},
            "server_cpu_cores": self.server_cpu.map(|c| (c * 100.0).round() / 100.0),
            "bench_cpu_cores": self.bench_cpu.map(|c| (c * 100.0).round() / 100.0),
            "first_error": self.first_error,
            "skipped": self.skipped,
        })
    }
}

/// CPU seconds (user + system) used so far by a process, from `/proc/<pid>/stat` (100 Hz ticks).
pub fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn percentile(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1] as f64 / 1000.0
}

/// Runs `workers` copies of `worker` for `warmup` + `duration`; `server_pid` enables server CPU
/// accounting.
pub async fn run<F, Fut>(
    scenario: &str,
    workers: usize,
    warmup: Duration,
    duration: Duration,
    server_pid: Option<u32>,
    worker: F,
) -> Stats
where
    F: Fn(usize, Window) -> Fut,
    Fut: Future<Output = Rec> + Send + 'static,
{
    SAMPLES.store(-1, std::sync::atomic::Ordering::Relaxed);
    let start = Instant::now();
    let window = Window { from: start + warmup, until: start + warmup + duration };
    let mut set = tokio::task::JoinSet::new();
    for w in 0..workers {
        set.spawn(worker(w, window));
    }
    // Sample CPU counters at the window edges.
    tokio::time::sleep_until(window.from.into()).await;
    let srv0 = server_pid.and_then(|p| cpu_seconds(&p.to_string()));
    let me0 = cpu_seconds("self");
    tokio::time::sleep_until(window.until.into()).await;
    let srv1 = server_pid.and_then(|p| cpu_seconds(&p.to_string()));
    let me1 = cpu_seconds("self");
    let secs = duration.as_secs_f64();
    let mut all: Vec<u32> = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    while let Some(r) = set.join_next().await {
        let r = r.expect("worker panicked");
        all.extend_from_slice(&r.lat_us);
        errors += r.errors;
        if first_error.is_none() {
            first_error = r.first_error;
        }
    }
    all.sort_unstable();
    let requests = all.len() as u64;
    Stats {
        scenario: scenario.to_string(),
        connections: workers,
        seconds: secs,
        requests,
        errors,
        rps: requests as f64 / secs,
        p50: percentile(&all, 0.50),
        p90: percentile(&all, 0.90),
        p99: percentile(&all, 0.99),
        max: all.last().map(|m| *m as f64 / 1000.0).unwrap_or(0.0),
        server_cpu: srv0.zip(srv1).map(|(a, b)| (b - a) / secs),
        bench_cpu: me0.zip(me1).map(|(a, b)| (b - a) / secs),
        first_error,
        skipped: None,
    }
}

/// A small xorshift generator (no need for cryptographic randomness here).
pub struct Rng(u64);

impl Rng {
    /// Seeded from the clock and a worker number.
    pub fn new(seed: usize) -> Self {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(1);
        Self((t as u64) ^ ((seed as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1)
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x % n as u64) as usize
    }
}

static SAMPLES: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(-1);

/// Whether to print this answer: `ENIPLANE_BENCH_SAMPLES=N` prints the first N answers of the run.
pub fn sample() -> bool {
    use std::sync::atomic::Ordering;
    let mut left = SAMPLES.load(Ordering::Relaxed);
    if left == -1 {
        left = std::env::var("ENIPLANE_BENCH_SAMPLES").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
        SAMPLES.store(left, Ordering::Relaxed);
    }
    if left > 0 {
        SAMPLES.store(left - 1, Ordering::Relaxed);
        return true;
    }
    false
}
