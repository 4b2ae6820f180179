"""``cspms bench ledger``: how much tampering with the traceability ledger is caught once the next interval seal
has passed, whether the day was sealed or not, and how much of it the chain and day checks alone (what
verification had before the published seals) catch.

A ledger of N pairs is built with events recorded hour by hour and an interval seal after each hour, its roots
published, signed, to a file. Each kind of tampering is then applied in a savepoint (rolled back after), as a
careful forger with write access to the database would: after changing an entry, every later hash, link and
the head are recomputed, and the tracking events are changed to agree. The published-file kinds change a copy
of the file instead. Each kind is tried on random pairs and positions, before and after the day is sealed.

The forgers are used by tests/manufacturing/ledger too.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from manufacturing.db.migrate import upgrade
from manufacturing.db.models import (
    Customer,
    Design,
    LedgerEntry,
    LedgerHead,
    LedgerSeal,
    LedgerSealSpan,
    MerkleRoot,
    Order,
    Pair,
    TrackingEvent,
)
from manufacturing.db.session import make_engine, make_session_factory, session_scope
from manufacturing.db.throwaway import throwaway_postgres
from manufacturing.ledger import repository
from manufacturing.ledger.ledger import GENESIS, canonical_json, event_fact, make_link, merkle_root, sha256_hex
from manufacturing.ledger.publish import RootsFile
from manufacturing.ledger.seals import Seal, Span, seal_leaves
from manufacturing.ledger.service import LedgerReport, append_events, seal_committed, seal_days, verify_all

T0 = datetime(2026, 3, 16, 7, 0, tzinfo=UTC)
OPERATIONS = ("cutting", "skiving", "closing_machine", "lasting", "sole_attaching", "finishing", "qc_final", "packing")
BENCH_KEY = b"cspms-ledger-benchmark-key-0123456789abcdef"  # a throwaway key: the bench's file is its own


# ------------------------------------------------------------------------------------------ the ledger


@dataclass(frozen=True)
class BuiltLedger:
    sessions: sessionmaker[Session]
    pair_ids: list[int]
    file: RootsFile
    seals: int


def _facts(serial: str, start: datetime, rng: random.Random, events: int) -> list[dict[str, Any]]:
    """A pair's work: operations started and finished in turn, the final QC failing first for some pairs."""
    out: list[dict[str, Any]] = []
    t = start
    qc_fails = rng.random() < 0.5
    for op in OPERATIONS:
        for kind in ("started", "qc_failed" if op == "qc_final" and qc_fails else "finished"):
            if len(out) == events:
                return out
            t += timedelta(minutes=rng.uniform(3, 25))
            payload: dict[str, Any] = {"worker": f"W-{rng.randint(1, 9)}"}
            if kind == "qc_failed":
                payload["defects"] = ["glue"]
            out.append(event_fact(str(uuid.uuid5(uuid.NAMESPACE_URL, f"{serial}/{op}/{kind}")), kind, op,
                                  op.upper()[:8], t, "rfid-1", payload))  # fmt: skip
    return out


def build_ledger(url: str, published: Path, pairs: int, events_per_pair: int, seed: int) -> BuiltLedger:
    """Pairs whose events are recorded over a shift, an interval seal after each hour (the last after every
    event), the roots published to ``published``."""
    upgrade(url)
    sessions = make_session_factory(make_engine(url))
    rng = random.Random(seed)
    with session_scope(sessions) as session:
        customer = Customer(email="ledger-bench@example.com")
        session.add(customer)
        session.flush()
        design = Design(design_key="d-ledger", customer_id=customer.id, style="derby", options={"style": "derby"})
        order = Order(number="O-LEDGER-1", customer_id=customer.id, created_at=T0)
        session.add_all([design, order])
        session.flush()
        rows = [Pair(serial=f"CS26-LDG{k:04d}", order_id=order.id, design_id=design.id) for k in range(pairs)]
        session.add_all(rows)
        session.flush()
        serials = {p.id: p.serial for p in rows}
    facts = [(pid, f) for pid, serial in serials.items()
             for f in _facts(serial, T0 + timedelta(minutes=rng.uniform(0, 240)), rng, events_per_pair)]  # fmt: skip
    facts.sort(key=lambda item: item[1]["occurred_at"])
    file = RootsFile(published, BENCH_KEY)
    seals, hour = 0, 0
    while facts:
        hour += 1
        until = (T0 + timedelta(hours=hour)).isoformat()
        batch = [item for item in facts if item[1]["occurred_at"] < until]
        facts = facts[len(batch) :]
        if batch:
            with session_scope(sessions) as session:
                record(session, batch, serials, T0 + timedelta(hours=hour, minutes=-1))
        seals += seal_committed(sessions, file, now=T0 + timedelta(hours=hour)).seal is not None
    return BuiltLedger(sessions, sorted(serials), file, seals)


def record(
    session: Session, facts: Sequence[tuple[int, dict[str, Any]]], serials: dict[int, str], now: datetime
) -> None:
    """Store tracking events and chain them (what ingest does, without the shop's routing checks)."""
    rows = []
    for pid, fact in facts:
        occurred_at = datetime.fromisoformat(fact["occurred_at"])
        session.add(TrackingEvent(event_id=fact["event_id"], pair_id=pid, station=fact["station"],
                                  operation=fact["operation"], event_type=fact["event_type"], occurred_at=occurred_at,
                                  received_at=now, source=fact["reader_id"], payload=fact["payload"]))  # fmt: skip
        rows.append({"event_id": fact["event_id"], "pair_id": pid, "event_type": fact["event_type"],
                     "operation": fact["operation"], "station": fact["station"], "occurred_at": occurred_at,
                     "source": fact["reader_id"], "payload": fact["payload"]})  # fmt: skip
    session.flush()
    append_events(session, rows, serials, now)


# ------------------------------------------------------------------------------------------ forgers


@dataclass(frozen=True)
class Item:
    """What an entry says, without its place in the chain."""

    kind: str
    fact: dict[str, Any]
    recorded_at: datetime


def _items(session: Session, pair_id: int) -> tuple[str, list[Item]]:
    rows = session.scalars(select(LedgerEntry).where(LedgerEntry.pair_id == pair_id).order_by(LedgerEntry.seq)).all()
    bodies = [json.loads(r.body) for r in rows]
    serial = bodies[0]["pair"]
    return serial, [Item(b["kind"], b["fact"], datetime.fromisoformat(b["recorded_at"])) for b in bodies]


def rewrite_chain(session: Session, pair_id: int, change: Callable[[list[Item]], list[Item]]) -> None:
    """A careful forger: the pair's entries replaced by ``change(items)``, every hash, link and the head
    recomputed, and the tracking events made to agree with the new entries."""
    serial, items = _items(session, pair_id)
    new = change(list(items))
    session.execute(delete(LedgerEntry).where(LedgerEntry.pair_id == pair_id))
    head: tuple[int, str] | None = None
    links = []
    for item in new:
        link = make_link(pair_id, serial, head, item.recorded_at, item.kind, item.fact)
        head = (link.seq, link.entry_hash)
        links.append(link)
    names = ("pair_id", "seq", "day", "kind", "event_id", "body", "prev_hash", "entry_hash", "recorded_at")
    if links:
        session.execute(insert(LedgerEntry), [{n: getattr(k, n) for n in names} for k in links])
        session.execute(update(LedgerHead).where(LedgerHead.pair_id == pair_id)
                        .values(seq=links[-1].seq, entry_hash=links[-1].entry_hash))  # fmt: skip
    else:
        session.execute(delete(LedgerHead).where(LedgerHead.pair_id == pair_id))
    facts = {item.fact["event_id"]: item.fact for item in new if item.fact.get("event_id")}
    events = {e.event_id: e for e in session.scalars(select(TrackingEvent).where(TrackingEvent.pair_id == pair_id))}
    for event_id, event in events.items():
        if event_id not in facts:
            session.delete(event)
    for event_id, fact in facts.items():
        event = events.get(event_id) or TrackingEvent(event_id=event_id, pair_id=pair_id, received_at=T0)
        event.station, event.operation, event.event_type = fact["station"], fact["operation"], fact["event_type"]
        event.occurred_at, event.source = datetime.fromisoformat(fact["occurred_at"]), fact["reader_id"]
        event.payload = fact["payload"]
        session.add(event)
    session.flush()


def _with_fact(item: Item, **changes: Any) -> Item:
    fact = {**item.fact, **changes}
    if "payload" in changes and "worker" in changes["payload"]:
        fact["worker"] = changes["payload"]["worker"]
    return replace(item, fact=fact)


def edit_worker(session: Session, pair_id: int, k: int) -> None:
    """A consistent rewrite: entry k's worker changed, the chain recomputed after it."""

    def change(items: list[Item]) -> list[Item]:
        payload = {**items[k - 1].fact["payload"], "worker": "W-FORGED"}
        items[k - 1] = _with_fact(items[k - 1], payload=payload)
        return items

    rewrite_chain(session, pair_id, change)


def backdate_step(session: Session, pair_id: int, k: int) -> None:
    """Entry k's step said to have happened three hours earlier."""

    def change(items: list[Item]) -> list[Item]:
        when = datetime.fromisoformat(items[k - 1].fact["occurred_at"]) - timedelta(hours=3)
        items[k - 1] = _with_fact(items[k - 1], occurred_at=when.isoformat())
        return items

    rewrite_chain(session, pair_id, change)


def delete_entries(session: Session, pair_id: int, k: int, count: int = 1) -> None:
    """Entries k … k + count − 1 removed, the rest re-linked and renumbered."""
    rewrite_chain(session, pair_id, lambda items: items[: k - 1] + items[k - 1 + count :])


def insert_forged(session: Session, pair_id: int, k: int) -> None:
    """A forged QC pass put in as entry k, the rest re-linked and renumbered."""

    def change(items: list[Item]) -> list[Item]:
        before = items[max(k - 2, 0)]
        when = datetime.fromisoformat(before.fact["occurred_at"]) + timedelta(minutes=1)
        fact = event_fact(str(uuid.uuid4()), "qc_passed", "qc_final", "QC_FINAL", when, "rfid-1", {"worker": "W-1"})
        return [*items[: k - 1], Item(before.kind, fact, before.recorded_at), *items[k - 1 :]]

    rewrite_chain(session, pair_id, change)


def forge_qc_pass(session: Session, pair_id: int, k: int | None = None) -> bool:
    """A failed final QC turned into a pass (False when the pair has no failed QC)."""
    _, items = _items(session, pair_id)
    failed = [n for n, item in enumerate(items, start=1) if item.fact["event_type"] == "qc_failed"]
    if not failed:
        return False

    def change(items: list[Item]) -> list[Item]:
        n = failed[0]
        payload = {key: v for key, v in items[n - 1].fact["payload"].items() if key != "defects"}
        items[n - 1] = _with_fact(items[n - 1], event_type="qc_passed", payload=payload)
        return items

    rewrite_chain(session, pair_id, change)
    return True


def reorder(session: Session, pair_id: int, k: int) -> None:
    """Entries k and k + 1 swapped."""

    def change(items: list[Item]) -> list[Item]:
        items[k - 1], items[k] = items[k], items[k - 1]
        return items

    rewrite_chain(session, pair_id, change)


def edit_in_place(session: Session, pair_id: int, k: int) -> None:
    """A careless forger: entry k's body edited and rehashed, nothing else."""
    row = session.scalars(select(LedgerEntry).where(LedgerEntry.pair_id == pair_id, LedgerEntry.seq == k)).one()
    body = json.loads(row.body)
    body["fact"]["worker"] = "W-FORGED"
    row.body = canonical_json(body)
    row.entry_hash = sha256_hex(row.body)
    session.flush()


def rewrite_seal_rows(session: Session) -> None:
    """What a forger with the whole database does after rewriting entries: every seal's record, root row and
    chain, and every day's root row, recomputed from the entries as they are now."""
    stored = {(k.pair_id, k.seq): k.entry_hash for chain in repository.chains(session).values() for k in chain}
    prev = GENESIS
    for number, seal in sorted(repository.seals(session).items()):
        spans = []
        for row in session.scalars(select(LedgerSealSpan).where(LedgerSealSpan.seal_number == number)):
            hashes = [stored.get((row.pair_id, q), "0" * 64) for q in range(row.first_seq, row.last_seq + 1)]
            row.hashes = "".join(hashes)
            spans.append(Span(number, row.pair_id, row.first_seq, tuple(hashes)))
        leaves = seal_leaves(spans)
        forged = Seal(number, prev, merkle_root(leaves), len(leaves), seal.pairs, seal.sealed_at)
        session.execute(update(LedgerSeal).where(LedgerSeal.number == number)
                        .values(root=forged.root, prev_hash=prev, seal_hash=forged.seal_hash))  # fmt: skip
        prev = forged.seal_hash
    for day in list(repository.sealed_days(session)):
        leaves = repository.day_leaves(session, day)
        session.execute(update(MerkleRoot).where(MerkleRoot.day == day).values(root=merkle_root(leaves),
                                                                               leaves=len(leaves)))  # fmt: skip
    session.flush()


def edit_published_line(path: Path, line: int) -> None:
    """A published line's root changed and its seal hash recomputed: only the signature can tell."""
    lines = path.read_text().splitlines()
    record = json.loads(lines[line - 1])
    record["root"] = ("0" if record["root"][0] != "0" else "1") + record["root"][1:]
    forged = Seal(record["seal"], record["prev"], record["root"], record["leaves"], record["pairs"],
                  datetime.fromisoformat(record["sealed_at"]))  # fmt: skip
    record["seal_hash"] = forged.seal_hash
    lines[line - 1] = json.dumps(record, sort_keys=True, separators=(",", ":"))
    path.write_text("\n".join(lines) + "\n")


def truncate_published(path: Path, keep_lines: int, cut_mid_line: bool = False) -> None:
    lines = path.read_text().splitlines(keepends=True)
    text = "".join(lines[:keep_lines])
    if cut_mid_line and keep_lines < len(lines):
        text += lines[keep_lines][: len(lines[keep_lines]) // 2]
    path.write_text(text)


def remove_published_line(path: Path, line: int) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[: line - 1] + lines[line:]))


# ------------------------------------------------------------------------------------------ the campaign


@dataclass(frozen=True)
class Tampering:
    """One kind: ``apply(session, pair_id, k, published_copy)`` (False when it does not apply to that pair),
    and what verification should name (``None``: a seal or the file, not a pair's entry)."""

    name: str
    apply: Callable[[Session, int, int, Path], bool]
    named: str | None


def _pair_kind(forger: Callable[[Session, int, int], Any]) -> Callable[[Session, int, int, Path], bool]:
    def apply(session: Session, pair_id: int, k: int, _copy: Path) -> bool:
        return forger(session, pair_id, k) is not False

    apply.__name__ = forger.__name__
    return apply


def _root_rows(session: Session, pair_id: int, k: int, _copy: Path) -> bool:
    edit_worker(session, pair_id, k)
    rewrite_seal_rows(session)
    return True


def _delete_three(session: Session, pair_id: int, k: int) -> None:
    delete_entries(session, pair_id, k, 3)


def _on_file(change: Callable[[Path], None]) -> Callable[[Session, int, int, Path], bool]:
    def apply(_session: Session, _pair_id: int, _k: int, copy: Path) -> bool:
        change(copy)
        return True

    return apply


TAMPERINGS = (
    Tampering("single_edit_in_place", _pair_kind(edit_in_place), "sealed:edited"),
    Tampering("consistent_edit", _pair_kind(edit_worker), "sealed:edited"),
    Tampering("backdate_step", _pair_kind(backdate_step), "sealed:edited"),
    Tampering("insert_forged_entry", _pair_kind(insert_forged), "sealed:inserted"),
    Tampering("delete_entry", _pair_kind(delete_entries), "sealed:deleted"),
    Tampering("delete_3_and_relink", _pair_kind(_delete_three), "sealed:deleted"),
    Tampering("forge_qc_pass", _pair_kind(forge_qc_pass), "sealed:edited"),
    Tampering("reorder", _pair_kind(reorder), "sealed:moved"),
    Tampering("root_rows_rewritten_in_db", _root_rows, None),
    Tampering("published_line_edited", _on_file(lambda copy: edit_published_line(copy, 1)), None),
    Tampering("published_file_truncated", _on_file(lambda copy: truncate_published(copy, 1)), None),
    Tampering("published_file_cut_mid_line", _on_file(lambda copy: truncate_published(copy, 1, True)), None),
    Tampering("published_line_removed", _on_file(lambda copy: remove_published_line(copy, 1)), None),
)
_PUBLISHED_KINDS = {"published_line_edited", "published_file_truncated", "published_file_cut_mid_line",
                    "published_line_removed"}  # fmt: skip
_NEW_CHECKS = ("sealed:", "seal:", "published:")


def chain_and_day_checks_catch(report: LedgerReport) -> bool:
    """What verification caught before the published seals: the chains, heads, events and day roots."""
    pair_problems = [p for v in report.verifications for p in v.problems if not p.what.startswith(_NEW_CHECKS)]
    return bool(pair_problems or report.day_problems)


def names(report: LedgerReport, pair_serial: str, what: str | None) -> bool:
    if what is None:
        return bool(report.seal_problems)
    return any(v.serial == pair_serial and any(p.what == what for p in v.problems) for v in report.verifications)


@dataclass(frozen=True)
class LedgerBenchConfig:
    database_url: str | None = None  # a PostgreSQL server (a throwaway database on it); default a SQLite file
    pairs: int = 20
    events_per_pair: int = 16
    trials: int = 5
    seed: int = 2026


def run_ledger_benchmark(config: LedgerBenchConfig) -> dict[str, Any]:
    """The campaign on a throwaway database: a SQLite file in a temp folder, or a fresh database on the
    PostgreSQL server ``config.database_url`` names."""
    with tempfile.TemporaryDirectory(prefix="cspms-ledger-bench-") as tmp:
        folder = Path(tmp)
        if config.database_url and config.database_url.startswith("postgresql"):
            with throwaway_postgres(config.database_url, prefix="cspms_ledger_bench") as url:
                return _run(url, folder, config)
        return _run(config.database_url or f"sqlite:///{folder / 'ledger.sqlite'}", folder, config)


def _run(url: str, folder: Path, config: LedgerBenchConfig) -> dict[str, Any]:
    started = time.perf_counter()
    built = build_ledger(url, folder / "roots.jsonl", config.pairs, config.events_per_pair, config.seed)
    build_s = time.perf_counter() - started
    try:
        return _campaign(built, folder, config, build_s, url)
    finally:
        built.sessions.kw["bind"].dispose()


def _campaign(built: BuiltLedger, folder: Path, config: LedgerBenchConfig, build_s: float, url: str) -> dict[str, Any]:
    rng = random.Random(config.seed + 1)
    results: dict[str, dict[str, dict[str, int]]] = {t.name: {} for t in TAMPERINGS}
    copy = folder / "copy.jsonl"
    with session_scope(built.sessions) as session:
        serials = {pid: s for pid, s in session.execute(select(Pair.id, Pair.serial))}
        entries = repository.entry_count(session)
    timing: dict[str, float] = {}
    for mode in ("day_unsealed", "day_sealed"):
        if mode == "day_sealed":
            with session_scope(built.sessions) as session:
                seal_days(session, now=T0 + timedelta(days=1))
        with session_scope(built.sessions) as session:
            started = time.perf_counter()
            clean = verify_all(session, built.file.read())
            timing[f"verify_all_{mode}_s"] = round(time.perf_counter() - started, 4)
            assert clean.ok, "the untouched ledger must verify"
            for tampering in TAMPERINGS:
                tally = {"detected": 0, "named": 0, "detected_by_chain_and_day_checks": 0, "total": 0}
                for _ in range(config.trials):
                    pair_id = rng.choice(built.pair_ids)
                    length = len(repository.chain(session, pair_id))
                    k = rng.randint(1, length - 3)
                    shutil.copyfile(built.file.path, copy)
                    nested = session.begin_nested()
                    try:
                        if not tampering.apply(session, pair_id, k, copy):
                            continue
                        report = verify_all(session, RootsFile(copy, BENCH_KEY).read())
                        tally["total"] += 1
                        tally["detected"] += not report.ok
                        tally["named"] += names(report, serials[pair_id], tampering.named)
                        tally["detected_by_chain_and_day_checks"] += (
                            tampering.name not in _PUBLISHED_KINDS and chain_and_day_checks_catch(report)
                        )
                    finally:
                        nested.rollback()
                results[tampering.name][mode] = tally
    totals = [t for kinds in results.values() for t in kinds.values()]
    return {
        "database": url.split(":", 1)[0].split("+", 1)[0],
        "pairs": config.pairs, "entries": entries, "seals": built.seals, "trials_per_kind": config.trials,
        "kinds": results,
        "detected": sum(t["detected"] for t in totals), "total": sum(t["total"] for t in totals),
        "detected_by_chain_and_day_checks": sum(t["detected_by_chain_and_day_checks"] for t in totals),
        "build_and_seal_s": round(build_s, 3), **timing,
    }  # fmt: skip
