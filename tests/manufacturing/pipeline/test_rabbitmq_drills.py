"""Fault drills with RabbitMQ as the broker (the other production broker): real ``cspms worker`` processes,
PostgreSQL, and a virtual host of the test's own on the local RabbitMQ, so closing its connections touches
nothing else. The checks afterwards are the Redis drills' (``bench.audit``): nothing lost or duplicated.

RabbitMQ behaves differently from Redis where it matters: a message a dead worker held unacknowledged goes
back to the queue the moment its connection drops (no visibility timeout), so no resume is needed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from benchmarks.brokers import PrivateRabbitVhost
from benchmarks.pipeline import WorkerProcess, place_and_enqueue
from geometry.errors import ConfigurationError
from manufacturing.db.models import StageRun
from manufacturing.db.session import session_scope
from manufacturing.pipeline.celery_app import make_celery
from manufacturing.pipeline.resources import Resources, build_resources
from manufacturing.settings import Settings
from tests.conftest import service_unavailable
from tests.manufacturing.pipeline.drills import assert_clean, wait_for_running_stage, wait_for_runs

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def rabbit_vhost() -> Iterator[PrivateRabbitVhost]:
    """A fresh virtual host on the local RabbitMQ (guest may use it), deleted afterwards."""
    vhost = PrivateRabbitVhost(os.environ.get("CSPMS_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/"))
    try:
        vhost.create()
    except ConfigurationError as exc:
        service_unavailable("RabbitMQ (rabbitmqctl)", exc)
    try:
        yield vhost
    finally:
        vhost.delete()


@pytest.fixture
def production(settings: Settings, migrated_postgres_url: str, rabbit_vhost: PrivateRabbitVhost) -> Iterator[Resources]:
    update = {"database_url": migrated_postgres_url, "broker_url": rabbit_vhost.url, "task_max_retries": 2}
    prod = settings.model_copy(update=update)
    resources = build_resources(prod)
    yield resources
    resources.engine.dispose()


def test_a_killed_worker_s_message_returns_to_the_queue_at_once_and_the_order_completes(
    production: Resources, find_template_bytes: bytes, tmp_path: Path
) -> None:
    worker = WorkerProcess(production.settings, tmp_path / "worker.log")
    worker.start()
    try:
        run_id = place_and_enqueue(production, make_celery(production.settings), find_template_bytes)
        killed = wait_for_running_stage(production, run_id, {"last.fit", "patterns.make"})
        worker.kill()  # worker and pool at once, mid-stage
        worker.start()  # no resume: RabbitMQ requeued the unacked message when the connection died
        wait_for_runs(production, [run_id], worker)
    finally:
        worker.stop()
    assert_clean(production, [run_id], succeeded=1)
    with session_scope(production.sessions) as session:
        stage_run = session.scalars(
            select(StageRun).where(StageRun.pipeline_run_id == run_id, StageRun.stage == killed)
        ).one()
        assert stage_run.attempts == 2


def test_broker_connections_closed_mid_run_lose_no_order(
    production: Resources, rabbit_vhost: PrivateRabbitVhost, find_template_bytes: bytes, tmp_path: Path
) -> None:
    worker = WorkerProcess(production.settings, tmp_path / "worker.log")
    worker.start()
    celery = make_celery(production.settings)
    try:
        run_ids = [place_and_enqueue(production, celery, find_template_bytes),
                   place_and_enqueue(production, celery, find_template_bytes + b"\n")]  # fmt: skip
        wait_for_running_stage(production, run_ids[0], {"last.fit"})
        rabbit_vhost.close_connections("fault drill")
        wait_for_runs(production, run_ids, worker)
    finally:
        worker.stop()
    report = assert_clean(production, run_ids, succeeded=2)
    print(f"rabbitmq connection drill: audit {report}")
