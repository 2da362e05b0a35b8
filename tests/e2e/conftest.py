"""pytest fixtures for the end-to-end tests: a real `eniplane serve` process per test and the
official SDK clients pointed at it. The machinery lives in e2e_support.py.

Environment:
  ENIPLANE_BIN       server binary (default: <repo>/target/release/eniplane)
  ENIPLANE_E2E_LOGS  if set, a directory where each test's server log is copied at teardown
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from e2e_support import (
    Account,
    EnsClient,
    Server,
    TencentClients,
    server_binary,
    skip_unless_ens,
)


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest):
    srv = Server(server_binary(), tmp_path / "data", tmp_path / "server.log")
    srv.start()
    yield srv
    srv.stop()
    logs = os.environ.get("ENIPLANE_E2E_LOGS")
    if logs:
        Path(logs).mkdir(parents=True, exist_ok=True)
        safe = request.node.nodeid.replace("/", "_").replace("::", "__").replace("[", "_").replace("]", "")
        shutil.copy(srv.log_path, Path(logs) / f"{safe}.log")


@pytest.fixture
def account(server: Server) -> Account:
    return server.create_account("e2e-main")


@pytest.fixture
def tencent(server: Server, account: Account) -> TencentClients:
    return TencentClients(server, account.access_key_id, account.access_key_secret)


@pytest.fixture
def make_tencent(server: Server):
    def make(secret_id: str, secret_key: str, **kw) -> TencentClients:
        return TencentClients(server, secret_id, secret_key, **kw)
    return make


@pytest.fixture
def make_ens(server: Server):
    def make(kind: str, ak: str, secret: str) -> EnsClient:
        return EnsClient(kind, server, ak, secret)
    return make


@pytest.fixture(params=EnsClient.KINDS)
def ens(request: pytest.FixtureRequest, server: Server, account: Account) -> EnsClient:
    client = EnsClient(request.param, server, account.access_key_id, account.access_key_secret)
    skip_unless_ens(client)
    return client


@pytest.fixture
def cli_home(tmp_path: Path) -> Path:
    """An empty HOME, so tccli reads no configuration or credentials of the machine."""
    home = tmp_path / "home"
    home.mkdir()
    return home

