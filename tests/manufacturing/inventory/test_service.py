"""Inventory through the service on SQLite and PostgreSQL: lots and movements, release blocked with the
reason then unblocked by a receipt (earliest due first), grade substitution, cancellation and backflush,
counts, purchase orders, and the reorder report from real releases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from manufacturing.db.models import StockMovement, TrackingEvent
from manufacturing.db.session import session_scope
from manufacturing.inventory import service as inventory
from manufacturing.inventory.errors import (
    InventoryInputError,
    PurchaseOrderError,
    UnknownLotError,
    UnknownPurchaseOrderError,
    WrongUnitError,
)
from manufacturing.planning import service as planning
from manufacturing.planning.errors import AwaitingMaterialError, OperationEventError
from manufacturing.planning.routing import RoutingInputs
from manufacturing.planning.work_orders import EventType
from manufacturing.states import OperationState, WorkOrderState
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


def receive(db: InventoryDb, material: str, quantity: float, hours: float = 1, **kw) -> inventory.Received:
    with session_scope(db.sessions) as session:
        return inventory.receive_lot(session, material, quantity, batch=kw.pop("batch", "B-1"), now=at(hours), **kw)


def status(db: InventoryDb, work_order_id: int) -> planning.WorkOrderStatus:
    with session_scope(db.sessions) as session:
        return planning.work_order_status(session, work_order_id)


def stock(db: InventoryDb) -> dict[str, dict]:
    with session_scope(db.sessions) as session:
        return {row.material.id: row.to_dict() for row in inventory.stock_report(session)}


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
        inventory.lot(session, 999)


def test_a_short_release_waits_with_the_reason_and_a_receipt_unblocks_it(inventory_db: InventoryDb) -> None:
    receive(inventory_db, LEATHER, 0.1, hours=-1)
    receive(inventory_db, "box-shoe-kraft", 50, hours=-1)
    wo = release(inventory_db, 0)
    assert wo.state == WorkOrderState.AWAITING_MATERIAL
    assert [s.to_dict() for s in wo.shortages] == [
        {"material_id": LEATHER, "needed": 0.16, "available": 0.1, "unit": "m2"},
        {"material_id": "outsole-rubber-dress", "needed": 1.0, "available": 0.0, "unit": "pair"},
    ]
    assert wo.progress.of("cutting").state == OperationState.WAITING_MATERIAL
    assert stock(inventory_db)["box-shoe-kraft"]["reserved"] == 0.0  # all or nothing: no box held either
    with pytest.raises(
        AwaitingMaterialError,
        match=r"awaits material: full-grain-cowhide-b needs 0.16 m2, 0.1 m2 "
        r"available \(short 0.06 m2\); outsole-rubber-dress",
    ) as caught, session_scope(inventory_db.sessions) as session:
        planning.record_operation_event(session, wo.id, EventType.STARTED, "cutting", occurred_at=at(0.5))
    assert caught.value.http_status == 409 and caught.value.code == "awaiting_material"
    assert caught.value.details["shortages"][0]["material_id"] == LEATHER
    with pytest.raises(OperationEventError, match="recorded by inventory"), session_scope(inventory_db.sessions) as s:
        planning.record_operation_event(s, wo.id, EventType.MATERIAL_RESERVED, occurred_at=at(0.5))
    with session_scope(inventory_db.sessions) as session:
        assert [w.work_order_id for w in inventory.waiting_work_orders(session)] == [wo.id]
        assert planning.reschedule(session, now=at(0.5), time_limit_s=2.0).work_orders == 0  # left out

    leather = receive(inventory_db, LEATHER, 0.5, hours=2)  # still no soles: still waiting, reason updated
    assert leather.retried.waiting == (wo.id,) and leather.retried.reserved == ()
    assert [s.material_id for s in status(inventory_db, wo.id).shortages] == ["outsole-rubber-dress"]
    soles = receive(inventory_db, "outsole-rubber-dress", 20, hours=3)
    assert soles.retried.reserved == (wo.id,)
    ready = status(inventory_db, wo.id)
    assert ready.state == WorkOrderState.READY and ready.shortages == () and ready.progress.material_reserved
    rows = stock(inventory_db)
    assert rows[LEATHER]["reserved"] == pytest.approx(0.16) and rows[LEATHER]["available"] == pytest.approx(0.44)
    assert (rows["outsole-rubber-dress"]["reserved"], rows["box-shoe-kraft"]["reserved"]) == (1.0, 1.0)
    with session_scope(inventory_db.sessions) as session:
        kinds = session.scalars(
            select(TrackingEvent.event_type)
            .where(TrackingEvent.pair_id == wo.pair_id)
            .order_by(TrackingEvent.occurred_at, TrackingEvent.id)
        ).all()
        assert kinds == ["material_short", "material_short", "material_reserved"]
        again = inventory.reserve_work_order(session, wo.id, now=at(4))
        assert not again.first and again.reserved  # idempotent
        planning.record_operation_event(session, wo.id, EventType.STARTED, "cutting", occurred_at=at(4))
        assert planning.reschedule(session, now=at(4), time_limit_s=2.0).work_orders == 1


def test_a_receipt_serves_the_earliest_due_work_order_first(inventory_db: InventoryDb) -> None:
    receive(inventory_db, "outsole-rubber-dress", 10, hours=-1)
    receive(inventory_db, "box-shoe-kraft", 10, hours=-1)
    late = release(inventory_db, 0, due_days=9)
    early = release(inventory_db, 1, due_days=2, hours=0.5)
    assert late.state == early.state == WorkOrderState.AWAITING_MATERIAL
    got = receive(inventory_db, LEATHER, 0.2, hours=2)  # enough for one kit of 0.16 m²
    assert got.retried.reserved == (early.id,) and got.retried.waiting == (late.id,)
    assert status(inventory_db, late.id).shortages[0].to_dict() == {
        "material_id": LEATHER,
        "needed": 0.16,
        "available": pytest.approx(0.04),
        "unit": "m2",
    }


def test_a_better_grade_serves_when_the_bom_grade_is_out_and_its_reservation_names_the_lots(
    inventory_db: InventoryDb,
) -> None:
    graded_a = receive(inventory_db, "full-grain-cowhide-a", 1.0, hours=-2).lot.id
    worse = receive(inventory_db, "full-grain-cowhide-c", 5.0, hours=-2).lot.id
    receive(inventory_db, "outsole-rubber-dress", 10, hours=-1)
    receive(inventory_db, "box-shoe-kraft", 10, hours=-1)
    wo = release(inventory_db, 0)
    assert wo.state == WorkOrderState.READY
    with session_scope(inventory_db.sessions) as session:
        moves = inventory.movements_of(session, work_order_id=wo.id)
        lots = {lot.id: lot for lot in inventory.lots(session, include_empty=True)}
    leather = [m for m in moves if m["demand_material_id"] == LEATHER]
    assert [(m["lot_id"], m["kind"], m["quantity"], m["material_id"]) for m in leather] == [
        (graded_a, "reserve", 0.16, "full-grain-cowhide-a")
    ]
    assert lots[worse].reserved == 0.0 and lots[graded_a].available == pytest.approx(0.84)


def test_cancelling_gives_the_kit_back_and_finishing_consumes_what_is_still_reserved(inventory_db: InventoryDb) -> None:
    for material, quantity in ((LEATHER, 1.0), ("outsole-rubber-dress", 5), ("box-shoe-kraft", 5)):
        receive(inventory_db, material, quantity, hours=-1)
    cancelled, finished = release(inventory_db, 0), release(inventory_db, 1)
    assert cancelled.state == finished.state == WorkOrderState.READY
    with session_scope(inventory_db.sessions) as session:
        planning.record_operation_event(session, cancelled.id, EventType.CANCELLED, occurred_at=at(1))
    rows = stock(inventory_db)
    assert rows["outsole-rubber-dress"]["reserved"] == 1.0 and rows[LEATHER]["reserved"] == pytest.approx(0.16)
    with session_scope(inventory_db.sessions) as session:
        assert inventory.waiting_work_orders(session) == []  # a cancelled work order does not wait
    minute = 60
    for op in finished.routing["operations"]:
        kinds = ["qc_passed"] if op["qc_point"] else ["started", "finished"]
        for kind in kinds:
            minute += 1
            with session_scope(inventory_db.sessions) as session:
                done = planning.record_operation_event(
                    session, finished.id, kind, op["code"], occurred_at=T0 + timedelta(minutes=minute)
                )
    assert done.work_order.state == WorkOrderState.DONE
    rows = stock(inventory_db)
    assert (rows["outsole-rubber-dress"]["on_hand"], rows["outsole-rubber-dress"]["reserved"]) == (4.0, 0.0)
    assert rows[LEATHER]["on_hand"] == pytest.approx(0.84) and rows[LEATHER]["reserved"] == 0.0
    with session_scope(inventory_db.sessions) as session:
        assert inventory.backflush_work_order(session, finished.id, at(9)) == 0.0  # nothing left to consume


def test_a_count_adjusts_the_lot_and_an_upward_correction_reserves_for_the_waiting(inventory_db: InventoryDb) -> None:
    for material, quantity in (("outsole-rubber-dress", 5), ("box-shoe-kraft", 5)):
        receive(inventory_db, material, quantity, hours=-1)
    lot_id = receive(inventory_db, LEATHER, 0.1, hours=-1).lot.id
    wo = release(inventory_db, 0)
    with session_scope(inventory_db.sessions) as session:
        counted = inventory.adjust_lot(session, lot_id, counted=0.5, note="hide found in the second rack", now=at(2))
    assert counted.on_hand == pytest.approx(0.5) and counted.reserved == pytest.approx(0.16)
    assert status(inventory_db, wo.id).state == WorkOrderState.READY
    with session_scope(inventory_db.sessions) as session:
        damaged = inventory.adjust_lot(session, lot_id, delta=-0.05, note="scratched corner cut away", now=at(3))
        assert damaged.on_hand == pytest.approx(0.45)
        with pytest.raises(InventoryInputError, match="either delta or counted"):
            inventory.adjust_lot(session, lot_id, note="?", now=at(3))
        kinds = [m["kind"] for m in inventory.movements_of(session, lot_id=lot_id)]
    assert kinds == ["receive", "adjust", "reserve", "adjust"]


def test_purchase_orders_are_placed_counted_on_order_received_into_lots_and_cancelled(
    inventory_db: InventoryDb,
) -> None:
    for material in ("outsole-rubber-dress", "box-shoe-kraft"):
        receive(inventory_db, material, 5, hours=-1)
    wo = release(inventory_db, 0)
    with session_scope(inventory_db.sessions) as session:
        suggestions = inventory.suggest_purchases(session, at(1))
        assert [(s.supplier, [(line.material_id, line.quantity) for line in s.lines]) for s in suggestions] == [
            ("Conceria Toscana S.r.l. (Santa Croce, IT)", [(LEATHER, pytest.approx(4.6))])
        ]  # one hide
        placed = inventory.place_suggested_orders(session, at(1))
        spare = inventory.place_purchase_order(
            session, "Kraft Pack Lda. (Maia, PT)", [("box-shoe-kraft", 25)], now=at(1)
        )
    assert [p.number for p in placed] == ["PO-000001"] and spare.number == "PO-000002"
    assert placed[0].state == "open" and placed[0].expected_at == at(1) + timedelta(days=28)
    assert stock(inventory_db)[LEATHER]["on_order"] == pytest.approx(4.6)
    with session_scope(inventory_db.sessions) as session:
        assert inventory.suggest_purchases(session, at(1)) == []  # on order covers it
        partly = inventory.receive_purchase_order(session, "po-000001", quantities={LEATHER: 2.3}, now=at(2))
    assert partly.order.state == "partly_received" and partly.retried.reserved == (wo.id,)
    assert partly.lots[0].batch == "PO-000001" and partly.lots[0].purchase_order_line_id is not None
    with session_scope(inventory_db.sessions) as session:
        rest = inventory.receive_purchase_order(session, placed[0].id, batch="CT-77", now=at(3))
        assert rest.order.state == "received" and rest.lots[0].received == pytest.approx(2.3)
        with pytest.raises(PurchaseOrderError, match="is received"):
            inventory.receive_purchase_order(session, "PO-000001", now=at(4))
        assert inventory.cancel_purchase_order(session, "PO-000002", now=at(4)).state == "cancelled"
        with pytest.raises(UnknownPurchaseOrderError):
            inventory.purchase_order(session, "PO-000099")
    row = stock(inventory_db)
    assert (row[LEATHER]["on_hand"], row[LEATHER]["on_order"]) == (pytest.approx(4.6), 0.0)
    assert row["box-shoe-kraft"]["on_order"] == 0.0  # cancelled


def test_the_reorder_report_uses_the_released_demand_by_day(inventory_db: InventoryDb) -> None:
    for material, quantity in (("outsole-rubber-dress", 3), ("box-shoe-kraft", 100)):
        receive(inventory_db, material, quantity, hours=-100)
    receive(inventory_db, LEATHER, 10, hours=-100)
    release(inventory_db, 0, hours=-48)  # two days ago
    release(inventory_db, 1, hours=-47)  # same day
    release(inventory_db, 2, hours=-1)  # today
    with session_scope(inventory_db.sessions) as session:
        lines = {line.material.id: line for line in inventory.reorder_report(session, T0, history_days=4)}
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
        inventory.reorder_report(session, T0, history_days=0)


def test_a_bom_inventory_cannot_read_is_refused_before_a_work_order_is_stored(inventory_db: InventoryDb) -> None:
    with pytest.raises(InventoryInputError, match="names no material_id"):
        release(inventory_db, 0, bom={"lines": [{"material": "calf-black", "quantity": 0.21, "unit": "m2"}]})
    with session_scope(inventory_db.sessions) as session:
        assert session.scalar(select(func.count()).select_from(StockMovement)) == 0
        assert planning.reschedule(session, now=T0, time_limit_s=1.0).work_orders == 0
