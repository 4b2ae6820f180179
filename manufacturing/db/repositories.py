"""The foundation's queries: customers, orders, pairs and their events, pipeline runs and artifacts.

Pairs and their tracking events are read here because every floor names them (the ledger chains the events,
tracking derives progress from them, the boards show them). Repositories never commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select, text
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
    TrackingEvent,
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


def pair_ids_by_serial(session: Session, serials: Iterable[str]) -> dict[str, int]:
    serials = sorted(set(serials))
    if not serials:
        return {}
    if session.get_bind().dialect.name == "postgresql":  # one constant (preparable) statement for any count
        rows = session.execute(text("SELECT serial, id FROM pair WHERE serial = ANY(CAST(:serials AS varchar[]))"),
                               {"serials": serials})  # fmt: skip
    else:
        rows = session.execute(select(Pair.serial, Pair.id).where(Pair.serial.in_(serials)))
    return {serial: pair_id for serial, pair_id in rows}



def get_pair_by_serial(session: Session, serial: str) -> Pair:
    pair = session.scalars(select(Pair).where(Pair.serial == serial)).one_or_none()
    if pair is None:
        raise NotFoundError(f"pair {serial} does not exist", serial=serial)
    return pair



def serials_of(session: Session, pair_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(pair_ids))
    if not ids:
        return {}
    return dict(session.execute(select(Pair.id, Pair.serial).where(Pair.id.in_(ids))).all())



def find_event(session: Session, event_id: str) -> TrackingEvent | None:
    return session.scalars(select(TrackingEvent).where(TrackingEvent.event_id == event_id)).one_or_none()



def lock_pairs(session: Session, pair_ids: Iterable[int]) -> None:
    """Serialise appends to the same pairs' chains (PostgreSQL transaction advisory locks, taken in id order so
    two batches cannot deadlock; SQLite serialises writers already)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    ids = sorted(set(pair_ids))
    if ids:
        session.execute(text("SELECT pg_advisory_xact_lock(7301, id) FROM unnest(CAST(:ids AS int[])) AS id"),
                        {"ids": ids})  # fmt: skip



def events_of_pair(session: Session, pair_id: int) -> list[TrackingEvent]:
    return list(session.scalars(
        select(TrackingEvent).where(TrackingEvent.pair_id == pair_id)
        .order_by(TrackingEvent.occurred_at, TrackingEvent.id)
    ))  # fmt: skip



def all_events(session: Session) -> dict[int, list[TrackingEvent]]:
    out: dict[int, list[TrackingEvent]] = {}
    for row in session.scalars(select(TrackingEvent).order_by(TrackingEvent.occurred_at, TrackingEvent.id)):
        out.setdefault(row.pair_id, []).append(row)
    return out
