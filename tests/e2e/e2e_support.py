"""Support code for the end-to-end tests: the server process, the SDK clients, helpers.

Every test gets a fresh server (free port, empty temporary data dir) and a fresh account, so tests
are independent of each other and of their order.

ENIPLANE_BIN overrides the server binary (default: <repo>/target/release/eniplane).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import pytest

REPO = Path(__file__).resolve().parents[2]
E2E = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
NODE_DIR = E2E / "node"

TENCENT_REGION = "ap-guangzhou"
TENCENT_ZONE = "ap-guangzhou-3"
ENS_REGION = "cn-beijing-15"
HEALTH_TIMEOUT = 20.0
TRANSITION_DELAY_MS = 200

# The SDKs talk to 127.0.0.1 only; never through a proxy from the environment.
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_var, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"


# --------------------------------------------------------------------------- helpers

def wait_until(fn: Callable[[], Any], timeout: float = 15.0, interval: float = 0.1, what: str = "") -> Any:
    """Call `fn` until it returns a truthy value and return that value.

    Exceptions raised by `fn` count as "not yet" but the last one is reported on timeout.
    """
    deadline = time.monotonic() + timeout
    last: Any = None
    last_exc: Optional[BaseException] = None
    while True:
        try:
            last = fn()
            last_exc = None
            if last:
                return last
        except Exception as exc:  # noqa: BLE001 - reported below
            last_exc = exc
        if time.monotonic() >= deadline:
            detail = f"last exception: {last_exc!r}" if last_exc is not None else f"last value: {last!r}"
            raise AssertionError(f"timed out after {timeout}s waiting for {what or fn!r}; {detail}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_binary() -> Path:
    path = Path(os.environ.get("ENIPLANE_BIN") or REPO / "target" / "release" / "eniplane")
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(
            f"server binary {path} not found; build it with `cargo build --release -p eniplane` "
            "or point ENIPLANE_BIN at it",
            pytrace=False,
        )
    return path


def _parse_json_object(text: str) -> dict:
    text = text.strip()
    try:
        obj = json.loads(text)
        if isinstance(obj, dict):
            return obj
    except json.JSONDecodeError:
        pass
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    raise AssertionError(f"no JSON object in output: {text!r}")


class Server:
    """One `eniplane serve` process on a fixed port and data dir; can be killed and restarted."""

    def __init__(self, binary: Path, data_dir: Path, log_path: Path, port: Optional[int] = None,
                 extra_args: Sequence[str] = (), https: bool = False):
        self.binary = binary
        self.data_dir = data_dir
        self.log_path = log_path
        self.port = port or free_port()
        self.extra_args = list(extra_args)
        self.https = https
        self.proc: Optional[subprocess.Popen] = None
        self._log = None

    @property
    def endpoint(self) -> str:
        """host:port, as the SDKs want it."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{'https' if self.https else 'http'}://{self.endpoint}"

    @property
    def tls_ca(self) -> Path:
        """The CA a `--tls-self-signed` server creates (and prints) under its data dir."""
        return self.data_dir / "tls" / "ca.pem"

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None, "server already running"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self._log.write(f"\n===== start {time.strftime('%H:%M:%S')} =====\n".encode())
        self._log.flush()
        cmd = [
            str(self.binary), "serve",
            "--listen", self.endpoint,
            "--data-dir", str(self.data_dir),
            "--transition-delay-ms", str(TRANSITION_DELAY_MS),
            *self.extra_args,
        ]
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + HEALTH_TIMEOUT
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"server exited with {self.proc.returncode} before becoming healthy\n{self.log_tail()}"
                )
            try:
                context = ssl.create_default_context(cafile=str(self.tls_ca)) if self.https else None
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2, context=context) as resp:
                    if resp.status == 200:
                        return
                    last = f"status {resp.status}"
            except urllib.error.HTTPError as exc:
                last = f"status {exc.code}"
            except OSError as exc:
                last = repr(exc)
            time.sleep(0.05)
        raise AssertionError(f"GET /healthz not 200 within {HEALTH_TIMEOUT}s (last: {last})\n{self.log_tail()}")

    def kill9(self) -> None:
        """SIGKILL the server: no shutdown hooks, no flushing."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._close_log()

    def restart_after_kill9(self) -> None:
        self.kill9()
        self.start()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "---- server log (tail) ----\n" + "\n".join(text.splitlines()[-lines:])

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run an `eniplane` subcommand (not `serve`) against this server's data dir."""
        res = subprocess.run(
            [str(self.binary), *args], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
        )
        if check and res.returncode != 0:
            raise AssertionError(
                f"`eniplane {' '.join(args)}` exited {res.returncode}\nstdout: {res.stdout}\nstderr: {res.stderr}"
            )
        return res

    def create_account(self, name: str) -> "Account":
        res = self.cli("account", "create", name, "--data-dir", str(self.data_dir), "--json")
        obj = _parse_json_object(res.stdout)
        for key in ("account_id", "access_key_id", "access_key_secret"):
            assert obj.get(key), f"`eniplane account create` output lacks {key}: {res.stdout!r}"
        return Account(name=name, account_id=str(obj["account_id"]),
                       access_key_id=obj["access_key_id"], access_key_secret=obj["access_key_secret"], raw=obj)


@dataclass
class Account:
    name: str
    account_id: str
    access_key_id: str
    access_key_secret: str
    raw: dict


# --------------------------------------------------------------------------- clients

# ---- Tencent (tencentcloud-sdk-python)

class TencentClients:
    """VPC and CVM clients of the official Python SDK pointed at the server."""

    def __init__(self, server: Server, secret_id: str, secret_key: str,
                 req_method: str = "POST", sign_method: Optional[str] = None):
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.cvm.v20170312 import cvm_client
        from tencentcloud.vpc.v20170312 import vpc_client

        hp = HttpProfile(protocol="http", endpoint=server.endpoint, reqMethod=req_method)
        kwargs = {"httpProfile": hp, "language": "en-US"}
        if sign_method:
            kwargs["signMethod"] = sign_method
        cp = ClientProfile(**kwargs)
        cred = credential.Credential(secret_id, secret_key)
        self.vpc = vpc_client.VpcClient(cred, TENCENT_REGION, cp)
        self.cvm = cvm_client.CvmClient(cred, TENCENT_REGION, cp)

    @staticmethod
    def _call(client, models_mod, action: str, params: dict) -> dict:
        req = getattr(models_mod, f"{action}Request")()
        req.from_json_string(json.dumps(params))
        resp = getattr(client, action)(req)
        return json.loads(resp.to_json_string())

    def vpc_call(self, action: str, params: Optional[dict] = None) -> dict:
        """Call a VPC action through its typed model; returns the response as a dict."""
        from tencentcloud.vpc.v20170312 import models
        return self._call(self.vpc, models, action, params or {})

    def cvm_call(self, action: str, params: Optional[dict] = None) -> dict:
        from tencentcloud.cvm.v20170312 import models
        return self._call(self.cvm, models, action, params or {})


def tencent_error(fn: Callable[[], Any]):
    """Run fn, expect TencentCloudSDKException; return it."""
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
    with pytest.raises(TencentCloudSDKException) as info:
        fn()
    return info.value


# ---- Alibaba ENS (alibabacloud-ens20171110 tea client, aliyun-python-sdk-ens core client)

class EnsError(Exception):
    """An API error from any of the three ENS clients, normalised."""

    def __init__(self, code: Optional[str], status: Optional[int], request_id: Optional[str],
                 message: str, original: BaseException):
        super().__init__(f"{code} (HTTP {status}): {message} [RequestId {request_id}]")
        self.code = code
        self.status = status
        self.request_id = request_id
        self.message = message
        self.original = original


class EnsClient:
    """Uniform `call(Action, {WireParam: value})` -> response dict over one official ENS client.

    kind:
      "tea-v3"  alibabacloud_ens20171110 Client, default ACS3-HMAC-SHA256 signature
      "tea-v2"  same with Config(signature_algorithm='v2') -> RPC HMAC-SHA1
      "core"    aliyunsdkcore AcsClient + aliyunsdkens request classes (RPC HMAC-SHA1)
    Params use the wire (PascalCase) names; lists are passed as Python lists and each SDK encodes
    them its own way (.N, JSON string, comma-joined).
    """

    KINDS = ("tea-v3", "tea-v2", "core")

    def __init__(self, kind: str, server: Server, ak: str, secret: str):
        assert kind in self.KINDS, kind
        self.kind = kind
        self.server = server
        if kind.startswith("tea"):
            from alibabacloud_ens20171110.client import Client
            from alibabacloud_tea_openapi.models import Config
            cfg = dict(access_key_id=ak, access_key_secret=secret, endpoint=server.endpoint, protocol="http")
            if kind == "tea-v2":
                cfg["signature_algorithm"] = "v2"
            self.client = Client(Config(**cfg))
        else:
            from aliyunsdkcore.client import AcsClient
            self.client = AcsClient(ak, secret, "cn-hangzhou")

    def __repr__(self) -> str:
        return f"EnsClient({self.kind})"

    def call(self, action: str, params: Optional[dict] = None) -> dict:
        params = {k: v for k, v in (params or {}).items() if v is not None}
        if self.kind.startswith("tea"):
            return self._call_tea(action, params)
        return self._call_core(action, params)

    def _call_tea(self, action: str, params: dict) -> dict:
        from alibabacloud_ens20171110 import models
        from darabonba.exceptions import ResponseException
        req = getattr(models, f"{action}Request")().from_map(params)
        method = _tea_method(self.client, action)
        try:
            resp = method(req)
        except ResponseException as exc:
            data = exc.data if isinstance(exc.data, dict) else {}
            raise EnsError(exc.code, exc.status_code, getattr(exc, "request_id", None) or data.get("RequestId"),
                           str(exc.message), exc) from exc
        assert resp.status_code == 200, f"{action}: HTTP {resp.status_code}"
        return resp.body.to_map()

    def _call_core(self, action: str, params: dict) -> dict:
        import importlib
        from aliyunsdkcore.acs_exception.exceptions import ServerException
        mod = importlib.import_module(f"aliyunsdkens.request.v20171110.{action}Request")
        req = getattr(mod, f"{action}Request")()
        req.set_endpoint(self.server.endpoint)
        req.set_protocol_type("http")
        for key, value in params.items():
            setter = getattr(req, f"set_{key}", None) or getattr(req, f"set_{key}s", None)
            assert setter is not None, f"{action}Request has no setter for {key}"
            setter(value)
        try:
            body = self.client.do_action_with_exception(req)
        except ServerException as exc:
            raise EnsError(exc.get_error_code(), exc.get_http_status(), exc.get_request_id(),
                           exc.get_error_msg(), exc) from exc
        return json.loads(body)


def _tea_method(client, action: str):
    wanted = action.lower()
    for name in dir(client):
        if name.replace("_", "") == wanted and callable(getattr(client, name)):
            return getattr(client, name)
    raise AttributeError(f"tea ENS client has no method for {action}")


def ens_error(fn: Callable[[], Any]) -> EnsError:
    with pytest.raises(EnsError) as info:
        fn()
    return info.value


def skip_unless_ens(client: EnsClient) -> None:
    """Skip the test if the server has no ENS dialect yet (answers InvalidAction.NotFound)."""
    try:
        client.call("DescribeEnsRegions", {})
    except EnsError as exc:
        if exc.code == "InvalidAction.NotFound":
            pytest.skip(f"server does not implement the ENS dialect yet (DescribeEnsRegions -> {exc.code})")


# ---- CLIs


def venv_tool(name: str) -> Path:
    path = VENV_BIN / name
    if not path.exists():
        pytest.fail(f"{path} not found; run scripts/setup-test-env.sh", pytrace=False)
    return path


def run_node(spec: dict, timeout: float = 60) -> list:
    """Run node/tencent_calls.js with a call spec; return its list of {response}|{error}."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node not found on PATH", pytrace=False)
    if not (NODE_DIR / "node_modules" / "tencentcloud-sdk-nodejs").is_dir():
        pytest.fail(f"{NODE_DIR}/node_modules missing; run scripts/setup-test-env.sh", pytrace=False)
    res = subprocess.run([node, str(NODE_DIR / "tencent_calls.js"), json.dumps(spec)],
                         capture_output=True, text=True, timeout=timeout, cwd=NODE_DIR, stdin=subprocess.DEVNULL)
    assert res.returncode == 0, f"node exited {res.returncode}\nstdout: {res.stdout}\nstderr: {res.stderr}"
    return json.loads(res.stdout)
