"""Celery tasks: thin shells that load by id, run one stage and commit. Never ``.get()`` in here."""

from __future__ import annotations

from celery import Task
from celery.exceptions import Ignore

from manufacturing.db.session import session_scope
from manufacturing.pipeline.celery_app import app
from manufacturing.pipeline.enqueue import RUN_STAGE_TASK
from manufacturing.pipeline.resources import process_resources
from manufacturing.pipeline.runner import execute_stage, record_stage_error


@app.task(bind=True, name=RUN_STAGE_TASK, acks_late=True, reject_on_worker_lost=True)
def run_stage(self: Task, pipeline_run_id: int, stage_name: str) -> str:
    resources = process_resources()
    settings = resources.settings
    try:
        with session_scope(resources.sessions) as session:
            outcome = execute_stage(session, resources.store, pipeline_run_id, stage_name)
    except Exception as exc:
        final = self.request.retries >= settings.task_max_retries
        with session_scope(resources.sessions) as session:
            record_stage_error(session, pipeline_run_id, stage_name, exc, final=final)
        if final:
            raise Ignore() from exc  # recorded as failed; stop the chain
        countdown = settings.task_retry_backoff_seconds * 2**self.request.retries
        raise self.retry(exc=exc, countdown=countdown) from exc
    if not outcome.ok:
        raise Ignore()  # an expected error is recorded on the run; the chain stops here
    return outcome.state.value
