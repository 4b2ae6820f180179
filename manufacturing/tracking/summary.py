"""Each pair's progress summary (table ``pair_progress``): its work order's derived state, each operation's, the
event count, its newest event and the events that cannot be replayed, so the order, progress and tracking
reads need no replay.

The summary is derived, never the record: replaying the pair's events by ``occurred_at`` over its work order's
routing (``progress_of``, i.e. ``planning.work_orders.derive_progress``) gives it again. Ingest keeps it in the
same transaction as the events it stores (``snapshot`` before the insert, ``fold_in`` after, under the pairs'
locks). Events written elsewhere (terminals, inventory, cutting, QC: ``ledger.service.record_event_once``) and
databases older than the table leave it behind: a read (``summaries``) compares the stored ``last_event_id``
with the pair's newest event (one index probe, ``ix_tracking_event_pair_id_id``) and the work order it was made
for, recomputes what is missing or behind, and stores it. Per pair, event ids grow in commit order (every
writer holds the pair's lock), so an equal newest id means nothing was added since.

A stored event never makes a read fail: one that names no operation of the routing, or whose payload cannot be
read, is skipped by the replay and listed (``invalid_events``, the newest few, and ``invalid_count``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from manufacturing.clock import as_utc, utc_now
from manufacturing.db.models import WorkOrder
from manufacturing.inventory.shortage import Shortage
from manufacturing.planning.routing import Routing
from manufacturing.planning.work_orders import (
    EventType,
    InvalidFact,
    OperationFact,
    OperationStatus,
    Progress,
    derive_progress,
)
from manufacturing.states import OperationState, WorkOrderState
from manufacturing.tracking import repository
from manufacturing.tracking.events import reference_problem

log = logging.getLogger(__name__)

# Bump when what is stored (or how it is derived) changes: older summaries are then recomputed on read.
SUMMARY_VERSION = 1
NOT_RELEASED = "not_released"
MAX_LISTED_INVALID = 20  # the newest invalid events kept in the summary; ``invalid_count`` counts them all
_FACT_TYPES = frozenset(e.value for e in EventType)


class StoredEvent(Protocol):
    """A ``tracking_event`` row, as the ORM or a Core query gives it (read only)."""

    @property
    def id(self) -> int: ...
    @property
    def event_id(self) -> str: ...
    @property
    def station(self) -> str: ...
    @property
    def operation(self) -> str: ...
    @property
    def event_type(self) -> str: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def payload(self) -> Any: ...


@dataclass(frozen=True)
class EventRow:
    """A just-inserted event, as ingest folds it into its pair's summary."""

    id: int
    event_id: str
    station: str
    operation: str
    event_type: str
    occurred_at: datetime
    payload: Any


@dataclass(frozen=True)
class LastSeen:
    station: str
    operation: str
    event_type: str
    occurred_at: datetime

    def to_json(self) -> dict[str, str]:
        return {"station": self.station, "operation": self.operation, "event_type": self.event_type,
                "occurred_at": as_utc(self.occurred_at).isoformat()}  # fmt: skip


@dataclass(frozen=True)
class PairSummary:
    pair_id: int
    work_order_id: int | None
    state: str  # the work order's (states.WorkOrderState value), or ``not_released``
    operations: tuple[OperationStatus, ...]
    material_reserved: bool
    shortages: tuple[Shortage, ...]
    event_count: int
    last_event_id: int  # the newest event id counted; 0 for none
    last_event_at: datetime | None  # the latest occurred_at
    last_seen: LastSeen | None  # the latest event (by occurred_at, then arrival)
    invalid_count: int
    invalid_events: tuple[InvalidFact, ...]  # the newest ``MAX_LISTED_INVALID``
    due_at: datetime | None = None  # the work order's, read with the summary (not stored)

    @property
    def current(self) -> OperationStatus | None:
        """The first operation not done."""
        return next((op for op in self.operations if op.state != OperationState.DONE), None)

    @property
    def done_fraction(self) -> float | None:
        if not self.operations:
            return None
        return round(sum(op.state == OperationState.DONE for op in self.operations) / len(self.operations), 3)

    def progress(self) -> Progress | None:
        """The work order's progress as ``derive_progress`` gave it; None before the work order is released."""
        if self.work_order_id is None:
            return None
        return Progress(WorkOrderState(self.state), self.operations, self.material_reserved, self.shortages,
                        self.invalid_events)  # fmt: skip

    def invalid_json(self) -> list[dict[str, Any]]:
        return [_invalid_json(f) for f in self.invalid_events]

    def row(self, now: datetime) -> dict[str, Any]:
        current = self.current
        return {
            "pair_id": self.pair_id, "version": SUMMARY_VERSION, "work_order_id": self.work_order_id,
            "state": self.state, "current_operation": None if current is None else current.code,
            "done_fraction": self.done_fraction, "material_reserved": self.material_reserved,
            "operations": [_status_json(op) for op in self.operations],
            "shortages": [s.to_dict() for s in self.shortages], "event_count": self.event_count,
            "last_event_id": self.last_event_id, "last_event_at": self.last_event_at,
            "last_seen": None if self.last_seen is None else self.last_seen.to_json(),
            "invalid_count": self.invalid_count, "invalid_events": self.invalid_json(), "updated_at": now,
        }  # fmt: skip

    @classmethod
    def from_row(cls, row: Any, due_at: datetime | None) -> PairSummary:
        seen = row.last_seen
        return cls(
            row.pair_id, row.work_order_id, row.state, tuple(_status(op) for op in row.operations),
            bool(row.material_reserved), tuple(Shortage.from_dict(s) for s in row.shortages), row.event_count,
            row.last_event_id, None if row.last_event_at is None else as_utc(row.last_event_at),
            None if seen is None else LastSeen(seen["station"], seen["operation"], seen["event_type"],
                                               datetime.fromisoformat(seen["occurred_at"])),
            row.invalid_count, tuple(InvalidFact(**f) for f in row.invalid_events),
            None if due_at is None else as_utc(due_at),
        )  # fmt: skip


def _status_json(op: OperationStatus) -> dict[str, Any]:
    return {"seq": op.seq, "code": op.code, "state": op.state.value, "passes": op.passes, "station": op.station,
            "started_at": None if op.started_at is None else as_utc(op.started_at).isoformat()}  # fmt: skip


def _status(data: Mapping[str, Any]) -> OperationStatus:
    started = data.get("started_at")
    return OperationStatus(
        int(data["seq"]), str(data["code"]), OperationState(data["state"]), int(data["passes"]), data.get("station"),
        None if started is None else datetime.fromisoformat(started),
    )  # fmt: skip


def _invalid_json(fact: InvalidFact) -> dict[str, Any]:
    return {"event_id": fact.event_id, "event_type": fact.event_type, "operation": fact.operation,
            "reason": fact.reason}  # fmt: skip


# ---------------------------------------------------------------------------------------------- deriving


def progress_of(work_order: WorkOrder, events: Sequence[StoredEvent]) -> Progress:
    """The work order's progress from its pair's events (in any order); events it cannot replay (an operation
    outside the routing, an unknown type, an unreadable payload) are skipped and listed in ``invalid``."""
    routing = Routing.from_json(work_order.routing)
    codes = frozenset(op.code for op in routing.operations)
    facts, others = [], []
    for e in events:
        if e.event_type in _FACT_TYPES:
            facts.append(OperationFact(EventType(e.event_type), e.operation, as_utc(e.occurred_at), e.station,
                                       e.payload if isinstance(e.payload, Mapping) else {}, e.event_id))  # fmt: skip
            continue
        problem = reference_problem(e.event_type, e.operation, codes)
        if problem is not None:
            others.append(InvalidFact(e.event_id, e.event_type, e.operation, problem))
    progress = derive_progress(routing.operations, facts)
    if not others:
        return progress
    return replace(progress, invalid=(*progress.invalid, *others))


def invalid_reasons(work_order: WorkOrder | None, events: Sequence[StoredEvent]) -> dict[str, str]:
    """{event id: why it cannot be replayed} of the pair's events that cannot (all of them, not the newest few)."""
    if work_order is not None:
        return {f.event_id: f.reason for f in progress_of(work_order, events).invalid if f.event_id is not None}
    return {e.event_id: problem for e in events
            if (problem := reference_problem(e.event_type, e.operation, None)) is not None}  # fmt: skip


def summarize(pair_id: int, work_order: WorkOrder | None, events: Sequence[StoredEvent]) -> PairSummary:
    """The pair's summary from its work order (None: not released yet) and all its events."""
    latest = max(events, key=lambda e: (as_utc(e.occurred_at), e.id), default=None)
    seen = None if latest is None else LastSeen(latest.station, latest.operation, latest.event_type,
                                                as_utc(latest.occurred_at))  # fmt: skip
    newest_id = max((e.id for e in events), default=0)
    if work_order is None:
        invalid = [InvalidFact(e.event_id, e.event_type, e.operation, problem) for e in events
                   if (problem := reference_problem(e.event_type, e.operation, None)) is not None]  # fmt: skip
        return PairSummary(pair_id, None, NOT_RELEASED, (), False, (), len(events), newest_id,
                           None if seen is None else seen.occurred_at, seen, len(invalid),
                           tuple(invalid[-MAX_LISTED_INVALID:]))  # fmt: skip
    progress = progress_of(work_order, events)
    return PairSummary(
        pair_id, work_order.id, progress.state.value, progress.operations, progress.material_reserved,
        progress.shortages, len(events), newest_id, None if seen is None else seen.occurred_at, seen,
        len(progress.invalid), progress.invalid[-MAX_LISTED_INVALID:], as_utc(work_order.due_at),
    )  # fmt: skip


def recompute(session: Session, pair_ids: Iterable[int]) -> dict[int, PairSummary]:
    """Summaries replayed from the stored events (two queries for any number of pairs); not stored."""
    ids = sorted(set(pair_ids))
    work_orders = repository.work_orders_of_pairs(session, ids)
    events = repository.summary_events_of_pairs(session, ids)
    return {pid: summarize(pid, work_orders.get(pid), events.get(pid, [])) for pid in ids}


# ---------------------------------------------------------------------------------------------- reading


def summaries(session: Session, pair_ids: Iterable[int], now: datetime | None = None) -> dict[int, PairSummary]:
    """The pairs' summaries: stored ones that are current (one query), the others recomputed and stored."""
    ids = sorted(set(pair_ids))
    if not ids:
        return {}
    out: dict[int, PairSummary] = {}
    for stored in repository.stored_summaries(session, ids):
        row = stored.summary
        if (row.version == SUMMARY_VERSION and row.last_event_id == (stored.newest_event_id or 0)
                and row.work_order_id == stored.work_order_id):  # fmt: skip
            out[row.pair_id] = PairSummary.from_row(row, stored.due_at)
    behind = [pid for pid in ids if pid not in out]
    if behind:
        fresh = recompute(session, behind)
        _store_quietly(session, list(fresh.values()), as_utc(now or utc_now()))
        out.update(fresh)
    return out


def summary_of(session: Session, pair_id: int) -> PairSummary:
    return summaries(session, [pair_id])[pair_id]


def _store_quietly(session: Session, fresh: Sequence[PairSummary], now: datetime) -> None:
    """Store summaries a read recomputed; a read must answer even when it cannot write (a locked SQLite file, a
    lost race), so a failure is logged and the next read tries again."""
    try:
        if session.get_bind().dialect.name == "postgresql":
            with session.begin_nested():  # a failed write must not abort the read's transaction
                repository.upsert_summaries(session, [s.row(now) for s in fresh])
        else:  # pysqlite's savepoints are unreliable; a failed statement leaves its transaction usable
            repository.upsert_summaries(session, [s.row(now) for s in fresh])
    except DBAPIError:
        log.warning("could not store %d recomputed pair summaries; the next read recomputes them", len(fresh),
                    exc_info=True)  # fmt: skip


# ---------------------------------------------------------------------------------------------- ingest


@dataclass(frozen=True)
class Snapshot:
    """The pairs' stored summaries and newest event ids just before an insert (under the pairs' locks)."""

    summaries: dict[int, PairSummary]
    newest: dict[int, int]


def snapshot(session: Session, pair_ids: Iterable[int]) -> Snapshot:
    ids = sorted(set(pair_ids))
    stored = repository.stored_summaries(session, ids) if ids else []
    summaries_ = {s.summary.pair_id: PairSummary.from_row(s.summary, s.due_at) for s in stored
                  if s.summary.version == SUMMARY_VERSION and s.summary.work_order_id == s.work_order_id}  # fmt: skip
    newest = {s.summary.pair_id: s.newest_event_id or 0 for s in stored}
    return Snapshot(summaries_, newest)


def fold_in(session: Session, before: Snapshot, new: Sequence[StoredEvent], pair_of: Mapping[str, int],
            work_order_ids: Mapping[int, int | None], now: datetime) -> None:  # fmt: skip
    """Bring the summaries of the pairs that got ``new`` events up to date, in the ingest's transaction. A
    summary that was current before takes events that cannot change the work order's state (readers' scans, or
    any event of a pair not released yet) by counting them; the others are replayed."""
    by_pair: dict[int, list[StoredEvent]] = {}
    for e in new:
        by_pair.setdefault(pair_of[e.event_id], []).append(e)
    updated: list[PairSummary] = []
    replay: list[int] = []
    for pid, events in sorted(by_pair.items()):
        current = before.summaries.get(pid)
        countable = current is not None and current.last_event_id == before.newest.get(pid, 0) and (
            work_order_ids.get(pid) is None or all(e.event_type not in _FACT_TYPES for e in events))  # fmt: skip
        if current is None or not countable:
            replay.append(pid)
            continue
        updated.append(_count_in(current, events))
    updated.extend(recompute(session, replay).values())
    repository.upsert_summaries(session, [s.row(now) for s in sorted(updated, key=lambda s: s.pair_id)])


def _count_in(summary: PairSummary, events: Sequence[StoredEvent]) -> PairSummary:
    latest = max(events, key=lambda e: (as_utc(e.occurred_at), e.id))
    seen = summary.last_seen
    if summary.last_event_at is None or as_utc(latest.occurred_at) >= summary.last_event_at:
        # Ties go to the newer arrival, as a replay (by occurred_at, then id) orders them.
        seen = LastSeen(latest.station, latest.operation, latest.event_type, as_utc(latest.occurred_at))
    invalid = [InvalidFact(e.event_id, e.event_type, e.operation, problem) for e in events
               if (problem := reference_problem(e.event_type, e.operation, None)) is not None
               and summary.work_order_id is None]  # fmt: skip
    return replace(
        summary, event_count=summary.event_count + len(events),
        last_event_id=max(summary.last_event_id, *(e.id for e in events)),
        last_event_at=None if seen is None else seen.occurred_at, last_seen=seen,
        invalid_count=summary.invalid_count + len(invalid),
        invalid_events=(*summary.invalid_events, *invalid)[-MAX_LISTED_INVALID:],
    )  # fmt: skip
