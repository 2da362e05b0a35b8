#!/usr/bin/env bash
# The project's test command (README, CI): lints, every Rust test (unit, store conformance on
# SQLite and PostgreSQL, in-process HTTP integration), then the end-to-end suite that drives a
# real `eniplane serve` with the official SDKs and CLIs.
#   scripts/test.sh            # everything
#   scripts/test.sh --no-e2e   # skip the SDK suite
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

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
