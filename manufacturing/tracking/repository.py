"""Every query tracking needs: pairs by serial, stored event ids, bulk event inserts, per-pair locks, duration
stats, and what progress, ETAs and KPIs read. Repositories never commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session, selectinload

from geometry.errors import NotFoundError
from manufacturing.db.models import DurationStat, Order, Pair, TrackingEvent, WorkOrder


def pair_ids_by_serial(session: Session, serials: Iterable[str]) -> dict[str, int]:
    serials = sorted(set(serials))
    if not serials:
        return {}
    return dict(session.execute(select(Pair.serial, Pair.id).where(Pair.serial.in_(serials))).all())


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


def lock_pairs(session: Session, pair_ids: Iterable[int]) -> None:
    """Serialise appends to the same pairs' chains (PostgreSQL transaction advisory locks, taken in id order so
    two batches cannot deadlock; SQLite serialises writers already)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    ids = sorted(set(pair_ids))
    if ids:
        session.execute(text("SELECT pg_advisory_xact_lock(7301, id) FROM unnest(CAST(:ids AS int[])) AS id"),
                        {"ids": ids})  # fmt: skip


def stored_event_ids(session: Session, event_ids: Iterable[str]) -> set[str]:
    ids = list(set(event_ids))
    if not ids:
        return set()
    return set(session.scalars(select(TrackingEvent.event_id).where(TrackingEvent.event_id.in_(ids))))


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(TrackingEvent), list(rows))


def timed_events_of_pairs(session: Session, pair_ids: Iterable[int], event_types: Iterable[str]) -> list[Any]:
    ids = sorted(set(pair_ids))
    if not ids:
        return []
    return list(session.execute(
        select(TrackingEvent.event_id, TrackingEvent.pair_id, TrackingEvent.station, TrackingEvent.operation,
               TrackingEvent.event_type, TrackingEvent.occurred_at)
        .where(TrackingEvent.pair_id.in_(ids), TrackingEvent.event_type.in_(list(event_types)))
    ).all())  # fmt: skip


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


def duration_stats(session: Session, keys: Iterable[tuple[str, str, str]] | None = None,
                   for_update: bool = False) -> dict[tuple[str, str, str], DurationStat]:  # fmt: skip
    query = select(DurationStat).order_by(DurationStat.work_centre, DurationStat.operation, DurationStat.kind)
    if keys is not None:
        centres = sorted({k[0] for k in keys})
        if not centres:
            return {}
        query = query.where(DurationStat.work_centre.in_(centres))
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return {(r.work_centre, r.operation, r.kind): r for r in session.scalars(query)}


def add(session: Session, row: object) -> None:
    session.add(row)


def work_order_of_pair(session: Session, pair_id: int) -> WorkOrder | None:
    return session.scalars(
        select(WorkOrder).where(WorkOrder.pair_id == pair_id).options(selectinload(WorkOrder.operations))
    ).one_or_none()


def work_orders_with_pairs(session: Session) -> list[WorkOrder]:
    return list(session.scalars(
        select(WorkOrder).options(selectinload(WorkOrder.operations),
                                  selectinload(WorkOrder.pair).selectinload(Pair.order)).order_by(WorkOrder.id)
    ))  # fmt: skip


def orders_by_id(session: Session, order_ids: Iterable[int]) -> dict[int, Order]:
    ids = sorted(set(order_ids))
    return {o.id: o for o in session.scalars(select(Order).where(Order.id.in_(ids)))} if ids else {}
