"""Putting a pipeline run on the broker, as one chain of immutable stage signatures."""

from __future__ import annotations

from celery import Celery, chain

RUN_STAGE_TASK = "cspms.run_stage"


def enqueue_pipeline(celery: Celery, run_id: int, stages: list[str]) -> None:
    """Send the run's chain. Call only after the run's row is committed (``run_after_commit``)."""
    signatures = [celery.signature(RUN_STAGE_TASK, args=(run_id, name), immutable=True) for name in stages]
    chain(*signatures).apply_async()
