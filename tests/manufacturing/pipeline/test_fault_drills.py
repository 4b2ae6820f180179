"""Fault drills on the production profile: real ``cspms worker`` processes, PostgreSQL, and a Redis server of
the test's own (append-only file, fsync always) so it can be restarted without touching the shared one.

Each drill checks the same things afterwards (``bench.audit``): no order lost, no stage run, work order or
artifact row duplicated, every blob hashes to its key, no temp file left in the store.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from benchmarks.brokers import PrivateRedis, free_port
from benchmarks.pipeline import WorkerProcess, audit, place_and_enqueue
from manufacturing.db.models import PipelineRun, StageRun
from manufacturing.db.session import session_scope
from manufacturing.pipeline.celery_app import make_celery
from manufacturing.pipeline.recovery import resume_stalled_runs
from manufacturing.pipeline.resources import Resources, build_resources
from manufacturing.settings import Settings
from manufacturing.states import RunState
from tests.manufacturing.pipeline.drills import RUN_TIMEOUT_S, assert_clean, wait_for_running_stage, wait_for_runs

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(free_port(), tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def production(settings: Settings, migrated_postgres_url: str, private_redis: PrivateRedis) -> Iterator[Resources]:
    prod = settings.model_copy(
        update={"database_url": migrated_postgres_url, "broker_url": private_redis.url, "task_max_retries": 2}
    )
    resources = build_resources(prod)
    yield resources
    resources.engine.dispose()


def _place(resources: Resources, scan_bytes: bytes) -> int:
    return place_and_enqueue(resources, make_celery(resources.settings), scan_bytes)


def test_sigkill_of_the_process_running_a_stage_redelivers_it(
    production: Resources, find_template_bytes: bytes, tmp_path: Path
) -> None:
    worker = WorkerProcess(production.settings, tmp_path / "worker.log")
    worker.start()
    try:
        run_ids = [_place(production, find_template_bytes), _place(production, find_template_bytes + b"\n")]
        wait_for_running_stage(production, run_ids[0], {"last.fit", "patterns.make"})
        (child,) = worker.pool_children()
        subprocess.run(["kill", "-KILL", str(child)], check=True)  # the OOM killer's way: mid-stage, no cleanup
        wait_for_runs(production, run_ids, worker)
    finally:
        worker.stop()
    report = assert_clean(production, run_ids, succeeded=2)
    assert report["stage_runs_retried"] >= 1  # the killed stage ran again, and its outputs were not doubled
    assert "WorkerLostError" in worker.log_tail(20_000)


def test_sigkill_of_a_whole_worker_then_restart_and_resume_completes_the_order(
    production: Resources, find_template_bytes: bytes, tmp_path: Path
) -> None:
    worker = WorkerProcess(production.settings, tmp_path / "worker.log")
    worker.start()
    try:
        run_id = _place(production, find_template_bytes)
        killed_stage = wait_for_running_stage(production, run_id, {"last.fit", "patterns.make"})
        worker.kill()  # the worker and its pool at once: a machine lost mid-stage
        worker.start()
        # Redis holds the dead worker's unacked message until its visibility timeout (kombu: 1 h by default):
        # the restarted worker does not see it, so the run stalls until it is resumed.
        time.sleep(3)
        with session_scope(production.sessions) as session:
            assert session.get(PipelineRun, run_id).state is RunState.RUNNING
        assert resume_stalled_runs(production, make_celery(production.settings), idle_seconds=1) == [run_id]
        wait_for_runs(production, [run_id], worker)
    finally:
        worker.stop()
    assert_clean(production, [run_id], succeeded=1)
    with session_scope(production.sessions) as session:
        stage_run = session.scalars(
            select(StageRun).where(StageRun.pipeline_run_id == run_id, StageRun.stage == killed_stage)
        ).one()
        assert stage_run.attempts == 2  # the killed attempt is counted (a poison stage would be stopped)


def test_redis_restart_mid_run_loses_no_order(
    production: Resources, private_redis: PrivateRedis, find_template_bytes: bytes, tmp_path: Path
) -> None:
    worker = WorkerProcess(production.settings, tmp_path / "worker.log")
    worker.start()
    celery = make_celery(production.settings)
    resumed: set[int] = set()
    try:
        run_ids = [_place(production, find_template_bytes), _place(production, find_template_bytes + b"\n")]
        wait_for_running_stage(production, run_ids[0], {"last.fit"})
        private_redis.stop()  # SHUTDOWN: the append-only file keeps the queue and the unacked messages
        time.sleep(2)
        private_redis.start()
        # A stage that finishes while Redis is down cannot publish the chain's next step (Celery gives up after
        # task_publish_retry_policy, ~0.6 s by default): that run stalls, and the periodic resume sends it again.
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while time.monotonic() < deadline:
            with session_scope(production.sessions) as session:
                states = {session.get(PipelineRun, r).state for r in run_ids}
            if states <= {RunState.SUCCEEDED, RunState.FAILED}:
                break
            resumed.update(resume_stalled_runs(production, celery, idle_seconds=5))
            time.sleep(0.5)
    finally:
        worker.stop()
    report = assert_clean(production, run_ids, succeeded=2)
    print(f"redis restart drill: resumed runs {sorted(resumed)}; audit {report}")


def test_postgres_connections_dropped_mid_run_are_survived(
    production: Resources, find_template_bytes: bytes, tmp_path: Path
) -> None:
    database = production.engine.url.database
    admin = create_engine(production.settings.resolved_database_url, isolation_level="AUTOCOMMIT")
    worker = WorkerProcess(production.settings, tmp_path / "worker.log")
    worker.start()
    try:
        run_ids = [_place(production, find_template_bytes), _place(production, find_template_bytes + b"\n")]
        wait_for_running_stage(production, run_ids[0], {"last.fit", "patterns.make"})
        with admin.connect() as connection:
            dropped = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :db AND pid <> pg_backend_pid()"
                ),
                {"db": database},
            ).scalar_one()
        assert dropped >= 1
        wait_for_runs(production, run_ids, worker)
    finally:
        worker.stop()
        admin.dispose()
    assert_clean(production, run_ids, succeeded=2)


@pytest.fixture
def small_artifact_dir(tmp_path: Path) -> Iterator[Path]:
    """A real 8 MB tmpfs (needs root); the scan fits, the stage outputs will not once it is topped up."""
    mount_point = tmp_path / "artifacts"
    mount_point.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount_point)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {result.stderr.decode().strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=True)


def test_a_full_artifact_store_fails_the_run_clearly_and_corrupts_nothing(
    production: Resources, small_artifact_dir: Path, find_template_bytes: bytes, tmp_path: Path
) -> None:
    settings = production.settings.model_copy(update={"artifact_dir": small_artifact_dir})
    resources = build_resources(settings)
    run_id = _place(resources, find_template_bytes)  # enqueued at once: the worker is not up yet
    # Leave ~200 kB free: the measurements fit, the oriented foot surface (PLY) does not.
    free = shutil.disk_usage(small_artifact_dir).free
    (small_artifact_dir / "filler").write_bytes(b"\0" * (free - 200 * 1024))
    worker = WorkerProcess(settings, tmp_path / "worker.log")
    worker.start()
    try:
        (run,) = wait_for_runs(resources, [run_id], worker).values()
    finally:
        worker.stop()
    assert run.state is RunState.FAILED
    assert run.error_code == "storage_error"
    assert "the artifact store is full; nothing was written" in run.error_message
    with session_scope(resources.sessions) as session:
        (stage_run,) = session.scalars(select(StageRun).where(StageRun.pipeline_run_id == run_id)).all()
        assert stage_run.stage == "scan.measure"
        assert stage_run.attempts == settings.task_max_retries + 1  # retried (space may come back), then final
    report = audit(resources, [run_id])
    assert report["blobs_missing"] == report["blobs_corrupt"] == report["stray_temp_files"] == 0, report
    assert report["blobs"] == 1  # only the uploaded scan is recorded; no row points at a half-written blob
    resources.engine.dispose()


POISON_LAUNCHER = """
import os, sys

import manufacturing.pipeline.stages as stages

_ingest_scan = stages.ingest_scan


def _crashing_ingest(data, filename, options=None):
    # Stands in for a native library that aborts the process on a malformed scan.
    if data.startswith(b"# POISON"):
        os.abort()
    return _ingest_scan(data, filename, options)


stages.ingest_scan = _crashing_ingest
sys.argv = ["cspms", *sys.argv[1:]]
from web.cli.main import main

main()
"""


def test_a_scan_that_crashes_the_worker_is_isolated_and_reported(
    production: Resources, find_template_bytes: bytes, tmp_path: Path
) -> None:
    launcher = tmp_path / "poisoned_worker.py"
    launcher.write_text(POISON_LAUNCHER)
    worker = WorkerProcess(production.settings, tmp_path / "worker.log", launcher=[sys.executable, str(launcher)])
    worker.start()
    try:
        poison = _place(production, b"# POISON\n" + find_template_bytes)
        healthy = _place(production, find_template_bytes)
        runs = wait_for_runs(production, [poison, healthy], worker)
        assert worker.process is not None and worker.process.poll() is None  # the worker itself survived
    finally:
        worker.stop()
    assert runs[healthy].state is RunState.SUCCEEDED
    assert runs[poison].state is RunState.FAILED
    assert runs[poison].error_code == "worker_lost"
    with session_scope(production.sessions) as session:
        (stage_run,) = session.scalars(select(StageRun).where(StageRun.pipeline_run_id == poison)).all()
        assert stage_run.attempts == production.settings.task_max_retries + 1  # then given up: not forever
    assert_clean(production, [poison, healthy], succeeded=1)
