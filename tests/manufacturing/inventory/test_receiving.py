"""Receiving and counting through the services on SQLite and PostgreSQL: a received lot on hand and the bad
receipts named; a count that adjusts a lot, an upward correction reserving for the waiting work order."""

from __future__ import annotations

import pytest

from manufacturing.db.session import session_scope
from manufacturing.inventory import lots as inventory_lots
from manufacturing.inventory.errors import InventoryInputError, UnknownLotError, WrongUnitError
from manufacturing.planning import kits
from manufacturing.states import WorkOrderState
from tests.manufacturing.inventory.conftest import InventoryDb
from tests.manufacturing.inventory.steps import LEATHER, at, receive, release, status, stock


def test_a_received_lot_is_on_hand_and_bad_receipts_are_named(inventory_db: InventoryDb) -> None:
    got = receive(
        inventory_db,
        LEATHER,
        4.6,
        supplier="Conceria Toscana",
        batch="CT-2026-11",
        grade="a",
        unit="m2",
        unit_cost_eur=58.5,
    )
    assert got.lot.to_dict() | {"received_at": None} == {
        "id": got.lot.id,
        "material_id": LEATHER,
        "supplier": "Conceria Toscana",
        "batch": "CT-2026-11",
        "grade": "A",
        "unit": "m2",
        "unit_cost_eur": 58.5,
        "received_at": None,
        "received": 4.6,
        "on_hand": 4.6,
        "reserved": 0.0,
        "available": 4.6,
        "purchase_order_line_id": None,
        "note": "",
    }
    row = stock(inventory_db)[LEATHER]
    assert (row["on_hand"], row["available"], row["lots"], row["value_eur"]) == (4.6, 4.6, 1, round(4.6 * 58.5, 2))
    with pytest.raises(WrongUnitError, match="stocked in pair, not m2"):
        receive(inventory_db, "outsole-rubber-dress", 10, unit="m2")
    with pytest.raises(InventoryInputError, match="not a hide"):
        receive(inventory_db, "canvas-cotton", 10, grade="B")
    with pytest.raises(InventoryInputError, match="quantity must be more than 0"):
        receive(inventory_db, "canvas-cotton", -1)
    with pytest.raises(InventoryInputError, match="batch must be a non-empty text"):
        receive(inventory_db, "canvas-cotton", 1, batch=" ")
    with pytest.raises(UnknownLotError), session_scope(inventory_db.sessions) as session:
        inventory_lots.lot(session, 999)


def test_a_count_adjusts_the_lot_and_an_upward_correction_reserves_for_the_waiting(inventory_db: InventoryDb) -> None:
    for material, quantity in (("outsole-rubber-dress", 5), ("box-shoe-kraft", 5)):
        receive(inventory_db, material, quantity, hours=-1)
    lot_id = receive(inventory_db, LEATHER, 0.1, hours=-1).lot.id
    wo = release(inventory_db, 0)
    with session_scope(inventory_db.sessions) as session:
        counted = kits.adjust_and_reserve(session, lot_id, counted=0.5, note="hide found in the second rack", now=at(2))
    assert counted.on_hand == pytest.approx(0.5) and counted.reserved == pytest.approx(0.16)
    assert status(inventory_db, wo.id).state == WorkOrderState.READY
    with session_scope(inventory_db.sessions) as session:
        damaged = kits.adjust_and_reserve(session, lot_id, delta=-0.05, note="scratched corner cut away", now=at(3))
        assert damaged.on_hand == pytest.approx(0.45)
        with pytest.raises(InventoryInputError, match="either delta or counted"):
            kits.adjust_and_reserve(session, lot_id, note="?", now=at(3))
        kinds = [m["kind"] for m in inventory_lots.movements_of(session, lot_id=lot_id)]
    assert kinds == ["receive", "adjust", "reserve", "adjust"]
