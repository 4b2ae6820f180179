"""Every query the services and the pipeline make, in one place. Repositories never commit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from geometry.errors import NotFoundError
from manufacturing.artifacts import StoredBlob
from manufacturing.db.models import (
    Artifact,
    Customer,
    Order,
    Pair,
    PipelineRun,
    StageRun,
)


def get_or_create_customer(session: Session, email: str, name: str = "") -> Customer:
    email = email.strip().lower()
    customer = session.scalars(select(Customer).where(Customer.email == email)).one_or_none()
    if customer is None:
        customer = Customer(email=email, name=name)
        session.add(customer)
        session.flush()
    return customer


def get_pipeline_run(session: Session, run_id: int) -> PipelineRun:
    run = session.get(PipelineRun, run_id)
    if run is None:
        raise NotFoundError(f"pipeline run {run_id} does not exist", run_id=run_id)
    return run


def get_order_by_number(session: Session, number: str) -> Order:
    order = session.scalars(select(Order).where(Order.number == number)).one_or_none()
    if order is None:
        raise NotFoundError(f"order {number} does not exist", order=number)
    return order


def get_artifact(session: Session, artifact_id: int) -> Artifact:
    artifact = session.get(Artifact, artifact_id)
    if artifact is None:
        raise NotFoundError(f"artifact {artifact_id} does not exist", artifact_id=artifact_id)
    return artifact


def find_stage_outputs(session: Session, input_key: str, stage: str, stage_version: int) -> Sequence[Artifact]:
    return session.scalars(
        select(Artifact)
        .where(Artifact.input_key == input_key, Artifact.stage == stage, Artifact.stage_version == stage_version)
        .order_by(Artifact.id)
    ).all()


def find_artifact(session: Session, input_key: str, stage: str, stage_version: int, kind: str) -> Artifact | None:
    return session.scalars(
        select(Artifact).where(
            Artifact.input_key == input_key,
            Artifact.stage == stage,
            Artifact.stage_version == stage_version,
            Artifact.kind == kind,
        )
    ).one_or_none()


def add_artifact(
    session: Session,
    blob: StoredBlob,
    *,
    kind: str,
    filename: str,
    media_type: str,
    input_key: str,
    stage: str,
    stage_version: int,
) -> Artifact:
    """Record a stored blob; returns the existing row when this exact output is already recorded."""
    existing = find_artifact(session, input_key, stage, stage_version, kind)
    if existing is not None:
        return existing
    artifact = Artifact(
        kind=kind,
        filename=filename,
        media_type=media_type,
        sha256=blob.sha256,
        size_bytes=blob.size_bytes,
        storage_key=blob.storage_key,
        input_key=input_key,
        stage=stage,
        stage_version=stage_version,
    )
    session.add(artifact)
    session.flush()
    return artifact


def get_stage_run(session: Session, run_id: int, stage: str) -> StageRun | None:
    return session.scalars(
        select(StageRun).where(StageRun.pipeline_run_id == run_id, StageRun.stage == stage)
    ).one_or_none()


def artifacts_by_ids(session: Session, ids: Sequence[int]) -> Sequence[Artifact]:
    if not ids:
        return []
    return session.scalars(select(Artifact).where(Artifact.id.in_(ids)).order_by(Artifact.id)).all()


def runs_for_pair(session: Session, pair_id: int) -> Sequence[PipelineRun]:
    return session.scalars(select(PipelineRun).where(PipelineRun.pair_id == pair_id).order_by(PipelineRun.id)).all()


def pairs_of_order(session: Session, order_id: int) -> Sequence[Pair]:
    return session.scalars(select(Pair).where(Pair.order_id == order_id).order_by(Pair.id)).all()
