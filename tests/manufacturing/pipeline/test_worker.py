"""Chains through a real ``cspms worker`` process: on the embedded broker, on Redis, and with PostgreSQL."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from manufacturing.db.migrate import upgrade
from manufacturing.db.models import PipelineRun
from manufacturing.db.session import run_after_commit, session_scope
from manufacturing.pipeline.celery_app import make_celery
from manufacturing.pipeline.enqueue import enqueue_pipeline
from manufacturing.pipeline.reports import describe_run
from manufacturing.pipeline.resources import Resources, build_resources
from manufacturing.settings import Settings
from manufacturing.states import RunState
from tests.manufacturing.pipeline.conftest import place

pytestmark = pytest.mark.slow


def _env_for(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CSPMS_VAR_DIR=str(settings.var_dir),
        CSPMS_DATABASE_URL=settings.resolved_database_url,
        CSPMS_BROKER_URL=settings.broker_url,
        CSPMS_BROKER_POLL_SECONDS=str(settings.broker_poll_seconds),
        CSPMS_TASK_RETRY_BACKOFF_SECONDS=str(settings.task_retry_backoff_seconds),
    )
    return env


@contextmanager
def running_worker(settings: Settings, log_path: Path) -> Iterator[subprocess.Popen]:
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "worker", "--concurrency", "1"],
            env=_env_for(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield worker
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()


def _wait_for_run(resources: Resources, run_id: int, log_path: Path, timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with session_scope(resources.sessions) as session:
            run = session.get(PipelineRun, run_id)
            if run.state in (RunState.SUCCEEDED, RunState.FAILED):
                return describe_run(session, run_id)
        time.sleep(0.2)
    pytest.fail(f"run {run_id} did not finish in {timeout_s} s; worker log:\n{log_path.read_text()[-3000:]}")


def _order_through_worker(settings: Settings, scan_bytes: bytes, tmp_path: Path, filename: str) -> list[dict]:
    upgrade(settings.resolved_database_url)
    resources = build_resources(settings)
    celery = make_celery(settings)
    log_path = tmp_path / "worker.log"
    try:
        with running_worker(settings, log_path):
            placed = place(resources, scan_bytes, filename=filename, pairs=2)
            with session_scope(resources.sessions) as session:
                # Enqueue after commit, as the API does.
                for run_id in placed.run_ids:
                    run_after_commit(session, lambda r=run_id: enqueue_pipeline(celery, r, list(placed.stages)))
            return [_wait_for_run(resources, run_id, log_path) for run_id in placed.run_ids]
    finally:
        resources.engine.dispose()


def _assert_succeeded(reports: list[dict]) -> None:
    for report in reports:
        assert report["state"] == "succeeded", report
        assert report["stages"][0]["artifacts"][0]["kind"] == "scan.measurements"
    # The second pair reads the same scan: its stage reuses the first one's artifact.
    assert {r["stages"][0]["state"] for r in reports} == {"succeeded", "reused"}


def test_embedded_broker_worker_runs_the_chain(settings: Settings, find_template_bytes: bytes, tmp_path: Path) -> None:
    assert settings.uses_embedded_broker
    _assert_succeeded(_order_through_worker(settings, find_template_bytes, tmp_path, "find_template.obj"))


def test_expected_errors_are_recorded_not_retried(settings: Settings, tmp_path: Path) -> None:
    broken = b"solid foot\n facet normal 0 0 1\n outer loop\n vertex 1 2\n endloop\n endfacet\nendsolid\n"
    reports = _order_through_worker(settings, broken, tmp_path, "foot.stl")
    for report in reports:
        assert report["state"] == "failed"
        assert report["stages"][0]["attempts"] == 1
        assert report["error"]["code"] == "input_error"


@pytest.mark.redis
def test_redis_broker_worker_runs_the_chain(
    settings: Settings, redis_url: str, find_template_bytes: bytes, tmp_path: Path
) -> None:
    redis_settings = settings.model_copy(update={"broker_url": redis_url})
    _assert_succeeded(_order_through_worker(redis_settings, find_template_bytes, tmp_path, "find_template.obj"))


@pytest.mark.redis
@pytest.mark.postgres
def test_production_profile_postgres_and_redis(
    settings: Settings, redis_url: str, migrated_postgres_url: str, find_template_bytes: bytes, tmp_path: Path
) -> None:
    production = settings.model_copy(update={"broker_url": redis_url, "database_url": migrated_postgres_url})
    _assert_succeeded(_order_through_worker(production, find_template_bytes, tmp_path, "find_template.obj"))
