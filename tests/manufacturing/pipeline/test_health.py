"""The pipeline's health from heartbeats and runs: a dead worker, a stuck queue, an unreachable broker."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from benchmarks.brokers import free_port
from manufacturing.clock import utc_now
from manufacturing.db.models import PipelineRun
from manufacturing.db.session import session_scope
from manufacturing.pipeline.celery_app import make_celery
from manufacturing.pipeline.health import broker_reachable, check_pipeline, queue_health, worker_health
from manufacturing.pipeline.heartbeat import Heartbeat, heartbeat_dir, this_process, write_heartbeat
from manufacturing.pipeline.resources import Resources
from manufacturing.settings import Settings
from tests.manufacturing.pipeline.conftest import place


def test_a_heartbeat_round_trips(settings: Settings) -> None:
    beat = replace(this_process("supervisor"), restarts=2, worker_pid=42, last_restart_at=utc_now())
    write_heartbeat(heartbeat_dir(settings), beat)
    assert Heartbeat.from_json((heartbeat_dir(settings) / beat.file_name).read_text()) == beat


def test_a_worker_is_alive_while_its_heartbeat_is_fresh(settings: Settings) -> None:
    now = utc_now()
    folder = heartbeat_dir(settings)
    assert not worker_health(settings, now).alive
    write_heartbeat(folder, replace(this_process("worker"), beat_at=now - timedelta(seconds=60)))  # killed
    assert not worker_health(settings, now).alive
    write_heartbeat(folder, replace(this_process("worker"), pid=7, beat_at=now - timedelta(seconds=1)))
    write_heartbeat(folder, replace(this_process("supervisor"), restarts=2, last_restart_at=now))
    health = worker_health(settings, now)
    assert (health.alive, health.workers, health.restarts) == (True, 1, 2)
    assert health.heartbeat_age_s == 1.0


def test_the_queue_is_stuck_when_work_waits_and_no_worker_takes_any(
    resources: Resources, find_template_bytes: bytes
) -> None:
    run_id = place(resources, find_template_bytes).run_ids[0]
    with session_scope(resources.sessions) as session:
        run = session.get(PipelineRun, run_id)
        assert run is not None
        now = run.created_at
        fresh = queue_health(session, now + timedelta(seconds=10), stuck_after_s=300)
        assert (fresh.waiting_runs, fresh.stuck, fresh.last_task_age_s) == (1, False, None)
        late = queue_health(session, now + timedelta(seconds=400), stuck_after_s=300)
        assert late.stuck and late.oldest_wait_s == 400.0


def test_everything_well_is_ok_and_an_unreachable_broker_is_not(resources: Resources) -> None:
    make_celery(resources.settings)  # makes the embedded broker's queue folder, as the web app and workers do
    write_heartbeat(heartbeat_dir(resources.settings), this_process("worker"))
    assert check_pipeline(resources).problems == []
    closed = resources.settings.model_copy(update={"broker_url": f"redis://127.0.0.1:{free_port()}/0"})
    assert not broker_reachable(closed)
    assert check_pipeline(replace(resources, settings=closed)).problems == ["the broker does not accept connections"]
