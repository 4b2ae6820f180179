"""Reading tracking back: a pair's progress (operation and work-order states derived from its events) and its
order's, read from the pair's maintained summary (``summary``: no replay per request). Readers' extra events
(``scanned``, ``material_issued``) are counted, not replayed; events that cannot be replayed (an operation
outside the routing, stored before ingest refused them) are listed under ``invalid_events``, never raised."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from manufacturing.db import repositories
from manufacturing.tracking import repository
from manufacturing.tracking.eta import eta_of_summary
from manufacturing.tracking.summary import PairSummary, summary_of


@dataclass(frozen=True)
class PairRef:
    id: int
    serial: str
    order_id: int
    customer_id: int  # whose it is: the route checks it before reading the progress


def find_pair(session: Session, serial: str) -> PairRef:
    """The pair and its order's customer, in one query (``NotFoundError`` for an unknown serial)."""
    return PairRef(*repository.pair_ref(session, serial))


def progress_with_eta(session: Session, pair: PairRef, now: datetime | None = None) -> dict[str, Any]:
    """``pair_progress``'s answer and the ETA (null when not released or closed): the summary and the work
    order's operations, no replay."""
    summary = summary_of(session, pair.id)
    eta = eta_of_summary(session, pair.serial, pair.order_id, summary, now)
    return {**progress_json(pair.serial, pair.order_id, summary), "eta": None if eta is None else eta.to_json()}


def pair_progress(session: Session, serial: str) -> dict[str, Any]:
    """The pair's work-order state, each operation's state, the share done, what readers saw last, and the
    events that could not be replayed."""
    pair = repositories.get_pair_by_serial(session, serial)
    return progress_json(serial, pair.order_id, summary_of(session, pair.id))


def progress_json(serial: str, order_id: int, summary: PairSummary) -> dict[str, Any]:
    out: dict[str, Any] = {
        "serial": serial, "order_id": order_id, "events": summary.event_count,
        "last_seen": None if summary.last_seen is None else summary.last_seen.to_json(), "work_order": None,
        "invalid_events": summary.invalid_json(),
    }  # fmt: skip
    if summary.work_order_id is not None and summary.due_at is not None:
        out["work_order"] = {
            "id": summary.work_order_id, "state": summary.state, "due_at": summary.due_at.isoformat(),
            "material_reserved": summary.material_reserved, "done_fraction": summary.done_fraction,
            "operations": [{"seq": s.seq, "code": s.code, "state": s.state.value, "passes": s.passes,
                            "station": s.station} for s in summary.operations],
        }  # fmt: skip
    return out
