"""Opening stock for tests that need workable work orders: ample lots of every catalogue material."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from manufacturing.db.session import session_scope
from manufacturing.materials.catalogue import default_catalogue
from manufacturing.planning import kits

OPENING = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # before any test's work orders
AMPLE = {"m2": 500.0, "dm2": 50_000.0, "pair": 5_000.0, "m": 500_000.0, "piece": 50_000.0, "g": 500_000.0}


def receive_opening_stock(session: Session, now: datetime = OPENING) -> dict[str, int]:
    """One lot of every catalogue material, far more than any test releases; material id → lot id."""
    lots = {}
    for material in default_catalogue().materials.values():
        received = kits.receive_and_reserve(session, material.id, AMPLE[material.unit], batch="OPENING", now=now)
        lots[material.id] = received.lot.id
    return lots


def stock_up(sessions: sessionmaker[Session], now: datetime = OPENING) -> dict[str, int]:
    with session_scope(sessions) as session:
        return receive_opening_stock(session, now)
