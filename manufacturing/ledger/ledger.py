"""The ledger, pure: hash-chained entries per pair and daily Merkle roots.

Each entry's ``body`` is canonical JSON (sorted keys, no spaces, UTF-8) of ``{"v", "pair", "seq", "prev",
"day", "recorded_at", "kind", "fact"}``; its hash is ``sha256(body)`` and the next entry's ``prev``. The first
entry's ``prev`` is 64 zeros. Everything stored beside the body (seq, day, kind, event id, hashes, the time)
is repeated inside it, so editing any stored field is caught. A day's Merkle root covers every entry
appended that UTC day, leaves in (pair, seq) order, with RFC 6962 domain separation (leaf ``0x00``, node
``0x01``; an unpaired node is promoted, never duplicated).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

LEDGER_VERSION = 1
GENESIS = "0" * 64
EVENT = "event"  # an entry recording a tracking event (operation, QC result, material lot, ...)


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Link:
    """One entry as stored (``pair_id`` is the database's; the body names the pair by serial)."""

    pair_id: int
    seq: int
    day: str
    kind: str
    event_id: str | None
    body: str
    prev_hash: str
    entry_hash: str
    recorded_at: datetime


def event_fact(
    event_id: str, event_type: str, operation: str, station: str, occurred_at: datetime, source: str,
    payload: Mapping[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """What the ledger keeps of a tracking event: the operation, station, worker, time, QC result, lot."""
    return {
        "event_id": event_id, "event_type": event_type, "operation": operation, "station": station,
        "occurred_at": occurred_at.isoformat(), "reader_id": source, "worker": payload.get("worker"),
        "payload": dict(payload),
    }  # fmt: skip


def make_link(
    pair_id: int, serial: str, head: tuple[int, str] | None, recorded_at: datetime, kind: str, fact: Mapping[str, Any]
) -> Link:
    """The entry after ``head`` ((seq, hash) of the pair's last entry, None for the first)."""
    seq, prev = (head[0] + 1, head[1]) if head is not None else (1, GENESIS)
    day = recorded_at.date().isoformat()
    body = canonical_json({
        "v": LEDGER_VERSION, "pair": serial, "seq": seq, "prev": prev, "day": day,
        "recorded_at": recorded_at.isoformat(), "kind": kind, "fact": dict(fact),
    })  # fmt: skip
    return Link(pair_id, seq, day, kind, fact.get("event_id"), body, prev, sha256_hex(body), recorded_at)


def _leaf(hex_hash: str) -> bytes:
    return hashlib.sha256(b"\x00" + bytes.fromhex(hex_hash)).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(leaves: Sequence[str]) -> str:
    """The root over entry hashes (hex) in order; the sha256 of nothing for no leaves."""
    level = [_leaf(h) for h in leaves]
    if not level:
        return hashlib.sha256(b"").hexdigest()
    while len(level) > 1:
        level = [_node(level[k], level[k + 1]) if k + 1 < len(level) else level[k] for k in range(0, len(level), 2)]
    return level[0].hex()


def merkle_proof(leaves: Sequence[str], index: int) -> list[tuple[str, str]]:
    """The audit path of leaf ``index``: (side of the sibling, "L" or "R"; its hash) from the bottom up."""
    level = [_leaf(h) for h in leaves]
    path = []
    while len(level) > 1:
        sibling = index ^ 1
        if sibling < len(level):
            path.append(("L" if sibling < index else "R", level[sibling].hex()))
        level = [_node(level[k], level[k + 1]) if k + 1 < len(level) else level[k] for k in range(0, len(level), 2)]
        index //= 2
    return path


def verify_proof(leaf_hash: str, path: Sequence[tuple[str, str]], root: str) -> bool:
    node = _leaf(leaf_hash)
    for side, sibling in path:
        node = _node(bytes.fromhex(sibling), node) if side == "L" else _node(node, bytes.fromhex(sibling))
    return node.hex() == root
