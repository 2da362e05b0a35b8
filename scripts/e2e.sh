#!/usr/bin/env bash
# Build the server, install the pinned SDKs, run the end-to-end suite.
#   scripts/e2e.sh                 # everything
#   scripts/e2e.sh -k tencent -x   # extra arguments go to pytest
# ENIPLANE_BIN=/path/to/eniplane skips nothing but makes the tests use that binary instead.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

cargo build --release -p eniplane
"$ROOT/scripts/setup-test-env.sh"
exec "$ROOT/.venv/bin/python" -m pytest "$ROOT/tests/e2e" -q "$@"
