//! `eniplane-bench`: a closed-loop load generator for a real `eniplane serve` process, with signed
//! Tencent Cloud VPC and Alibaba Cloud ENS calls; reports throughput and latency percentiles.
//!
//! ```text
//! cargo build --release -p eniplane
//! cargo run --release -p eniplane-bench -- --scenario all
//! ```

mod client;
mod ens;
mod load;
mod server;
mod tencent;

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use serde_json::json;

use client::{Api, Key, Tc3};
use load::Stats;

const TENCENT_SCENARIOS: [&str; 3] = ["describe", "describe-filter", "disassociate"];
/// Scenarios that need no fixtures.
const PLAIN_SCENARIOS: [&str; 1] = ["ceiling"];
const ENS_SCENARIOS: [&str; 2] = ["ens-describe", "ens-detach-attach"];

/// Benchmarks an eniplane server with signed API calls.
#[derive(Parser, Debug)]
#[command(name = "eniplane-bench", version, about)]
struct Cli {
    /// Comma-separated scenarios: all, ceiling, describe, describe-filter, disassociate, ens-describe,
    /// ens-detach-attach.
    #[arg(long, default_value = "all")]
    scenario: String,
    /// The server binary to start (ignored with --target).
    #[arg(long, default_value = "target/release/eniplane")]
    server_bin: PathBuf,
    /// Benchmark an already running server (`http://host:port`) instead of starting one.
    #[arg(long, requires_all = ["key_id", "key_secret"])]
    target: Option<String>,
    /// Access key id for --target.
    #[arg(long)]
    key_id: Option<String>,
    /// Access key secret for --target.
    #[arg(long)]
    key_secret: Option<String>,
    /// Secondary ENIs to create (per dialect).
    #[arg(long, default_value_t = 50)]
    enis: usize,
    /// Concurrent connections (one worker each).
    #[arg(short = 'c', long, default_value_t = 32)]
    concurrency: usize,
    /// Measured seconds per scenario.
    #[arg(short = 'd', long, default_value_t = 10)]
    duration: u64,
    /// Warm-up seconds per scenario (calls run but are not recorded).
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// `--transition-delay-ms` for the started server (0 keeps attach/detach cycles fast).
    #[arg(long, default_value_t = 0)]
    transition_delay_ms: i64,
    /// Run the started server on PostgreSQL at this URL (an empty database or schema) instead of
    /// its embedded SQLite store.
    #[arg(long)]
    database_url: Option<String>,
    /// Load-generator threads (1 = a current-thread runtime).
    #[arg(long, default_value_t = 1)]
    client_threads: usize,
    /// Print the results as JSON on stdout (the table then goes to stderr).
    #[arg(long)]
    json: bool,
}

fn selected(spec: &str) -> Result<Vec<&'static str>, String> {
    let all: Vec<&'static str> =
        PLAIN_SCENARIOS.iter().chain(TENCENT_SCENARIOS.iter()).chain(ENS_SCENARIOS.iter()).copied().collect();
    let mut out = Vec::new();
    for s in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if s == "all" {
            out.extend(all.iter().copied());
        } else if let Some(found) = all.iter().find(|a| **a == s) {
            out.push(*found);
        } else {
            return Err(format!("unknown scenario `{s}`; known: all, {}", all.join(", ")));
        }
    }
    out.dedup();
    Ok(out)
}

fn fmt_cpu(c: Option<f64>) -> String {
    c.map(|c| format!("{c:.2}")).unwrap_or_else(|| "-".into())
}

fn table(results: &[Stats]) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "| {:<18} | {:>5} | {:>9} | {:>6} | {:>9} | {:>7} | {:>7} | {:>7} | {:>7} | {:>7} | {:>7} |\n",
        "scenario",
        "conns",
        "requests",
        "errors",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "srv cpu",
        "gen cpu"
    ));
    out.push_str(&format!(
        "|{:-<20}|{:->7}|{:->11}|{:->8}|{:->11}|{:->9}|{:->9}|{:->9}|{:->9}|{:->9}|{:->9}|\n",
        "", ":", ":", ":", ":", ":", ":", ":", ":", ":", ":"
    ));
    for r in results {
        if let Some(why) = &r.skipped {
            out.push_str(&format!("| {:<18} | skipped: {why}\n", r.scenario));
            continue;
        }
        out.push_str(&format!(
            "| {:<18} | {:>5} | {:>9} | {:>6} | {:>9.0} | {:>7.2} | {:>7.2} | {:>7.2} | {:>7.2} | {:>7} | {:>7} |\n",
            r.scenario,
            r.connections,
            r.requests,
            r.errors,
            r.rps,
            r.p50,
            r.p90,
            r.p99,
            r.max,
            fmt_cpu(r.server_cpu),
            fmt_cpu(r.bench_cpu)
        ));
    }
    out
}

async fn bench(cli: Cli) -> Result<Vec<Stats>, String> {
    let scenarios = selected(&cli.scenario)?;
    let mut managed = None;
    let (addr, key, pid) = match &cli.target {
        Some(t) => {
            let addr = t.trim_start_matches("http://").trim_end_matches('/').to_string();
            let key =
                Key { id: cli.key_id.clone().unwrap_or_default(), secret: cli.key_secret.clone().unwrap_or_default() };
            (addr, key, None)
        }
        None => {
            let m = server::Managed::start(&cli.server_bin, cli.transition_delay_ms, cli.database_url.as_deref())?;
            eprintln!("started {} (pid {}) on {}; log {}", cli.server_bin.display(), m.pid(), m.addr, m.log.display());
            let out = (m.addr.clone(), m.key.clone(), Some(m.pid()));
            managed = Some(m);
            out
        }
    };
    let warmup = Duration::from_secs(cli.warmup);
    let duration = Duration::from_secs(cli.duration);
    let c = cli.concurrency.max(1);
    let mut api = Api::new(&addr, key.clone()).await?;
    let mut results = Vec::new();

    let tencent = if scenarios.iter().any(|s| TENCENT_SCENARIOS.contains(s)) {
        eprintln!("setting up Tencent fixtures ({} ENIs)…", cli.enis);
        let fx = tencent::setup(&mut api, cli.enis.max(1)).await?;
        eprintln!("  {} {} {:?} {} + {} ENIs", fx.vpc, fx.subnet, fx.groups, fx.instance, fx.enis.len());
        Some(fx)
    } else {
        None
    };
    let ens = if scenarios.iter().any(|s| ENS_SCENARIOS.contains(s)) {
        eprintln!("setting up ENS fixtures ({} ENIs)…", cli.enis);
        let fx = ens::setup(&mut api, cli.enis.max(1)).await;
        if let Ok(fx) = &fx {
            eprintln!(
                "  {} {} {} {} stopped instances + {} attached ENIs",
                fx.network,
                fx.vswitch,
                fx.group,
                fx.instances.len(),
                fx.enis.len()
            );
        }
        Some(fx)
    } else {
        None
    };

    for &s in &scenarios {
        eprintln!("running {s}: {c} connections, {}s warm-up + {}s…", cli.warmup, cli.duration);
        let stats = match s {
            "ceiling" => {
                load::run(s, c, warmup, duration, pid, |w, win| tencent::ceiling_worker(addr.clone(), w, win)).await
            }
            "describe" | "describe-filter" => {
                let fx = tencent.as_ref().expect("fixtures");
                let mut signer = Tc3::new(key.clone(), &addr);
                let bodies = tencent::describe_bodies(&mut signer, fx, s == "describe-filter").bodies;
                load::run(s, c, warmup, duration, pid, |w, win| {
                    tencent::describe_worker(addr.clone(), key.clone(), bodies.clone(), w, win)
                })
                .await
            }
            "disassociate" => {
                let fx = tencent.as_ref().expect("fixtures");
                let mut signer = Tc3::new(key.clone(), &addr);
                let bodies = tencent::write_bodies(&mut signer, fx);
                load::run(s, c, warmup, duration, pid, |w, win| {
                    tencent::write_worker(addr.clone(), key.clone(), bodies.clone(), c, w, win)
                })
                .await
            }
            "ens-describe" | "ens-detach-attach" => match ens.as_ref().expect("ens setup") {
                Err(ens::SetupError::Unsupported(e)) => {
                    Stats::skipped(s, format!("the server does not implement the ENS API yet ({e})"))
                }
                Err(ens::SetupError::Failed(e)) => Stats::skipped(s, format!("ENS fixture setup failed: {e}")),
                Ok(fx) if s == "ens-describe" => {
                    let queries = ens::describe_queries(fx);
                    load::run(s, c, warmup, duration, pid, |w, win| {
                        ens::describe_worker(addr.clone(), key.clone(), queries.clone(), w, win)
                    })
                    .await
                }
                Ok(fx) => {
                    let queries = ens::cycle_queries(fx);
                    let workers = c.min(fx.enis.len());
                    load::run(s, workers, warmup, duration, pid, |w, win| {
                        ens::cycle_worker(addr.clone(), key.clone(), queries.clone(), workers, w, win)
                    })
                    .await
                }
            },
            other => unreachable!("scenario {other}"),
        };
        if let Some(why) = &stats.skipped {
            eprintln!("  {s} skipped: {why}");
        } else {
            eprintln!(
                "  {s}: {} requests, {} errors, {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms",
                stats.requests, stats.errors, stats.rps, stats.p50, stats.p99
            );
            if let Some(e) = &stats.first_error {
                eprintln!("  first error: {}", e.chars().take(400).collect::<String>());
            }
        }
        results.push(stats);
    }
    drop(managed);
    Ok(results)
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let json_out = cli.json;
    let threads = cli.client_threads.max(1);
    let meta = json!({
        "connections": cli.concurrency,
        "duration_s": cli.duration,
        "warmup_s": cli.warmup,
        "enis": cli.enis,
        "client_threads": threads,
        "target": cli.target.clone().unwrap_or_else(|| format!("spawned {}", cli.server_bin.display())),
    });
    let runtime = if threads == 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build()
    }
    .expect("runtime");
    match runtime.block_on(bench(cli)) {
        Ok(results) => {
            let t = table(&results);
            if json_out {
                eprint!("{t}");
                let all: Vec<_> = results.iter().map(Stats::to_json).collect();
                println!("{}", serde_json::to_string_pretty(&json!({"settings": meta, "results": all})).unwrap());
            } else {
                print!("{t}");
            }
            let failed = results.iter().any(|r| r.skipped.is_none() && (r.errors > 0 || r.requests == 0));
            if failed {
                std::process::ExitCode::from(2)
            } else {
                std::process::ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("eniplane-bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
