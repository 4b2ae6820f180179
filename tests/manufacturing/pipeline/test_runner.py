"""The stage runner in-process: compute, store, reuse, and record expected errors without retrying."""

import json

import pytest
from sqlalchemy import select

from manufacturing.db import repositories
from manufacturing.db.models import PipelineRun, StageRun, WorkOrder
from manufacturing.db.session import session_scope
from manufacturing.pipeline.local import run_pipeline_in_process
from manufacturing.pipeline.reports import describe_run
from manufacturing.pipeline.resources import Resources
from manufacturing.pipeline.runner import derive_run_state, reuse_or_compute
from manufacturing.pipeline.stages import ORDER_PIPELINE, SCAN_MEASURE, StageOutput
from manufacturing.states import RunState, StageState
from tests.manufacturing.inventory.stock import receive_opening_stock
from tests.manufacturing.pipeline.conftest import place


def test_a_run_measures_the_scan_and_records_the_stage(resources: Resources, find_template_bytes: bytes) -> None:
    placed = place(resources, find_template_bytes)
    outcomes = run_pipeline_in_process(resources, placed.run_ids[0])
    assert [o.state for o in outcomes] == [StageState.SUCCEEDED] * len(ORDER_PIPELINE)
    with session_scope(resources.sessions) as session:
        report = describe_run(session, placed.run_ids[0])
        run = session.get(PipelineRun, placed.run_ids[0])
        scan = run.pair.design.foot_scan
        assert scan.summary["vertex_count"] == 44_395
        assert scan.side == "left"
        assert scan.units_detected == "m"
        assert 250 < scan.measurements["foot_length_mm"] < 265
        # the last stage released the pair's work order, with copies of its routing and BOM
        work_order = session.query(WorkOrder).filter_by(pair_id=run.pair.id).one()
        assert work_order.routing["operations"] and work_order.bom["lines"]
    assert report["state"] == "succeeded"
    kinds = {a["kind"]: a for a in report["stages"][0]["artifacts"]}
    assert set(kinds) == {"scan.measurements", "scan.sheet", "foot.surface"}
    record = json.loads(resources.store.read_bytes(kinds["scan.measurements"]["sha256"]))
    assert record["scan"]["face_count"] == 88_786
    assert report["stages"][0]["duration_ms"] > 0
    # Nothing is in stock: the run succeeds all the same, the work order waits and the stage's report says why.
    released = next(stage for stage in report["stages"] if stage["stage"] == "work_order.release")
    assert released["work_order"]["state"] == "awaiting_material" and not released["work_order"]["material_reserved"]
    short = {s["material_id"] for s in released["work_order"]["shortages"]}
    assert short == {line["material_id"] for line in work_order.bom["lines"]}
    assert released["work_order"]["note"].startswith("awaits material: ")
    with session_scope(resources.sessions) as session:
        receive_opening_stock(session)  # the receipt reserves the waiting work order's kit
    with session_scope(resources.sessions) as session:
        after = describe_run(session, placed.run_ids[0])
    released = next(stage for stage in after["stages"] if stage["stage"] == "work_order.release")
    assert released["work_order"]["state"] == "ready" and released["work_order"]["note"] == "kit reserved"


def test_a_second_order_with_the_same_scan_reuses_the_artifact(
    resources: Resources, find_template_bytes: bytes
) -> None:
    first = place(resources, find_template_bytes)
    second = place(resources, find_template_bytes)
    done = run_pipeline_in_process(resources, first.run_ids[0])
    again = run_pipeline_in_process(resources, second.run_ids[0])
    # Everything computed from the scan is reused; each pair still gets its own work order.
    assert [o.state for o in again] == [StageState.REUSED] * (len(ORDER_PIPELINE) - 1) + [StageState.SUCCEEDED]
    assert [o.artifact_ids for o in again][:-1] == [o.artifact_ids for o in done][:-1]
    with session_scope(resources.sessions) as session:
        scan = session.get(PipelineRun, second.run_ids[0]).pair.design.foot_scan
        assert scan.summary["vertex_count"] == 44_395


def test_rerunning_a_finished_run_changes_nothing(resources: Resources, find_template_bytes: bytes) -> None:
    placed = place(resources, find_template_bytes)
    first = run_pipeline_in_process(resources, placed.run_ids[0])
    second = run_pipeline_in_process(resources, placed.run_ids[0])
    assert second == first
    with session_scope(resources.sessions) as session:
        assert session.query(StageRun).count() == len(ORDER_PIPELINE)


def test_an_unreadable_scan_fails_the_run_once_with_a_typed_error(resources: Resources) -> None:
    # Sniffs as ASCII STL, but the facets are garbage.
    broken = b"solid foot\n facet normal 0 0 1\n outer loop\n vertex 1 2\n endloop\n endfacet\nendsolid\n"
    placed = place(resources, broken, filename="foot.stl", pairs=2)
    for run_id in placed.run_ids:
        (outcome,) = run_pipeline_in_process(resources, run_id)
        assert outcome.state is StageState.FAILED
        assert outcome.error_code == "input_error"
    with session_scope(resources.sessions) as session:
        report = describe_run(session, placed.run_ids[0])
    assert report["state"] == "failed"
    assert report["stages"][0]["attempts"] == 1
    assert report["error"]["message"].startswith("scan.measure: ")


def test_run_state_is_derived_from_stage_runs() -> None:
    planned = ["a", "b"]
    assert derive_run_state(planned, []) is RunState.QUEUED
    assert derive_run_state(planned, [StageRun(stage="a", state=StageState.SUCCEEDED)]) is RunState.RUNNING
    done = [StageRun(stage="a", state=StageState.REUSED), StageRun(stage="b", state=StageState.SUCCEEDED)]
    assert derive_run_state(planned, done) is RunState.SUCCEEDED
    failed = [StageRun(stage="a", state=StageState.FAILED)]
    assert derive_run_state(planned, failed) is RunState.FAILED


def test_a_reorder_after_fit_feedback_is_made_on_the_newest_last_revision(
    resources: Resources, find_template_bytes: bytes
) -> None:
    from dataclasses import replace

    from lasts.model import LastParameters
    from manufacturing.db.models import Design, LastRevision
    from manufacturing.orders.service import place_order_for_design

    first = place(resources, find_template_bytes)
    done = run_pipeline_in_process(resources, first.run_ids[0])

    def last_record(artifact_ids: list[int], kind: str) -> dict:
        with session_scope(resources.sessions) as session:
            (artifact,) = [a for a in repositories.artifacts_by_ids(session, artifact_ids) if a.kind == kind]
            return json.loads(resources.store.read_bytes(artifact.sha256))

    fitted = LastParameters.from_dict(last_record(done[1].artifact_ids, "last.params.json"))
    revised = replace(fitted, ball_girth_mm=fitted.ball_girth_mm + 4.0, side="right")  # feedback: "ball tight"
    with session_scope(resources.sessions) as session:
        design = session.get(Design, first.design_id)
        session.add(LastRevision(last_key=design.design_key, revision=2, style="derby", side="right",
                                 parameters=revised.to_dict(), measured={}, source="feedback",
                                 artifact_id=done[1].artifact_ids[0]))  # fmt: skip
        session.flush()
        reorder = place_order_for_design(session, design)
    again = run_pipeline_in_process(resources, reorder.run_ids[0])
    assert [o.state for o in again][:2] == [StageState.REUSED, StageState.SUCCEEDED]  # the last is made anew
    params = LastParameters.from_dict(last_record(again[1].artifact_ids, "last.params.json"))
    assert params == replace(revised, side=fitted.side)  # the revision, on the scanned foot's side
    before = last_record(done[1].artifact_ids, "last.json")["achieved"]["ball_girth_mm"]
    after = last_record(again[1].artifact_ids, "last.json")["achieved"]["ball_girth_mm"]
    assert after - before == pytest.approx(4.0, abs=1.0)
    assert [o.state for o in again][2] == StageState.SUCCEEDED  # and its patterns are cut for the new last


def test_a_late_error_from_a_duplicate_delivery_does_not_undo_a_finished_stage(
    resources: Resources, find_template_bytes: bytes
) -> None:
    from manufacturing.pipeline.runner import record_stage_error

    placed = place(resources, find_template_bytes)
    done = run_pipeline_in_process(resources, placed.run_ids[0])
    with session_scope(resources.sessions) as session:
        outcome = record_stage_error(session, placed.run_ids[0], "last.fit", RuntimeError("duplicate key"), final=True)
    assert outcome.state == done[1].state == StageState.SUCCEEDED
    with session_scope(resources.sessions) as session:
        run = session.get(PipelineRun, placed.run_ids[0])
        assert run.state is RunState.SUCCEEDED
        stage_run = session.scalars(
            select(StageRun).where(StageRun.pipeline_run_id == run.id, StageRun.stage == "last.fit")
        ).one()
        assert (stage_run.attempts, stage_run.error_code) == (1, None)


def test_reuse_or_compute_stores_once_and_computes_again_when_a_file_is_gone(resources: Resources) -> None:
    computed: list[int] = []

    def compute() -> list[StageOutput]:
        computed.append(len(computed))
        return [StageOutput("scan.sheet", "sheet.svg", "image/svg+xml", f"<svg>{len(computed)}</svg>".encode())]

    with session_scope(resources.sessions) as session:
        first = reuse_or_compute(session, resources.store, SCAN_MEASURE, "scan:test", compute)
        again = reuse_or_compute(session, resources.store, SCAN_MEASURE, "scan:test", compute)
        assert not first.reused and again.reused and computed == [0]
        assert again.artifact_ids == first.artifact_ids and again.outputs == first.outputs
        (artifact,) = repositories.artifacts_by_ids(session, list(first.artifact_ids))
        assert (artifact.input_key, artifact.stage) == ("scan:test", "scan.measure")
        assert artifact.stage_version == SCAN_MEASURE.version == 2  # 2: coverage, side decision and estimates
        resources.store.path_for(artifact.sha256).unlink()  # the store lost the file: made again
        remade = reuse_or_compute(session, resources.store, SCAN_MEASURE, "scan:test", compute)
    assert not remade.reused and computed == [0, 1] and remade.outputs[0].data == b"<svg>2</svg>"
