"""Interval seals, pure: what a seal is, its signed published line, and what a comparison of the ledger with
the published seals finds, told in the words of someone who runs the shop.

A seal covers every entry recorded since the previous seal: its Merkle root (``ledger.merkle_root``) over
the entries' hashes, pair by pair in (pair, seq) order. Its content ``{"v", "seal", "prev", "root",
"leaves", "pairs", "sealed_at"}`` hashes (sha256 of the canonical JSON) to its ``seal_hash``, the next
seal's ``prev``: the seals form their own chain. Each seal is published as one line of canonical JSON, that
content plus ``seal_hash``, the signing key's id and ``sig`` (HMAC-SHA256 of the line without ``sig``),
outside the database, with a key the database never holds.

The database keeps, for each seal and pair, the span of entries it sealed and their hashes as sealed (the
seal's *record*). Against a published root, the record is checked first; when it holds, every sealed entry is
compared with what is stored now, which tells an edited entry from an inserted, deleted or moved one even
when the forger recomputed every hash after the change.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from manufacturing.ledger.ledger import GENESIS, Link, canonical_json, merkle_root, sha256_hex

SEAL_VERSION = 1
_ALIGN_WINDOW = 16  # how far (in entries) a sealed entry is looked for after inserts and deletes around it
_ALIGN_MAX_ENTRIES = 5000  # beyond this, a changed stretch is reported as one range (the search is quadratic)


@dataclass(frozen=True)
class Seal:
    """One interval seal, as stored and as published."""

    number: int  # 1, 2, ...
    prev: str  # the previous seal's hash, 64 zeros for the first
    root: str
    leaves: int
    pairs: int
    sealed_at: datetime

    def content(self) -> dict[str, Any]:
        return {"v": SEAL_VERSION, "seal": self.number, "prev": self.prev, "root": self.root, "leaves": self.leaves,
                "pairs": self.pairs, "sealed_at": self.sealed_at.isoformat()}  # fmt: skip

    @property
    def seal_hash(self) -> str:
        return sha256_hex(canonical_json(self.content()))


@dataclass(frozen=True)
class Span:
    """The entries ``first_seq`` … of one pair that one seal covers, with their hashes as sealed."""

    seal: int
    pair_id: int
    first_seq: int
    hashes: tuple[str, ...]

    @property
    def last_seq(self) -> int:
        return self.first_seq + len(self.hashes) - 1


@dataclass(frozen=True)
class SealProblem:
    seal: int | None  # None for the published file as a whole
    what: str  # published:*, seal:*
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"seal": self.seal, "what": self.what, "message": self.message}


def make_seal(number: int, prev: str, spans: Sequence[Span], sealed_at: datetime) -> Seal:
    leaves = seal_leaves(spans)
    return Seal(number, prev, merkle_root(leaves), len(leaves), len({s.pair_id for s in spans}),
                sealed_at.replace(microsecond=0))  # fmt: skip


def seal_leaves(spans: Iterable[Span]) -> list[str]:
    """The leaves of a seal: its spans' hashes in (pair, seq) order."""
    return [h for s in sorted(spans, key=lambda s: (s.pair_id, s.first_seq)) for h in s.hashes]


# ------------------------------------------------------------------------------------------ the published line


def key_id(key: bytes) -> str:
    """A short public name of a signing key (which key signed a line, without revealing it)."""
    return hashlib.sha256(b"cspms-ledger-key:" + key).hexdigest()[:16]


def _signature(record: Mapping[str, Any], key: bytes) -> str:
    return hmac.new(key, canonical_json(dict(record)).encode(), hashlib.sha256).hexdigest()


def signed_line(seal: Seal, key: bytes) -> str:
    """The published line of a seal (canonical JSON, no newline)."""
    record = {**seal.content(), "seal_hash": seal.seal_hash, "key": key_id(key)}
    return canonical_json({**record, "sig": _signature(record, key)})


@dataclass(frozen=True)
class PublishedRoots:
    """The published file as read: the seals whose lines are intact and signed by the shop's key, and what is
    wrong with the file itself."""

    seals: dict[int, Seal]
    lines: int
    problems: tuple[SealProblem, ...] = field(default_factory=tuple)
    complete: bool = True  # the live file; False for a copy kept elsewhere, which may end before the ledger does

    @property
    def last(self) -> Seal | None:
        return self.seals[max(self.seals)] if self.seals else None


def _seal_of(record: Mapping[str, Any]) -> Seal:
    seal = Seal(int(record["seal"]), str(record["prev"]), str(record["root"]), int(record["leaves"]),
                int(record["pairs"]), datetime.fromisoformat(str(record["sealed_at"])))  # fmt: skip
    if record.get("v") != SEAL_VERSION:
        raise ValueError(f"unknown version {record.get('v')!r}")
    return seal


def read_published(text: str, key: bytes | None, complete: bool = True) -> PublishedRoots:
    """Parse the published lines and check each one's signature, its seal hash and that it follows the line
    before it. ``key`` None: the signatures cannot be checked (said as a problem). ``complete`` False: a copy
    kept elsewhere, so seals after its last line are not missing from it."""
    lines = text.split("\n")
    ends_whole = text.endswith("\n") or not text  # else the last line was cut off mid-way
    if lines and lines[-1] == "":
        lines.pop()
    seals: dict[int, Seal] = {}
    problems: list[SealProblem] = []
    if key is None and lines:
        problems.append(SealProblem(None, "published:key", "the signing key is not available here, so the "
                                    "published roots' signatures cannot be checked"))  # fmt: skip
    previous: Seal | None = None
    for number, line in enumerate(lines, start=1):
        where = f"published line {number}"
        try:
            record = json.loads(line)
            seal = _seal_of(record)
        except (ValueError, KeyError, TypeError):
            cut = number == len(lines) and not ends_whole
            if cut:
                problems.append(SealProblem(None, "published:truncated", f"{where} is cut off: the file was truncated"))
            else:
                problems.append(SealProblem(None, "published:unreadable", f"{where} is damaged (not a seal record): "
                                            "the file was edited"))  # fmt: skip
            continue
        where += f" (seal #{seal.number})"
        trusted = True
        if record.get("seal_hash") != seal.seal_hash:
            problems.append(SealProblem(seal.number, "published:edited",
                                        f"{where} was edited: its content no longer gives its seal hash"))  # fmt: skip
            trusted = False
        if key is not None:
            unsigned = {k: v for k, v in record.items() if k != "sig"}
            if record.get("key") != key_id(key):
                problems.append(SealProblem(seal.number, "published:signature",
                                            f"{where} is signed with another key (key id {record.get('key')}, this "
                                            f"shop's key is {key_id(key)})"))  # fmt: skip
                trusted = False
            elif not hmac.compare_digest(str(record.get("sig", "")), _signature(unsigned, key)):
                problems.append(SealProblem(seal.number, "published:signature",
                                            f"{where}: its signature is wrong, so the line was written or changed "
                                            "by someone without the signing key"))  # fmt: skip
                trusted = False
        expected = (previous.number + 1, previous.seal_hash) if previous is not None else (1, GENESIS)
        if previous is None and seal.number != 1:
            problems.append(SealProblem(seal.number, "published:chain",
                                        f"the published file starts at seal #{seal.number}: the lines of seals "
                                        f"#1–#{seal.number - 1} were removed"))  # fmt: skip
        elif previous is not None and seal.number != expected[0]:
            gap = (f"seals #{expected[0]}–#{seal.number - 1} are missing (lines removed)" if seal.number > expected[0]
                   else f"it comes after seal #{previous.number} (lines reordered or repeated)")  # fmt: skip
            problems.append(SealProblem(seal.number, "published:chain", f"{where} does not follow the line before: "
                                        f"{gap}"))  # fmt: skip
        elif seal.prev != expected[1]:
            problems.append(SealProblem(seal.number, "published:chain", f"{where} does not chain to the seal before "
                                        "it (a line was replaced)"))  # fmt: skip
        previous = seal
        if trusted and seal.number not in seals:
            seals[seal.number] = seal
    return PublishedRoots(seals, len(lines), tuple(problems), complete)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _numbers(numbers: Sequence[int]) -> str:
    return f"#{numbers[0]}" if len(numbers) == 1 else f"#{numbers[0]}–#{numbers[-1]}"


def compare_with_published(stored: Mapping[int, Seal], published: PublishedRoots) -> list[SealProblem]:
    """The database's seal rows against the published seals: rewritten rows, deleted rows, and seals the
    published file lacks (cut off, or not published yet)."""
    problems = []
    for number in sorted(stored.keys() & published.seals.keys()):
        mine, theirs = stored[number], published.seals[number]
        if mine.seal_hash == theirs.seal_hash:
            continue
        changed = [name for name in ("root", "leaves", "pairs", "prev", "sealed_at")
                   if getattr(mine, name) != getattr(theirs, name)]  # fmt: skip
        detail = (f"database root {mine.root[:12]}…, published {theirs.root[:12]}…" if "root" in changed
                  else "changed: " + ", ".join(changed))  # fmt: skip
        problems.append(SealProblem(number, "seal:row-rewritten",
                                    f"seal #{number} (sealed {_when(theirs.sealed_at)}): its row in the database was "
                                    f"rewritten ({detail})"))  # fmt: skip
    for number in sorted(published.seals.keys() - stored.keys()):
        theirs = published.seals[number]
        problems.append(SealProblem(number, "seal:row-deleted",
                                    f"seal #{number} (sealed {_when(theirs.sealed_at)}, {theirs.leaves} entries) is "
                                    "published but its row is missing from the database (deleted)"))  # fmt: skip
    last = max(published.seals, default=0)
    inside = sorted(n for n in stored.keys() - published.seals.keys() if n <= last)
    after = sorted(n for n in stored.keys() - published.seals.keys() if n > last)
    if inside and not published.problems:
        message = f"seals {_numbers(inside)} are in the database but not in the published file"
        problems.append(SealProblem(inside[0], "published:missing", message))
    if after and published.complete:
        problems.append(SealProblem(after[0], "published:missing",
                                    f"seals {_numbers(after)} are in the database but not in the published file: the "
                                    "file was cut off, or they were not published yet (the next seal publishes "
                                    "them; run `cspms ledger seal`)"))  # fmt: skip
    return problems


# ------------------------------------------------------------------------------------------ sealed entries


def describe(link: Link) -> str:
    """An entry in a sentence: its seq, what happened, where and when, and its event id."""
    try:
        fact = json.loads(link.body).get("fact") or {}
    except ValueError:
        return f"entry {link.seq} (unreadable)"
    what = " ".join(str(p) for p in (fact.get("event_type"), fact.get("operation") and f"of {fact['operation']}") if p)
    where = f" at {fact['station']}" if fact.get("station") else ""
    when = ""
    if fact.get("occurred_at"):
        try:
            when = f", {_when(datetime.fromisoformat(fact['occurred_at']))}"
        except ValueError:
            when = f", {fact['occurred_at']}"
    event = f", event {fact['event_id']}" if fact.get("event_id") else ""
    return f"entry {link.seq} ({what or link.kind}{where}{when}{event})"


def _relinked_hash(body: Mapping[str, Any], seq: int, prev: str) -> str:
    return sha256_hex(canonical_json({**body, "seq": seq, "prev": prev}))


def sealed_changes(serial: str, sealed: Mapping[int, str], links: Sequence[Link]) -> list[tuple[int | None, str, str]]:
    """What happened to a pair's sealed entries (``sealed``: seq → hash as sealed, 1..S) given its chain now:
    (seq, kind, message) with kind edited, deleted, inserted or moved. Entries after the sealed ones are
    the unsealed tail (not judged here).

    An entry stored now *is* sealed entry k when, put back at position k after sealed entry k − 1, it hashes
    to what was sealed: so a forger who edited one entry and recomputed every later hash shows as one edit."""
    if not sealed:
        return []
    original = sorted(sealed)
    ordered = sorted(links, key=lambda k: k.seq)
    start = 0
    while (start < len(original) and start < len(ordered) and ordered[start].seq == original[start]
           and ordered[start].entry_hash == sealed[original[start]]):  # fmt: skip
        start += 1
    if start == len(original):
        return []
    todo_a, todo_b = original[start:], ordered[start:]
    if len(todo_a) > _ALIGN_MAX_ENTRIES or len(todo_b) > _ALIGN_MAX_ENTRIES:
        return [(todo_a[0], "edited", f"pair {serial}: sealed entries {todo_a[0]}–{todo_a[-1]} no longer match what "
                                      "was sealed (changed after sealing)")]  # fmt: skip
    tokens: list[int | str] = []
    for j, link in enumerate(todo_b):
        token: int | str = f"new-{j}"
        try:
            body = json.loads(link.body)
        except ValueError:
            tokens.append(token)
            continue
        near = range(max(todo_a[0], link.seq - _ALIGN_WINDOW), min(original[-1], link.seq + _ALIGN_WINDOW) + 1)
        for k in sorted(near, key=functools.partial(_distance, link.seq)):
            if k in sealed and _relinked_hash(body, k, sealed.get(k - 1, GENESIS)) == sealed[k]:
                token = k
                break
        tokens.append(token)
    found: list[tuple[int | None, str, str]] = []
    matcher = difflib.SequenceMatcher(None, todo_a, tokens, autojunk=False)
    opcodes = matcher.get_opcodes()
    dropped = {todo_a[i] for tag, i1, i2, _, _ in opcodes if tag in ("delete", "replace") for i in range(i1, i2)}
    moved = {t for tag, _, _, j1, j2 in opcodes if tag in ("insert", "replace") for t in tokens[j1:j2]
             if isinstance(t, int) and t in dropped}  # fmt: skip
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            continue
        gone = [k for k in todo_a[i1:i2] if k not in moved]
        came = list(zip(todo_b[j1:j2], tokens[j1:j2], strict=True))
        for link, t in came:
            if isinstance(t, int) and t in moved:
                found.append((link.seq, "moved", f"pair {serial}: {describe(link)} was moved: it was sealed as entry "
                                                 f"{t} (entries reordered)"))  # fmt: skip
            elif isinstance(t, int):
                found.append((link.seq, "inserted", f"pair {serial}: {describe(link)} was inserted: a copy of sealed "
                                                    f"entry {t}"))  # fmt: skip
        new = [link for link, t in came if not isinstance(t, int)]
        # At the end of the sealed entries, what is stored beyond them is the unsealed tail, not an insertion.
        counted = len(new) if i2 < len(todo_a) else min(len(new), len(gone))
        for k, link in zip(gone, new[:counted], strict=False):
            was = f" (sealed as entry {k})" if k != link.seq else ""
            found.append((link.seq, "edited", f"pair {serial}: {describe(link)} was changed after it was sealed{was}"))
        paired = min(len(gone), counted)
        for run in _runs(gone[paired:]):
            found.append((run[0], "deleted", f"pair {serial}: sealed {_entries(run)} missing (deleted after "
                                             "sealing)"))  # fmt: skip
        for link in new[paired:counted]:
            found.append((link.seq, "inserted", f"pair {serial}: {describe(link)} was inserted among sealed "
                                                "entries"))  # fmt: skip
    return found


def _distance(seq: int, k: int) -> int:
    return abs(k - seq)


def _runs(seqs: Sequence[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for k in seqs:
        if runs and k == runs[-1][-1] + 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    return runs


def _entries(run: Sequence[int]) -> str:
    return f"entry {run[0]} is" if len(run) == 1 else f"entries {run[0]}–{run[-1]} are"


@dataclass(frozen=True)
class SealCheck:
    """The seals against the ledger as stored now: problems of the seals themselves, and per pair (pair id →
    (seq, kind, message)) what changed among its sealed entries."""

    seals_checked: int
    problems: tuple[SealProblem, ...]
    pair_changes: dict[int, list[tuple[int | None, str, str]]]
    sealed_upto: dict[int, int]  # pair id → its last sealed seq


def check_seals(
    reference: Mapping[int, Seal],
    spans: Sequence[Span],
    chain_of: Callable[[int], Sequence[Link]],
    serial_of: Callable[[int], str],
    pair_ids: Iterable[int] | None = None,
) -> SealCheck:
    """Check every seal's record (``spans``) against its ``reference`` root (the published one, else the
    database's), then name the changes to the sealed entries of ``pair_ids`` (default: every pair sealed).
    When a record was rewritten too, its seal's entries are compared with the root directly: the change is
    caught, but only its seal and pairs can be named."""
    by_seal: dict[int, list[Span]] = {}
    for span in spans:
        by_seal.setdefault(span.seal, []).append(span)
    problems: list[SealProblem] = []
    sealed: dict[int, dict[int, str]] = {}
    untrusted_from: dict[int, int] = {}
    upto: dict[int, int] = {}
    for number in sorted(reference.keys() | by_seal.keys()):
        own = by_seal.get(number, [])
        for span in own:
            upto[span.pair_id] = max(upto.get(span.pair_id, 0), span.last_seq)
        seal = reference.get(number)
        if seal is None:
            problems.append(SealProblem(number, "seal:unknown", f"the database records entries under seal #{number}, "
                                                                "which was never sealed"))  # fmt: skip
            continue
        leaves = seal_leaves(own)
        if len(leaves) == seal.leaves and merkle_root(leaves) == seal.root:
            for span in own:
                pair = sealed.setdefault(span.pair_id, {})
                pair.update(zip(range(span.first_seq, span.last_seq + 1), span.hashes, strict=True))
            continue
        for span in own:
            untrusted_from[span.pair_id] = min(untrusted_from.get(span.pair_id, span.first_seq), span.first_seq)
        names = ", ".join(sorted(serial_of(pid) for pid in {s.pair_id for s in own})) or "none recorded"
        if not own and seal.leaves:
            problems.append(SealProblem(number, "seal:record", f"seal #{number} (sealed {_when(seal.sealed_at)}, "
                                        f"{seal.leaves} entries): the database no longer records which entries it "
                                        "sealed (deleted), so they cannot be checked"))  # fmt: skip
            continue
        now = []
        for span in sorted(own, key=lambda s: (s.pair_id, s.first_seq)):
            stored = {k.seq: k.entry_hash for k in chain_of(span.pair_id)}
            now += [stored[q] for q in range(span.first_seq, span.last_seq + 1) if q in stored]
        if len(now) == seal.leaves and merkle_root(now) == seal.root:
            problems.append(SealProblem(number, "seal:record", f"seal #{number} (sealed {_when(seal.sealed_at)}): the "
                                        "database's record of what it sealed was rewritten, but the entries it "
                                        "sealed are intact"))  # fmt: skip
        else:
            problems.append(SealProblem(number, "seal:entries", f"seal #{number} (sealed {_when(seal.sealed_at)}, "
                                        f"{seal.leaves} entries): the entries it sealed were changed, and the "
                                        "database's record of them too, so the entries cannot be named; pairs it "
                                        f"covers: {names}"))  # fmt: skip
    changes: dict[int, list[tuple[int | None, str, str]]] = {}
    for pid in sorted(set(pair_ids) if pair_ids is not None else sealed.keys()):
        trusted = {q: h for q, h in sealed.get(pid, {}).items() if q < untrusted_from.get(pid, q + 1)}
        found = sealed_changes(serial_of(pid), trusted, chain_of(pid))
        if found:
            changes[pid] = found
    return SealCheck(len(reference.keys() | by_seal.keys()), tuple(problems), changes, upto)
