"""The ledger's shell: append entries for stored events, seal days and intervals, verify a pair or everything
against the published seals. Never commits, except ``seal_committed`` (a unit of work of its own: it publishes
after its commit)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from manufacturing.clock import as_utc, utc_now
from manufacturing.db import repositories
from manufacturing.db.models import TrackingEvent
from manufacturing.db.session import session_scope
from manufacturing.ledger import repository
from manufacturing.ledger.ledger import EVENT, GENESIS, Link, event_fact, make_link, merkle_root
from manufacturing.ledger.publish import RootsFile
from manufacturing.ledger.seals import (
    PublishedRoots,
    Seal,
    SealCheck,
    SealProblem,
    Span,
    check_seals,
    compare_with_published,
    make_seal,
)
from manufacturing.ledger.verify import Problem, Verification, verify_chain, verify_day

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LedgerReport:
    pairs: int
    entries: int
    days_checked: int
    verifications: tuple[Verification, ...]
    day_problems: tuple[Problem, ...]
    seals_checked: int = 0
    seal_problems: tuple[SealProblem, ...] = field(default_factory=tuple)
    unsealed_entries: int = 0  # recorded since the last seal: sealed by the next one
    published: bool = False  # checked against the published seals (else the database's own seal rows)

    @property
    def ok(self) -> bool:
        return not self.day_problems and not self.seal_problems and all(v.ok for v in self.verifications)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "pairs": self.pairs, "entries": self.entries, "days_checked": self.days_checked,
            "tampered_pairs": [v.to_json() for v in self.verifications if not v.ok],
            "day_problems": [{"what": p.what, "message": p.message} for p in self.day_problems],
            "seals_checked": self.seals_checked, "against_published": self.published,
            "seal_problems": [p.to_json() for p in self.seal_problems], "unsealed_entries": self.unsealed_entries,
        }  # fmt: skip


@dataclass(frozen=True)
class SealOutcome:
    """What one sealing did: the new seal (None when nothing was due), and the seals published after the
    commit (earlier ones a crash left unpublished included)."""

    seal: Seal | None
    published: tuple[int, ...] = ()
    publish_error: str | None = None


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


def _reference(session: Session, published: PublishedRoots | None) -> tuple[dict[int, Seal], list[SealProblem]]:
    """The roots to check against: the published seals (and the database's rows compared with them), or,
    without the published file, the database's own seal rows."""
    stored = repository.seals(session)
    if published is None:
        return stored, []
    return {**stored, **published.seals}, [*published.problems, *compare_with_published(stored, published)]


def _with_changes(result: Verification, check: SealCheck, pair_id: int, extra: Sequence[Problem] = ()) -> Verification:
    found = [Problem(seq, f"sealed:{kind}", message) for seq, kind, message in check.pair_changes.get(pair_id, [])]
    return Verification(result.serial, result.entries, result.head_hash, (*result.problems, *found, *extra))


def _seals_due(reference: dict[int, Seal], links: Sequence[Link]) -> set[int]:
    """The seals that must have covered some of these entries by when they were recorded: from the first seal
    after the first entry to the first seal after the last (so a pair whose seal records were deleted is still
    checked against those seals)."""
    if not links:
        return set()
    first, last = min(k.recorded_at for k in links), max(k.recorded_at for k in links)
    due = set()
    for number in sorted(reference):
        if reference[number].sealed_at >= first:
            due.add(number)
            if reference[number].sealed_at >= last:
                break
    return due


def verify_pair(session: Session, serial: str, published: PublishedRoots | None = None) -> Verification:
    """One pair's chain, head, events, the sealed days it touches, and its entries against the seals that
    cover them (``published``: the published seals; default the database's seal rows)."""
    pair = repositories.get_pair_by_serial(session, serial)
    links = repository.chain(session, pair.id)
    facts = {e.event_id: fact_of(e) for e in repositories.events_of_pair(session, pair.id)}
    result = verify_chain(serial, links, repository.heads(session, [pair.id]).get(pair.id), facts)
    _, day_problems = _days(session, sorted({k.day for k in links}))
    reference, seal_problems = _reference(session, published)
    numbers = sorted({s.seal for s in repository.spans(session, pair_id=pair.id)} | _seals_due(reference, links))
    spans = repository.spans(session, seal_numbers=numbers)
    chains = {pair.id: links}
    serials = {pair.id: serial}

    def chain_of(pid: int) -> list[Link]:
        if pid not in chains:
            chains[pid] = repository.chain(session, pid)
        return chains[pid]

    def serial_of(pid: int) -> str:
        if pid not in serials:
            serials.update(repositories.serials_of(session, [pid]))
        return serials.get(pid, f"#{pid}")

    check = check_seals({n: reference[n] for n in numbers if n in reference}, spans, chain_of, serial_of, [pair.id])
    relevant = [p for p in seal_problems if p.seal is None or p.seal in numbers] + list(check.problems)
    extra = [*day_problems, *(Problem(None, p.what, p.message) for p in relevant)]
    return _with_changes(result, check, pair.id, extra)


def verify_all(session: Session, published: PublishedRoots | None = None) -> LedgerReport:
    """Every chain, head and tracking event, the sealed days, and every seal: against the published seals when
    given (a rewritten seal row, a deleted one, a damaged or cut-off published file are caught), else against
    the database's own seal rows."""
    chains = repository.chains(session)
    heads = repository.all_heads(session)
    events = repositories.all_events(session)
    pair_ids = sorted(chains.keys() | heads.keys() | events.keys())
    serials = repositories.serials_of(session, pair_ids)
    reference, seal_problems = _reference(session, published)
    check = check_seals(reference, repository.spans(session), lambda pid: chains.get(pid, []),
                        lambda pid: serials.get(pid, f"#{pid}"))  # fmt: skip
    results = tuple(
        _with_changes(verify_chain(serials.get(pid, f"#{pid}"), chains.get(pid, []), heads.get(pid),
                                   {e.event_id: fact_of(e) for e in events.get(pid, [])}), check, pid)
        for pid in pair_ids
    )  # fmt: skip
    days_checked, day_problems = _days(session, sorted(repository.sealed_days(session)))
    unsealed = sum(1 for pid, chain in chains.items() for k in chain if k.seq > check.sealed_upto.get(pid, 0))
    return LedgerReport(len(pair_ids), sum(len(c) for c in chains.values()), days_checked, results,
                        tuple(day_problems), check.seals_checked, (*seal_problems, *check.problems), unsealed,
                        published is not None)  # fmt: skip


# ------------------------------------------------------------------------------------------ interval seals


def seal_pending(session: Session, file: RootsFile, now: datetime | None = None, min_interval_s: float | None = None
                 ) -> tuple[Seal | None, list[Seal]]:  # fmt: skip
    """Seal every entry recorded since the last seal, when there is any and (with ``min_interval_s``) the last
    seal is at least that old. Returns (the new seal or None, the seals to publish after the commit: those the
    published file lacks, the new one included). Numbering and chaining follow the published file when it
    is ahead of the database (restored from a backup), so the published chain never forks."""
    now = as_utc(now or utc_now())
    repository.lock_seals(session)
    last = repository.last_seal(session)
    published_number, published_hash = file.last()
    number, prev = (last.number, last.seal_hash) if last is not None else (0, GENESIS)
    if published_number > number:
        number, prev = published_number, published_hash
    new = None
    due = min_interval_s is None or last is None or (now - last.sealed_at).total_seconds() >= min_interval_s
    pending = repository.unsealed_entries(session) if due else []
    if pending:
        runs: list[tuple[int, int, list[str]]] = []  # (pair, first seq, hashes) of consecutive entries
        for pid, seq, entry_hash in pending:
            if runs and runs[-1][0] == pid and runs[-1][1] + len(runs[-1][2]) == seq:
                runs[-1][2].append(entry_hash)
            else:
                runs.append((pid, seq, [entry_hash]))
        spans = [Span(number + 1, pid, first, tuple(hashes)) for pid, first, hashes in runs]
        new = make_seal(number + 1, prev, spans, now)
        repository.add_seal(session, new, spans)
    unpublished = sorted(repository.seals(session, after=published_number).values(), key=lambda s: s.number)
    return new, unpublished


def seal_committed(sessions: sessionmaker[Session], file: RootsFile, now: datetime | None = None,
                   min_interval_s: float | None = None) -> SealOutcome:  # fmt: skip
    """``seal_pending`` in its own unit of work, then publish (after the commit: a seal is published only once
    it is stored; one stored but not published, by a crash, is published by the next sealing)."""
    with session_scope(sessions) as session:
        new, unpublished = seal_pending(session, file, now, min_interval_s)
    if not unpublished:
        return SealOutcome(new)
    try:
        return SealOutcome(new, tuple(file.publish(unpublished)))
    except OSError as exc:
        log.exception("could not publish ledger seals to %s", file.path)
        return SealOutcome(new, (), f"could not write {file.path}: {exc}")
