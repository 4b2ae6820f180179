"""Ingest, the shell: store scan events idempotently (by ``event_id``) and chain them into each pair's ledger, in
one unit of work; the duration models learn from them in a follow-up step (``learning``), off the request.

Duplicates (a resent message, a redelivered MQTT packet) are dropped by event id; events may arrive in any
order, since every state is derived by replaying them by ``occurred_at``. Events are facts from readers and
machines, so they are stored even when they contradict the planned flow (the terminal path with checks is
``planning.service.record_operation_event``); the progress view shows what they add up to.

What is refused, event by event (the others of the batch are stored; ``IngestResult.refused`` names each with
its index and a typed error): an unknown pair (``UnknownPairError``), an operation outside the pair's routing
(``UnknownOperationError``; before the work order is released, outside every routing), and an ``event_id``
already used for a different event (``EventConflictError``: a resend must be the same event). Each pair's
progress summary (``summary``) is brought up to date in the same transaction.

A batch costs a fixed handful of statements whatever its size: the pairs by serial, their routings, their
locks, their summaries, one ``INSERT … ON CONFLICT DO NOTHING RETURNING`` for the events (the conflict is the
idempotency; the rows it skipped are read back to tell a resend from a conflict), the ledger heads, one insert
of the entries, one upsert of the heads and one of the summaries (plus one read of the events of pairs whose
state the new facts change).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from geometry.errors import CspmsError
from manufacturing.clock import as_utc, utc_now
from manufacturing.db import repositories
from manufacturing.db.session import session_scope
from manufacturing.ledger.service import append_events
from manufacturing.tracking import repository, summary
from manufacturing.tracking.events import (
    EventConflictError,
    ScanEvent,
    UnknownOperationError,
    UnknownPairError,
    reference_problem,
    same_fact,
)
from manufacturing.tracking.learning import TIMED_EVENT_TYPES, StoredTimedEvent, learn_committed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefusedEvent:
    """An event of a batch that was not stored, and why (a typed error: its ``code``, message and details)."""

    index: int  # its place in the batch
    event_id: str
    error: CspmsError

    @property
    def code(self) -> str:
        return self.error.code

    @property
    def message(self) -> str:
        return self.error.message

    @property
    def details(self) -> dict[str, object]:
        return self.error.details

    def to_json(self) -> dict[str, object]:
        return {"index": self.index, "event_id": self.event_id, "code": self.code, "message": self.message,
                "details": self.details}  # fmt: skip


@dataclass(frozen=True)
class IngestResult:
    received: int
    stored: int
    duplicates: int  # resent: the same event was stored before (or earlier in the batch)
    unknown_serials: tuple[str, ...] = field(default_factory=tuple)  # not stored: no such pair
    observations: int = 0  # learned inline (0 when a background learner does it)
    timed: tuple[StoredTimedEvent, ...] = field(default_factory=tuple, repr=False)  # what learning needs
    refused: tuple[RefusedEvent, ...] = ()  # not stored, by index: unknown pair or operation, conflicting id

    def to_json(self) -> dict[str, object]:
        return {"received": self.received, "stored": self.stored, "duplicates": self.duplicates,
                "unknown_serials": list(self.unknown_serials), "observations": self.observations,
                "refused": [r.to_json() for r in self.refused]}  # fmt: skip


class Learner(Protocol):
    def submit(self, new: Sequence[StoredTimedEvent]) -> None: ...


def ingest(session: Session, events: Sequence[ScanEvent], now: datetime | None = None) -> IngestResult:
    """Store the new events of a batch, append them to their pairs' ledgers (in ``occurred_at`` order) and bring
    their pairs' summaries up to date; refuse (``refused``) the events that name an unknown pair or operation or
    reuse an event id for another event. The result's ``timed`` lists the stored timed events, for
    ``learning.learn_durations`` after the commit."""
    now = as_utc(now or utc_now())
    refused: list[RefusedEvent] = []
    unique: dict[str, tuple[int, ScanEvent]] = {}
    for index, e in enumerate(events):
        first = unique.setdefault(e.event_id, (index, e))
        if first[1] != e:
            refused.append(_conflict(index, e, f"event {first[0]} of the batch"))
    pairs = repositories.pair_ids_by_serial(session, (e.pair_serial for _, e in unique.values()))
    routings = repository.routings_of_pairs(session, list(pairs.values()))
    accepted: list[tuple[int, ScanEvent]] = []
    for index, e in unique.values():
        pair_id = pairs.get(e.pair_serial)
        if pair_id is None:
            refused.append(RefusedEvent(index, e.event_id, UnknownPairError(
                f"pair {e.pair_serial} does not exist", field="pair_serial", serial=e.pair_serial)))  # fmt: skip
            continue
        routing = routings.get(pair_id)
        problem = reference_problem(e.event_type, e.operation, None if routing is None else routing[1])
        if problem is not None:
            refused.append(RefusedEvent(index, e.event_id, UnknownOperationError(
                f"{e.pair_serial}: {problem}", field="operation", operation=e.operation)))  # fmt: skip
            continue
        accepted.append((index, e))
    accepted.sort(key=lambda item: (item[1].occurred_at, item[1].event_id))
    known = [e for _, e in accepted]
    # The pairs' locks come first, so a pair's events are stored and chained in commit order.
    repositories.lock_pairs(session, (pairs[e.pair_serial] for e in known))
    before = summary.snapshot(session, {pairs[e.pair_serial] for e in known})
    rows: list[dict[str, Any]] = [
        {"event_id": e.event_id, "pair_id": pairs[e.pair_serial], "station": e.station, "operation": e.operation,
         "event_type": e.event_type, "occurred_at": e.occurred_at, "received_at": now, "source": e.reader_id,
         "payload": dict(e.payload)}
        for e in known
    ]  # fmt: skip
    stored = repository.insert_new_events(session, rows)
    new = [r for r in rows if r["event_id"] in stored]
    # The ids it skipped: a resend of the very event is a duplicate; another event under that id is a conflict.
    earlier = repository.events_by_event_id(session, [e.event_id for e in known if e.event_id not in stored])
    for index, e in accepted:
        row = earlier.get(e.event_id)
        if row is not None and not same_fact(e, pairs[e.pair_serial], row):
            refused.append(_conflict(index, e, "an event stored before"))
    append_events(session, new, {pid: serial for serial, pid in pairs.items()}, now)
    summary.fold_in(
        session, before,
        [summary.EventRow(stored[r["event_id"]], r["event_id"], r["station"], r["operation"], r["event_type"],
                          r["occurred_at"], r["payload"]) for r in new],
        {r["event_id"]: r["pair_id"] for r in new},
        {pid: routings[pid][0] if pid in routings else None for pid in {r["pair_id"] for r in new}}, now,
    )  # fmt: skip
    timed = tuple(StoredTimedEvent(stored[r["event_id"]], r["pair_id"]) for r in new
                  if r["event_type"] in TIMED_EVENT_TYPES)  # fmt: skip
    refused.sort(key=lambda r: r.index)
    unknown = tuple(sorted({str(r.details["serial"]) for r in refused if isinstance(r.error, UnknownPairError)}))
    duplicates = len(events) - len(new) - len(refused)
    return IngestResult(len(events), len(new), duplicates, unknown, 0, timed, tuple(refused))


def _conflict(index: int, event: ScanEvent, other: str) -> RefusedEvent:
    return RefusedEvent(index, event.event_id, EventConflictError(
        f"event id {event.event_id} is already used by {other}, with different content: a resend must be the same "
        "event (give a new event a new id)", field="event_id", event_id=event.event_id))  # fmt: skip


def ingest_committed(
    sessions: sessionmaker[Session], events: Sequence[ScanEvent], now: datetime | None = None, attempts: int = 3,
    learner: Learner | None = None,
) -> IngestResult:  # fmt: skip
    """``ingest`` in its own unit of work (the commit boundary of the MQTT listener and the HTTP route), retried
    when a concurrent writer won a race (a ledger seq): the retry finds its rows and skips. Then the durations
    learn from what was stored: handed to ``learner`` (a background thread), or inline in a second unit of work."""
    for attempt in range(1, attempts + 1):
        try:
            with session_scope(sessions) as session:
                result = ingest(session, events, now)
            break
        except IntegrityError:
            if attempt == attempts:
                raise
            log.info("ingest raced another writer; retrying (%d/%d)", attempt, attempts)
            time.sleep(0.01 * attempt)
    if learner is not None:
        learner.submit(result.timed)
        return result
    try:
        learned = learn_committed(sessions, result.timed)
    except Exception:  # the events are committed; the models are advisory (learning.relearn_all rebuilds them)
        log.exception("learning durations failed after ingest")
        return result
    return replace(result, observations=learned)
