"""What a pair's pipeline made, by stage: the artifacts of its latest run that planned the stage, once the stage
succeeded (or reused earlier files); and the fitted last's record (``last.json``: targets, achieved values,
errors and the fit report)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from manufacturing.artifacts import ArtifactStore
from manufacturing.db import repositories
from manufacturing.db.models import Artifact
from manufacturing.states import StageState

_DONE = (StageState.SUCCEEDED, StageState.REUSED)
LAST_FIT = "last.fit"


@dataclass(frozen=True)
class StageOutputs:
    run_id: int | None
    state: str  # not_planned, pending, or the stage run's state
    artifacts: tuple[Artifact, ...]  # empty until the stage is done


def stage_outputs(session: Session, pair_id: int, stage: str) -> StageOutputs:
    latest = StageOutputs(None, "not_planned", ())
    for run in repositories.runs_for_pair(session, pair_id):
        if stage not in run.stages:
            continue
        stage_run = repositories.get_stage_run(session, run.id, stage)
        if stage_run is None:
            latest = StageOutputs(run.id, "pending", ())
            continue
        done = stage_run.state in _DONE
        files = tuple(repositories.artifacts_by_ids(session, stage_run.artifact_ids or [])) if done else ()
        latest = StageOutputs(run.id, stage_run.state.value, files)
    return latest


def fitted_last_record(store: ArtifactStore, outputs: StageOutputs) -> dict[str, Any] | None:
    """The ``last.json`` of a ``last.fit`` stage's outputs (None before the stage is done)."""
    record = next((a for a in outputs.artifacts if a.kind == "last.json"), None)
    if record is None:
        return None
    loaded: dict[str, Any] = json.loads(store.read_bytes(record.sha256))
    return loaded
