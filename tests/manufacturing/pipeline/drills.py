"""What every fault drill does around its fault: wait for a stage to be running, wait for the runs to finish,
and audit afterwards (nothing lost, duplicated, missing or half-written)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from benchmarks.pipeline import WorkerProcess, audit
from manufacturing.db.models import PipelineRun, StageRun
from manufacturing.db.session import session_scope
from manufacturing.pipeline.resources import Resources
from manufacturing.states import RunState, StageState

RUN_TIMEOUT_S = 300  # a deadline under load, not a measure: the runs take ~10-20 s on a quiet machine


def wait_for_running_stage(resources: Resources, run_id: int, stages: set[str], timeout_s: float = 120) -> str:
    """Wait until one of ``stages`` of the run is running (claimed and not finished); returns its name."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with session_scope(resources.sessions) as session:
            running = session.scalars(
                select(StageRun.stage).where(
                    StageRun.pipeline_run_id == run_id,
                    StageRun.stage.in_(stages),
                    StageRun.state == StageState.RUNNING,
                )
            ).first()
        if running is not None:
            return running
        time.sleep(0.02)
    pytest.fail(f"run {run_id} never ran any of {stages}")


def wait_for_runs(resources: Resources, run_ids: list[int], worker: WorkerProcess) -> dict[int, PipelineRun]:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        with session_scope(resources.sessions) as session:
            runs = {r: session.get(PipelineRun, r) for r in run_ids}
            if all(run.state in (RunState.SUCCEEDED, RunState.FAILED) for run in runs.values()):
                return runs
        time.sleep(0.2)
    pytest.fail(f"runs {run_ids} did not finish in {RUN_TIMEOUT_S} s; worker log:\n{worker.log_tail()}")


def assert_clean(resources: Resources, run_ids: list[int], succeeded: int) -> dict:
    report = audit(resources, run_ids)
    assert report["lost"] == 0, report
    assert report["succeeded"] == succeeded, report
    for key in ("duplicate_stage_runs", "duplicate_work_orders", "duplicate_artifacts"):
        assert report[key] == 0, report
    assert report["blobs_missing"] == report["blobs_corrupt"] == report["stray_temp_files"] == 0, report
    assert report["work_orders"] == succeeded, report
    return report
