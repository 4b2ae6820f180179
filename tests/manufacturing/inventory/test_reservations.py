"""A work order's kit through the services on SQLite and PostgreSQL: release blocked with the reason then
unblocked by a receipt (earliest due first), grade substitution, cancellation and backflush, and a BOM the stock
cannot read refused before anything is stored."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from manufacturing.db.models import StockMovement, TrackingEvent
from manufacturing.db.session import session_scope
from manufacturing.inventory import lots as inventory_lots
from manufacturing.inventory import reservations
from manufacturing.inventory.errors import InventoryInputError
from manufacturing.planning import kits
from manufacturing.planning import service as planning
from manufacturing.planning.errors import AwaitingMaterialError, OperationEventError
from manufacturing.planning.work_orders import EventType
from manufacturing.states import OperationState, WorkOrderState
from tests.manufacturing.inventory.conftest import T0, InventoryDb
from tests.manufacturing.inventory.steps import LEATHER, at, receive, release, status, stock


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
        assert [w.work_order_id for w in kits.waiting_work_orders(session)] == [wo.id]
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
        again = kits.reserve_work_order(session, wo.id, now=at(4))
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
        moves = inventory_lots.movements_of(session, work_order_id=wo.id)
        lots = {lot.id: lot for lot in inventory_lots.lots(session, include_empty=True)}
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
        assert kits.waiting_work_orders(session) == []  # a cancelled work order does not wait
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
        assert reservations.backflush_work_order(session, finished.id, at(9)) == 0.0  # nothing left to consume


def test_a_bom_inventory_cannot_read_is_refused_before_a_work_order_is_stored(inventory_db: InventoryDb) -> None:
    with pytest.raises(InventoryInputError, match="names no material_id"):
        release(inventory_db, 0, bom={"lines": [{"material": "calf-black", "quantity": 0.21, "unit": "m2"}]})
    with session_scope(inventory_db.sessions) as session:
        assert session.scalar(select(func.count()).select_from(StockMovement)) == 0
        assert planning.reschedule(session, now=T0, time_limit_s=1.0).work_orders == 0
