"""Inspections through the service on SQLite and PostgreSQL: the template copy, rework to the named operation
until a re-inspection passes, in-line blocks, photos in the artifact store, idempotence, the QC report."""

from dataclasses import replace

import pytest
from sqlalchemy import select

from manufacturing.db.models import Artifact, QcInspection
from manufacturing.db.session import session_scope
from manufacturing.planning import service as planning
from manufacturing.planning.work_orders import EventType
from manufacturing.qc import service
from manufacturing.qc.errors import InspectionConflictError
from manufacturing.qc.metrics import qc_report
from manufacturing.qc.templates import DEFAULT_TEMPLATES, Checkpoint, template_sha256
from manufacturing.states import OperationState, WorkOrderState
from tests.manufacturing.qc.shop import Shop

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
GOOD_FINAL = {"length_vs_last_mm": 0.4, "length_difference_mm": 0.5, "heel_height_difference_mm": 0.2,
              "colour_delta_e": 1.1}  # fmt: skip
CLEAN = {"no_glue_marks": True, "sole_bond_closed": True, "finish_clean": True}
LASTED = {"length_vs_last_mm": 0.2, "length_difference_mm": 0.3}


def start(shop: Shop, pair: int, checkpoint: Checkpoint, **kw) -> service.Started:
    with session_scope(shop.sessions) as session:
        return service.start_inspection(session, pair, checkpoint, now=shop.at(), **kw)


def record(shop: Shop, inspection: int, measured, checks, photos=None) -> service.Recorded:
    with session_scope(shop.sessions) as session:
        return service.record_inspection(session, shop.store, inspection, measured, checks, photos, now=shop.at())


def test_an_inspection_is_judged_by_the_template_it_started_with(shop: Shop) -> None:
    first, second = shop.pair_ids[0], shop.pair_ids[2]
    for pair in (first, second):
        shop.run_through(pair, until="qc_final")
    old = start(shop, first, Checkpoint.FINAL).inspection
    final = DEFAULT_TEMPLATES[Checkpoint.FINAL]
    strict_length = replace(final.item("length_vs_last_mm"), lower=-0.3, upper=0.3)
    stricter = replace(final, version=2, items=tuple(strict_length if i.code == "length_vs_last_mm" else i
                                                     for i in final.items))  # fmt: skip
    new = start(shop, second, Checkpoint.FINAL, templates={**DEFAULT_TEMPLATES, Checkpoint.FINAL: stricter}).inspection
    assert new.template_sha256 != old.template_sha256
    with session_scope(shop.sessions) as session:
        row = session.get(QcInspection, old.id)
        assert row.template_version == 1 and template_sha256(row.template) == old.template_sha256
    assert record(shop, old.id, GOOD_FINAL, CLEAN).outcome.passed  # 0.4 mm: within ±1 of its own copy
    judged = record(shop, new.id, GOOD_FINAL, CLEAN).outcome
    assert not judged.passed and judged.defect_codes == ("LEN",)


def test_a_failed_final_inspection_sends_the_pair_to_rework_until_reinspected(shop: Shop) -> None:
    pair = shop.pair_ids[0]
    shop.run_through(pair, until="qc_final")
    started = start(shop, pair, Checkpoint.FINAL, inspector="insp-1")
    assert started.first and started.inspection.operation == "qc_final"
    assert not start(shop, pair, Checkpoint.FINAL).first  # the open one comes back
    failed = record(shop, started.inspection.id, GOOD_FINAL, {**CLEAN, "no_glue_marks": False},
                    {"no_glue_marks": [PNG]})  # fmt: skip
    assert not failed.outcome.passed and failed.inspection.rework_to == "finishing"
    assert failed.inspection.defect_codes == ("GLUE",)
    assert failed.work_order.state == WorkOrderState.REWORK
    assert failed.work_order.progress.of("finishing").state == OperationState.REWORK
    with session_scope(shop.sessions) as session:
        assert service.checkpoint_states(session, pair) == {
            Checkpoint.FINAL: service.CheckpointState.REINSPECTION_REQUIRED
        }
        [glue] = [r for r in service.inspection_results(session, failed.inspection.id) if r["item"] == "no_glue_marks"]
        photo = session.get(Artifact, glue["photos"][0])
        assert photo.media_type == "image/png" and shop.store.read_bytes(photo.sha256) == PNG
    # the same results again change nothing; other ones are refused
    assert not record(shop, failed.inspection.id, GOOD_FINAL, {**CLEAN, "no_glue_marks": False},
                      {"no_glue_marks": [PNG]}).first  # fmt: skip
    with pytest.raises(InspectionConflictError):
        record(shop, failed.inspection.id, GOOD_FINAL, CLEAN)
    with pytest.raises(InspectionConflictError, match="pending"):
        start(shop, pair, Checkpoint.FINAL)  # finishing has to be redone first
    shop.run_through(pair, until="qc_final")
    again = start(shop, pair, Checkpoint.FINAL).inspection
    assert again.attempt == 2
    passed = record(shop, again.id, GOOD_FINAL, CLEAN)
    assert passed.outcome.passed and passed.work_order.progress.of("qc_final").state == OperationState.DONE
    assert passed.work_order.state == WorkOrderState.IN_PROGRESS
    with session_scope(shop.sessions) as session:
        assert service.checkpoint_states(session, pair) == {Checkpoint.FINAL: service.CheckpointState.PASSED}
        report = qc_report(session)
    assert report["first_pass_yield"] == 0.0 and report["rework_rate"] == 0.5
    assert report["defect_pareto"][0]["code"] == "GLUE"


def test_hand_closing_is_inspected_at_its_qc_point(shop: Shop) -> None:
    pair = shop.pair_ids[1]  # hand stitched: qc_upper sends back to closing_hand
    shop.run_through(pair, until="qc_upper")
    inspection = start(shop, pair, Checkpoint.CLOSING).inspection
    assert inspection.operation == "qc_upper"
    values = {"stitch_density_per_cm": 2.5, "quarter_height_difference_mm": 0.5, "colour_delta_e": 0.8}
    failed = record(shop, inspection.id, values, {"no_skipped_stitches": True})
    assert failed.inspection.rework_to == "closing_hand"
    assert failed.work_order.progress.of("closing_hand").state == OperationState.REWORK


def test_an_in_line_failure_blocks_the_next_operation_until_a_reinspection_passes(shop: Shop) -> None:
    pair = shop.pair_ids[2]
    with pytest.raises(InspectionConflictError):
        start(shop, pair, Checkpoint.LASTING)  # not lasted yet
    shop.run_through(pair, until="sole_attaching")
    first = start(shop, pair, Checkpoint.LASTING).inspection
    failed = record(shop, first.id, {**LASTED, "length_vs_last_mm": -1.6}, {"upper_tight_to_last": True})
    assert failed.inspection.rework_to == "lasting" and failed.work_order.state == WorkOrderState.BLOCKED
    assert failed.work_order.progress.of("sole_attaching").state == OperationState.BLOCKED
    again = start(shop, pair, Checkpoint.LASTING).inspection
    passed = record(shop, again.id, LASTED, {"upper_tight_to_last": True})
    assert passed.work_order.progress.of("sole_attaching").state == OperationState.READY
    shop.event(pair, EventType.STARTED, "sole_attaching")
    with session_scope(shop.sessions) as session:
        rows = session.scalars(select(QcInspection).where(QcInspection.pair_id == pair)).all()
        assert [(r.attempt, r.passed) for r in rows] == [(1, False), (2, True)]
        assert planning.work_order_status(session, shop.work_orders[pair]).state == WorkOrderState.IN_PROGRESS
