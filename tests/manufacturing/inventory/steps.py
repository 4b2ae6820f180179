"""The stores' steps the inventory and purchasing tests share: release a pair's work order, receive a lot (which
reserves for the waiting work orders), read a work order's status or the stock report."""

from __future__ import annotations

from datetime import timedelta

from manufacturing.db.session import session_scope
from manufacturing.planning import kits
from manufacturing.planning import service as planning
from manufacturing.planning.routing import RoutingInputs
from manufacturing.purchasing import positions
from tests.manufacturing.inventory.conftest import T0, InventoryDb

DERBY = RoutingInputs("derby", piece_count=8, seam_length_mm=1800.0, eyelets=10)
LEATHER = "full-grain-cowhide-b"
BOM = {
    "lines": [
        {"material_id": LEATHER, "quantity": 0.12, "unit": "m2"},
        {"material_id": LEATHER, "quantity": 0.04, "unit": "m2"},
        {"material_id": "outsole-rubber-dress", "quantity": 1.0, "unit": "pair"},
        {"material_id": "box-shoe-kraft", "quantity": 1.0, "unit": "piece"},
    ]
}


def at(hours: float):
    return T0 + timedelta(hours=hours)


def release(db: InventoryDb, k: int, due_days: float = 3, hours: float = 0, bom=BOM) -> planning.WorkOrderStatus:
    with session_scope(db.sessions) as session:
        return planning.release_work_order(
            session, db.pair_ids[k], DERBY, bom, due_at=T0 + timedelta(days=due_days), now=at(hours)
        ).work_order


def receive(db: InventoryDb, material: str, quantity: float, hours: float = 1, **kw) -> kits.Received:
    with session_scope(db.sessions) as session:
        return kits.receive_and_reserve(session, material, quantity, batch=kw.pop("batch", "B-1"), now=at(hours), **kw)


def status(db: InventoryDb, work_order_id: int) -> planning.WorkOrderStatus:
    with session_scope(db.sessions) as session:
        return planning.work_order_status(session, work_order_id)


def stock(db: InventoryDb) -> dict[str, dict]:
    with session_scope(db.sessions) as session:
        return {row.material.id: row.to_dict() for row in positions.stock_report(session)}
