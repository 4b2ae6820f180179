"""Every query about QC inspections and their results. Repositories never commit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, selectinload

from geometry.errors import NotFoundError
from manufacturing.db.models import Order, Pair, QcInspection, QcInspectionResult


def get_inspection(session: Session, inspection_id: int) -> QcInspection:
    inspection = session.get(QcInspection, inspection_id)
    if inspection is None:
        raise NotFoundError(f"inspection {inspection_id} does not exist", inspection_id=inspection_id)
    return inspection


def inspections_of_pair(session: Session, pair_id: int, checkpoint: str | None = None) -> Sequence[QcInspection]:
    """A pair's inspections (at one checkpoint, or all) in the order they were started."""
    query = select(QcInspection).where(QcInspection.pair_id == pair_id)
    if checkpoint is not None:
        query = query.where(QcInspection.checkpoint == checkpoint)
    return session.scalars(query.order_by(QcInspection.attempt, QcInspection.id)).all()


def last_attempt(session: Session, pair_id: int, checkpoint: str) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.max(QcInspection.attempt), 0)).where(
                QcInspection.pair_id == pair_id, QcInspection.checkpoint == checkpoint
            )
        )
        or 0
    )


def add_inspection(session: Session, inspection: QcInspection) -> QcInspection:
    session.add(inspection)
    session.flush()
    return inspection


def add_results(session: Session, results: Sequence[QcInspectionResult]) -> None:
    session.add_all(results)
    session.flush()


def completed_inspections(session: Session) -> Sequence[QcInspection]:
    """Every finished inspection with its results, oldest first (the metrics replay them)."""
    return session.scalars(
        select(QcInspection)
        .where(QcInspection.passed.is_not(None))
        .options(selectinload(QcInspection.results))
        .order_by(QcInspection.completed_at, QcInspection.id)
    ).all()


def failed_latest_inspections(session: Session) -> Sequence[Any]:
    """(inspection, pair serial, order number) of every pair whose latest inspection at a checkpoint failed: it
    waits for rework and a new inspection there. Oldest verdict first."""
    latest = (
        select(QcInspection.pair_id, QcInspection.checkpoint, func.max(QcInspection.attempt).label("attempt"))
        .group_by(QcInspection.pair_id, QcInspection.checkpoint)
        .subquery()
    )
    is_latest = and_(
        QcInspection.pair_id == latest.c.pair_id,
        QcInspection.checkpoint == latest.c.checkpoint,
        QcInspection.attempt == latest.c.attempt,
    )
    return session.execute(
        select(QcInspection, Pair.serial, Order.number)
        .join(latest, is_latest)
        .join(Pair, QcInspection.pair_id == Pair.id)
        .join(Order, Pair.order_id == Order.id)
        .where(QcInspection.passed.is_(False))
        .order_by(QcInspection.completed_at, QcInspection.id)
    ).all()
