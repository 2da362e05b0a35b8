//! Crash trials: a real `eniplane serve` under mixed signed mutation load in both dialects (TC3,
//! Tencent legacy, ENS V1 and ACS3: creates, attaches and detaches, the 100 × 100 seed batch,
//! instance stop/start, batched launches) is killed with SIGKILL at a random moment and restarted;
//! then every acknowledged change must be there, no batch half-applied, every pending transition
//! completed, every acknowledged nonce-carrying request refused when replayed, and the store's
//! invariants intact (see `crash_support`).
//!
//! `ENIPLANE_CRASH_TRIALS` sets the number of trials per engine (default 3); RELIABILITY.md has
//! the full runs. The PostgreSQL trials use the test database (`ENIPLANE_TEST_DATABASE_URL`,
//! `off` skips) in a schema of their own.

mod crash_support;
mod replicas;

use eniplane_store::postgres::testing::TestSchema;

/// Trials per engine when `ENIPLANE_CRASH_TRIALS` is not set.
const DEFAULT_TRIALS: usize = 3;

fn assert_clean(engine: &str, totals: &crash_support::Totals) {
    eprintln!("crash trials on {engine}: {totals}");
    let shown: Vec<&String> = totals.violations.iter().take(20).collect();
    assert!(totals.violations.is_empty(), "{engine}: {totals}\n{shown:#?}");
    assert!(totals.trials > 0 && totals.acknowledged > 0, "{engine}: the trials did real work: {totals}");
    assert!(totals.replays > 0, "{engine}: replays were tried: {totals}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_trials_on_sqlite() {
    let totals = crash_support::run(crash_support::trials(DEFAULT_TRIALS), None).await;
    assert_clean("sqlite", &totals);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_trials_on_postgres() {
    let Some(db) = TestSchema::create().expect("test database reachable (ENIPLANE_TEST_DATABASE_URL=off skips)") else {
        return;
    };
    let totals = crash_support::run(crash_support::trials(DEFAULT_TRIALS), Some(db.url())).await;
    assert_clean("postgres", &totals);
}
