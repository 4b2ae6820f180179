"""Work orders through the service on SQLite and PostgreSQL: idempotent release with a snapshot, events that
move derived states (and refused ones), the factory stored and loaded, re-scheduling with ETAs."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from manufacturing.db.models import Customer, Design, Order, Pair, TrackingEvent, WorkOrder, WorkOrderOperation
from manufacturing.db.session import make_engine, make_session_factory, session_scope
from manufacturing.planning import kits, service
from manufacturing.planning.errors import AwaitingMaterialError, OperationEventError
from manufacturing.planning.factory import default_factory
from manufacturing.planning.routing import TEMPLATES, RoutingInputs
from manufacturing.planning.work_orders import EventType
from manufacturing.states import OperationState, WorkOrderState
from tests.conftest import migrated_database_url
from tests.manufacturing.inventory.stock import stock_up

T0 = datetime(2026, 3, 16, 7, 0, tzinfo=UTC)  # a Monday, inside the early shift
DERBY = RoutingInputs("derby", piece_count=8, seam_length_mm=1800.0, eyelets=10)
BOM = {"lines": [{"material_id": "full-grain-cowhide-b", "quantity": 0.21, "unit": "m2"}], "cost_eur": 48.5}


@dataclass
class PlanningDb:
    sessions: sessionmaker[Session]
    pair_ids: list[int]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PlanningDb]:
    url = migrated_database_url(request, tmp_path / "plan.sqlite")
    engine = make_engine(url)
    try:
        sessions = make_session_factory(engine)
        with session_scope(sessions) as session:
            customer = Customer(email="planner@example.com")
            session.add(customer)
            session.flush()
            design = Design(design_key="d-plan", customer_id=customer.id, style="derby", options={"style": "derby"})
            orders = [Order(number=f"O-PLAN-{k}", customer_id=customer.id) for k in range(2)]
            session.add_all([design, *orders])
            session.flush()
            pairs = [Pair(serial=f"CS26-PLAN{k}", order_id=orders[k % 2].id, design_id=design.id) for k in range(4)]
            session.add_all(pairs)
            session.flush()
            pair_ids = [p.id for p in pairs]
        yield PlanningDb(sessions, pair_ids)
    finally:
        engine.dispose()


def release(db: PlanningDb, pair_id: int, **kwargs) -> service.Released:
    with session_scope(db.sessions) as session:
        return service.release_work_order(session, pair_id, kwargs.pop("inputs", DERBY), kwargs.pop("bom", BOM),
                                          due_at=T0 + timedelta(days=2), now=T0, **kwargs)  # fmt: skip


def event(db: PlanningDb, wo: int, kind: EventType, op: str = "work_order", minute: int = 0, **kw) -> service.Recorded:
    with session_scope(db.sessions) as session:
        return service.record_operation_event(
            session, wo, kind, op, occurred_at=T0 + timedelta(minutes=minute), station=kw.pop("station", None), **kw
        )


def test_release_twice_is_one_work_order_with_its_snapshot(db: PlanningDb) -> None:
    first = release(db, db.pair_ids[0])  # nothing in stock: stored, awaiting material, with the reason
    assert first.first and first.work_order.state == WorkOrderState.AWAITING_MATERIAL
    assert [s.to_dict() for s in first.work_order.shortages] == [
        {"material_id": "full-grain-cowhide-b", "needed": 0.21, "available": 0.0, "unit": "m2"}]  # fmt: skip
    slower = {
        **TEMPLATES,
        "cutting": TEMPLATES["cutting"].__class__(**{**TEMPLATES["cutting"].__dict__, "setup_min": 99.0}),
    }
    again = release(db, db.pair_ids[0], templates=slower, bom={"lines": []})
    assert not again.first and again.work_order.id == first.work_order.id
    assert again.work_order.snapshot_sha256 == first.work_order.snapshot_sha256
    assert again.work_order.bom == BOM
    assert again.work_order.routing["operations"][0]["standard_minutes"] == pytest.approx(2.0 + 2 * 0.35 * 8)
    with session_scope(db.sessions) as session:
        assert session.scalar(select(func.count()).select_from(WorkOrder)) == 1
        assert session.scalar(select(func.count()).select_from(WorkOrderOperation)) == 8


def test_events_move_the_derived_states_and_repeat_harmlessly(db: PlanningDb) -> None:
    wo = release(db, db.pair_ids[1]).work_order.id
    with pytest.raises(AwaitingMaterialError, match=r"full-grain-cowhide-b needs 0\.21 m2, 0 m2 available"):
        event(db, wo, EventType.STARTED, "cutting", 1)
    with pytest.raises(OperationEventError, match="recorded by inventory"):
        event(db, wo, EventType.MATERIAL_RESERVED, minute=1)
    with session_scope(db.sessions) as session:  # the leather arrives: the receipt reserves it
        received = kits.receive_and_reserve(session, "full-grain-cowhide-b", 4.6, batch="H-1", now=T0)
        assert received.retried.reserved == (wo,)
        assert service.work_order_status(session, wo).state == WorkOrderState.READY
    started = event(db, wo, EventType.STARTED, "cutting", 2, station="cutting-1", event_id="evt-cut-start")
    assert started.first and started.work_order.progress.of("cutting").state == OperationState.IN_PROGRESS
    repeat = event(db, wo, EventType.STARTED, "cutting", 2, station="cutting-1", event_id="evt-cut-start")
    assert not repeat.first
    finished = event(db, wo, EventType.FINISHED, "cutting", 9).work_order
    assert finished.progress.of("cutting").state == OperationState.DONE
    assert finished.progress.of("skiving").state == OperationState.READY
    with pytest.raises(OperationEventError, match="pending"):
        event(db, wo, EventType.STARTED, "lasting", 10)
    with session_scope(db.sessions) as session:
        rows = session.scalars(select(TrackingEvent).where(TrackingEvent.pair_id == db.pair_ids[1])).all()
        assert [r.event_type for r in rows] == ["material_short", "material_reserved", "started", "finished"]
        assert rows[2].station == "cutting-1" and rows[2].payload["work_order_id"] == wo
        assert service.work_order_status(session, wo).state == WorkOrderState.IN_PROGRESS


def test_a_failed_final_inspection_sends_the_pair_back_to_finishing(db: PlanningDb) -> None:
    stock_up(db.sessions)
    wo = release(db, db.pair_ids[2]).work_order
    assert wo.state == WorkOrderState.READY
    minute = 1
    for op in wo.routing["operations"][:6]:
        event(db, wo.id, EventType.STARTED, op["code"], minute)
        event(db, wo.id, EventType.FINISHED, op["code"], minute + 1)
        minute += 2
    event(db, wo.id, EventType.STARTED, "qc_final", minute)
    failed = event(db, wo.id, EventType.QC_FAILED, "qc_final", minute + 1).work_order
    assert failed.state == WorkOrderState.REWORK
    assert failed.progress.of("finishing").state == OperationState.REWORK
    assert failed.progress.of("sole_attaching").state == OperationState.DONE


def test_the_factory_is_stored_and_a_reschedule_plans_every_open_operation(db: PlanningDb) -> None:
    stock_up(db.sessions)
    for pair_id in db.pair_ids:
        release(db, pair_id)
    wo = release(db, db.pair_ids[0]).work_order.id
    event(db, wo, EventType.STARTED, "cutting", 1, station="cutting-2")
    with session_scope(db.sessions) as session:
        service.store_factory(session, default_factory())
        service.store_factory(session, default_factory())  # adding again changes nothing
        factory = service.load_factory(session)
        assert len(factory.work_centres) == 20 and len(factory.workers) == len(default_factory().workers)
        plan = service.reschedule(session, now=T0 + timedelta(minutes=5), time_limit_s=3.0)
    assert plan.work_orders == 4 and plan.schedule.method == "cp-sat"
    assert set(plan.pair_eta) == set(db.pair_ids) and len(plan.order_eta) == 2
    assert all(eta > T0 for eta in plan.pair_eta.values())
    with session_scope(db.sessions) as session:
        ops = session.scalars(select(WorkOrderOperation)).all()
        assert all(op.planned_centre and op.planned_start and op.planned_end for op in ops)
        cutting = next(o for o in ops if o.work_order.pair_id == db.pair_ids[0] and o.code == "cutting")
        assert cutting.planned_centre == "cutting-2"  # in progress: stays where it is
        assert cutting.planned_start == T0 + timedelta(minutes=1)
        for op in ops:  # every planned operation sits inside a shift (06:00-22:00, Monday to Friday)
            assert op.planned_start.weekday() < 5 and 6 <= op.planned_start.hour < 22
