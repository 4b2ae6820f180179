"""Heartbeat files: each worker (and ``cspms serve``'s supervisor of its embedded worker) rewrites a small JSON
file every few seconds under ``<artifact_dir>/supervision/heartbeats``. The health check reads them: a file
that stopped changing is a dead process. Files, not broker pings, because the filesystem broker has no remote
control; and the artifact folder, because it is the one path every web and worker machine shares."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Literal

from manufacturing.clock import as_utc, utc_now
from manufacturing.settings import Settings

log = logging.getLogger(__name__)

Role = Literal["worker", "supervisor"]


def supervision_dir(settings: Settings) -> Path:
    """Shared state of the processes that watch each other: heartbeats and the periodic recovery's clocks."""
    return settings.resolved_artifact_dir / "supervision"


def heartbeat_dir(settings: Settings) -> Path:
    return supervision_dir(settings) / "heartbeats"


@dataclass(frozen=True)
class Heartbeat:
    role: Role
    host: str
    pid: int
    started_at: datetime
    beat_at: datetime
    restarts: int = 0  # supervisor: how many times it started its worker again
    worker_pid: int | None = None  # supervisor: its worker's process, while one runs
    last_restart_at: datetime | None = None

    @property
    def file_name(self) -> str:
        return f"{self.role}-{self.host}-{self.pid}.json"

    def age_s(self, now: datetime) -> float:
        return max(0.0, (now - self.beat_at).total_seconds())

    def to_json(self) -> str:
        fields = asdict(self)
        for key in ("started_at", "beat_at", "last_restart_at"):
            fields[key] = fields[key].isoformat() if fields[key] is not None else None
        return json.dumps(fields)

    @classmethod
    def from_json(cls, text: str) -> Heartbeat:
        fields = json.loads(text)
        restarted = fields.get("last_restart_at")
        return cls(
            role=fields["role"],
            host=str(fields["host"]),
            pid=int(fields["pid"]),
            started_at=as_utc(datetime.fromisoformat(fields["started_at"])),
            beat_at=as_utc(datetime.fromisoformat(fields["beat_at"])),
            restarts=int(fields.get("restarts", 0)),
            worker_pid=fields.get("worker_pid"),
            last_restart_at=as_utc(datetime.fromisoformat(restarted)) if restarted else None,
        )


def this_process(role: Role) -> Heartbeat:
    now = utc_now()
    return Heartbeat(role=role, host=socket.gethostname(), pid=os.getpid(), started_at=now, beat_at=now)


def write_heartbeat(folder: Path, beat: Heartbeat) -> None:
    """Replace the file whole (write, then rename), so a reader never sees half of it."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / beat.file_name
    partial = folder / f".{beat.file_name}.tmp"
    partial.write_text(beat.to_json())
    os.replace(partial, target)


def read_heartbeats(folder: Path) -> list[Heartbeat]:
    """Every heartbeat in ``folder``; a file being replaced or unreadable is skipped (the next read sees it)."""
    beats = []
    try:
        names = [entry for entry in os.scandir(folder) if entry.name.endswith(".json")]
    except FileNotFoundError:
        return []
    for entry in names:
        try:
            beats.append(Heartbeat.from_json(Path(entry.path).read_text()))
        except (OSError, ValueError, KeyError, TypeError):  # InputError (a naive time) is a ValueError
            continue
    return beats


def remove_heartbeat(folder: Path, beat: Heartbeat) -> None:
    (folder / beat.file_name).unlink(missing_ok=True)


def prune_heartbeats(folder: Path, older_than_s: float) -> int:
    """Remove the files of processes dead for ``older_than_s`` (killed ones never remove their own)."""
    now = utc_now()
    pruned = 0
    for beat in read_heartbeats(folder):
        if beat.age_s(now) > older_than_s:
            remove_heartbeat(folder, beat)
            pruned += 1
    return pruned


class HeartbeatWriter:
    """A daemon thread rewriting this process's heartbeat every ``interval_s``; ``update`` changes its fields
    (the supervisor's restart count) and writes at once. A failed write is logged once and tried again."""

    def __init__(self, folder: Path, beat: Heartbeat, interval_s: float) -> None:
        self.folder = folder
        self.interval_s = interval_s
        self._beat = beat
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._warned = False

    @property
    def beat(self) -> Heartbeat:
        return self._beat

    def write(self) -> None:
        with self._lock:
            self._beat = replace(self._beat, beat_at=utc_now())
            try:
                write_heartbeat(self.folder, self._beat)
            except OSError:
                if not self._warned:
                    log.exception("could not write the heartbeat in %s; retrying", self.folder)
                    self._warned = True
                return
            self._warned = False

    def update(self, change: Callable[[Heartbeat], Heartbeat]) -> None:
        with self._lock:
            self._beat = change(self._beat)
        self.write()

    def start(self) -> None:
        self.write()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"{self._beat.role}-heartbeat", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.write()

    def stop(self, remove: bool = True) -> None:
        """Stop beating; ``remove`` deletes the file (a clean exit is not a dead process)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
        if remove:
            with self._lock, contextlib.suppress(OSError):
                remove_heartbeat(self.folder, self._beat)
