"""Every query about the ledger: entries, heads, sealed days. Repositories never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from manufacturing.db.models import LedgerEntry, LedgerHead, MerkleRoot
from manufacturing.ledger.ledger import Link


def _link(row: LedgerEntry) -> Link:
    return Link(row.pair_id, row.seq, row.day, row.kind, row.event_id, row.body, row.prev_hash, row.entry_hash,
                row.recorded_at)  # fmt: skip


def heads(session: Session, pair_ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    if not pair_ids:
        return {}
    rows = session.execute(
        select(LedgerHead.pair_id, LedgerHead.seq, LedgerHead.entry_hash).where(LedgerHead.pair_id.in_(list(pair_ids)))
    ).all()
    return {pid: (seq, h) for pid, seq, h in rows}


def append_links(session: Session, links: Sequence[Link], now: datetime) -> None:
    """Insert the entries and move each pair's head to its last new entry (one statement each)."""
    if not links:
        return
    session.execute(insert(LedgerEntry), [
        {"pair_id": k.pair_id, "seq": k.seq, "day": k.day, "kind": k.kind, "event_id": k.event_id, "body": k.body,
         "prev_hash": k.prev_hash, "entry_hash": k.entry_hash, "recorded_at": k.recorded_at}
        for k in links
    ])  # fmt: skip
    last: dict[int, Link] = {}
    for k in links:
        if k.pair_id not in last or k.seq > last[k.pair_id].seq:
            last[k.pair_id] = k
    rows = [{"pair_id": p, "seq": k.seq, "entry_hash": k.entry_hash, "updated_at": now} for p, k in last.items()]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(LedgerHead)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[LedgerHead.pair_id],
            set_={"seq": statement.excluded.seq, "entry_hash": statement.excluded.entry_hash,
                  "updated_at": statement.excluded.updated_at},
        ),
        rows,
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


