"""Celery tasks: thin shells that load by id, run one stage and commit. Never ``.get()`` in here."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from celery import Task
from celery.exceptions import Ignore
from celery.signals import worker_ready, worker_shutdown

from manufacturing.db.session import session_scope
from manufacturing.pipeline.celery_app import app, make_celery
from manufacturing.pipeline.enqueue import RUN_STAGE_TASK
from manufacturing.pipeline.heartbeat import HeartbeatWriter, heartbeat_dir, this_process
from manufacturing.pipeline.recovery import RecoveryContext, RecoveryLoop, periodic_jobs
from manufacturing.pipeline.resources import build_resources, process_resources
from manufacturing.pipeline.runner import (
    StageOutcome,
    claim_stage_attempt,
    execute_stage,
    record_stage_error,
)
from manufacturing.settings import get_settings

log = logging.getLogger(__name__)


@dataclass
class _Watch:
    heartbeat: HeartbeatWriter | None = None
    recovery: RecoveryLoop | None = None


_watch = _Watch()


@worker_ready.connect
def _beat_and_recover(**_: object) -> None:
    """Once the worker takes tasks: its heartbeat (the health check's sign of life) and the periodic recovery,
    both threads of the main process, on connections of their own (the pool forks later: no shared socket)."""
    settings = get_settings()
    _watch.heartbeat = HeartbeatWriter(heartbeat_dir(settings), this_process("worker"), settings.worker_heartbeat_s)
    _watch.heartbeat.start()
    context = RecoveryContext(build_resources(settings, pooled=False), make_celery(settings))
    _watch.recovery = RecoveryLoop(context, periodic_jobs(settings))
    _watch.recovery.start()


@worker_shutdown.connect
def _stop_watching(**_: object) -> None:
    if _watch.recovery is not None:
        _watch.recovery.stop()
    if _watch.heartbeat is not None:
        _watch.heartbeat.stop(remove=True)  # a worker that stopped cleanly is not a dead one


@app.task(bind=True, name=RUN_STAGE_TASK, acks_late=True, reject_on_worker_lost=True)
def run_stage(self: Task, pipeline_run_id: int, stage_name: str) -> str:
    resources = process_resources()
    settings = resources.settings
    max_attempts = settings.task_max_retries + 1
    attempt = self.request.retries + 1
    try:
        # Its own commit, before the work: redeliveries after a worker died are counted (poison stages stop).
        with session_scope(resources.sessions) as session:
            claim = claim_stage_attempt(session, pipeline_run_id, stage_name, max_attempts)
        outcome = claim.outcome
        if outcome is None:
            attempt = max(attempt, claim.attempt)
            with session_scope(resources.sessions) as session:
                outcome = execute_stage(session, resources.store, pipeline_run_id, stage_name, count_attempt=False)
    except Exception as exc:
        final = attempt >= max_attempts
        try:
            with session_scope(resources.sessions) as session:
                record_stage_error(session, pipeline_run_id, stage_name, exc, final=final, count_attempt=False)
        except Exception:
            # The database itself is away (connection dropped, server restarting): nothing can be recorded,
            # so the message must not be dropped either; retry it, and give up only when retries run out.
            log.exception("could not record the error of %s for run %s", stage_name, pipeline_run_id)
            final = self.request.retries >= settings.task_max_retries
        if final:
            raise Ignore() from exc  # recorded as failed; stop the chain
        countdown = settings.task_retry_backoff_seconds * 2**self.request.retries
        raise self.retry(exc=exc, countdown=countdown) from exc
    return _finish(outcome)


def _finish(outcome: StageOutcome) -> str:
    if not outcome.ok:
        raise Ignore()  # an expected error (or a given-up stage) is recorded on the run; the chain stops here
    return outcome.state.value
