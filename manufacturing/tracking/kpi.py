"""KPIs from the tracking record, pure over plain rows: order lead time (order placed → its last pair packed),
order processing time (first operation started → last pair done), on-time delivery (pairs done by their due
date), output per worker (operations finished), defect rate (failed inspections / inspections) and first-pass
yield. The shell (``kpis``) loads work orders and events and calls ``compute_kpis``."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from manufacturing.db import repositories
from manufacturing.states import WorkOrderState
from manufacturing.tracking import repository
from manufacturing.tracking.summary import progress_of


@dataclass(frozen=True)
class PairRecord:
    order_id: int
    order_placed_at: datetime
    due_at: datetime
    done: bool
    first_started_at: datetime | None
    done_at: datetime | None  # the last completion, when done
    finishes_by_worker: dict[str, int]
    qc_passed: int
    qc_failed: int


def _hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600


def _summary(values: Sequence[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)
    return {"n": len(values), "median_h": round(statistics.median(values), 2),
            "p90_h": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 2)}  # fmt: skip


def compute_kpis(pairs: Sequence[PairRecord]) -> dict[str, Any]:
    orders: dict[int, list[PairRecord]] = {}
    for p in pairs:
        orders.setdefault(p.order_id, []).append(p)
    lead, processing = [], []
    for rows in orders.values():
        if all(r.done and r.done_at for r in rows):
            last = max(r.done_at for r in rows if r.done_at)
            lead.append(_hours(rows[0].order_placed_at, last))
            starts = [r.first_started_at for r in rows if r.first_started_at]
            if starts:
                processing.append(_hours(min(starts), last))
    done = [p for p in pairs if p.done and p.done_at]
    workers: dict[str, int] = {}
    for p in pairs:
        for w, n in p.finishes_by_worker.items():
            workers[w] = workers.get(w, 0) + n
    inspections = sum(p.qc_passed + p.qc_failed for p in pairs)
    inspected = [p for p in pairs if p.qc_passed + p.qc_failed]
    return {
        "pairs": len(pairs), "pairs_done": len(done), "orders": len(orders), "orders_done": len(lead),
        "order_lead_time": _summary(lead), "order_processing_time": _summary(processing),
        "on_time_delivery": round(sum(bool(p.done_at and p.done_at <= p.due_at) for p in done) / len(done), 3)
        if done else None,
        "output_per_worker": dict(sorted(workers.items())),
        "defect_rate": round(sum(p.qc_failed for p in pairs) / inspections, 3) if inspections else None,
        "first_pass_yield": round(sum(p.qc_failed == 0 for p in inspected) / len(inspected), 3) if inspected else None,
    }  # fmt: skip


def kpis(session: Session) -> dict[str, Any]:
    records = []
    for wo in repository.work_orders_with_pairs(session):
        events = repositories.events_of_pair(session, wo.pair_id)
        progress = progress_of(wo, events)
        finishes = [e for e in events if e.event_type in ("finished", "qc_passed")]
        by_worker: dict[str, int] = {}
        for e in finishes:
            worker = (e.payload or {}).get("worker")
            if worker:
                by_worker[str(worker)] = by_worker.get(str(worker), 0) + 1
        starts = [e.occurred_at for e in events if e.event_type == "started"]
        records.append(PairRecord(
            wo.pair.order_id, wo.pair.order.created_at, wo.due_at, progress.state == WorkOrderState.DONE,
            min(starts) if starts else None, max(e.occurred_at for e in finishes) if finishes else None, by_worker,
            sum(e.event_type == "qc_passed" for e in events), sum(e.event_type == "qc_failed" for e in events),
        ))  # fmt: skip
    return compute_kpis(records)
