"""The embedded worker's supervisor, with stand-in worker commands: it restarts a worker that exits, later
each time while it keeps dying young, and ``stop`` ends the worker."""

from __future__ import annotations

import sys
import time

import pytest

from manufacturing.pipeline.heartbeat import heartbeat_dir, read_heartbeats
from manufacturing.pipeline.supervision import WorkerSupervisor
from manufacturing.settings import Settings


def _supervisor(settings: Settings, script: str) -> WorkerSupervisor:
    fast = settings.model_copy(update={"worker_restart_delay_s": 0.1, "worker_heartbeat_s": 0.1})
    return WorkerSupervisor(fast, command=[sys.executable, "-c", script])


def test_a_worker_that_keeps_dying_is_restarted_later_each_time(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("ERROR", logger="manufacturing.pipeline.supervision")
    supervisor = _supervisor(settings, "raise SystemExit(3)")
    supervisor.start()
    deadline = time.monotonic() + 30
    while supervisor.restarts < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    supervisor.stop()
    assert supervisor.restarts >= 3
    delays = [r.getMessage().split("restarting it in ")[1].split(" s")[0] for r in caplog.records]
    assert delays[:3] == ["0.1", "0.2", "0.4"]  # doubles while it dies young
    assert "exited with code 3" in caplog.records[0].getMessage()


def test_the_restart_count_is_in_the_supervisors_heartbeat_and_stop_ends_the_worker(settings: Settings) -> None:
    supervisor = _supervisor(settings, "import os, time; time.sleep(0.3 if os.environ.get('X') else 60)")
    supervisor.start()
    deadline = time.monotonic() + 20
    while supervisor.worker_pid is None and time.monotonic() < deadline:
        time.sleep(0.02)
    (beat,) = [b for b in read_heartbeats(heartbeat_dir(settings)) if b.role == "supervisor"]
    assert beat.restarts == 0 and beat.worker_pid == supervisor.worker_pid
    process = supervisor._process
    assert process is not None
    started = time.monotonic()
    supervisor.stop()
    assert process.returncode == -15  # SIGTERM, once: a warm shutdown
    assert time.monotonic() - started < 10
    assert read_heartbeats(heartbeat_dir(settings)) == []  # a clean stop leaves no heartbeat to mistake
