"""Every query tracking needs: bulk event inserts, timed events, duration stats, and what progress, ETAs and
KPIs read (pairs and their events by serial are the foundation's: manufacturing/db/repositories.py). Repositories
never commit."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, Integer, any_, cast, delete, func, literal, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from geometry.errors import NotFoundError
from manufacturing.db.models import (
    DurationStat,
    Order,
    Pair,
    PairProgress,
    TrackingEvent,
    WorkOrder,
    WorkOrderOperation,
)

_INSERT_EVENTS_PG = text("""
    INSERT INTO tracking_event (event_id, pair_id, station, operation, event_type, occurred_at, received_at, source,
                                payload)
    SELECT e.event_id, e.pair_id, e.station, e.operation, e.event_type, e.occurred_at, :received_at, e.source,
           e.payload
    FROM json_to_recordset(CAST(:rows AS json)) AS e(event_id varchar, pair_id int, station varchar,
         operation varchar, event_type varchar, occurred_at timestamptz, source varchar, payload json)
    ORDER BY e.event_id
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id, id""")
_EVENT_COLUMNS = ("event_id", "pair_id", "station", "operation", "event_type", "source", "payload")


def insert_new_events(session: Session, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert the rows whose ``event_id`` is not stored yet, in one statement (``ON CONFLICT DO NOTHING``, so a
    resend or a concurrent writer's copy is skipped, not an error): {event_id: row id} of those inserted. All rows
    share one ``received_at``."""
    if not rows:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        # One constant statement over a JSON array: prepared once per connection, whatever the batch size.
        batch = json.dumps([{**{name: r[name] for name in _EVENT_COLUMNS}, "occurred_at": r["occurred_at"].isoformat()}
                            for r in rows])  # fmt: skip
        result = session.execute(_INSERT_EVENTS_PG, {"rows": batch, "received_at": rows[0]["received_at"]})
    else:
        table = TrackingEvent.metadata.tables["tracking_event"]  # the Table itself (typed), not the mapped class
        statement = (sqlite.insert(table).on_conflict_do_nothing(index_elements=[table.c.event_id])
                     .returning(table.c.event_id, table.c.id))  # fmt: skip
        result = session.execute(statement, list(rows))
    return {event_id: row_id for event_id, row_id in result}


def timed_events_of_pairs(session: Session, pair_ids: Iterable[int] | None, event_types: Iterable[str]) -> list[Any]:
    """(event_id, pair_id, station, operation, event_type, occurred_at, id) of the pairs' (None: every pair's)
    events of these types."""
    table = TrackingEvent.__table__
    query = select(table.c.event_id, table.c.pair_id, table.c.station, table.c.operation, table.c.event_type,
                   table.c.occurred_at, table.c.id).where(table.c.event_type.in_(list(event_types)))  # fmt: skip
    if pair_ids is not None:
        ids = sorted(set(pair_ids))
        if not ids:
            return []
        if session.get_bind().dialect.name == "postgresql":  # one constant (preparable) statement for any count
            query = query.where(table.c.pair_id == any_(cast(literal(ids, ARRAY(Integer)), ARRAY(Integer))))
        else:
            query = query.where(table.c.pair_id.in_(ids))
    return list(session.connection().execute(query))  # Core rows: the ORM's per-row work is not needed here


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


def delete_duration_stats(session: Session) -> None:
    session.execute(delete(DurationStat))
    session.flush()


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


def finish_times_since(session: Session, since: datetime) -> list[datetime]:
    """When each operation was finished (``finished``, or passed at a QC point) at or after ``since``."""
    query = select(TrackingEvent.occurred_at).where(
        TrackingEvent.event_type.in_(["finished", "qc_passed"]), TrackingEvent.occurred_at >= since
    )
    return list(session.scalars(query.order_by(TrackingEvent.occurred_at)))


# ---------------------------------------------------------------------------------------------- summaries


def routings_of_pairs(session: Session, pair_ids: Sequence[int]) -> dict[int, tuple[int, frozenset[str]]]:
    """{pair id: (its work order's id, its routing's operation codes)} of the pairs released so far."""
    if not pair_ids:
        return {}
    rows = session.execute(
        select(WorkOrder.pair_id, WorkOrder.id, WorkOrderOperation.code)
        .join(WorkOrderOperation, WorkOrderOperation.work_order_id == WorkOrder.id)
        .where(WorkOrder.pair_id.in_(sorted(set(pair_ids))))
    )  # fmt: skip
    codes: dict[int, tuple[int, set[str]]] = {}
    for pair_id, work_order_id, code in rows:
        codes.setdefault(pair_id, (work_order_id, set()))[1].add(code)
    return {pid: (wo_id, frozenset(c)) for pid, (wo_id, c) in codes.items()}


def events_by_event_id(session: Session, event_ids: Iterable[str]) -> dict[str, TrackingEvent]:
    ids = sorted(set(event_ids))
    if not ids:
        return {}
    return {e.event_id: e for e in session.scalars(select(TrackingEvent).where(TrackingEvent.event_id.in_(ids)))}


def work_orders_of_pairs(session: Session, pair_ids: Sequence[int]) -> dict[int, WorkOrder]:
    if not pair_ids:
        return {}
    return {wo.pair_id: wo for wo in session.scalars(select(WorkOrder).where(WorkOrder.pair_id.in_(list(pair_ids))))}


def summary_events_of_pairs(session: Session, pair_ids: Sequence[int]) -> dict[int, list[Any]]:
    """Each pair's events (the columns a summary reads), by occurred_at then arrival: Core rows, no ORM."""
    if not pair_ids:
        return {}
    table = TrackingEvent.__table__
    query = (select(table.c.pair_id, table.c.id, table.c.event_id, table.c.station, table.c.operation,
                    table.c.event_type, table.c.occurred_at, table.c.payload)
             .where(table.c.pair_id.in_(list(pair_ids))).order_by(table.c.occurred_at, table.c.id))  # fmt: skip
    out: dict[int, list[Any]] = {}
    for row in session.connection().execute(query):
        out.setdefault(row.pair_id, []).append(row)
    return out


@dataclass(frozen=True)
class StoredSummary:
    summary: Any  # a ``pair_progress`` row (Core: its columns as attributes)
    newest_event_id: int | None  # the pair's newest event now
    work_order_id: int | None  # the pair's work order now
    due_at: datetime | None


def stored_summaries(session: Session, pair_ids: Sequence[int]) -> list[StoredSummary]:
    """The pairs' stored summaries with what says whether each is current: the pair's newest event id (an index
    probe on (pair_id, id)) and its work order; one query, Core rows (a hot read: no ORM objects)."""
    table, events, work_orders = PairProgress.__table__, TrackingEvent.__table__, WorkOrder.__table__
    newest = (select(func.max(events.c.id)).where(events.c.pair_id == table.c.pair_id)
              .correlate(table).scalar_subquery())  # fmt: skip
    query = (select(table, newest.label("newest_event_id"), work_orders.c.id.label("current_work_order_id"),
                    work_orders.c.due_at.label("current_due_at"))
             .outerjoin(work_orders, work_orders.c.pair_id == table.c.pair_id)
             .where(table.c.pair_id.in_(list(pair_ids))))  # fmt: skip
    return [StoredSummary(row, row.newest_event_id, row.current_work_order_id, row.current_due_at)
            for row in session.connection().execute(query)]  # fmt: skip


def upsert_summaries(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or replace summaries (in pair order, so two writers lock their rows in the same order); a stored
    one that already counts a newer event is kept (a read that recomputed from an older view lost the race)."""
    if not rows:
        return
    table = PairProgress.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    columns = [c.name for c in table.columns if c.name != "pair_id"]
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.pair_id],
            set_={name: statement.excluded[name] for name in columns},
            where=table.c.last_event_id <= statement.excluded.last_event_id,
        ),
        sorted(rows, key=lambda r: r["pair_id"]),
    )


def operations_of_work_order(session: Session, work_order_id: int) -> list[Any]:
    """The work order's operations (seq, code, standard_minutes, planned_centre), Core rows by seq."""
    table = WorkOrderOperation.__table__
    query = (select(table.c.seq, table.c.code, table.c.standard_minutes, table.c.planned_centre)
             .where(table.c.work_order_id == work_order_id).order_by(table.c.seq))  # fmt: skip
    return list(session.connection().execute(query))


_FORECAST_FINGERPRINT = text("""
    SELECT (SELECT count(*) FROM duration_stat), (SELECT max(id) FROM duration_stat),
           (SELECT sum(count) FROM duration_stat), (SELECT max(updated_at) FROM duration_stat),
           (SELECT count(*) FROM work_centre), (SELECT max(id) FROM work_centre),
           (SELECT count(*) FROM worker), (SELECT max(id) FROM worker)""")


def forecast_fingerprint(session: Session) -> tuple[Any, ...]:
    """What changes whenever the duration models or the factory do (a learned observation raises a count; a
    rebuild or a new centre or worker adds ids): one query of aggregates."""
    return tuple(session.execute(_FORECAST_FINGERPRINT).one())


def pair_ref(session: Session, serial: str) -> tuple[int, str, int, int]:
    """(id, serial, order id, customer id) of the pair (``NotFoundError`` when there is none)."""
    row = session.execute(
        select(Pair.id, Pair.serial, Pair.order_id, Order.customer_id).join(Order, Order.id == Pair.order_id)
        .where(Pair.serial == serial)
    ).one_or_none()  # fmt: skip
    if row is None:
        raise NotFoundError(f"pair {serial} does not exist", serial=serial)
    return row.id, row.serial, row.order_id, row.customer_id
