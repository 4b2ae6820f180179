"""A database with pairs (no work orders yet) for the inventory tests, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from manufacturing.artifacts import ArtifactStore
from manufacturing.db.models import Customer, Design, Order, Pair
from manufacturing.db.session import make_engine, make_session_factory, session_scope
from tests.conftest import migrated_database_url

T0 = datetime(2026, 3, 16, 7, 0, tzinfo=UTC)  # a Monday, inside the early shift


@dataclass
class InventoryDb:
    sessions: sessionmaker[Session]
    store: ArtifactStore
    pair_ids: list[int]
    dialect: str


def _inventory_db(url: str, tmp_path: Path, dialect: str) -> Iterator[InventoryDb]:
    """``url``: a database at head."""
    engine = make_engine(url)
    try:
        sessions = make_session_factory(engine)
        with session_scope(sessions) as session:
            customer = Customer(email="stores@example.com")
            session.add(customer)
            session.flush()
            design = Design(design_key="d-inv", customer_id=customer.id, style="derby", options={"style": "derby"})
            order = Order(number="O-INV-1", customer_id=customer.id)
            session.add_all([design, order])
            session.flush()
            pairs = [Pair(serial=f"CS26-INV{k}", order_id=order.id, design_id=design.id) for k in range(6)]
            session.add_all(pairs)
            session.flush()
            pair_ids = [p.id for p in pairs]
        yield InventoryDb(sessions, ArtifactStore(tmp_path / "artifacts"), pair_ids, dialect)
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def inventory_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[InventoryDb]:
    url = migrated_database_url(request, tmp_path / "inv.sqlite")
    yield from _inventory_db(url, tmp_path, request.param)


@pytest.fixture
def postgres_inventory_db(migrated_postgres_url: str, tmp_path: Path) -> Iterator[InventoryDb]:
    yield from _inventory_db(migrated_postgres_url, tmp_path, "postgres")
