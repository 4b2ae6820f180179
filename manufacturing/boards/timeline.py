"""A pair's timeline for the staff: everything that happened to it, oldest first: the order, its pipeline stages,
the work order's release, every shop-floor event (as stored, readers' extra events included; one the progress
cannot replay marked ``invalid`` with the reason), its QC inspections (started, judged) and the customer's fit
feedback; with the pair's progress now. Services never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from manufacturing.clock import as_utc
from manufacturing.db import repositories
from manufacturing.feedback import repository as feedback_repository
from manufacturing.qc import repository as qc_repository
from manufacturing.qc.service import checkpoint_states
from manufacturing.tracking import repository
from manufacturing.tracking.service import pair_progress
from manufacturing.tracking.summary import invalid_reasons

# Ties (same instant) keep this order: the cause before what followed from it.
_KIND_ORDER = {"order": 0, "pipeline": 1, "work_order": 2, "event": 3, "qc": 4, "feedback": 5}


def _entry(at: datetime, kind: str, title: str, **details: Any) -> dict[str, Any]:
    return {"at": as_utc(at).isoformat(), "kind": kind, "title": title, **details}


def pair_timeline(session: Session, serial: str) -> dict[str, Any]:
    """``{"serial", "order_number", "style", "progress", "qc_checkpoints", "entries"}``; ``progress`` is
    ``pair_progress``'s (the work order and each operation's derived state)."""
    pair = repositories.get_pair_by_serial(session, serial)
    order = pair.order
    entries = [_entry(order.created_at, "order", f"Order {order.number} placed", order_number=order.number)]
    for run in repositories.runs_for_pair(session, pair.id):
        for stage in run.stage_runs:
            at = stage.finished_at or stage.started_at
            if at is None:
                continue
            entries.append(_entry(at, "pipeline", f"{stage.stage} {stage.state.value}", run_id=run.id,
                                  stage=stage.stage, state=stage.state.value,
                                  error=stage.error_message))  # fmt: skip
    work_order = repository.work_order_of_pair(session, pair.id)
    if work_order is not None:
        entries.append(_entry(work_order.released_at, "work_order", "Work order released",
                              work_order_id=work_order.id, due_at=as_utc(work_order.due_at).isoformat()))  # fmt: skip
    events = repositories.events_of_pair(session, pair.id)
    invalid = invalid_reasons(work_order, events)
    for event in events:
        worker = event.payload.get("worker") if isinstance(event.payload, dict) else None
        marked = {"invalid": invalid[event.event_id]} if event.event_id in invalid else {}
        entries.append(_entry(event.occurred_at, "event", f"{event.operation}: {event.event_type}",
                              event_id=event.event_id, event_type=event.event_type, operation=event.operation,
                              station=event.station, source=event.source,
                              worker=None if worker is None else str(worker), **marked))  # fmt: skip
    for inspection in qc_repository.inspections_of_pair(session, pair.id):
        label = f"QC {inspection.checkpoint} #{inspection.attempt}"
        common = {"inspection_id": inspection.id, "checkpoint": inspection.checkpoint,
                  "attempt": inspection.attempt, "inspector": inspection.inspector}  # fmt: skip
        entries.append(_entry(inspection.started_at, "qc", f"{label} started", **common))
        if inspection.completed_at is not None:
            verdict = "passed" if inspection.passed else "failed"
            entries.append(_entry(inspection.completed_at, "qc", f"{label} {verdict}", **common,
                                  passed=bool(inspection.passed), defect_codes=list(inspection.defect_codes or ()),
                                  rework_to=inspection.rework_to))  # fmt: skip
    feedback = feedback_repository.feedback_of_pair(session, pair.id)
    if feedback is not None:
        entries.append(_entry(feedback.received_at, "feedback", "Fit feedback received", answers=feedback.answers,
                              comment=feedback.comment))  # fmt: skip
    entries.sort(key=lambda e: (datetime.fromisoformat(e["at"]), _KIND_ORDER[e["kind"]]))
    return {
        "serial": pair.serial,
        "order_number": order.number,
        "style": pair.design.style,
        "progress": pair_progress(session, serial),
        "qc_checkpoints": {c.value: s.value for c, s in checkpoint_states(session, pair.id).items()},
        "entries": entries,
    }
