"""The test command on a machine whose PostgreSQL is not running: scripts/with-postgres.sh (which
scripts/test.sh runs under) starts a throwaway server when PostgreSQL's server programs are
installed and removes it afterwards, and otherwise fails saying exactly what is missing. Both are
tried by pointing ENIPLANE_TEST_DATABASE_URL at a closed port.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from e2e_support import REPO, free_port

SCRIPT = REPO / "scripts" / "with-postgres.sh"


def answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def with_postgres(command: str, **env: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("ENIPLANE_")}
    full.update(env)
    return subprocess.run([str(SCRIPT), "bash", "-c", command], env=full, capture_output=True, text=True,
                          timeout=180, stdin=subprocess.DEVNULL)


def server_programs() -> bool:
    initdb = shutil.which("initdb")
    dirs = [Path(initdb).resolve().parent] if initdb else []
    dirs += sorted(Path("/usr/lib/postgresql").glob("*/bin")) + [Path("/usr/local/pgsql/bin")]
    return any(all((d / p).is_file() for p in ("initdb", "pg_ctl", "postgres")) for d in dirs)


def test_a_throwaway_postgres_is_started_and_removed(tmp_path: Path):
    if not server_programs():
        pytest.skip("PostgreSQL's server programs are not installed here, so no throwaway server can start")
    closed = free_port()
    wanted = f"postgres://postgres@127.0.0.1:{closed}/test"
    res = with_postgres('echo "URL=$ENIPLANE_TEST_DATABASE_URL"; '
                        '"$ENIPLANE_PG_BIN/psql" "$ENIPLANE_TEST_DATABASE_URL" -Atc "select 40 + 2"',
                        ENIPLANE_TEST_DATABASE_URL=wanted)
    assert res.returncode == 0, f"{res.stdout}\n{res.stderr}"
    url = re.search(r"^URL=(\S+)$", res.stdout, re.M).group(1)
    assert url != wanted and url.startswith("postgres://postgres@127.0.0.1:"), url
    assert res.stdout.strip().endswith("42"), res.stdout
    assert "started a throwaway one" in res.stderr, res.stderr
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    assert not answers(port), "the throwaway server is stopped at exit"
    data = re.search(r"data in (\S+), removed at exit", res.stderr).group(1)
    assert not Path(data).exists(), f"{data} is removed at exit"


def test_without_server_programs_it_fails_and_says_what_is_missing(tmp_path: Path):
    empty = tmp_path / "no-postgres-here"
    empty.mkdir()
    marker = tmp_path / "ran"
    closed = free_port()
    res = with_postgres(f"touch {marker}", ENIPLANE_TEST_DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed}/test",
                        ENIPLANE_POSTGRES_BIN_DIRS=str(empty))
    assert res.returncode == 2, f"{res.stdout}\n{res.stderr}"
    assert not marker.exists(), "the command does not run without a database"
    for needed in (f"127.0.0.1:{closed}", "initdb", "pg_ctl", "postgres", str(empty), "apt-get install postgresql"):
        assert needed in res.stderr, f"{needed!r} in {res.stderr}"


def test_off_runs_the_command_without_postgres_and_says_so():
    res = with_postgres("echo ran", ENIPLANE_TEST_DATABASE_URL="off")
    assert res.returncode == 0 and res.stdout.strip() == "ran", res
    assert "switched off" in res.stderr
