"""Reading tracking back: a pair's progress (operation and work-order states derived from its events) and its
order's. The states come from ``planning.work_orders.derive_progress``; readers' extra events (``scanned``,
``material_issued``) and operations outside the routing are listed, not replayed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from manufacturing.db import repositories
from manufacturing.db.models import TrackingEvent, WorkOrder
from manufacturing.planning.routing import Routing
from manufacturing.planning.work_orders import WORK_ORDER_OPERATION, EventType, OperationFact, Progress, derive_progress
from manufacturing.states import OperationState
from manufacturing.tracking import repository

_FACT_TYPES = frozenset(e.value for e in EventType)


def progress_of(work_order: WorkOrder, events: Sequence[TrackingEvent]) -> Progress:
    routing = Routing.from_json(work_order.routing)
    codes = {op.code for op in routing.operations} | {WORK_ORDER_OPERATION}
    facts = [
        OperationFact(EventType(e.event_type), e.operation, e.occurred_at, e.station, e.payload)
        for e in events
        if e.event_type in _FACT_TYPES and e.operation in codes
    ]
    return derive_progress(routing.operations, facts)


def pair_progress(session: Session, serial: str) -> dict[str, Any]:
    """The pair's work-order state, each operation's state, the share done, and what readers saw."""
    pair = repositories.get_pair_by_serial(session, serial)
    events = repositories.events_of_pair(session, pair.id)
    work_order = repository.work_order_of_pair(session, pair.id)
    out: dict[str, Any] = {"serial": serial, "order_id": pair.order_id, "events": len(events),
                           "last_seen": None, "work_order": None}  # fmt: skip
    if events:
        last = events[-1]
        out["last_seen"] = {"station": last.station, "operation": last.operation, "event_type": last.event_type,
                            "occurred_at": last.occurred_at.isoformat()}  # fmt: skip
    if work_order is not None:
        progress = progress_of(work_order, events)
        done = sum(1 for s in progress.operations if s.state == OperationState.DONE)
        out["work_order"] = {
            "id": work_order.id, "state": progress.state.value, "due_at": work_order.due_at.isoformat(),
            "material_reserved": progress.material_reserved,
            "done_fraction": round(done / len(progress.operations), 3),
            "operations": [{"seq": s.seq, "code": s.code, "state": s.state.value, "passes": s.passes,
                            "station": s.station} for s in progress.operations],
        }  # fmt: skip
    return out
