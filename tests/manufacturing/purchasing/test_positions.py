"""The reorder report through the services on SQLite and PostgreSQL, from real releases: the released demand
by day, safety stock, reorder point and what to order."""

from __future__ import annotations

import pytest

from manufacturing.db.session import session_scope
from manufacturing.inventory.errors import InventoryInputError
from manufacturing.purchasing import positions
from tests.manufacturing.inventory.conftest import T0, InventoryDb
from tests.manufacturing.inventory.steps import LEATHER, receive, release


def test_the_reorder_report_uses_the_released_demand_by_day(inventory_db: InventoryDb) -> None:
    for material, quantity in (("outsole-rubber-dress", 3), ("box-shoe-kraft", 100)):
        receive(inventory_db, material, quantity, hours=-100)
    receive(inventory_db, LEATHER, 10, hours=-100)
    release(inventory_db, 0, hours=-48)  # two days ago
    release(inventory_db, 1, hours=-47)  # same day
    release(inventory_db, 2, hours=-1)  # today
    with session_scope(inventory_db.sessions) as session:
        lines = {line.material.id: line for line in positions.reorder_report(session, T0, history_days=4)}
    soles = lines["outsole-rubber-dress"]
    # days (oldest first) 0, 0, 2, 1 → mean 0.75, sample σ = √((0.5625·2 + 1.5625 + 0.0625) / 3) = 0.957427
    assert soles.mean_daily == pytest.approx(0.75) and soles.sigma_daily == pytest.approx(0.957427, abs=1e-6)
    # L = 28: SS = 1.644854 × 0.957427 × √28 = 8.33320; ROP = 0.75 × 28 + SS = 29.33320
    assert soles.safety_stock == pytest.approx(8.33320, abs=1e-5)
    assert soles.reorder_point == pytest.approx(29.33320, abs=1e-5)
    # 3 received, 3 reserved → position 0: order up to ROP + 14 × 0.75 = 39.83 → 40 pairs
    assert soles.stock.position == 0.0 and soles.suggested == 40.0
    assert lines["canvas-cotton"].reorder_point == 0.0 and lines["canvas-cotton"].suggested == 0.0
    with session_scope(inventory_db.sessions) as session, pytest.raises(InventoryInputError, match="history_days"):
        positions.reorder_report(session, T0, history_days=0)
