"""An order's ``scan.measure`` reads its scan as the upload did: as the side the customer confirmed (refused, as the
upload is, when its file name claims the other foot), under a key that tells the claimed and confirmed side apart;
and a real scan cut at the ankle gets its last, fitted to the measured values completed by the estimates."""

import json
import uuid

import pytest

from configurator.options import parse_options
from lasts.scans import IngestOptions
from lasts.side import Side
from manufacturing.db import repositories
from manufacturing.db.models import Design, PipelineRun
from manufacturing.db.session import session_scope
from manufacturing.orders.service import place_order, place_order_for_design
from manufacturing.pipeline.resources import Resources
from manufacturing.pipeline.runner import StageOutcome, execute_stage
from manufacturing.pipeline.stages import scan_measure_key
from manufacturing.scans.service import store_and_measure_scan
from manufacturing.states import StageState
from tests.conftest import shared_file

DERBY = parse_options({"style": "derby"})
SHA = "0" * 64


@pytest.fixture(scope="module")
def dupontgu_bytes() -> bytes:
    return shared_file("feet/dupontgu_left_foot.stl").read_bytes()


def _order(resources: Resources, data: bytes, filename: str, side: Side | None = None) -> int:
    with session_scope(resources.sessions) as session:
        placed = place_order(session, resources.store, customer_email="walker@example.com", scan_filename=filename,
                             scan_bytes=data, options=DERBY, scan_side=side)  # fmt: skip
        return placed.run_ids[0]


def _stage(resources: Resources, run_id: int, stage: str) -> StageOutcome:
    with session_scope(resources.sessions) as session:
        return execute_stage(session, resources.store, run_id, stage)


def test_the_stage_key_tells_the_side_claimed_and_the_side_confirmed_apart() -> None:
    auto, left = IngestOptions(), IngestOptions(side=Side.LEFT)
    claimed = {scan_measure_key(SHA, auto, name) for name in ("left_foot.stl", "right_foot.stl", "foot.stl")}
    assert len(claimed) == 3
    assert scan_measure_key(SHA, auto, "foot.stl") == scan_measure_key(SHA, auto, "scan.obj")  # no claim either
    assert scan_measure_key(SHA, left, "right_foot.stl") != scan_measure_key(SHA, auto, "right_foot.stl")
    assert scan_measure_key(SHA, left, "foot.stl") != scan_measure_key(SHA, IngestOptions(side=Side.RIGHT), "foot.stl")
    assert scan_measure_key(SHA, auto, "foot.stl", typed=True) != scan_measure_key(SHA, auto, "foot.stl")


def test_an_order_measures_its_scan_as_the_side_confirmed_and_fits_its_last(
    resources: Resources, dupontgu_bytes: bytes
) -> None:
    refused = _stage(resources, _order(resources, dupontgu_bytes, "right_foot.stl"), "scan.measure")
    assert refused.state is StageState.FAILED and refused.error_code == "side_mismatch"
    assert refused.error_message is not None and "(side=right)" in refused.error_message
    run_id = _order(resources, dupontgu_bytes, "right_foot.stl", Side.LEFT)
    assert _stage(resources, run_id, "scan.measure").state is StageState.SUCCEEDED
    with session_scope(resources.sessions) as session:
        scan = session.get(PipelineRun, run_id).pair.design.foot_scan
        assert (scan.side, scan.confirmed_side) == ("left", "left")
        assert scan.side_decision["source"] == "confirmed" and scan.side_decision["claimed"] == "right"
        assert scan.coverage["top"] == "cap" and "long_heel_girth_mm" in scan.coverage["not_reached"]
        estimate = scan.measurements["estimated"]["long_heel_girth_mm"]
        assert estimate["method"] == "ansur_ii_regression"
    # Cut at 100 mm, it has no long heel girth: its last is fitted to the estimate (plus the style's allowance).
    fitted = _stage(resources, run_id, "last.fit")
    assert fitted.state is StageState.SUCCEEDED, fitted.error_message
    with session_scope(resources.sessions) as session:
        (artifact,) = [a for a in repositories.artifacts_by_ids(session, list(fitted.artifact_ids))
                       if a.kind == "last.json"]  # fmt: skip
        last = json.loads(resources.store.read_bytes(artifact.sha256))
    key = "long_heel_girth_mm"
    assert last["targets"][key] - last["allowances"].get(key, 0.0) == pytest.approx(estimate["value_mm"], abs=0.1)


def test_a_scan_uploaded_with_its_side_confirmed_is_not_measured_again_for_its_order(
    resources: Resources, dupontgu_bytes: bytes
) -> None:
    with session_scope(resources.sessions) as session:
        scan = store_and_measure_scan(session, resources.store, customer_email="walker@example.com",
                                      filename="right_foot.stl", data=dupontgu_bytes,
                                      options=IngestOptions(side=Side.LEFT))  # fmt: skip
        design = Design(design_key=str(uuid.uuid4()), customer_id=scan.customer_id, foot_scan=scan, style="derby",
                        options=DERBY.model_dump(mode="json"))  # fmt: skip
        session.add(design)
        session.flush()
        run_id = place_order_for_design(session, design).run_ids[0]
    assert _stage(resources, run_id, "scan.measure").state is StageState.REUSED
