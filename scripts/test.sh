#!/usr/bin/env bash
# The project's test command (README, CI): lints, every Rust test (unit, store conformance on
# SQLite and PostgreSQL, in-process HTTP integration), then the end-to-end suite that drives a
# real `eniplane serve` with the official SDKs and CLIs.
#   scripts/test.sh            # everything
#   scripts/test.sh --no-e2e   # skip the SDK suite
# PostgreSQL: the one at ENIPLANE_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test),
# else a throwaway server started for the run when PostgreSQL's server programs are installed, else
# the run fails saying what is missing (scripts/with-postgres.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# The whole run under one PostgreSQL (found, or started and removed at the end); fails first thing
# when there is none and none can be started.
if [[ -z "${ENIPLANE_TEST_UNDER_POSTGRES:-}" ]]; then
    export ENIPLANE_TEST_UNDER_POSTGRES=1
    exec "$ROOT/scripts/with-postgres.sh" "$ROOT/scripts/test.sh" "$@"
fi

run_e2e=1
[[ "${1:-}" == "--no-e2e" ]] && run_e2e=0

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings
step "cargo test (workspace)"
cargo test --workspace
if [[ $run_e2e == 1 ]]; then
    step "end-to-end suite with the official SDKs"
    scripts/e2e.sh
fi
