"""Ingest, the shell: store scan events idempotently (by ``event_id``) and chain them into each pair's ledger, in
one unit of work; the duration models learn from them in a follow-up step (``learning``), off the request.

Duplicates (a resent message, a redelivered MQTT packet) are dropped by event id; events may arrive in any
order, since every state is derived by replaying them by ``occurred_at``. Events are facts from readers and
machines, so they are stored even when they contradict the planned flow (the terminal path with checks is
``planning.service.record_operation_event``); the progress view shows what they add up to.

A batch costs a fixed handful of statements whatever its size: the pairs by serial, their locks, one
``INSERT … ON CONFLICT DO NOTHING RETURNING`` for the events (the conflict is the idempotency), the ledger
heads, one insert of the entries and one upsert of the heads.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from manufacturing.clock import as_utc, utc_now
from manufacturing.db import repositories
from manufacturing.db.session import session_scope
from manufacturing.ledger.service import append_events
from manufacturing.tracking import repository
from manufacturing.tracking.events import ScanEvent
from manufacturing.tracking.learning import TIMED_EVENT_TYPES, StoredTimedEvent, learn_committed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    received: int
    stored: int
    duplicates: int
    unknown_serials: tuple[str, ...] = field(default_factory=tuple)  # not stored: no such pair
    observations: int = 0  # learned inline (0 when a background learner does it)
    timed: tuple[StoredTimedEvent, ...] = field(default_factory=tuple, repr=False)  # what learning needs

    def to_json(self) -> dict[str, object]:
        return {"received": self.received, "stored": self.stored, "duplicates": self.duplicates,
                "unknown_serials": list(self.unknown_serials), "observations": self.observations}  # fmt: skip


class Learner(Protocol):
    def submit(self, new: Sequence[StoredTimedEvent]) -> None: ...


def ingest(session: Session, events: Sequence[ScanEvent], now: datetime | None = None) -> IngestResult:
    """Store the new events of a batch and append them to their pairs' ledgers (in ``occurred_at`` order). The
    result's ``timed`` lists the stored timed events, for ``learning.learn_durations`` after the commit."""
    now = as_utc(now or utc_now())
    unique: dict[str, ScanEvent] = {}
    for e in events:
        unique.setdefault(e.event_id, e)
    pairs = repositories.pair_ids_by_serial(session, (e.pair_serial for e in unique.values()))
    unknown = tuple(sorted({e.pair_serial for e in unique.values() if e.pair_serial not in pairs}))
    known = sorted((e for e in unique.values() if e.pair_serial in pairs), key=lambda e: (e.occurred_at, e.event_id))
    # The pairs' locks come first, so a pair's events are stored and chained in commit order.
    repositories.lock_pairs(session, (pairs[e.pair_serial] for e in known))
    rows = [
        {"event_id": e.event_id, "pair_id": pairs[e.pair_serial], "station": e.station, "operation": e.operation,
         "event_type": e.event_type, "occurred_at": e.occurred_at, "received_at": now, "source": e.reader_id,
         "payload": dict(e.payload)}
        for e in known
    ]  # fmt: skip
    stored = repository.insert_new_events(session, rows)
    new = [r for r in rows if r["event_id"] in stored]
    append_events(session, new, {pid: serial for serial, pid in pairs.items()}, now)
    timed = tuple(StoredTimedEvent(stored[r["event_id"]], r["pair_id"]) for r in new
                  if r["event_type"] in TIMED_EVENT_TYPES)  # fmt: skip
    duplicates = len(events) - len(new) - sum(1 for e in events if e.pair_serial in unknown)
    return IngestResult(len(events), len(new), duplicates, unknown, 0, timed)


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
    return IngestResult(result.received, result.stored, result.duplicates, result.unknown_serials, learned,
                        result.timed)  # fmt: skip
