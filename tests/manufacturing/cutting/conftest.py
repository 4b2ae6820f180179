"""Nests of the sample derby pieces (vamp, quarter, toe cap, size 40) for real pairs, on SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from shapely.geometry import Polygon, box
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.pattern_samples import quarter, toe_cap, vamp
from geometry.pattern import PatternPiece
from manufacturing.artifacts import ArtifactStore
from manufacturing.cutting.plan import CutPiece
from manufacturing.db.models import Customer, Design, Order, Pair
from manufacturing.db.session import make_engine, make_session_factory, session_scope
from manufacturing.nesting.model import (
    Hide,
    HideInstance,
    HideLayout,
    HidePlacement,
    Piece,
    StripInstance,
    StripItem,
    StripLayout,
    StripPlacement,
)
from tests.conftest import migrated_database_url
from tests.manufacturing.inventory.stock import stock_up

T0 = datetime(2026, 3, 14, 8, 0, tzinfo=UTC)
GAP_MM = 10.0


def sample_patterns() -> list[PatternPiece]:
    return [vamp(), quarter(), toe_cap()]


def pair_pieces(pair_ids: list[int]) -> dict[str, CutPiece]:
    """Piece id ``p<pair>-<name>`` for every sample pattern of every pair."""
    return {
        f"p{pair}-{pattern.name.lower().replace(' ', '-')}": CutPiece(pair, pattern)
        for pair in pair_ids
        for pattern in sample_patterns()
    }


def _row_positions(pieces: dict[str, CutPiece]) -> tuple[list[tuple[str, float, float]], float, float]:
    """Pieces side by side along x: (piece id, x, y) so each one's bounds start at the cursor, and the extent."""
    placed, cursor, height = [], 0.0, 0.0
    for piece_id, cut in pieces.items():
        x0, y0, x1, y1 = cut.pattern.bounds_mm
        placed.append((piece_id, cursor - x0, GAP_MM - y0))
        cursor += x1 - x0 + GAP_MM
        height = max(height, y1 - y0)
    return placed, cursor, height + 2 * GAP_MM


def strip_nest(pieces: dict[str, CutPiece]) -> StripLayout:
    placed, length, height = _row_positions(pieces)
    items = tuple(StripItem(pid, Polygon(cut.pattern.cut_line), 1, (0.0,)) for pid, cut in pieces.items())
    instance = StripInstance("derby-row", height, items)
    return StripLayout(instance, length, tuple(StripPlacement(pid, 0.0, x, y) for pid, x, y in placed))


def hide_nest(pieces: dict[str, CutPiece], mirror_first: bool = True) -> HideLayout:
    """One hide with the pieces in a row; the first piece mirrored and turned 180° (placed in its own box)."""
    placed, length, height = _row_positions(pieces)
    hide = Hide("hide-A", box(-GAP_MM, -GAP_MM, length + GAP_MM, height + GAP_MM))
    nested = []
    placements = []
    for k, (pid, x, y) in enumerate(placed):
        flip = mirror_first and k == 0
        nested.append(
            Piece(pid, Polygon(pieces[pid].pattern.cut_line), 1, rotations_deg=(0.0, 180.0), mirror_allowed=flip)
        )
        if flip:
            # mirrored (x -> -x) then turned 180° maps (u, v) to (u, -v): shift y so the bounds stay in place
            y1 = pieces[pid].pattern.bounds_mm[3]
            placements.append(HidePlacement(pid, "hide-A", 180.0, True, x, GAP_MM + y1))
        else:
            placements.append(HidePlacement(pid, "hide-A", 0.0, False, x, y))
    return HideLayout(HideInstance("derby-hide", tuple(nested), (hide,)), tuple(placements))


@dataclass
class CuttingDb:
    sessions: sessionmaker[Session]
    store: ArtifactStore
    pair_ids: list[int]


def _pairs(sessions: sessionmaker[Session], count: int) -> list[int]:
    with session_scope(sessions) as session:
        customer = Customer(email="cutter@example.com")
        session.add(customer)
        session.flush()
        design = Design(design_key="d-1", customer_id=customer.id, style="derby", options={"style": "derby"})
        order = Order(number="O-CUT-1", customer_id=customer.id)
        session.add_all([design, order])
        session.flush()
        pairs = [Pair(serial=f"CS26-CUT{k}", order_id=order.id, design_id=design.id) for k in range(count)]
        session.add_all(pairs)
        session.flush()
        return [p.id for p in pairs]


def _cutting_db(url: str, tmp_path: Path) -> Iterator[CuttingDb]:
    """``url``: a database at head."""
    engine = make_engine(url)
    try:
        sessions = make_session_factory(engine)
        stock_up(sessions)  # completing a job books its leather
        yield CuttingDb(sessions, ArtifactStore(tmp_path / "artifacts"), _pairs(sessions, 4))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def cutting_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CuttingDb]:
    """The same tests on the embedded database and on the production one."""
    yield from _cutting_db(migrated_database_url(request, tmp_path / "cut.sqlite"), tmp_path)


@pytest.fixture
def postgres_cutting_db(migrated_postgres_url: str, tmp_path: Path) -> Iterator[CuttingDb]:
    yield from _cutting_db(migrated_postgres_url, tmp_path)
