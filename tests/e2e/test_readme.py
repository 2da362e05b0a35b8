"""The README stays true: every shell, Python and JavaScript snippet of README.md runs, as written,
against a server started the way the README says (its data in ./eniplane-data of the working
directory, the `export` lines of its first start pasted into the environment), with only the port
changed to a free one. Snippets that cannot run inside a test are listed in SKIPPED with the reason;
an entry that matches no snippet fails the test, so the list cannot go stale. The reset line runs
last, with the server stopped, and the next start must begin again from a new default account.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from e2e_support import NODE_DIR, REPO, Server, free_port, server_binary

README = REPO / "README.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)
RUNNABLE = {"sh", "python", "js"}
DEFAULT_ENDPOINT = "127.0.0.1:4577"

# A substring of the snippet -> why it is not run here.
SKIPPED = {
    "cargo run --release -p eniplane -- serve": "starts the server this test has started",
    "scripts/test.sh": "is the test command this test runs under",
    "cargo install --locked --path crates/server": "a full release build; the built binary is put on PATH instead",
    "eniplane serve --tls-self-signed": "starts a server; tests/e2e/test_tls.py covers HTTPS",
    'hp = HttpProfile(protocol="https"': "fragments of clients; tests/e2e/test_tls.py runs them whole",
}
RESET = "rm -rf ./eniplane-data"
EXPORT = re.compile(r"^export ([A-Z_]+)=(.*)$", re.M)


def snippets() -> list[tuple[str, str]]:
    return [(lang, code) for lang, code in FENCE.findall(README.read_text()) if lang in RUNNABLE]


def exports(text: str) -> dict[str, str]:
    """The variables of the `export NAME=value` lines a start printed (the last of each wins)."""
    return {name: shlex.split(value)[0] if value else "" for name, value in EXPORT.findall(text)}


def snippet_env(binary: Path, home: Path, printed: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TENCENTCLOUD_", "ALIBABA_CLOUD_", "ENIPLANE_"))}
    env.update(printed)
    env["PATH"] = os.pathsep.join([str(binary.parent), str(Path(sys.executable).parent), env.get("PATH", "")])
    env["HOME"] = str(home)
    env["NODE_PATH"] = str(NODE_DIR / "node_modules")
    return env


def run(lang: str, code: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    if lang == "sh":
        cmd = ["bash", "-euo", "pipefail", "-c", code]
    elif lang == "python":
        cmd = [sys.executable, "-c", code]
    else:
        node = shutil.which("node")
        if node is None:
            pytest.fail("node not found on PATH (the README has a Node.js snippet)", pytrace=False)
        cmd = [node, "-e", code]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)


def test_every_snippet_runs_as_written(tmp_path: Path):
    all_snippets = snippets()
    for key in SKIPPED:
        assert any(key in code for _, code in all_snippets), f"SKIPPED entry {key!r} matches no README snippet"
    resets = [code for _, code in all_snippets if code.strip() == RESET]
    assert len(resets) == 1, f"the README has one reset line `{RESET}`"
    to_run = [(lang, code) for lang, code in all_snippets
              if code.strip() != RESET and not any(key in code for key in SKIPPED)]
    assert len(to_run) >= 10, f"only {len(to_run)} runnable snippets found in {README}"

    work = tmp_path / "work"
    work.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    port = free_port()
    binary = server_binary()
    srv = Server(binary, work / "eniplane-data", tmp_path / "server.log", port=port)
    srv.start()
    try:
        printed = exports(srv.log_path.read_text())
        for name in ("ENIPLANE_ACCESS_KEY_ID", "ENIPLANE_ACCESS_KEY_SECRET", "ENIPLANE_ADMIN_TOKEN"):
            assert printed.get(name), f"the first start prints `export {name}=…`\n{srv.log_tail()}"
        env = snippet_env(binary, home, printed)
        for lang, code in to_run:
            code = code.replace(DEFAULT_ENDPOINT, f"127.0.0.1:{port}")
            res = run(lang, code, work, env)
            assert res.returncode == 0, (
                f"README {lang} snippet failed (exit {res.returncode}):\n{code}\n"
                f"--- stdout\n{res.stdout}\n--- stderr\n{res.stderr}\n{srv.log_tail()}"
            )
    finally:
        srv.stop()

    res = run("sh", resets[0], work, env)
    assert res.returncode == 0, res.stderr
    assert not (work / "eniplane-data").exists(), "the reset line removes the data directory"
    again = Server(binary, work / "eniplane-data", tmp_path / "after-reset.log", port=port)
    again.start()
    try:
        fresh = exports(again.log_path.read_text())
        assert fresh.get("ENIPLANE_ACCESS_KEY_ID"), f"a start after the reset is a first start\n{again.log_tail()}"
        assert fresh["ENIPLANE_ACCESS_KEY_ID"] != printed["ENIPLANE_ACCESS_KEY_ID"], "with new keys"
    finally:
        again.stop()
