"""The planning views on the staff dashboard, read from what is stored: the schedule (each open operation's planned
work centre, start and end, as ``reschedule`` last stored them) for a Gantt chart, and each work centre's queue
(operations in progress there, ready for it, blocked). States are the pairs' progress summaries (derived from
their events, ``tracking.summary``); services never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from manufacturing.clock import as_utc
from manufacturing.db import repositories
from manufacturing.db.models import WorkOrder
from manufacturing.planning.service import Replan, load_factory, reschedule
from manufacturing.planning.work_orders import Progress
from manufacturing.states import OperationState, WorkOrderState
from manufacturing.tracking import repository as tracking_repository
from manufacturing.tracking.summary import summaries

_CLOSED = (WorkOrderState.DONE, WorkOrderState.CANCELLED)
_QUEUED = {
    OperationState.IN_PROGRESS: "in_progress",
    OperationState.READY: "ready",
    OperationState.REWORK: "ready",  # to be done again: it waits for its centre like a ready one
    OperationState.BLOCKED: "blocked",
}


def _iso(value: datetime | None) -> str | None:
    return None if value is None else as_utc(value).isoformat()


def _open_work_orders(session: Session) -> list[tuple[WorkOrder, Progress]]:
    """Every work order that is neither done nor cancelled, with its progress (one query for the summaries)."""
    work_orders = tracking_repository.work_orders_with_pairs(session)
    progress = summaries(session, [wo.pair_id for wo in work_orders])
    out = []
    for wo in work_orders:
        derived = progress[wo.pair_id].progress()
        if derived is not None and derived.state not in _CLOSED:
            out.append((wo, derived))
    return out


def _centres(session: Session) -> list[dict[str, Any]]:
    return [{"code": c.code, "kind": c.kind.value, "stations": c.stations} for c in load_factory(session).work_centres]


def schedule_view(session: Session) -> dict[str, Any]:
    """The stored plan of every open operation (done ones drop out), by work centre then start, and the work
    centres in the factory's order (the Gantt's rows). ``late`` marks the operations of pairs whose planned
    finish is past their due date."""
    bars: list[dict[str, Any]] = []
    for wo, progress in _open_work_orders(session):
        states = {op.seq: op for op in progress.operations}
        planned = [op for op in wo.operations
                   if op.planned_start is not None and op.planned_end is not None
                   and states[op.seq].state != OperationState.DONE]  # fmt: skip
        if not planned:
            continue
        finish = max(as_utc(op.planned_end) for op in planned if op.planned_end is not None)
        due = as_utc(wo.due_at)
        for op in planned:
            bars.append({
                "pair_serial": wo.pair.serial, "pair_id": wo.pair_id, "order_number": wo.pair.order.number,
                "work_order_id": wo.id, "seq": op.seq, "operation": op.code, "kind": op.kind,
                "centre": op.planned_centre, "start": _iso(op.planned_start), "end": _iso(op.planned_end),
                "state": states[op.seq].state.value, "due_at": due.isoformat(), "late": finish > due,
            })  # fmt: skip
    bars.sort(key=lambda b: (str(b["centre"]), b["start"], b["pair_id"], b["seq"]))
    return {
        "centres": _centres(session),
        "operations": bars,
        "start": min((b["start"] for b in bars), default=None),
        "end": max((b["end"] for b in bars), default=None),
        "pairs": len({b["pair_id"] for b in bars}),
        "late_pairs": len({b["pair_id"] for b in bars if b["late"]}),
    }


def station_queues(session: Session) -> dict[str, Any]:
    """Per work centre: the operations in progress there, ready (or back for rework) and blocked, ready ones by
    planned start then due date. An operation goes to the centre it is running at, else to its planned one;
    operations with neither (not scheduled yet) are listed per kind under ``unassigned``."""
    centres = _centres(session)
    queues = {c["code"]: {"centre": c["code"], "kind": c["kind"], "stations": c["stations"], "in_progress": [],
                          "ready": [], "blocked": []} for c in centres}  # fmt: skip
    unassigned: dict[str, dict[str, Any]] = {}
    for wo, progress in _open_work_orders(session):
        rows = {op.seq: op for op in wo.operations}
        for status in progress.operations:
            bucket = _QUEUED.get(status.state)
            if bucket is None:
                continue
            op = rows[status.seq]
            running_at = status.station if status.state == OperationState.IN_PROGRESS else None
            centre = (
                running_at if running_at in queues else (op.planned_centre if op.planned_centre in queues else None)
            )
            item = {
                "pair_serial": wo.pair.serial, "order_number": wo.pair.order.number, "work_order_id": wo.id,
                "seq": op.seq, "operation": op.code, "kind": op.kind, "state": status.state.value,
                "station": status.station, "started_at": _iso(status.started_at),
                "planned_start": _iso(op.planned_start), "standard_minutes": op.standard_minutes,
                "due_at": _iso(wo.due_at),
            }  # fmt: skip
            target = queues[centre] if centre is not None else unassigned.setdefault(
                op.kind, {"kind": op.kind, "in_progress": [], "ready": [], "blocked": []})  # fmt: skip
            target[bucket].append(item)
    for queue in [*queues.values(), *unassigned.values()]:
        queue["ready"].sort(key=lambda i: (i["planned_start"] or "9999", i["due_at"] or "9999", i["pair_serial"]))
    return {"queues": list(queues.values()), "unassigned": sorted(unassigned.values(), key=lambda u: u["kind"])}


def replan(session: Session, now: datetime | None = None, time_limit_s: float = 5.0) -> dict[str, Any]:
    """Re-plan every open work order (``service.reschedule``: stores each operation's plan) and summarise."""
    result: Replan = reschedule(session, now=now, time_limit_s=time_limit_s)
    serials = repositories.serials_of(session, result.pair_eta)
    schedule = result.schedule
    return {
        "method": schedule.method, "status": schedule.status, "seconds": round(schedule.seconds, 3),
        "work_orders": result.work_orders, "operations": len(schedule.placements),
        "weighted_tardiness": schedule.weighted_tardiness, "makespan_minutes": schedule.makespan,
        "pair_eta": {serials[pid]: eta.isoformat() for pid, eta in sorted(result.pair_eta.items())},
    }  # fmt: skip
