"""The periodic recovery: jobs that put right what a crash left, run by every worker on their interval (a
thread started when the worker is ready) and by ``cspms pipeline resume`` on demand.

Every worker runs the loop, but a job runs on one machine at a time: its lease is a PostgreSQL advisory lock
(a file lock on SQLite, whose processes share one machine), and its clock, a file in the shared supervision
folder, says when it last ran anywhere. So N workers run a job about once per interval, never two at once.
A job that fails is logged and tried on its next interval: recovery must never stop the worker.

Add a job to ``periodic_jobs``: a name, an interval and a function of the ``RecoveryContext``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import Celery
from sqlalchemy import func, select

from manufacturing.artifacts.orphans import sweep_orphan_blobs
from manufacturing.clock import as_utc, utc_now
from manufacturing.db.session import session_scope
from manufacturing.ledger.sealer import seal_on_interval, summary
from manufacturing.pipeline.enqueue import enqueue_pipeline
from manufacturing.pipeline.heartbeat import heartbeat_dir, prune_heartbeats, supervision_dir
from manufacturing.pipeline.resources import Resources
from manufacturing.pipeline.runner import stalled_runs
from manufacturing.settings import Settings

log = logging.getLogger(__name__)

_MAX_TICK_S = 10.0  # how soon a due job is noticed
HEARTBEAT_KEEP_S = 24 * 3600.0  # a dead process's heartbeat file stays this long (for a post-mortem)


@dataclass(frozen=True)
class RecoveryContext:
    resources: Resources
    celery: Celery


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every_s: float
    run: Callable[[RecoveryContext], str | None]  # a one-line summary of what it did; None when nothing was due


def resume_stalled_runs(resources: Resources, celery: Celery, idle_seconds: float) -> list[int]:
    """Re-send the remaining stages of every run idle for ``idle_seconds`` (longer than any stage takes).

    After a worker was lost whole (SIGKILL, power cut): with the embedded broker its in-flight message is
    gone, with Redis it comes back only after the visibility timeout; after a broker lost its queue.
    A duplicate delivery is harmless (stages are idempotent), so erring early costs only a no-op.
    """
    idle_since = utc_now() - timedelta(seconds=idle_seconds)
    with session_scope(resources.sessions) as session:
        stalled = stalled_runs(session, idle_since)
    for run in stalled:
        enqueue_pipeline(celery, run.run_id, list(run.remaining_stages))
    return [run.run_id for run in stalled]


def recover_stalled_work(resources: Resources, celery: Celery, idle_seconds: float) -> tuple[list[int], int]:
    """Resend stalled runs, and remove the temp files that writers killed mid-blob left (none younger than
    ``idle_seconds``). Returns (runs resumed, files removed)."""
    resumed = resume_stalled_runs(resources, celery, idle_seconds)
    return resumed, resources.store.sweep_temp_files(older_than_s=idle_seconds)


def _stalled_work_job(context: RecoveryContext) -> str | None:
    idle_s = context.resources.settings.pipeline_stall_after_s
    resumed, swept = recover_stalled_work(context.resources, context.celery, idle_s)
    if not resumed and not swept:
        return None
    return f"resumed {len(resumed)} stalled run(s) {resumed}, removed {swept} stale temp file(s)"


def _stale_heartbeats_job(context: RecoveryContext) -> str | None:
    pruned = prune_heartbeats(heartbeat_dir(context.resources.settings), older_than_s=HEARTBEAT_KEEP_S)
    return f"removed {pruned} heartbeat file(s) of long-dead processes" if pruned else None


def _orphan_blobs_job(context: RecoveryContext) -> str | None:
    resources = context.resources
    swept = sweep_orphan_blobs(resources.sessions, resources.store, resources.settings.orphan_blob_min_age_s)
    return f"removed {swept.removed} orphan blob(s), {swept.removed_bytes:,} bytes" if swept.removed else None


def _ledger_seal_job(context: RecoveryContext) -> str | None:
    return summary(seal_on_interval(context.resources.settings, context.resources.sessions))


def periodic_jobs(settings: Settings) -> tuple[PeriodicJob, ...]:
    """Every job of the periodic recovery, in the order a tick runs them."""
    return (
        PeriodicJob("stalled-work", settings.recovery_interval_s, _stalled_work_job),
        PeriodicJob("stale-heartbeats", 3600.0, _stale_heartbeats_job),
        PeriodicJob("orphan-blobs", 3600.0, _orphan_blobs_job),
        PeriodicJob("ledger-seal", settings.ledger_seal_interval_s, _ledger_seal_job),
    )


@contextlib.contextmanager
def job_lease(resources: Resources, name: str) -> Iterator[bool]:
    """Whether this process may run job ``name`` now (no other process is running it); held for the block.

    A crashed holder loses its lease with its connection (PostgreSQL) or its open file (SQLite)."""
    if resources.engine.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"cspms.recovery.{name}".encode()).digest()[:8], "big", signed=True)
        with resources.engine.connect() as connection:
            held = bool(connection.execute(select(func.pg_try_advisory_lock(key))).scalar())
            connection.commit()
            try:
                yield held
            finally:
                if held:
                    connection.execute(select(func.pg_advisory_unlock(key)))
                    connection.commit()
        return
    folder = supervision_dir(resources.settings) / "recovery"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{name}.lock").open("a") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held = False
        else:
            held = True
        try:
            yield held
        finally:
            if held:
                fcntl.flock(lock_file, fcntl.LOCK_UN)


def _last_run_at(settings: Settings, name: str) -> datetime | None:
    try:
        return as_utc(datetime.fromisoformat((supervision_dir(settings) / "recovery" / f"{name}.last").read_text()))
    except (OSError, ValueError):
        return None


def _record_run_at(settings: Settings, name: str, at: datetime) -> None:
    folder = supervision_dir(settings) / "recovery"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.last").write_text(at.isoformat())


@dataclass(frozen=True)
class JobRun:
    job: str
    summary: str | None


def run_if_due(context: RecoveryContext, job: PeriodicJob, slack_s: float = 0.0) -> JobRun | None:
    """Run ``job`` when no process ran it in the last ``every_s`` (less ``slack_s``) and none is running it."""
    settings = context.resources.settings
    with job_lease(context.resources, job.name) as held:
        if not held:
            return None
        started = utc_now()
        last = _last_run_at(settings, job.name)
        if last is not None and (started - last).total_seconds() < job.every_s - slack_s:
            return None
        # Recorded first: a job that fails is tried again on its next interval, not on every tick.
        _record_run_at(settings, job.name, started)
        return JobRun(job.name, job.run(context))


class RecoveryLoop:
    """A daemon thread that runs the due jobs every tick; each failure is logged once until the job succeeds."""

    def __init__(self, context: RecoveryContext, jobs: tuple[PeriodicJob, ...]) -> None:
        self.context = context
        self.jobs = jobs
        self.tick_s = min([_MAX_TICK_S, *(job.every_s for job in jobs)])
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing: set[str] = set()

    def tick(self) -> list[JobRun]:
        done = []
        for job in self.jobs:
            try:
                ran = run_if_due(self.context, job, slack_s=self.tick_s / 2)
            except Exception:
                if job.name not in self._failing:
                    log.exception("periodic recovery job %s failed; trying again in %.0f s", job.name, job.every_s)
                    self._failing.add(job.name)
                continue
            self._failing.discard(job.name)
            if ran is not None:
                done.append(ran)
                if ran.summary:
                    log.warning("periodic recovery %s: %s", job.name, ran.summary)
        return done

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="periodic-recovery", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        self.tick()
        while not self._stop.wait(self.tick_s):
            self.tick()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10.0)
