"""A small shop for tracking tests: a database (SQLite or PostgreSQL) with pairs and released work orders,
and scan events as readers send them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from manufacturing.db.migrate import upgrade
from manufacturing.db.models import Customer, Design, Order, Pair
from manufacturing.db.session import make_engine, make_session_factory, session_scope
from manufacturing.planning import service as planning
from manufacturing.planning.routing import RoutingInputs
from tests.conftest import migrated_database_url
from tests.manufacturing.inventory.stock import receive_opening_stock

T0 = datetime(2026, 3, 16, 7, 0, tzinfo=UTC)  # a Monday, inside the early shift
DERBY = RoutingInputs("derby", piece_count=8, seam_length_mm=1800.0, eyelets=10)
BOM = {"lines": [{"material_id": "full-grain-cowhide-b", "quantity": 0.21, "unit": "m2"}], "cost_eur": 48.5}
DERBY_OPERATIONS = ["cutting", "skiving", "closing_machine", "lasting", "sole_attaching", "finishing", "qc_final",
                    "packing"]  # fmt: skip


@dataclass
class Shop:
    url: str
    sessions: sessionmaker[Session]
    serials: list[str]
    work_orders: dict[str, int]


def make_shop(url: str, pairs: int = 3, due_hours: float = 48.0) -> Shop:
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with session_scope(sessions) as session:
        customer = Customer(email="tracker@example.com")
        session.add(customer)
        session.flush()
        design = Design(design_key="d-track", customer_id=customer.id, style="derby", options={"style": "derby"})
        order = Order(number="O-TRACK-1", customer_id=customer.id, created_at=T0 - timedelta(hours=1))
        session.add_all([design, order])
        session.flush()
        rows = [Pair(serial=f"CS26-TRK{k:03d}", order_id=order.id, design_id=design.id) for k in range(pairs)]
        session.add_all(rows)
        session.flush()
        receive_opening_stock(session)  # the kits are reserved at release
        work_orders = {}
        for p in rows:
            released = planning.release_work_order(session, p.id, DERBY, BOM, due_at=T0 + timedelta(hours=due_hours),
                                                   now=T0)  # fmt: skip
            work_orders[p.serial] = released.work_order.id
        serials = [p.serial for p in rows]
    return Shop(url, sessions, serials, work_orders)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Shop]:
    built = make_shop(migrated_database_url(request, tmp_path / "track.sqlite"))
    try:
        yield built
    finally:
        built.sessions.kw["bind"].dispose()


def scan(serial: str, operation: str, event_type: str, minute: float, station: str | None = None, **payload: Any
         ) -> dict[str, Any]:  # fmt: skip
    """One reader message, as JSON."""
    return {
        "event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{serial}/{operation}/{event_type}/{float(minute)}")),
        "pair_serial": serial, "station": station or operation.upper()[:8], "operation": operation,
        "event_type": event_type, "occurred_at": (T0 + timedelta(minutes=minute)).isoformat(),
        "reader_id": "rfid-1", "payload": payload,
    }  # fmt: skip


def full_run(serial: str, start: float = 0.0, minutes: float = 10.0) -> list[dict[str, Any]]:
    """Material reserved, then every derby operation started and finished (QC passed) in turn."""
    out = [scan(serial, "work_order", "material_reserved", start, station="STORES")]
    out.append(scan(serial, "work_order", "material_issued", start + 0.5, station="STORES", lot="LOT-CALF-0042",
                    material="calf-black"))  # fmt: skip
    t = start + 1
    for op in DERBY_OPERATIONS:
        out.append(scan(serial, op, "started", t, worker="W-7"))
        end = "qc_passed" if op == "qc_final" else "finished"
        out.append(scan(serial, op, end, t + minutes, worker="W-7"))
        t += minutes + 2
    return out
