"""Verification, pure: a pair's chain against its head, its tracking events and the sealed daily roots.

Caught: an edited field (the body no longer hashes to ``entry_hash``, or a stored column disagrees with the
body), an inserted or deleted entry (a gap or a broken ``prev`` link, or a head that no longer matches the last
entry), an edited or deleted tracking event, or any change to a sealed day (its recomputed root differs).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from manufacturing.ledger.ledger import GENESIS, Link, canonical_json, merkle_root, sha256_hex


@dataclass(frozen=True)
class Problem:
    seq: int | None  # the entry, None for the chain, the head or a day
    what: str  # hash, link, column:<name>, gap, head, event, day
    message: str


@dataclass(frozen=True)
class Verification:
    serial: str
    entries: int
    head_hash: str | None
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {"serial": self.serial, "ok": self.ok, "entries": self.entries, "head_hash": self.head_hash,
                "problems": [{"seq": p.seq, "what": p.what, "message": p.message} for p in self.problems]}  # fmt: skip


def _check_link(serial: str, link: Link, previous_hash: str, expected_seq: int) -> list[Problem]:
    out = []
    if sha256_hex(link.body) != link.entry_hash:
        out.append(Problem(link.seq, "hash", f"entry {link.seq}: body does not hash to its entry_hash"))
    try:
        body = json.loads(link.body)
        if canonical_json(body) != link.body:
            raise ValueError("not canonical")
    except ValueError:
        return [*out, Problem(link.seq, "body", f"entry {link.seq}: body is not canonical JSON")]
    fact = body.get("fact") or {}
    stored = {
        "pair": (serial, body.get("pair")), "seq": (link.seq, body.get("seq")),
        "prev": (link.prev_hash, body.get("prev")),
        "day": (link.day, body.get("day")), "kind": (link.kind, body.get("kind")),
        "recorded_at": (link.recorded_at.isoformat(), body.get("recorded_at")),
        "event_id": (link.event_id, fact.get("event_id")),
    }  # fmt: skip
    out += [
        Problem(link.seq, f"column:{name}", f"entry {link.seq}: stored {name} {col!r} differs from its body {inner!r}")
        for name, (col, inner) in stored.items()
        if col != inner
    ]
    if link.day != link.recorded_at.date().isoformat():
        out.append(Problem(link.seq, "column:day", f"entry {link.seq}: day {link.day} is not its recorded day"))
    if link.seq != expected_seq:
        out.append(Problem(link.seq, "gap", f"expected entry {expected_seq}, found {link.seq} (inserted or deleted)"))
    if link.prev_hash != previous_hash:
        out.append(Problem(link.seq, "link", f"entry {link.seq} does not follow entry {expected_seq - 1}"))
    return out


def verify_chain(
    serial: str,
    links: Sequence[Link],
    head: tuple[int, str] | None,
    event_facts: Mapping[str, Mapping[str, Any]] | None = None,
) -> Verification:
    """Check one pair's chain (``links`` in seq order), its head ((seq, hash)) and, when given, that its
    tracking events (``event_facts``: event id → ``ledger.event_fact``) are exactly the ledger's."""
    problems: list[Problem] = []
    previous = GENESIS
    for k, link in enumerate(links, start=1):
        problems += _check_link(serial, link, previous, k)
        previous = link.entry_hash
    last = (links[-1].seq, links[-1].entry_hash) if links else None
    if head != last:
        problems.append(Problem(None, "head", f"head {head} does not match the last entry {last} "
                                              "(entries appended or removed at the end)"))  # fmt: skip
    if event_facts is not None:
        in_ledger: dict[str, Any] = {}
        for link in links:
            if link.event_id is not None:
                try:
                    in_ledger[link.event_id] = json.loads(link.body).get("fact")
                except ValueError:
                    continue
        for event_id, fact in event_facts.items():
            recorded = in_ledger.get(event_id)
            if recorded is None:
                problems.append(Problem(None, "event", f"tracking event {event_id} has no ledger entry"))
            elif canonical_json(recorded) != canonical_json(dict(fact)):
                problems.append(Problem(None, "event", f"tracking event {event_id} differs from its ledger entry"))
        problems += [
            Problem(None, "event", f"ledger entry for event {event_id} has no tracking event (deleted)")
            for event_id in in_ledger.keys() - event_facts.keys()
        ]
    return Verification(serial, len(links), links[-1].entry_hash if links else None, tuple(problems))


def verify_day(day: str, leaf_hashes: Sequence[str], sealed_root: str, sealed_leaves: int) -> Problem | None:
    """A sealed day against the entries now stored for it (leaf hashes in (pair, seq) order)."""
    if len(leaf_hashes) != sealed_leaves or merkle_root(leaf_hashes) != sealed_root:
        return Problem(None, "day", f"day {day}: {len(leaf_hashes)} entries no longer give its sealed Merkle root "
                                    f"({sealed_leaves} entries)")  # fmt: skip
    return None
