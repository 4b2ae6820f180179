"""Every query about QC inspections and their results. Repositories never commit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from geometry.errors import NotFoundError
from manufacturing.db.models import QcInspection, QcInspectionResult


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
