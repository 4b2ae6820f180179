"""The periodic recovery: a worker resends a stalled run by itself (no ``cspms pipeline resume``), and two
sweeps at once never both resend it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.pipeline import WorkerProcess
from manufacturing.db.models import PipelineRun
from manufacturing.db.session import session_scope
from manufacturing.pipeline import recovery
from manufacturing.pipeline.celery_app import make_celery
from manufacturing.pipeline.recovery import PeriodicJob, RecoveryContext, RecoveryLoop, periodic_jobs, run_if_due
from manufacturing.pipeline.resources import Resources, build_resources
from manufacturing.settings import Settings
from manufacturing.states import RunState
from tests.manufacturing.pipeline.conftest import place
from tests.manufacturing.pipeline.drills import wait_for_runs

# A run placed without a message (as a broker that lost its queue leaves it) is stalled after 2 s.
FAST_RECOVERY = {"CSPMS_RECOVERY_INTERVAL_S": "1", "CSPMS_PIPELINE_STALL_AFTER_S": "2"}


def _stalled_run(resources: Resources, scan: bytes) -> int:
    """A queued run whose message never reached the broker."""
    return place(resources, scan).run_ids[0]


def _worker_resumes_it_unaided(
    resources: Resources, scan: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in FAST_RECOVERY.items():
        monkeypatch.setenv(name, value)
    run_id = _stalled_run(resources, scan)
    worker = WorkerProcess(resources.settings, tmp_path / "worker.log")
    worker.start()
    try:
        runs = wait_for_runs(resources, [run_id], worker)
    finally:
        worker.stop()
    assert runs[run_id].state is RunState.SUCCEEDED
    assert "periodic recovery stalled-work: resumed 1 stalled run(s)" in worker.log_tail(50_000)


@pytest.mark.slow
def test_a_worker_resumes_a_stalled_run_by_itself(
    resources: Resources, find_template_bytes: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _worker_resumes_it_unaided(resources, find_template_bytes, tmp_path, monkeypatch)


@pytest.fixture
def production(settings: Settings, migrated_postgres_url: str, redis_url: str) -> Iterator[Resources]:
    update = {"database_url": migrated_postgres_url, "broker_url": redis_url}
    built = build_resources(settings.model_copy(update=update))
    yield built
    built.engine.dispose()


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
def test_a_worker_resumes_a_stalled_run_by_itself_on_postgresql_and_redis(
    production: Resources, find_template_bytes: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _worker_resumes_it_unaided(production, find_template_bytes, tmp_path, monkeypatch)


def _two_sweeps_at_once(resources: Resources, scan: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two processes' sweeps (threads here, each with its own lease attempt) at the same moment, then a third
    one a moment later: the stalled run is resent once."""
    run_id = _stalled_run(resources, scan)
    with session_scope(resources.sessions) as session:  # idle for an hour: stalled by any measure
        run = session.get(PipelineRun, run_id)
        assert run is not None
        run.created_at = run.created_at.replace(year=run.created_at.year - 1)
    sent: list[int] = []

    def enqueue_slowly(_celery: object, sent_run_id: int, _stages: list[str]) -> None:
        time.sleep(0.3)  # holds the lease while the other sweep tries
        sent.append(sent_run_id)

    monkeypatch.setattr(recovery, "enqueue_pipeline", enqueue_slowly)
    context = RecoveryContext(resources, make_celery(resources.settings))
    (job,) = [j for j in periodic_jobs(resources.settings) if j.name == "stalled-work"]
    start = threading.Barrier(2)

    def sweep() -> None:
        start.wait()
        run_if_due(context, job)

    sweeps = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in sweeps:
        thread.start()
    for thread in sweeps:
        thread.join()
    assert sent == [run_id]
    assert run_if_due(context, job) is None  # the last sweep was a moment ago, on another "machine"
    assert sent == [run_id]


def test_two_sweeps_at_once_resend_a_stalled_run_once(
    resources: Resources, find_template_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    _two_sweeps_at_once(resources, find_template_bytes, monkeypatch)


@pytest.mark.postgres
def test_two_sweeps_at_once_resend_a_stalled_run_once_on_postgresql(
    settings: Settings, migrated_postgres_url: str, find_template_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    resources = build_resources(settings.model_copy(update={"database_url": migrated_postgres_url}))
    try:
        _two_sweeps_at_once(resources, find_template_bytes, monkeypatch)
    finally:
        resources.engine.dispose()


def test_a_failing_job_is_logged_and_the_others_still_run(
    resources: Resources, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    def broken(_context: RecoveryContext) -> str | None:
        raise RuntimeError("the store is away")

    def fine(_context: RecoveryContext) -> str | None:
        ran.append("fine")
        return "did its work"

    context = RecoveryContext(resources, make_celery(resources.settings))
    loop = RecoveryLoop(context, (PeriodicJob("broken", 0.01, broken), PeriodicJob("fine", 0.01, fine)))
    assert [r.job for r in loop.tick()] == ["fine"]
    time.sleep(0.02)
    assert [r.job for r in loop.tick()] == ["fine"]
    assert ran == ["fine", "fine"]
    assert sum("broken failed" in r.getMessage() for r in caplog.records) == 1  # once, not on every tick
