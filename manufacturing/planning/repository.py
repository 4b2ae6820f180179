"""Every query about work centres, workers, work orders and their events. Repositories never commit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from geometry.errors import NotFoundError
from manufacturing.db.models import Pair, TrackingEvent, WorkCentre, Worker, WorkOrder


def get_work_order(session: Session, work_order_id: int) -> WorkOrder:
    work_order = session.get(WorkOrder, work_order_id)
    if work_order is None:
        raise NotFoundError(f"work order {work_order_id} does not exist", work_order_id=work_order_id)
    return work_order


def find_work_order_of_pair(session: Session, pair_id: int) -> WorkOrder | None:
    return session.scalars(select(WorkOrder).where(WorkOrder.pair_id == pair_id)).one_or_none()


def get_pair(session: Session, pair_id: int) -> Pair:
    pair = session.get(Pair, pair_id)
    if pair is None:
        raise NotFoundError(f"pair {pair_id} does not exist", pair_id=pair_id)
    return pair


def add_work_order(session: Session, work_order: WorkOrder) -> WorkOrder:
    session.add(work_order)
    session.flush()
    return work_order


def all_work_orders(session: Session) -> Sequence[WorkOrder]:
    """Every work order with its operations and pair (the scheduler filters the open ones by derived state)."""
    return session.scalars(
        select(WorkOrder)
        .options(selectinload(WorkOrder.operations), selectinload(WorkOrder.pair))
        .order_by(WorkOrder.id)
    ).all()


def work_orders_by_due(session: Session) -> Sequence[WorkOrder]:
    """Every work order, earliest due first (ties: released first), with its pair."""
    return session.scalars(
        select(WorkOrder).options(selectinload(WorkOrder.pair)).order_by(WorkOrder.due_at, WorkOrder.id)
    ).all()


def events_of_pairs(session: Session, pair_ids: Sequence[int]) -> dict[int, list[TrackingEvent]]:
    """Each pair's events in the order they happened (ties: the order they arrived)."""
    out: dict[int, list[TrackingEvent]] = {pid: [] for pid in pair_ids}
    if not pair_ids:
        return out
    rows = session.scalars(
        select(TrackingEvent)
        .where(TrackingEvent.pair_id.in_(list(pair_ids)))
        .order_by(TrackingEvent.occurred_at, TrackingEvent.id)
    ).all()
    for row in rows:
        out[row.pair_id].append(row)
    return out


def work_centres(session: Session) -> Sequence[WorkCentre]:
    return session.scalars(select(WorkCentre).order_by(WorkCentre.id)).all()


def workers(session: Session) -> Sequence[Worker]:
    return session.scalars(select(Worker).order_by(Worker.id)).all()


def find_work_centre(session: Session, code: str) -> WorkCentre | None:
    return session.scalars(select(WorkCentre).where(WorkCentre.code == code)).one_or_none()


def find_worker(session: Session, code: str) -> Worker | None:
    return session.scalars(select(Worker).where(Worker.code == code)).one_or_none()


def add(session: Session, row: object) -> None:
    session.add(row)
    session.flush()
