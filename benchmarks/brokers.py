"""Brokers a fault drill or a soak owns outright, so it can restart them without touching anyone else's:
a ``redis-server`` of its own (its own port, append-only file fsynced on every write) and a RabbitMQ
virtual host of its own on the local server (whose connections it can close)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from geometry.errors import ConfigurationError

RABBITMQCTL_TIMEOUT_S = 60.0


def free_port() -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PrivateRedis:
    """A ``redis-server`` on ``port`` keeping its append-only file in ``data_dir`` (``appendfsync always``), so
    a ``stop()`` then ``start()`` is a broker restart that keeps every queued and unacknowledged message."""

    port: int
    data_dir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, ready_timeout_s: float = 10.0) -> None:
        if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
            raise ConfigurationError("redis-server and redis-cli must be installed for a private Redis")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.data_dir),
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + ready_timeout_s
        while time.monotonic() < deadline:
            if self.ping():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise ConfigurationError(f"the private redis-server on port {self.port} did not start", port=self.port)

    def ping(self) -> bool:
        result = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, timeout=10)
        return result.stdout == b"PONG\n"

    def stop(self) -> None:
        """``SHUTDOWN``: the server flushes its append-only file and exits (what a service restart does)."""
        if self.process is not None and self.process.poll() is None:
            subprocess.run(["redis-cli", "-p", str(self.port), "shutdown"], capture_output=True, timeout=10)
            self.process.wait(timeout=10)


def rabbitmqctl(*args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, timeout=RABBITMQCTL_TIMEOUT_S)
    except (FileNotFoundError, subprocess.TimeoutExpired) as exc:
        raise ConfigurationError(f"rabbitmqctl could not run: {exc}") from exc


@dataclass
class PrivateRabbitVhost:
    """A fresh virtual host on the RabbitMQ server of ``server_url`` (``amqp://user:pass@host:5672/``), its
    user allowed everything on it; ``close_connections`` drops every client of this vhost and no other."""

    server_url: str
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.name or f"cspms-soak-{uuid.uuid4().hex[:8]}"

    @property
    def url(self) -> str:
        return self.server_url.rstrip("/") + "/" + self.name

    def create(self) -> None:
        made = rabbitmqctl("add_vhost", self.name)
        if made.returncode != 0:
            raise ConfigurationError(f"rabbitmqctl add_vhost failed: {made.stderr.strip()}", vhost=self.name)
        user = urlsplit(self.server_url).username or "guest"
        allowed = rabbitmqctl("set_permissions", "-p", self.name, user, ".*", ".*", ".*")
        if allowed.returncode != 0:
            self.delete()
            raise ConfigurationError(f"rabbitmqctl set_permissions failed: {allowed.stderr.strip()}", user=user)

    def close_connections(self, reason: str) -> None:
        closed = rabbitmqctl("close_all_connections", "--vhost", self.name, reason)
        if closed.returncode != 0:
            raise ConfigurationError(f"rabbitmqctl close_all_connections failed: {closed.stderr.strip()}")

    def delete(self) -> None:
        rabbitmqctl("delete_vhost", self.name)
