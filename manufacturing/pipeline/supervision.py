"""``cspms serve``'s embedded worker, kept alive: a thread starts the worker process, watches it, and starts it
again whenever it exits (a crash, the OOM killer, kill -9), after a delay that doubles while it keeps dying
young. Each restart is logged and counted in the supervisor's heartbeat, which the health check reports.

The worker dies with ``serve`` however ``serve`` ends: it is started with ``--die-with-parent``, so the kernel
sends it SIGTERM when this thread's process is gone (Linux ``PR_SET_PDEATHSIG``), and ``stop`` ends it
gracefully, within a bound. It runs in its own process group, so a terminal's Ctrl+C reaches ``serve`` alone
(which then stops the worker), never the worker first (which would look like a crash).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import replace

from manufacturing.clock import utc_now
from manufacturing.pipeline.heartbeat import Heartbeat, HeartbeatWriter, heartbeat_dir, remove_heartbeat, this_process
from manufacturing.settings import Settings

log = logging.getLogger(__name__)

WATCH_EVERY_S = 0.2  # how soon a dead worker is noticed
MAX_RESTART_DELAY_S = 60.0
STABLE_AFTER_S = 60.0  # a worker that lived this long died of something new: the delay starts over
STOP_TIMEOUT_S = 20.0  # a warm shutdown (the stage in hand finishes) before the worker is killed


def embedded_worker_command(parent_pid: int) -> list[str]:
    return [sys.executable, "-m", "web.cli", "worker", "--die-with-parent", str(parent_pid)]


class WorkerSupervisor:
    """Owns one worker process: ``start`` it, and a daemon thread restarts it until ``stop``."""

    def __init__(self, settings: Settings, command: Sequence[str] | None = None) -> None:
        self.settings = settings
        self.command = list(command or embedded_worker_command(os.getpid()))
        self.restarts = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._heartbeat = HeartbeatWriter(
            heartbeat_dir(settings), this_process("supervisor"), settings.worker_heartbeat_s
        )

    @property
    def worker_pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        # The thread starts every worker: PR_SET_PDEATHSIG fires when the thread that forked the child ends,
        # and this one lives until ``stop``.
        self._thread = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)
        self._thread.start()

    def _spawn(self) -> bool:
        try:
            self._process = subprocess.Popen(self.command, process_group=0)
        except OSError:  # out of processes or memory, for now: tried again after the delay
            log.exception("could not start the embedded worker")
            self._process = None
            return False
        self._heartbeat.update(lambda beat: replace(beat, worker_pid=self._process.pid if self._process else None))
        return True

    def _watch(self) -> None:
        self._heartbeat.start()
        running = self._spawn()
        delay_s = self.settings.worker_restart_delay_s
        started = time.monotonic()
        while not self._stop.is_set():
            process = self._process
            if running and process is not None and process.poll() is None:
                self._stop.wait(WATCH_EVERY_S)
                continue
            lived_s = time.monotonic() - started
            if lived_s >= STABLE_AFTER_S:
                delay_s = self.settings.worker_restart_delay_s
            if process is not None:
                log.error(
                    "the embedded worker (pid %d) exited %s after %.1f s; restarting it in %.1f s (restart %d)",
                    process.pid, _exit_description(process.returncode), lived_s, delay_s, self.restarts + 1,
                )  # fmt: skip
                # A killed worker leaves its heartbeat: removed, the health check sees the death at once.
                remove_heartbeat(self._heartbeat.folder, _worker_beat(process.pid))
            if self._stop.wait(delay_s):
                break
            self.restarts += 1
            running = self._spawn()
            self._heartbeat.update(lambda beat: replace(beat, restarts=self.restarts, last_restart_at=utc_now()))
            started = time.monotonic()
            delay_s = min(delay_s * 2, MAX_RESTART_DELAY_S)
        self._end_worker()
        self._heartbeat.stop(remove=True)

    def _end_worker(self) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop(self) -> None:
        """End the worker (SIGTERM, then SIGKILL after ``STOP_TIMEOUT_S``) and stop restarting it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S + 5.0)


def _worker_beat(pid: int) -> Heartbeat:
    beat = this_process("worker")
    return replace(beat, pid=pid)


def _exit_description(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"on signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"on signal {-returncode}"
    return f"with code {returncode}"
