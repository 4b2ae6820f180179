"""The ledger's shell: append entries for stored events, seal days, verify a pair or everything. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from manufacturing.clock import as_utc, utc_now
from manufacturing.db import repositories
from manufacturing.db.models import TrackingEvent
from manufacturing.ledger import repository
from manufacturing.ledger.ledger import EVENT, Link, event_fact, make_link, merkle_root
from manufacturing.ledger.verify import Problem, Verification, verify_chain, verify_day


@dataclass(frozen=True)
class LedgerReport:
    pairs: int
    entries: int
    days_checked: int
    verifications: tuple[Verification, ...]
    day_problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.day_problems and all(v.ok for v in self.verifications)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "pairs": self.pairs, "entries": self.entries, "days_checked": self.days_checked,
            "tampered_pairs": [v.to_json() for v in self.verifications if not v.ok],
            "day_problems": [{"what": p.what, "message": p.message} for p in self.day_problems],
        }  # fmt: skip


def record_event_once(session: Session, event: TrackingEvent, now: datetime | None = None
                      ) -> tuple[TrackingEvent, bool]:  # fmt: skip
    """Store one tracking event unless its ``event_id`` is stored, and chain it into its pair's ledger: the one
    path for events that do not come through ingest (terminals, cutting machines, the stores), so every stored
    event has its entry. Returns (the stored event, added?)."""
    repositories.lock_pairs(session, [event.pair_id])
    existing = repositories.find_event(session, event.event_id)
    if existing is not None:
        return existing, False
    now = as_utc(now or utc_now())
    event.received_at = event.received_at or now
    session.add(event)
    session.flush()
    row = {"event_id": event.event_id, "pair_id": event.pair_id, "event_type": event.event_type,
           "operation": event.operation, "station": event.station, "occurred_at": as_utc(event.occurred_at),
           "source": event.source, "payload": event.payload or {}}  # fmt: skip
    append_events(session, [row], repositories.serials_of(session, [event.pair_id]), now)
    return event, True


def fact_of(row: TrackingEvent) -> dict[str, Any]:
    return event_fact(row.event_id, row.event_type, row.operation, row.station, as_utc(row.occurred_at), row.source,
                      row.payload or {})  # fmt: skip


def append_events(
    session: Session, rows: Sequence[dict[str, Any]], serials: dict[int, str], now: datetime
) -> list[Link]:
    """Chain one entry per stored event (``rows`` as inserted into ``tracking_event``), per pair in the given
    order. The caller holds the pairs' locks."""
    heads = repository.heads(session, sorted({r["pair_id"] for r in rows}))
    links = []
    for row in rows:
        fact = event_fact(row["event_id"], row["event_type"], row["operation"], row["station"], row["occurred_at"],
                          row["source"], row["payload"])  # fmt: skip
        link = make_link(row["pair_id"], serials[row["pair_id"]], heads.get(row["pair_id"]), now, EVENT, fact)
        heads[row["pair_id"]] = (link.seq, link.entry_hash)
        links.append(link)
    repository.append_links(session, links, now)
    return links


def seal_days(session: Session, now: datetime | None = None) -> list[tuple[str, str, int]]:
    """Seal every day before today (UTC) that has entries and no root: (day, root, leaves) for each."""
    now = as_utc(now or utc_now())
    sealed = []
    for day in repository.unsealed_days_before(session, now.date().isoformat()):
        leaves = repository.day_leaves(session, day)
        root = merkle_root(leaves)
        repository.add_root(session, day, root, len(leaves), now)
        sealed.append((day, root, len(leaves)))
    return sealed


def _days(session: Session, days: Sequence[str]) -> tuple[int, list[Problem]]:
    roots = repository.sealed_days(session, days)
    problems = []
    for day, (root, leaves) in sorted(roots.items()):
        problem = verify_day(day, repository.day_leaves(session, day), root, leaves)
        if problem is not None:
            problems.append(problem)
    return len(roots), problems


def verify_pair(session: Session, serial: str) -> Verification:
    """One pair's chain, head, events and the sealed days it touches."""
    pair = repositories.get_pair_by_serial(session, serial)
    links = repository.chain(session, pair.id)
    facts = {e.event_id: fact_of(e) for e in repositories.events_of_pair(session, pair.id)}
    result = verify_chain(serial, links, repository.heads(session, [pair.id]).get(pair.id), facts)
    _, day_problems = _days(session, sorted({k.day for k in links}))
    return Verification(result.serial, result.entries, result.head_hash, (*result.problems, *day_problems))


def verify_all(session: Session) -> LedgerReport:
    chains = repository.chains(session)
    heads = repository.all_heads(session)
    events = repositories.all_events(session)
    pair_ids = sorted(chains.keys() | heads.keys() | events.keys())
    serials = repositories.serials_of(session, pair_ids)
    results = tuple(
        verify_chain(serials.get(pid, f"#{pid}"), chains.get(pid, []), heads.get(pid),
                     {e.event_id: fact_of(e) for e in events.get(pid, [])})
        for pid in pair_ids
    )  # fmt: skip
    days_checked, day_problems = _days(session, sorted(repository.sealed_days(session)))
    return LedgerReport(len(pair_ids), sum(len(c) for c in chains.values()), days_checked, results,
                        tuple(day_problems))  # fmt: skip
