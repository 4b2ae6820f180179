"""Running one stage of one pipeline run: reuse or compute, store, record. Shared by Celery tasks and the
in-process ``cspms order run``; the caller owns the transaction.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from geometry.errors import CspmsError
from manufacturing.artifacts import ArtifactStore
from manufacturing.clock import utc_now
from manufacturing.db import repositories
from manufacturing.db.models import PipelineRun, StageRun
from manufacturing.pipeline.stages import STAGES, Stage, StageContext, StageOutput
from manufacturing.states import RunState, StageState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StageOutcome:
    stage: str
    state: StageState
    artifact_ids: tuple[int, ...]
    error_code: str | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        return self.state in (StageState.SUCCEEDED, StageState.REUSED)


def derive_run_state(planned: Sequence[str], stage_runs: Sequence[StageRun]) -> RunState:
    """A run's state follows from its stage runs: a failure fails it; all planned stages done succeed it."""
    by_stage = {sr.stage: sr.state for sr in stage_runs}
    if StageState.FAILED in by_stage.values():
        return RunState.FAILED
    if all(by_stage.get(name) in (StageState.SUCCEEDED, StageState.REUSED) for name in planned):
        return RunState.SUCCEEDED
    return RunState.RUNNING if by_stage else RunState.QUEUED


@dataclass(frozen=True)
class StageClaim:
    """A delivery's claim on a stage: ``outcome`` when it must not run (done, or given up), else its ``attempt``."""

    attempt: int
    outcome: StageOutcome | None = None


WORKER_LOST = "worker_lost"


def claim_stage_attempt(session: Session, run_id: int, stage_name: str, max_attempts: int) -> StageClaim:
    """Count a delivery of the stage before its work starts; the caller commits this on its own.

    A stage that kills its worker (a crash inside a native library, the OOM killer) never reaches its own
    commit, and ``acks_late`` redelivers it. This committed count is what stops such a poison stage: once
    ``max_attempts`` deliveries started without finishing, it is recorded as failed (``worker_lost``).
    """
    stage = STAGES[stage_name]
    run = repositories.get_pipeline_run(session, run_id)
    stage_run = _stage_run_for(session, run, stage_name, stage.version)
    if stage_run.state in (StageState.SUCCEEDED, StageState.REUSED, StageState.FAILED):
        return StageClaim(attempt=stage_run.attempts, outcome=_outcome(stage_run))
    if stage_run.attempts >= max_attempts:
        message = (
            f"the stage started {stage_run.attempts} times and its worker process died every time "
            "(a crash in a library or out of memory); not retried"
        )
        details: dict[str, object] = {"attempts": stage_run.attempts}
        if stage_run.error_message:
            details["last_error"] = stage_run.error_message
        _mark_failed(stage_run, WORKER_LOST, message, details)
        stage_run.finished_at = utc_now()
        _update_run_state(session, run)
        return StageClaim(attempt=stage_run.attempts, outcome=_outcome(stage_run))
    stage_run.attempts += 1
    stage_run.state = StageState.RUNNING
    stage_run.started_at = utc_now()
    return StageClaim(attempt=stage_run.attempts)


def execute_stage(
    session: Session, store: ArtifactStore, run_id: int, stage_name: str, *, count_attempt: bool = True
) -> StageOutcome:
    """Run ``stage_name`` for the pipeline run; expected (user) errors are recorded and returned, not raised.

    Unexpected errors propagate (the caller rolls back, then calls ``record_stage_error``). A caller that
    counted the attempt already (``claim_stage_attempt``) passes ``count_attempt=False``.
    """
    stage = STAGES[stage_name]
    run = repositories.get_pipeline_run(session, run_id)
    stage_run = _stage_run_for(session, run, stage_name, stage.version)
    if stage_run.state in (StageState.SUCCEEDED, StageState.REUSED, StageState.FAILED):
        # A redelivered message (worker lost after commit): the recorded outcome stands.
        return _outcome(stage_run)
    started = time.perf_counter()
    stage_run.state = StageState.RUNNING
    if count_attempt:
        stage_run.attempts += 1
    stage_run.started_at = utc_now()
    if run.started_at is None:
        run.started_at = stage_run.started_at
    ctx = StageContext(session=session, store=store, run=run)
    try:
        result = reuse_or_compute(session, store, stage, stage.input_key(ctx), lambda: stage.run(ctx))
        stage_run.state = StageState.REUSED if result.reused else StageState.SUCCEEDED
        if stage.record is not None:
            stage.record(ctx, result.outputs)
        stage_run.artifact_ids = list(result.artifact_ids)
    except CspmsError as exc:
        if not exc.expected:
            raise
        _mark_failed(stage_run, exc.code, exc.message, exc.details)
    stage_run.finished_at = utc_now()
    stage_run.duration_ms = (time.perf_counter() - started) * 1000.0
    _update_run_state(session, run)
    return _outcome(stage_run)


@dataclass(frozen=True)
class StageResult:
    """A stage's outputs for one input, the artifacts that hold them, and whether they were stored before."""

    outputs: list[StageOutput]
    artifact_ids: tuple[int, ...]
    reused: bool


def reuse_or_compute(
    session: Session, store: ArtifactStore, stage: Stage, input_key: str, compute: Callable[[], list[StageOutput]]
) -> StageResult:
    """The stage's outputs for ``input_key``: the stored ones when every file is still in the store, else
    ``compute()``'s, stored now as the stage's artifacts (no commit). Outputs depend only on the input key
    and the stage's version, so stored ones are what the stage would make again; the runner and the scan
    upload (which measures outside any run) both get them here."""
    existing = repositories.find_stage_outputs(session, input_key, stage.name, stage.version)
    if existing and all(store.exists(a.sha256) for a in existing):
        outputs = [StageOutput(a.kind, a.filename, a.media_type, store.read_bytes(a.sha256)) for a in existing]
        return StageResult(outputs, tuple(a.id for a in existing), reused=True)
    outputs = compute()
    artifact_ids = tuple(
        repositories.add_artifact(
            session,
            store.put_bytes(output.data),
            kind=output.kind,
            filename=output.filename,
            media_type=output.media_type,
            input_key=input_key,
            stage=stage.name,
            stage_version=stage.version,
        ).id
        for output in outputs
    )
    return StageResult(outputs, artifact_ids, reused=False)


def record_stage_error(
    session: Session, run_id: int, stage_name: str, exc: BaseException, *, final: bool, count_attempt: bool = True
) -> StageOutcome:
    """Record an unexpected error after the stage's own transaction rolled back."""
    stage = STAGES[stage_name]
    run = repositories.get_pipeline_run(session, run_id)
    stage_run = _stage_run_for(session, run, stage_name, stage.version)
    if stage_run.state in (StageState.SUCCEEDED, StageState.REUSED):
        # A duplicate delivery lost the race to a copy that finished: its error changes nothing that is done.
        log.info("stage %s of run %d is done already; ignoring a late error: %s", stage_name, run_id, exc)
        return _outcome(stage_run)
    if count_attempt:
        stage_run.attempts += 1
    code = exc.code if isinstance(exc, CspmsError) else "internal_error"
    message = f"{type(exc).__name__}: {exc}"
    details: dict[str, object] = {"traceback": traceback.format_exception(exc)[-3:]}
    if final:
        _mark_failed(stage_run, code, message, details)
        stage_run.finished_at = utc_now()
    else:
        stage_run.state = StageState.RETRYING
        stage_run.error_code, stage_run.error_message, stage_run.error_details = code, message, details
    _update_run_state(session, run)
    return _outcome(stage_run)


def _stage_run_for(session: Session, run: PipelineRun, stage_name: str, version: int) -> StageRun:
    stage_run = repositories.get_stage_run(session, run.id, stage_name)
    if stage_run is None:
        stage_run = StageRun(pipeline_run=run, stage=stage_name, stage_version=version, state=StageState.RUNNING)
        session.add(stage_run)
        session.flush()
    return stage_run


def _mark_failed(stage_run: StageRun, code: str, message: str, details: dict[str, object]) -> None:
    stage_run.state = StageState.FAILED
    stage_run.error_code = code
    stage_run.error_message = message
    stage_run.error_details = {k: v for k, v in details.items() if _is_json_scalar_or_list(v)}


def _is_json_scalar_or_list(value: object) -> bool:
    return isinstance(value, str | int | float | bool | list | type(None))


def _update_run_state(session: Session, run: PipelineRun) -> None:
    session.flush()
    session.refresh(run, attribute_names=["stage_runs"])
    run.state = derive_run_state(run.stages, run.stage_runs)
    if run.state in (RunState.SUCCEEDED, RunState.FAILED):
        run.finished_at = utc_now()
        failed = next((sr for sr in run.stage_runs if sr.state == StageState.FAILED), None)
        if failed is not None:
            run.error_code = failed.error_code
            run.error_message = f"{failed.stage}: {failed.error_message}"


def _outcome(stage_run: StageRun) -> StageOutcome:
    return StageOutcome(
        stage=stage_run.stage,
        state=stage_run.state,
        artifact_ids=tuple(stage_run.artifact_ids or ()),
        error_code=stage_run.error_code,
        error_message=stage_run.error_message,
    )


@dataclass(frozen=True)
class StalledRun:
    run_id: int
    remaining_stages: tuple[str, ...]


def stalled_runs(session: Session, idle_since: datetime) -> list[StalledRun]:
    """Unfinished runs with no stage activity since ``idle_since``, and the stages they still need.

    A run stalls when the broker lost its message: a whole worker killed on the embedded broker (the queue
    file is gone once read), or on Redis until the visibility timeout gives the unacked message back.
    Re-sending its remaining stages is safe: a stage already done returns its recorded outcome.
    """
    runs = session.scalars(
        select(PipelineRun).where(PipelineRun.state.in_([RunState.QUEUED, RunState.RUNNING])).order_by(PipelineRun.id)
    ).all()
    stalled = []
    for run in runs:
        moments = [run.created_at, *(t for sr in run.stage_runs for t in (sr.started_at, sr.finished_at) if t)]
        if max(moments) > idle_since:
            continue
        done = {sr.stage for sr in run.stage_runs if sr.state in (StageState.SUCCEEDED, StageState.REUSED)}
        stalled.append(StalledRun(run.id, tuple(name for name in run.stages if name not in done)))
    return stalled
