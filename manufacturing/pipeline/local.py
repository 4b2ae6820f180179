"""Running a pipeline run in this process, stage after stage (``cspms order run``, tests, benchmarks).

Same runner and same records as the Celery path; unexpected errors are recorded as final (no retries).
"""

from __future__ import annotations

from collections.abc import Callable

from manufacturing.db import repositories
from manufacturing.db.session import session_scope
from manufacturing.pipeline.resources import Resources
from manufacturing.pipeline.runner import StageOutcome, execute_stage, record_stage_error


def run_pipeline_in_process(
    resources: Resources,
    run_id: int,
    on_stage_done: Callable[[StageOutcome], None] | None = None,
) -> list[StageOutcome]:
    with session_scope(resources.sessions) as session:
        stages = list(repositories.get_pipeline_run(session, run_id).stages)
    outcomes = []
    for stage_name in stages:
        try:
            with session_scope(resources.sessions) as session:
                outcome = execute_stage(session, resources.store, run_id, stage_name)
        except Exception as exc:
            with session_scope(resources.sessions) as session:
                outcome = record_stage_error(session, run_id, stage_name, exc, final=True)
        outcomes.append(outcome)
        if on_stage_done is not None:
            on_stage_done(outcome)
        if not outcome.ok:
            break
    return outcomes
