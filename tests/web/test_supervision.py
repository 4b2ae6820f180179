"""Supervision (issue #18, finding 9): a real ``cspms serve`` (temp var folder, SQLite, a free port) restarts its
embedded worker after a kill -9 and its health check says so; an order placed meanwhile completes without
``cspms pipeline resume``; however ``serve`` ends, its worker ends too. And the health check reports a broker it
cannot reach."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from benchmarks.brokers import free_port
from manufacturing.accounts.roles import Role
from manufacturing.accounts.service import add_account
from manufacturing.db.session import make_engine, make_session_factory, session_scope
from manufacturing.pipeline.heartbeat import heartbeat_dir, read_heartbeats
from manufacturing.settings import Settings
from tests.web.floor import place_order
from web.api.app import create_app

PASSWORD = "correct horse battery staple"
# Heartbeats twice a second, a worker dead after 3 s of silence, restarted half a second after it died.
FAST = {
    "CSPMS_WORKER_HEARTBEAT_S": "0.5",
    "CSPMS_WORKER_STALE_AFTER_S": "3",
    "CSPMS_WORKER_RESTART_DELAY_S": "0.5",
    "CSPMS_BROKER_POLL_SECONDS": "0.1",
}


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    settings: Settings
    log_path: Path

    def health(self) -> dict[str, Any]:
        body: dict[str, Any] = httpx.get(f"{self.url}/api/health", timeout=5).json()
        return body

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def worker_pid(self) -> int | None:
        """The embedded worker's pid, as ``serve``'s supervisor records it in its heartbeat."""
        for beat in read_heartbeats(heartbeat_dir(self.settings)):
            if beat.role == "supervisor" and beat.pid == self.process.pid:
                return beat.worker_pid
        return None

    def wait_for(self, what: str, check: Any, timeout_s: float = 60.0) -> float:
        """Seconds until ``check()`` holds."""
        started = time.monotonic()
        while not check():
            if time.monotonic() - started > timeout_s:
                pytest.fail(f"{what} did not happen in {timeout_s} s; serve's log:\n{self.log_tail()}")
            if self.process.poll() is not None:
                pytest.fail(f"serve exited ({self.process.returncode}) waiting for {what}:\n{self.log_tail()}")
            time.sleep(0.05)
        return time.monotonic() - started


@contextmanager
def served(tmp_path: Path) -> Iterator[Served]:
    var_dir = tmp_path / "var"
    port = free_port()
    env = {**os.environ, **FAST, "CSPMS_VAR_DIR": str(var_dir)}
    log_path = tmp_path / "serve.log"
    command = [sys.executable, "-m", "web.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = Served(f"http://127.0.0.1:{port}", process, Settings(var_dir=var_dir), log_path)
    try:
        server.wait_for("a live worker behind the health check", lambda: _alive(server), timeout_s=90)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _alive(server: Served) -> bool:
    try:
        return bool(server.health()["worker"]["alive"])
    except (httpx.HTTPError, KeyError, ValueError):
        return False


def _staff_client(server: Served) -> httpx.Client:
    engine = make_engine(server.settings.resolved_database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            add_account(session, "staff@workshop.example", PASSWORD, Role.ADMIN)
    finally:
        engine.dispose()
    client = httpx.Client(base_url=server.url, timeout=120.0)
    login = client.post("/api/auth/login", json={"email": "staff@workshop.example", "password": PASSWORD})
    assert login.status_code == 200, login.text
    client.headers["Authorization"] = f"Bearer {login.json()['token']}"
    return client


def _proc_stat(pid: int) -> list[str] | None:
    """State and parent of a process (``/proc/<pid>/stat`` after its name); None once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return None


def _parent(pid: int) -> int | None:
    stat = _proc_stat(pid)
    return int(stat[1]) if stat else None


def _gone(pid: int) -> bool:
    stat = _proc_stat(pid)
    return stat is None or stat[0] == "Z"


@pytest.mark.slow
def test_a_killed_embedded_worker_is_restarted_and_the_order_placed_meanwhile_completes(
    tmp_path: Path, find_template_bytes: bytes
) -> None:
    with served(tmp_path) as server:
        staff = _staff_client(server)
        assert server.health()["status"] == "ok", server.health()
        killed = server.worker_pid()
        assert killed is not None and _parent(killed) == server.process.pid
        os.kill(killed, signal.SIGKILL)
        killed_at = time.monotonic()
        placed = place_order(staff, find_template_bytes)  # while no worker runs

        seen: list[dict[str, Any]] = []

        def restarted() -> bool:
            seen.append(server.health())
            return seen[-1]["worker"]["restarts"] >= 1 and seen[-1]["worker"]["alive"]

        server.wait_for("the worker's restart", restarted, timeout_s=60)
        back_s = time.monotonic() - killed_at
        degraded = [h for h in seen if h["status"] == "degraded"]
        assert degraded, "the dead worker never showed in the health check"
        assert "no worker has a fresh heartbeat" in degraded[0]["problems"]
        print(f"worker back {back_s:.1f} s after kill -9 ({len(degraded)} degraded answers meanwhile)")
        assert back_s < 45  # ~5 s on a quiet machine (a 1 s delay, then the worker's imports)
        assert server.worker_pid() not in (None, killed)
        assert f"the embedded worker (pid {killed}) exited on signal SIGKILL" in server.log_tail(10**7)

        def finished() -> bool:
            order = staff.get(f"/api/orders/{placed['order_number']}").json()
            return all(pair["runs"][-1]["state"] in ("succeeded", "failed") for pair in order["pairs"])

        server.wait_for("the order placed during the outage to finish", finished, timeout_s=240)
        order = staff.get(f"/api/orders/{placed['order_number']}").json()
        assert [pair["runs"][-1]["state"] for pair in order["pairs"]] == ["succeeded"]
        health = server.health()
        assert health["status"] == "ok" and health["worker"]["restarts"] == 1, health
        staff.close()


@pytest.mark.slow
@pytest.mark.parametrize("ending", [signal.SIGTERM, signal.SIGKILL])
def test_however_serve_ends_its_worker_ends(tmp_path: Path, ending: signal.Signals) -> None:
    with served(tmp_path) as server:
        worker = server.worker_pid()
        assert worker is not None
        server.process.send_signal(ending)  # SIGKILL: no `finally`; the kernel's parent-death signal ends it
        server.process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while not _gone(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _gone(worker), f"the embedded worker outlived serve ({ending.name})"


@pytest.fixture
def migrated(migrated_settings: Settings) -> Settings:
    return migrated_settings


@pytest.mark.parametrize("broker_url", ["redis://127.0.0.1:{port}/0", "amqp://guest:guest@127.0.0.1:{port}//"])
def test_health_is_degraded_when_the_broker_is_unreachable(migrated: Settings, broker_url: str) -> None:
    closed = broker_url.format(port=free_port())  # nothing listens there
    client = TestClient(create_app(migrated.model_copy(update={"broker_url": closed})))
    answer = client.get("/api/health")
    assert answer.status_code == 200  # the web app itself works: a monitor reads `status`
    body = answer.json()
    assert body["status"] == "degraded"
    assert body["broker"]["reachable"] is False
    assert "the broker does not accept connections" in body["problems"]
    assert "127.0.0.1" not in answer.text and "Traceback" not in answer.text  # no internals


@pytest.mark.redis
def test_health_reaches_a_live_redis(migrated: Settings, redis_url: str) -> None:
    client = TestClient(create_app(migrated.model_copy(update={"broker_url": redis_url})))
    assert client.get("/api/health").json()["broker"] == {"reachable": True, "kind": "redis"}


def test_health_is_fast(migrated: Settings) -> None:
    client = TestClient(create_app(migrated))
    client.get("/api/health")
    started = time.perf_counter()
    for _ in range(20):
        client.get("/api/health")
    assert (time.perf_counter() - started) / 20 < 0.05
