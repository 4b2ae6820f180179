"""Celery tasks: thin shells that load by id, run one stage and commit. Never ``.get()`` in here."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import Celery, Task
from celery.exceptions import Ignore
from celery.signals import worker_ready

from manufacturing.clock import utc_now
from manufacturing.db.session import session_scope
from manufacturing.ledger.sealer import start_interval_sealer
from manufacturing.pipeline.celery_app import app
from manufacturing.pipeline.enqueue import RUN_STAGE_TASK, enqueue_pipeline
from manufacturing.pipeline.resources import Resources, process_resources
from manufacturing.pipeline.runner import (
    StageOutcome,
    claim_stage_attempt,
    execute_stage,
    record_stage_error,
    stalled_runs,
)
from manufacturing.settings import get_settings

log = logging.getLogger(__name__)


@worker_ready.connect
def _seal_the_ledger_on_its_interval(**_: object) -> None:
    """Every worker seals the ledger on its interval (docs/tracking.md), so no command is needed."""
    start_interval_sealer(get_settings())


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


def resume_stalled_runs(resources: Resources, celery: Celery, idle_seconds: float) -> list[int]:
    """Re-send the remaining stages of every run idle for ``idle_seconds`` (longer than any stage takes).

    For an operator, or a periodic job, after a worker was lost whole (SIGKILL, power cut): with the
    embedded broker its in-flight message is gone, with Redis it comes back only after the visibility timeout.
    A duplicate delivery is harmless (stages are idempotent), so erring early costs only a no-op.
    """
    idle_since = utc_now() - timedelta(seconds=idle_seconds)
    with session_scope(resources.sessions) as session:
        stalled = stalled_runs(session, idle_since)
    for run in stalled:
        enqueue_pipeline(celery, run.run_id, list(run.remaining_stages))
    return [run.run_id for run in stalled]


def recover_stalled_work(resources: Resources, celery: Celery, idle_seconds: float) -> tuple[list[int], int]:
    """The periodic recovery (`cspms pipeline resume`): resend stalled runs, and remove the temp files that
    writers killed mid-blob left (none younger than ``idle_seconds``). Returns (runs resumed, files removed)."""
    resumed = resume_stalled_runs(resources, celery, idle_seconds)
    return resumed, resources.store.sweep_temp_files(older_than_s=idle_seconds)
