"""Shared pytest fixtures for the sandbox's tests.

* ``sandbox_server`` (session): one ``sandbox/run`` on a free port in 4600-4649, fast time scale.
* ``signed_server`` (session): another one started with ``--verify-signatures``.
* ``sbx`` / ``signed_sbx`` (per test): the server above, reset first, with helpers
  (``client``, ``control``, ``wait_until``) — every test starts from an empty sandbox.
"""

from __future__ import annotations

import json
import os
import pathlib
import random
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any, Callable, Optional

import pytest

SANDBOX_DIR = pathlib.Path(__file__).resolve().parents[1]
if str(SANDBOX_DIR) not in sys.path:
    sys.path.insert(0, str(SANDBOX_DIR))

PORT_RANGE = range(4600, 4650)
TIME_SCALE = 0.001  # cluster create ~0.5 s, version update ~1.2 s, node group ~0.2 s


def free_port(start: int | None = None) -> int:
    """A port in 4600-4649 nothing listens on right now, scanning from a random offset
    (other sessions share the range)."""
    ports = list(PORT_RANGE)
    offset = random.randrange(len(ports)) if start is None else ports.index(start)
    for port in ports[offset:] + ports[:offset]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 4600-4649")


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what} (last: {last!r})")
        time.sleep(interval)


class SandboxProcess:
    """``sandbox/run`` in a subprocess. The port is probed free, but another process may take it
    before the sandbox binds; so readiness means *our* process answers (health reports its pid),
    and a lost race is retried on another port."""

    def __init__(self, *extra: str, time_scale: float = TIME_SCALE, attempts: int = 5) -> None:
        self.proc: Optional[subprocess.Popen] = None
        self.clients: dict[tuple, Any] = {}
        self._log = None
        for _ in range(attempts):
            if self._start(extra, time_scale):
                return
        raise RuntimeError(f"sandbox did not start: {self.log_path.read_text()[-2000:]}")

    def _start(self, extra, time_scale) -> bool:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = pathlib.Path(os.environ.get("TMPDIR", "/tmp")) / f"strata-sandbox-{self.port}-{os.getpid()}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(SANDBOX_DIR / "run"), "--port", str(self.port), "--time-scale", str(time_scale),
             *extra],
            stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with urllib.request.urlopen(self.url + "/_sandbox/health", timeout=2) as resp:
                    if json.loads(resp.read()).get("pid") == self.proc.pid:
                        return True
            except (urllib.error.URLError, OSError, ValueError):
                pass
            time.sleep(0.1)
        self.stop()
        return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log is not None:
            self._log.close()
            text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
            if "Traceback" in text or os.environ.get("STRATA_SANDBOX_KEEP_LOGS"):
                print(f"sandbox log kept: {self.log_path}", file=sys.stderr)
            else:
                self.log_path.unlink(missing_ok=True)


class Sandbox:
    """A running sandbox as a test sees it."""

    def __init__(self, proc: SandboxProcess, key: str = "test", secret: str = "test") -> None:
        self.proc = proc
        self.url = proc.url
        self.key, self.secret = key, secret
        self.region = "us-east-1"

    def client(self, service: str, *, key: Optional[str] = None, secret: Optional[str] = None,
               token: Optional[str] = None, region: Optional[str] = None, retries: int = 0,
               **config: Any):
        """A boto3 client for this sandbox; ``retries`` is how many times it may retry (default none).
        Clients are cached per server (building one costs more than most calls); a test that
        registers event handlers on one should pass ``fresh=True``."""
        import boto3
        from botocore.config import Config

        fresh = config.pop("fresh", False)
        cache_key = (service, key, secret, token, region, retries, tuple(sorted(config.items())))
        cached = self.proc.clients.get(cache_key)
        if cached is not None and not fresh:
            return cached
        cfg = Config(retries={"total_max_attempts": retries + 1, "mode": "standard"}, **config)
        client = boto3.client(
            service, endpoint_url=self.url, region_name=region or self.region,
            aws_access_key_id=key or self.key, aws_secret_access_key=secret or self.secret,
            aws_session_token=token, config=cfg,
        )
        if not fresh:
            self.proc.clients[cache_key] = client
        return client

    def control(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + "/_sandbox/" + path.lstrip("/"), data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def requests(self, **filters: str) -> list[dict]:
        qs = "&".join(f"{k}={v}" for k, v in filters.items())
        status, doc = self.control("GET", "requests" + (f"?{qs}" if qs else ""))
        assert status == 200
        return doc["requests"]

    def reset(self) -> None:
        status, doc = self.control("POST", "reset")
        assert status == 200, doc

    wait_until = staticmethod(wait_until)


@pytest.fixture(scope="session")
def sandbox_server():
    proc = SandboxProcess()
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def signed_server():
    proc = SandboxProcess("--verify-signatures")
    yield proc
    proc.stop()


@pytest.fixture
def sbx(sandbox_server) -> Sandbox:
    s = Sandbox(sandbox_server)
    s.reset()
    s.control("DELETE", "faults")
    s.control("DELETE", "requests")
    return s


@pytest.fixture
def signed_sbx(signed_server) -> Sandbox:
    s = Sandbox(signed_server)
    s.reset()
    s.control("DELETE", "faults")
    s.control("DELETE", "requests")
    return s
