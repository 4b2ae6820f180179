"""Work-order snapshots and operation states derived from facts."""

from datetime import UTC, datetime, timedelta

import pytest

from manufacturing.inventory.shortage import Shortage
from manufacturing.planning.errors import AwaitingMaterialError, OperationEventError
from manufacturing.planning.routing import TEMPLATES, Routing, RoutingInputs, route
from manufacturing.planning.work_orders import EventType, OperationFact, check_event, derive_progress, snapshot
from manufacturing.states import OperationState, WorkOrderState

T0 = datetime(2026, 3, 16, 6, 0, tzinfo=UTC)
HAND = route(RoutingInputs("derby", 8, 1800.0, 10, hand_stitching=True))
OPS = HAND.operations  # cutting, skiving, closing_hand, qc_upper, lasting, sole_attaching, finishing, qc_final, packing


def fact(kind: EventType, op: str = "work_order", minute: int = 0) -> OperationFact:
    return OperationFact(kind, op, T0 + timedelta(minutes=minute), station=f"{op}-1")


def states(facts: list[OperationFact]) -> dict[str, OperationState]:
    return {s.code: s.state for s in derive_progress(OPS, facts).operations}


def done(op: str, minute: int) -> list[OperationFact]:
    return [fact(EventType.STARTED, op, minute), fact(EventType.FINISHED, op, minute + 1)]


def test_a_new_work_order_waits_for_its_material() -> None:
    progress = derive_progress(OPS, [])
    assert progress.state == WorkOrderState.AWAITING_MATERIAL and progress.shortages == ()
    assert states([])["cutting"] == OperationState.WAITING_MATERIAL
    assert states([])["skiving"] == OperationState.PENDING


def test_reserved_material_makes_the_first_operation_ready() -> None:
    s = states([fact(EventType.MATERIAL_RESERVED)])
    assert s["cutting"] == OperationState.READY and s["skiving"] == OperationState.PENDING
    assert derive_progress(OPS, [fact(EventType.MATERIAL_RESERVED)]).state == WorkOrderState.READY


def test_a_shortage_fact_says_why_the_work_order_awaits_material_until_the_kit_is_reserved() -> None:
    short = {"material_id": "full-grain-cowhide-b", "needed": 0.33, "available": 0.1, "unit": "m2"}
    facts = [OperationFact(EventType.MATERIAL_SHORT, "work_order", T0, payload={"shortages": [short]})]
    progress = derive_progress(OPS, facts)
    assert progress.state == WorkOrderState.AWAITING_MATERIAL and not progress.material_reserved
    assert progress.shortages == (Shortage("full-grain-cowhide-b", 0.33, 0.1, "m2"),)
    with pytest.raises(AwaitingMaterialError) as refused:
        check_event(OPS, progress, fact(EventType.STARTED, "cutting", 1))
    assert refused.value.http_status == 409 and isinstance(refused.value, OperationEventError)
    assert "full-grain-cowhide-b needs 0.33 m2, 0.1 m2 available (short 0.23 m2)" in refused.value.message
    assert refused.value.details["shortages"] == [short]
    check_event(OPS, progress, fact(EventType.BLOCKED, "cutting", 1))  # a blocked note is still accepted
    reserved = derive_progress(OPS, [*facts, fact(EventType.MATERIAL_RESERVED, minute=5)])
    assert reserved.state == WorkOrderState.READY and reserved.shortages == () and reserved.material_reserved


def test_start_finish_and_the_next_operation_becomes_ready() -> None:
    facts = [fact(EventType.MATERIAL_RESERVED), fact(EventType.STARTED, "cutting", 1)]
    assert states(facts)["cutting"] == OperationState.IN_PROGRESS
    assert derive_progress(OPS, facts).state == WorkOrderState.IN_PROGRESS
    facts.append(fact(EventType.FINISHED, "cutting", 5))
    s = states(facts)
    assert s["cutting"] == OperationState.DONE and s["skiving"] == OperationState.READY
    assert s["closing_hand"] == OperationState.PENDING


def test_facts_delivered_out_of_order_give_the_same_states() -> None:
    facts = [fact(EventType.MATERIAL_RESERVED), *done("cutting", 1), *done("skiving", 3)]
    assert states(list(reversed(facts))) == states(facts)


def test_a_failed_inspection_sends_the_pair_back_to_rework() -> None:
    facts = [fact(EventType.MATERIAL_RESERVED), *done("cutting", 1), *done("skiving", 3), *done("closing_hand", 5)]
    facts += [fact(EventType.STARTED, "qc_upper", 10), fact(EventType.QC_FAILED, "qc_upper", 11)]
    s = states(facts)
    assert s["closing_hand"] == OperationState.REWORK
    assert s["qc_upper"] == OperationState.PENDING and s["lasting"] == OperationState.PENDING
    assert derive_progress(OPS, facts).state == WorkOrderState.REWORK
    facts += [
        *done("closing_hand", 20),
        fact(EventType.STARTED, "qc_upper", 30),
        fact(EventType.QC_PASSED, "qc_upper", 31),
    ]
    s = states(facts)
    assert s["closing_hand"] == s["qc_upper"] == OperationState.DONE
    assert derive_progress(OPS, facts).of("closing_hand").passes == 2
    assert s["lasting"] == OperationState.READY


def test_blocked_and_unblocked() -> None:
    facts = [fact(EventType.MATERIAL_RESERVED), fact(EventType.BLOCKED, "cutting", 1)]
    assert derive_progress(OPS, facts).state == WorkOrderState.BLOCKED
    facts.append(fact(EventType.UNBLOCKED, "cutting", 2))
    assert states(facts)["cutting"] == OperationState.READY


def test_all_done_and_cancelled() -> None:
    facts = [fact(EventType.MATERIAL_RESERVED)]
    for k, op in enumerate(OPS):
        facts.append(fact(EventType.STARTED, op.code, 10 * k))
        facts.append(fact(EventType.QC_PASSED if op.qc_point else EventType.FINISHED, op.code, 10 * k + 5))
    assert derive_progress(OPS, facts).state == WorkOrderState.DONE
    assert derive_progress(OPS, [fact(EventType.CANCELLED)]).state == WorkOrderState.CANCELLED


def test_events_that_contradict_the_state_are_refused() -> None:
    progress = derive_progress(OPS, [])
    with pytest.raises(AwaitingMaterialError, match="awaits material: its components are not reserved"):
        check_event(OPS, progress, fact(EventType.STARTED, "cutting"))
    progress = derive_progress(OPS, [fact(EventType.MATERIAL_RESERVED)])
    with pytest.raises(OperationEventError, match="pending"):
        check_event(OPS, progress, fact(EventType.STARTED, "skiving"))
    with pytest.raises(OperationEventError, match="not a QC point"):
        check_event(OPS, progress, fact(EventType.QC_FAILED, "cutting"))
    with pytest.raises(OperationEventError, match="no operation"):
        check_event(OPS, progress, fact(EventType.STARTED, "gluing"))
    check_event(OPS, progress, fact(EventType.STARTED, "cutting"))


def test_a_snapshot_does_not_change_when_templates_or_the_bom_change() -> None:
    bom = {"lines": [{"material": "calf-black", "area_mm2": 180000.0}]}
    snap = snapshot(HAND, bom)
    bom["lines"][0]["area_mm2"] = 1.0  # the BOM module changes its object afterwards
    slower = {
        **TEMPLATES,
        "cutting": TEMPLATES["cutting"].__class__(**{**TEMPLATES["cutting"].__dict__, "setup_min": 60.0}),
    }
    rerouted = route(RoutingInputs("derby", 8, 1800.0, 10, hand_stitching=True), slower)
    assert rerouted.operations[0].standard_minutes > HAND.operations[0].standard_minutes
    assert snap.bom["lines"][0]["area_mm2"] == 180000.0
    assert Routing.from_json(snap.routing) == HAND
    assert snapshot(HAND, {"lines": [{"material": "calf-black", "area_mm2": 180000.0}]}).sha256 == snap.sha256
    assert snapshot(rerouted, snap.bom).sha256 != snap.sha256


def test_a_final_inspection_can_send_the_pair_back_to_the_operation_it_names() -> None:
    facts = [fact(EventType.MATERIAL_RESERVED)]
    for k, op in enumerate(("cutting", "skiving", "closing_hand", "lasting", "sole_attaching", "finishing")):
        facts += done(op, 2 * k + 1)
    facts.append(fact(EventType.QC_PASSED, "qc_upper", 6))
    at = T0 + timedelta(minutes=20)
    failed = OperationFact(EventType.QC_FAILED, "qc_final", at, payload={"rework_to": "lasting"})
    s = states([*facts, fact(EventType.STARTED, "qc_final", 19), failed])
    assert s["lasting"] == OperationState.REWORK  # the length is set on the last: back to lasting
    assert s["sole_attaching"] == OperationState.REWORK and s["finishing"] == OperationState.REWORK
    assert s["closing_hand"] == OperationState.DONE
