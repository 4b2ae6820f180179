"""Every query about fit feedback and last revisions. Repositories never commit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from manufacturing.db.models import Artifact, FitFeedback, LastRevision, PipelineRun, StageRun


def feedback_of_pair(session: Session, pair_id: int) -> FitFeedback | None:
    return session.scalars(select(FitFeedback).where(FitFeedback.pair_id == pair_id)).one_or_none()


def all_feedback(session: Session) -> Sequence[FitFeedback]:
    return session.scalars(select(FitFeedback).order_by(FitFeedback.id)).all()


def revisions(session: Session, last_key: str) -> Sequence[LastRevision]:
    """A last's revisions, oldest first."""
    return session.scalars(
        select(LastRevision).where(LastRevision.last_key == last_key).order_by(LastRevision.revision)
    ).all()


def revision_of_feedback(session: Session, feedback_id: int) -> LastRevision | None:
    return session.scalars(select(LastRevision).where(LastRevision.feedback_id == feedback_id)).one_or_none()


def fitted_last_params_artifact(session: Session, pair_id: int) -> Artifact | None:
    """The ``last.params.json`` the pipeline's ``last.fit`` stage stored for the pair (its latest run)."""
    stage_runs = session.scalars(
        select(StageRun)
        .join(PipelineRun, StageRun.pipeline_run_id == PipelineRun.id)
        .where(PipelineRun.pair_id == pair_id, StageRun.stage == "last.fit")
        .order_by(PipelineRun.id.desc())
    ).all()
    for stage_run in stage_runs:
        ids = [int(i) for i in stage_run.artifact_ids or []]
        if not ids:
            continue
        found = session.scalars(
            select(Artifact).where(Artifact.id.in_(ids), Artifact.kind == "last.params.json")
        ).first()
        if found is not None:
            return found
    return None


def add(session: Session, row: object) -> None:
    session.add(row)
    session.flush()
