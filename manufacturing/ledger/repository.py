"""Every query about the ledger: entries, heads, sealed days, interval seals and their spans. Repositories never
commit."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from manufacturing.db.models import LedgerEntry, LedgerHead, LedgerSeal, LedgerSealSpan, MerkleRoot
from manufacturing.ledger.ledger import Link
from manufacturing.ledger.seals import Seal, Span


def _link(row: LedgerEntry) -> Link:
    return Link(row.pair_id, row.seq, row.day, row.kind, row.event_id, row.body, row.prev_hash, row.entry_hash,
                row.recorded_at)  # fmt: skip


def heads(session: Session, pair_ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    if not pair_ids:
        return {}
    if session.get_bind().dialect.name == "postgresql":  # one constant (preparable) statement for any count
        rows = session.execute(text("SELECT pair_id, seq, entry_hash FROM ledger_head "
                                    "WHERE pair_id = ANY(CAST(:ids AS int[]))"), {"ids": list(pair_ids)})  # fmt: skip
    else:
        rows = session.execute(select(LedgerHead.pair_id, LedgerHead.seq, LedgerHead.entry_hash)
                               .where(LedgerHead.pair_id.in_(list(pair_ids))))  # fmt: skip
    return {pid: (seq, h) for pid, seq, h in rows}


_APPEND_PG = text("""
    INSERT INTO ledger_entry (pair_id, seq, day, kind, event_id, body, prev_hash, entry_hash, recorded_at)
    SELECT e.pair_id, e.seq, e.day, e.kind, e.event_id, e.body, e.prev_hash, e.entry_hash, :recorded_at
    FROM json_to_recordset(CAST(:rows AS json)) AS e(pair_id int, seq int, day varchar, kind varchar,
         event_id varchar, body text, prev_hash varchar, entry_hash varchar)""")
_MOVE_HEADS_PG = text("""
    INSERT INTO ledger_head (pair_id, seq, entry_hash, updated_at)
    SELECT h.pair_id, h.seq, h.entry_hash, :now
    FROM json_to_recordset(CAST(:rows AS json)) AS h(pair_id int, seq int, entry_hash varchar)
    ON CONFLICT (pair_id) DO UPDATE SET seq = excluded.seq, entry_hash = excluded.entry_hash,
                                        updated_at = excluded.updated_at""")
_LINK_COLUMNS = ("pair_id", "seq", "day", "kind", "event_id", "body", "prev_hash", "entry_hash", "recorded_at")


def append_links(session: Session, links: Sequence[Link], now: datetime) -> None:
    """Insert the entries and move each pair's head to its last new entry (one statement each)."""
    if not links:
        return
    last: dict[int, Link] = {}
    for k in links:
        if k.pair_id not in last or k.seq > last[k.pair_id].seq:
            last[k.pair_id] = k
    times = {k.recorded_at for k in links}
    if session.get_bind().dialect.name == "postgresql" and len(times) == 1:
        # Constant statements over a JSON array: prepared once per connection, whatever the batch size.
        rows = json.dumps([{name: getattr(k, name) for name in _LINK_COLUMNS[:-1]} for k in links])
        session.execute(_APPEND_PG, {"rows": rows, "recorded_at": times.pop()})
        heads = json.dumps([{"pair_id": p, "seq": k.seq, "entry_hash": k.entry_hash} for p, k in last.items()])
        session.execute(_MOVE_HEADS_PG, {"rows": heads, "now": now})
        return
    entries = LedgerEntry.metadata.tables["ledger_entry"]  # the Table itself (typed), not the mapped class
    session.execute(insert(entries), [{name: getattr(k, name) for name in _LINK_COLUMNS} for k in links])
    statement = sqlite.insert(LedgerHead.metadata.tables["ledger_head"])
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[statement.table.c.pair_id],
            set_={
                "seq": statement.excluded.seq,
                "entry_hash": statement.excluded.entry_hash,
                "updated_at": statement.excluded.updated_at,
            },
        ),
        [{"pair_id": p, "seq": k.seq, "entry_hash": k.entry_hash, "updated_at": now} for p, k in last.items()],
    )


def chain(session: Session, pair_id: int) -> list[Link]:
    rows = session.scalars(select(LedgerEntry).where(LedgerEntry.pair_id == pair_id).order_by(LedgerEntry.seq)).all()
    return [_link(r) for r in rows]


def chains(session: Session) -> dict[int, list[Link]]:
    out: dict[int, list[Link]] = {}
    for row in session.scalars(select(LedgerEntry).order_by(LedgerEntry.pair_id, LedgerEntry.seq)):
        out.setdefault(row.pair_id, []).append(_link(row))
    return out


def all_heads(session: Session) -> dict[int, tuple[int, str]]:
    return {pid: (seq, h) for pid, seq, h in session.execute(
        select(LedgerHead.pair_id, LedgerHead.seq, LedgerHead.entry_hash))}  # fmt: skip


def day_leaves(session: Session, day: str) -> list[str]:
    return list(session.scalars(
        select(LedgerEntry.entry_hash).where(LedgerEntry.day == day).order_by(LedgerEntry.pair_id, LedgerEntry.seq)
    ))  # fmt: skip


def sealed_days(session: Session, days: Sequence[str] | None = None) -> dict[str, tuple[str, int]]:
    query = select(MerkleRoot.day, MerkleRoot.root, MerkleRoot.leaves)
    if days is not None:
        query = query.where(MerkleRoot.day.in_(list(days)))
    return {day: (root, leaves) for day, root, leaves in session.execute(query)}


def unsealed_days_before(session: Session, day: str) -> list[str]:
    sealed = select(MerkleRoot.day)
    return list(session.scalars(
        select(LedgerEntry.day).where(LedgerEntry.day < day, LedgerEntry.day.not_in(sealed))
        .group_by(LedgerEntry.day).order_by(LedgerEntry.day)
    ))  # fmt: skip


def add_root(session: Session, day: str, root: str, leaves: int, now: datetime) -> None:
    session.add(MerkleRoot(day=day, root=root, leaves=leaves, sealed_at=now))
    session.flush()


def entry_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(LedgerEntry)) or 0


# ------------------------------------------------------------------------------------------ interval seals


def lock_seals(session: Session) -> None:
    """Serialise sealers (the seals are a chain): a PostgreSQL transaction advisory lock; on SQLite a write
    first, so the transaction holds the database's write lock before it reads what to seal."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7302, 0)"))
    else:
        session.execute(update(LedgerSeal).where(LedgerSeal.number < 0).values(number=LedgerSeal.number))


def _seal(row: LedgerSeal) -> Seal:
    return Seal(row.number, row.prev_hash, row.root, row.leaves, row.pairs, row.sealed_at)


def seals(session: Session, numbers: Sequence[int] | None = None, after: int | None = None) -> dict[int, Seal]:
    query = select(LedgerSeal)
    if numbers is not None:
        query = query.where(LedgerSeal.number.in_(list(numbers)))
    if after is not None:
        query = query.where(LedgerSeal.number > after)
    return {row.number: _seal(row) for row in session.scalars(query)}


def last_seal(session: Session) -> Seal | None:
    row = session.scalars(select(LedgerSeal).order_by(LedgerSeal.number.desc()).limit(1)).first()
    return _seal(row) if row is not None else None


def _span(row: LedgerSealSpan) -> Span:
    hashes = tuple(row.hashes[k : k + 64] for k in range(0, len(row.hashes), 64))
    return Span(row.seal_number, row.pair_id, row.first_seq, hashes)


def spans(session: Session, seal_numbers: Sequence[int] | None = None, pair_id: int | None = None) -> list[Span]:
    query = select(LedgerSealSpan).order_by(
        LedgerSealSpan.seal_number, LedgerSealSpan.pair_id, LedgerSealSpan.first_seq
    )
    if seal_numbers is not None:
        query = query.where(LedgerSealSpan.seal_number.in_(list(seal_numbers)))
    if pair_id is not None:
        query = query.where(LedgerSealSpan.pair_id == pair_id)
    return [_span(row) for row in session.scalars(query)]


def unsealed_entries(session: Session) -> list[tuple[int, int, str]]:
    """(pair id, seq, entry hash) of every entry after its pair's last sealed one, up to its head, in (pair, seq)
    order. Bounded by the heads read in the same statement, so an append committing meanwhile is either
    wholly in or wholly out."""
    sealed = (select(LedgerSealSpan.pair_id, func.max(LedgerSealSpan.last_seq).label("upto"))
              .group_by(LedgerSealSpan.pair_id).subquery())  # fmt: skip
    upto = func.coalesce(sealed.c.upto, 0)
    pending = (select(LedgerHead.pair_id, LedgerHead.seq.label("head"), upto.label("upto"))
               .outerjoin(sealed, sealed.c.pair_id == LedgerHead.pair_id)
               .where(LedgerHead.seq > upto).subquery())  # fmt: skip
    rows = session.execute(
        select(LedgerEntry.pair_id, LedgerEntry.seq, LedgerEntry.entry_hash)
        .join(pending, pending.c.pair_id == LedgerEntry.pair_id)
        .where(LedgerEntry.seq > pending.c.upto, LedgerEntry.seq <= pending.c.head)
        .order_by(LedgerEntry.pair_id, LedgerEntry.seq)
    )  # fmt: skip
    return [(pid, seq, h) for pid, seq, h in rows]


def add_seal(session: Session, seal: Seal, seal_spans: Sequence[Span]) -> None:
    session.add(LedgerSeal(number=seal.number, prev_hash=seal.prev, root=seal.root, leaves=seal.leaves,
                           pairs=seal.pairs, seal_hash=seal.seal_hash, sealed_at=seal.sealed_at))  # fmt: skip
    session.flush()
    if seal_spans:
        session.execute(insert(LedgerSealSpan), [
            {"seal_number": s.seal, "pair_id": s.pair_id, "first_seq": s.first_seq, "last_seq": s.last_seq,
             "hashes": "".join(s.hashes)} for s in seal_spans
        ])  # fmt: skip
