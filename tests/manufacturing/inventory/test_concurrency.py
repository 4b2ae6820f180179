"""Two releases reserving the same leather at once on PostgreSQL: the second waits for the first's stock lock
and sees its reservation, so the free stock is never reserved twice."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from manufacturing.db.session import session_scope
from manufacturing.inventory import lots as inventory_lots
from manufacturing.planning import kits
from manufacturing.planning import service as planning
from manufacturing.planning.routing import RoutingInputs
from manufacturing.states import WorkOrderState
from tests.manufacturing.inventory.conftest import T0, InventoryDb

DERBY = RoutingInputs("derby", piece_count=8, seam_length_mm=1800.0, eyelets=10)
BOM = {"lines": [{"material_id": "full-grain-cowhide-b", "quantity": 0.6, "unit": "m2"}]}
HOLD_S = 0.8  # how long the first release keeps its transaction open after reserving


@pytest.mark.postgres
def test_two_releases_at_once_cannot_over_reserve(postgres_inventory_db: InventoryDb) -> None:
    db = postgres_inventory_db
    with session_scope(db.sessions) as session:
        kits.receive_and_reserve(session, "full-grain-cowhide-b", 1.0, batch="ONE-HIDE", now=T0)
    reserved_uncommitted = threading.Event()
    outcome: dict[str, object] = {}
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with session_scope(db.sessions) as session:
                released = planning.release_work_order(
                    session, db.pair_ids[0], DERBY, BOM, T0 + timedelta(days=2), now=T0
                )
                outcome["first"] = released.work_order.state
                reserved_uncommitted.set()
                time.sleep(HOLD_S)  # the reservation exists but is not committed yet
                outcome["first_committing_at"] = time.monotonic()
        except BaseException as exc:  # reported below
            errors.append(exc)
            reserved_uncommitted.set()

    def second() -> None:
        try:
            reserved_uncommitted.wait(10)
            with session_scope(db.sessions) as session:
                released = planning.release_work_order(
                    session, db.pair_ids[1], DERBY, BOM, T0 + timedelta(days=2), now=T0
                )
                outcome["second_decided_at"] = time.monotonic()
                outcome["second"] = released.work_order
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert outcome["first"] == WorkOrderState.READY
    second_status = outcome["second"]
    assert isinstance(second_status, planning.WorkOrderStatus)
    # It decided only after the first committed, and saw 1.0 − 0.6 = 0.4 m² free.
    assert outcome["second_decided_at"] >= outcome["first_committing_at"]  # type: ignore[operator]
    assert second_status.state == WorkOrderState.AWAITING_MATERIAL
    assert second_status.shortages[0].available == pytest.approx(0.4)
    with session_scope(db.sessions) as session:
        (lot,) = inventory_lots.lots(session, "full-grain-cowhide-b")
    assert lot.reserved == pytest.approx(0.6) and lot.available == pytest.approx(0.4)
