"""Learning durations from stored events, the shell: a follow-up step after ingest commits, off the request.

Each stored event is learned from exactly once: an observation (start → finish, previous completion → start)
is counted by the step that stored the *later-stored* of its two events (by row id). Ingest appends a pair's
events under the pair's lock, so by then the earlier one is committed and visible; a resend stores nothing and
so learns nothing. Only the new events' pairs are read, and the calendar arithmetic is done only for the
observations the new events complete.

``DurationLearner`` runs the step in a background thread, coalescing many ingest batches into one transaction
(one read of the stats rows, one write each); ``learn_committed`` runs it inline (the MQTT listener, tests).
Learning is advisory: if the process dies with observations queued, they are missing from the models (the
events themselves are committed), and ``relearn_all`` rebuilds every model from the stored events.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from manufacturing.clock import as_utc, utc_now
from manufacturing.db.models import DurationStat
from manufacturing.db.session import session_scope
from manufacturing.planning.factory import WorkCalendar
from manufacturing.planning.service import load_factory
from manufacturing.tracking import repository
from manufacturing.tracking.durations import Key, Observation, RobustStat, TimedEvent, observations, update

log = logging.getLogger(__name__)
TIMED_EVENT_TYPES = ("started", "finished", "qc_passed", "qc_failed")
_calendar_cache: dict[int, WorkCalendar] = {}


@dataclass(frozen=True)
class StoredTimedEvent:
    """What learning needs to know of a newly stored timed event: its row id and its pair."""

    stored_id: int
    pair_id: int


def _calendar(session: Session) -> WorkCalendar:
    # The factory's shifts change rarely: read once per engine, not per batch.
    key = id(session.get_bind())
    if key not in _calendar_cache:
        _calendar_cache[key] = load_factory(session).calendar()
    return _calendar_cache[key]


def learn_durations(session: Session, new: Iterable[StoredTimedEvent], now: datetime | None = None) -> int:
    """Fold the observations that the ``new`` events complete into the duration stats; how many."""
    new_ids = {e.stored_id for e in new}
    pair_ids = {e.pair_id for e in new}
    if not new_ids:
        return 0
    history = [TimedEvent._make(row) for row in repository.timed_events_of_pairs(session, pair_ids, TIMED_EVENT_TYPES)]
    calendar = _calendar(session)
    found = observations(
        history, lambda a, b: calendar.working_minutes_between(as_utc(a), as_utc(b)),
        wanted=lambda a, b: max(a.stored_id, b.stored_id) in new_ids,
    )  # fmt: skip
    return _fold(session, found, as_utc(now or utc_now()))


def _fold(session: Session, found: Iterable[Observation], now: datetime) -> int:
    grouped: dict[Key, list[float]] = {}
    for o in found:
        grouped.setdefault((o.work_centre, o.operation, o.kind), []).append(o.minutes)
    if not grouped:
        return 0
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
    return sum(len(v) for v in grouped.values())


def learn_committed(sessions: sessionmaker[Session], new: Iterable[StoredTimedEvent]) -> int:
    """``learn_durations`` in its own unit of work."""
    new = list(new)
    if not new:
        return 0
    with session_scope(sessions) as session:
        return learn_durations(session, new)


def relearn_all(session: Session, now: datetime | None = None) -> int:
    """Rebuild every duration model from every stored timed event, in the order they were stored (after a crash
    lost queued learning): the same models as learning them batch by batch."""
    history = [TimedEvent._make(row) for row in repository.timed_events_of_pairs(session, None, TIMED_EVENT_TYPES)]
    stored_id = {e.event_id: e.stored_id for e in history}
    calendar = _calendar(session)
    found = observations(history, lambda a, b: calendar.working_minutes_between(as_utc(a), as_utc(b)))
    found.sort(key=lambda o: max(stored_id[o.event_ids[0]], stored_id[o.event_ids[1]]))
    repository.delete_duration_stats(session)
    return _fold(session, found, as_utc(now or utc_now()))


class DurationLearner:
    """A background thread learning from what ingest stored, ``flush_s`` apart at most, many batches at once."""

    def __init__(self, sessions: sessionmaker[Session], flush_s: float = 0.5) -> None:
        self.sessions, self.flush_s = sessions, flush_s
        self.learned = 0
        self.failures = 0
        self._inbox: queue.Queue[list[StoredTimedEvent]] = queue.Queue()
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._pending = 0
        self._thread: threading.Thread | None = None

    def submit(self, new: Iterable[StoredTimedEvent]) -> None:
        new = list(new)
        if not new:
            return
        with self._idle:
            self._pending += 1
        self._inbox.put(new)
        if self._thread is None:
            self.start()

    def start(self) -> None:
        with self._idle:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="duration-learner", daemon=True)
            self._thread.start()
        atexit.register(self.stop)

    def _run(self) -> None:
        while not (self._stop.is_set() and self._inbox.empty()):
            try:
                first = self._inbox.get(timeout=0.1)
            except queue.Empty:
                continue
            items = [first]
            deadline = time.monotonic() + (0.0 if self._stop.is_set() else self.flush_s)
            while time.monotonic() < deadline or not self._inbox.empty():
                try:
                    items.append(self._inbox.get(timeout=max(0.0, deadline - time.monotonic())))
                except queue.Empty:
                    break
            try:
                self.learned += learn_committed(self.sessions, [e for batch in items for e in batch])
            except Exception:  # the models are advisory: log, keep serving (relearn_all recovers)
                self.failures += 1
                log.exception("learning durations failed for %d batches", len(items))
            with self._idle:
                self._pending -= len(items)
                self._idle.notify_all()

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until everything submitted so far is learned; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout_s)

    def stop(self, timeout_s: float = 30.0) -> None:
        self.flush(timeout_s)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
