"""Purchase orders through the services on SQLite and PostgreSQL: placed from the suggestions and by hand,
counted on order, received into lots (reserving for the waiting work order), and cancelled."""

from __future__ import annotations

from datetime import timedelta

import pytest

from manufacturing.db.session import session_scope
from manufacturing.purchasing import orders as purchasing
from manufacturing.purchasing import positions
from manufacturing.purchasing.errors import PurchaseOrderError, UnknownPurchaseOrderError
from tests.manufacturing.inventory.conftest import InventoryDb
from tests.manufacturing.inventory.steps import LEATHER, at, receive, release, stock


def test_purchase_orders_are_placed_counted_on_order_received_into_lots_and_cancelled(
    inventory_db: InventoryDb,
) -> None:
    for material in ("outsole-rubber-dress", "box-shoe-kraft"):
        receive(inventory_db, material, 5, hours=-1)
    wo = release(inventory_db, 0)
    with session_scope(inventory_db.sessions) as session:
        suggestions = positions.suggest_purchases(session, at(1))
        assert [(s.supplier, [(line.material_id, line.quantity) for line in s.lines]) for s in suggestions] == [
            ("Conceria Toscana S.r.l. (Santa Croce, IT)", [(LEATHER, pytest.approx(4.6))])
        ]  # one hide
        placed = purchasing.place_suggested_orders(session, at(1))
        spare = purchasing.place_purchase_order(
            session, "Kraft Pack Lda. (Maia, PT)", [("box-shoe-kraft", 25)], now=at(1)
        )
    assert [p.number for p in placed] == ["PO-000001"] and spare.number == "PO-000002"
    assert placed[0].state == "open" and placed[0].expected_at == at(1) + timedelta(days=28)
    assert stock(inventory_db)[LEATHER]["on_order"] == pytest.approx(4.6)
    with session_scope(inventory_db.sessions) as session:
        assert positions.suggest_purchases(session, at(1)) == []  # on order covers it
        partly = purchasing.receive_purchase_order(session, "po-000001", quantities={LEATHER: 2.3}, now=at(2))
    assert partly.order.state == "partly_received" and partly.retried.reserved == (wo.id,)
    assert partly.lots[0].batch == "PO-000001" and partly.lots[0].purchase_order_line_id is not None
    with session_scope(inventory_db.sessions) as session:
        rest = purchasing.receive_purchase_order(session, placed[0].id, batch="CT-77", now=at(3))
        assert rest.order.state == "received" and rest.lots[0].received == pytest.approx(2.3)
        with pytest.raises(PurchaseOrderError, match="is received"):
            purchasing.receive_purchase_order(session, "PO-000001", now=at(4))
        assert purchasing.cancel_purchase_order(session, "PO-000002", now=at(4)).state == "cancelled"
        with pytest.raises(UnknownPurchaseOrderError):
            purchasing.purchase_order(session, "PO-000099")
    row = stock(inventory_db)
    assert (row[LEATHER]["on_hand"], row[LEATHER]["on_order"]) == (pytest.approx(4.6), 0.0)
    assert row["box-shoe-kraft"]["on_order"] == 0.0  # cancelled
