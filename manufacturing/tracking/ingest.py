"""Ingest, the shell: store scan events idempotently (by ``event_id``), chain them into each pair's ledger and
fold the operations they complete into the duration models, in one unit of work.

Duplicates (a resent message, a redelivered MQTT packet) are dropped by event id; events may arrive in any
order, since every state is derived by replaying them by ``occurred_at``. Events are facts from readers and
machines, so they are stored even when they contradict the planned flow (the terminal path with checks is
``planning.service.record_operation_event``); the progress view shows what they add up to.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from manufacturing.cutting.jobs import as_utc
from manufacturing.db.models import DurationStat, utc_now
from manufacturing.db.session import session_scope
from manufacturing.ledger.service import append_events
from manufacturing.planning.factory import WorkCalendar
from manufacturing.planning.service import load_factory
from manufacturing.tracking import repository
from manufacturing.tracking.durations import RobustStat, TimedEvent, observations, update
from manufacturing.tracking.events import ScanEvent

log = logging.getLogger(__name__)
_TIMED = ("started", "finished", "qc_passed", "qc_failed")
_calendar_cache: dict[int, WorkCalendar] = {}


@dataclass(frozen=True)
class IngestResult:
    received: int
    stored: int
    duplicates: int
    unknown_serials: tuple[str, ...] = field(default_factory=tuple)  # not stored: no such pair
    observations: int = 0

    def to_json(self) -> dict[str, object]:
        return {"received": self.received, "stored": self.stored, "duplicates": self.duplicates,
                "unknown_serials": list(self.unknown_serials), "observations": self.observations}  # fmt: skip


def _calendar(session: Session) -> WorkCalendar:
    # The factory's shifts change rarely: read once per engine, not per batch.
    key = id(session.get_bind())
    if key not in _calendar_cache:
        _calendar_cache[key] = load_factory(session).calendar()
    return _calendar_cache[key]


def ingest(session: Session, events: Sequence[ScanEvent], now: datetime | None = None) -> IngestResult:
    """Store the new events of a batch, append them to the ledger and update the duration models."""
    now = as_utc(now or utc_now())
    unique: dict[str, ScanEvent] = {}
    for e in events:
        unique.setdefault(e.event_id, e)
    pairs = repository.pair_ids_by_serial(session, (e.pair_serial for e in unique.values()))
    unknown = tuple(sorted({e.pair_serial for e in unique.values() if e.pair_serial not in pairs}))
    known = [e for e in unique.values() if e.pair_serial in pairs]
    repository.lock_pairs(session, (pairs[e.pair_serial] for e in known))
    seen = repository.stored_event_ids(session, (e.event_id for e in known))
    new = sorted((e for e in known if e.event_id not in seen), key=lambda e: e.occurred_at)
    rows = [
        {"event_id": e.event_id, "pair_id": pairs[e.pair_serial], "station": e.station, "operation": e.operation,
         "event_type": e.event_type, "occurred_at": e.occurred_at, "received_at": now, "source": e.reader_id,
         "payload": dict(e.payload)}
        for e in new
    ]  # fmt: skip
    repository.insert_events(session, rows)
    append_events(session, rows, {pid: serial for serial, pid in pairs.items()}, now)
    learned = _learn(session, rows, now)
    duplicates = len(events) - len(new) - sum(1 for e in events if e.pair_serial in unknown)
    return IngestResult(len(events), len(new), duplicates, unknown, learned)


def _learn(session: Session, rows: Sequence[dict[str, object]], now: datetime) -> int:
    """Fold the work and wait observations that the new events complete into the duration stats."""
    timed = [r for r in rows if r["event_type"] in _TIMED]
    if not timed:
        return 0
    new_ids = {r["event_id"] for r in timed}
    history = [TimedEvent(*t) for t in repository.timed_events_of_pairs(session, {r["pair_id"] for r in timed}, _TIMED)]
    calendar = _calendar(session)
    found = [
        o for o in observations(history, lambda a, b: calendar.working_minutes_between(as_utc(a), as_utc(b)))
        if new_ids & set(o.event_ids)
    ]  # fmt: skip
    if not found:
        return 0
    grouped: dict[tuple[str, str, str], list[float]] = {}
    for o in found:
        grouped.setdefault((o.work_centre, o.operation, o.kind), []).append(o.minutes)
    stored = repository.duration_stats(session, grouped.keys(), for_update=True)
    for key in sorted(grouped):
        row = stored.get(key)
        previous = RobustStat(row.count, row.median_minutes, row.mad_minutes, tuple(row.samples)) if row else None
        stat = update(previous, grouped[key])
        if stat is None:
            continue
        if row is None:
            row = DurationStat(work_centre=key[0], operation=key[1], kind=key[2])
            repository.add(session, row)
        row.count, row.median_minutes, row.mad_minutes = stat.count, stat.median_minutes, stat.mad_minutes
        row.samples, row.updated_at = list(stat.samples), now
    session.flush()
    return len(found)


def ingest_committed(
    sessions: sessionmaker[Session], events: Sequence[ScanEvent], now: datetime | None = None, attempts: int = 3
) -> IngestResult:
    """``ingest`` in its own unit of work (the commit boundary of the MQTT listener and the HTTP route), retried
    when a concurrent writer won a race (a unique event id or ledger seq): the retry finds its rows and skips."""
    for attempt in range(1, attempts + 1):
        try:
            with session_scope(sessions) as session:
                return ingest(session, events, now)
        except IntegrityError:
            if attempt == attempts:
                raise
            log.info("ingest raced another writer; retrying (%d/%d)", attempt, attempts)
            time.sleep(0.01 * attempt)
    raise AssertionError("unreachable")
