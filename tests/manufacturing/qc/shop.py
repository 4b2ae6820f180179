"""A small database with pairs and released work orders, on SQLite or PostgreSQL, for QC and feedback tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from manufacturing.artifacts.store import ArtifactStore
from manufacturing.db.models import Customer, Design, Order, Pair
from manufacturing.db.session import make_engine, make_session_factory, session_scope
from manufacturing.planning import service as planning
from manufacturing.planning.routing import RoutingInputs
from manufacturing.planning.work_orders import EventType
from tests.conftest import migrated_database_url

T0 = datetime(2026, 3, 16, 7, 0, tzinfo=UTC)
DERBY = RoutingInputs("derby", piece_count=8, seam_length_mm=1800.0, eyelets=10)
BOM = {"lines": [], "cost_eur": 40.0}


@dataclass
class Shop:
    sessions: sessionmaker[Session]
    store: ArtifactStore
    pair_ids: list[int]
    work_orders: dict[int, int] = field(default_factory=dict)  # pair → work order
    minute: int = 0

    def at(self) -> datetime:
        self.minute += 1
        return T0 + timedelta(minutes=self.minute)

    def event(self, pair_id: int, kind: EventType, op: str = "work_order") -> planning.Recorded:
        with session_scope(self.sessions) as session:
            return planning.record_operation_event(session, self.work_orders[pair_id], kind, op, occurred_at=self.at())

    def run_through(self, pair_id: int, until: str | None = None) -> None:
        """Start and finish every open non-QC operation up to (not including) ``until``."""
        with session_scope(self.sessions) as session:
            status = planning.work_order_status(session, self.work_orders[pair_id])
        if not status.progress.material_reserved:
            self.event(pair_id, EventType.MATERIAL_RESERVED)
        for op in status.routing["operations"]:
            if op["code"] == until:
                return
            with session_scope(self.sessions) as session:
                state = planning.work_order_status(session, self.work_orders[pair_id]).progress.of(op["code"]).state
            if state.value == "done":
                continue
            if op["qc_point"]:
                self.event(pair_id, EventType.QC_PASSED, op["code"])
                continue
            self.event(pair_id, EventType.STARTED, op["code"])
            self.event(pair_id, EventType.FINISHED, op["code"])


def make_shop(url: str, tmp_path: Path, pairs: int = 4, style: str = "derby") -> Iterator[Shop]:
    """``url``: a database at head."""
    engine = make_engine(url)
    try:
        sessions = make_session_factory(engine)
        with session_scope(sessions) as session:
            customer = Customer(email="qc@example.com")
            session.add(customer)
            session.flush()
            design = Design(design_key="d-qc", customer_id=customer.id, style=style, options={"style": style})
            order = Order(number="O-QC-1", customer_id=customer.id)
            session.add_all([design, order])
            session.flush()
            rows = [Pair(serial=f"CS26-QC{k}", order_id=order.id, design_id=design.id) for k in range(pairs)]
            session.add_all(rows)
            session.flush()
            shop = Shop(sessions, ArtifactStore(tmp_path / "artifacts"), [p.id for p in rows])
            for k, pid in enumerate(shop.pair_ids):
                inputs = RoutingInputs("derby", 8, 1800.0, 10, hand_stitching=k % 2 == 1)
                wo = planning.release_work_order(session, pid, inputs, BOM, due_at=T0 + timedelta(days=3), now=T0)
                shop.work_orders[pid] = wo.work_order.id
        yield shop
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Shop]:
    yield from make_shop(migrated_database_url(request, tmp_path / "qc.sqlite"), tmp_path)
