#!/usr/bin/env bash
# Install what the end-to-end tests need, and nothing else:
#   .venv/                     python venv with the pinned SDKs of tests/e2e/requirements.txt
#   tests/e2e/node/node_modules the pinned Node.js SDKs of tests/e2e/node/package-lock.json
#
# Idempotent and quiet: each half writes a stamp holding the hash of its inputs and is skipped
# when the stamp matches, so a second run takes well under a second. Output is shown only on
# failure. Needs python3 (>= 3.9, with pip or venv), node and npm on PATH.
#
# Environment:
#   PYTHON=...            interpreter used to create the venv (default: python3)
#   ENIPLANE_SKIP_NODE=1  skip the Node.js half
#   ENIPLANE_SETUP_FORCE=1 ignore the stamps and reinstall
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
REQ="$ROOT/tests/e2e/requirements.txt"
NODE_DIR="$ROOT/tests/e2e/node"
PYTHON="${PYTHON:-python3}"
FORCE="${ENIPLANE_SETUP_FORCE:-0}"

LOG="$(mktemp "${TMPDIR:-/tmp}/eniplane-setup.XXXXXX")"
trap 'rm -f "$LOG"' EXIT

die() {
    echo "setup-test-env: $*" >&2
    if [[ -s "$LOG" ]]; then
        echo "---- log ----" >&2
        tail -n 60 "$LOG" >&2
    fi
    exit 1
}

# Run a command with its output going to the log; print the log if it fails.
quiet() {
    "$@" >>"$LOG" 2>&1 || die "failed: $*"
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        cat "$@" | sha256sum | cut -d' ' -f1
    else
        cat "$@" | "$PYTHON" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'
    fi
}

# ---------------------------------------------------------------- python
setup_python() {
    command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found"
    "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' \
        || die "$PYTHON is older than 3.9"

    local want stamp="$VENV/.eniplane-requirements.sha256"
    want="$(sha256_of "$REQ" <("$PYTHON" -c 'import sys; print(sys.version)'))"

    if [[ "$FORCE" != 1 && -x "$VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
        && "$VENV/bin/python" -c '' >/dev/null 2>&1; then
        return 0
    fi

    # A venv made by another interpreter (or a broken one) is rebuilt from scratch.
    if [[ -e "$VENV" ]]; then
        local have_ver want_ver
        have_ver="$("$VENV/bin/python" -c 'import pip, sys; print(sys.version)' 2>/dev/null || true)"
        want_ver="$("$PYTHON" -c 'import sys; print(sys.version)')"
        if [[ "$have_ver" != "$want_ver" ]]; then
            rm -rf "$VENV"
        fi
    fi
    if [[ ! -x "$VENV/bin/python" ]]; then
        if ! "$PYTHON" -m venv "$VENV" >>"$LOG" 2>&1; then
            # Debian without python3-venv (no ensurepip): fall back to virtualenv from PyPI.
            rm -rf "$VENV"
            local boot
            boot="$(mktemp -d "${TMPDIR:-/tmp}/eniplane-virtualenv.XXXXXX")"
            quiet "$PYTHON" -m pip install -q --disable-pip-version-check --target "$boot" virtualenv
            quiet env PYTHONPATH="$boot" "$PYTHON" -m virtualenv -q "$VENV"
            rm -rf "$boot"
        fi
    fi

    rm -f "$stamp"
    quiet "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-input -r "$REQ"
    echo "$want" >"$stamp"
}

# ---------------------------------------------------------------- node
setup_node() {
    command -v node >/dev/null 2>&1 || die "node not found"
    command -v npm >/dev/null 2>&1 || die "npm not found"

    local want stamp="$NODE_DIR/node_modules/.eniplane-lock.sha256"
    want="$(sha256_of "$NODE_DIR/package.json" "$NODE_DIR/package-lock.json" <(node --version))"

    if [[ "$FORCE" != 1 && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return 0
    fi

    rm -f "$stamp"
    # npm ci installs exactly the lock file (and wipes node_modules first).
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error) >>"$LOG" 2>&1 \
        || die "failed: npm ci in $NODE_DIR"
    echo "$want" >"$stamp"
}

setup_python
if [[ "${ENIPLANE_SKIP_NODE:-0}" != 1 ]]; then
    setup_node
fi
