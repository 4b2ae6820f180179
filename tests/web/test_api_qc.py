"""QC over HTTP on a real order (the FIND foot through the pipeline, the floor's events through the tracking API):
templates, an inspection started from its template, a failed final check with a photo sending the pair back to
lasting, the rework list, a passing re-inspection, the metrics; and the problems on the way."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from manufacturing.pipeline.local import run_pipeline_in_process
from manufacturing.qc.templates import Checkpoint
from manufacturing.settings import Settings
from tests.web.conftest import SavedWorkshop, new_workshop, reopened, saved
from tests.web.floor import FINAL_PASS, Floor, place_order, png


@pytest.fixture(scope="module")
def final_check_workshop(
    tmp_path_factory: pytest.TempPathFactory, migrated_sqlite_template: Path, find_template_bytes: bytes
) -> tuple[SavedWorkshop, Floor, str]:
    """A real pair whose every operation before the final QC point is done, built once for the module."""
    with new_workshop(tmp_path_factory, migrated_sqlite_template) as client:
        placed = place_order(client, find_template_bytes)
        run_pipeline_in_process(client.app.state.resources, placed["run_ids"][0])
        floor = Floor(client)
        serial = placed["pair_serials"][0]
        floor.run_through(serial, until="qc_final")
    return saved(client), floor, serial


@pytest.fixture
def at_final_check(
    final_check_workshop: tuple[SavedWorkshop, Floor, str], settings: Settings
) -> Iterator[tuple[TestClient, Floor, str]]:
    """A copy of that pair's workshop, this test's own."""
    workshop, floor, serial = final_check_workshop
    with reopened(workshop, settings) as client:
        yield client, replace(floor, client=client, sent=dict(floor.sent)), serial


def test_templates_are_listed_per_checkpoint(client: TestClient) -> None:
    body = client.get("/api/qc/templates").json()
    assert {t["checkpoint"] for t in body["templates"]} == {c.value for c in Checkpoint}
    final = client.get("/api/qc/templates/final").json()
    assert final["code"] == "qc-final" and {i["code"] for i in final["items"]} >= set(FINAL_PASS["checks"])
    codes = {d["code"] for d in body["defect_codes"]}
    assert {i["defect_code"] for t in body["templates"] for i in t["items"]} <= codes
    unknown = client.get("/api/qc/templates/heel")
    assert unknown.status_code == 422 and unknown.json()["code"] == "invalid_request"


def test_a_failed_final_check_sends_the_pair_to_rework_and_a_passing_one_clears_it(
    at_final_check: tuple[TestClient, Floor, str],
) -> None:
    client, floor, serial = at_final_check
    started = client.post("/api/qc/inspections", json={"pair": serial, "checkpoint": "final", "inspector": "Q-1"})
    assert started.status_code == 201, started.text
    inspection = started.json()["inspection"]
    assert (inspection["attempt"], inspection["operation"], inspection["passed"]) == (1, "qc_final", None)
    assert started.json()["template"]["code"] == "qc-final"
    again = client.post("/api/qc/inspections", json={"pair": serial, "checkpoint": "final"})
    assert again.status_code == 200 and again.json()["inspection"]["id"] == inspection["id"]
    assert again.json()["first"] is False

    failing = {
        "measurements": {**FINAL_PASS["measurements"], "length_vs_last_mm": 2.5},
        "checks": {**FINAL_PASS["checks"], "finish_clean": False},
    }
    url = f"/api/qc/inspections/{inspection['id']}/results"
    no_photo = client.post(url, json=failing)
    assert no_photo.status_code == 422 and no_photo.json()["code"] == "inspection_error"
    assert "finish_clean" in no_photo.json()["detail"] and "photo" in no_photo.json()["detail"]
    bad_photo = client.post(url, json={**failing, "photos": {"finish_clean": ["not base64!"]}})
    assert bad_photo.status_code == 422 and "finish_clean" in bad_photo.json()["detail"]
    photo = "data:image/png;base64," + base64.b64encode(png()).decode()
    failed = client.post(url, json={**failing, "photos": {"finish_clean": [photo]}, "notes": {"finish_clean": "scuff"}})
    assert failed.status_code == 200, failed.text
    outcome = failed.json()["outcome"]
    assert outcome["passed"] is False and outcome["defect_codes"] == ["LEN", "FINISH"]
    assert outcome["rework_to"] == "lasting"  # the earliest operation a failed item sends the pair back to
    work_order = failed.json()["work_order"]
    assert work_order["state"] == "rework"
    states = {op["code"]: op["state"] for op in work_order["operations"]}
    assert states["lasting"] == states["finishing"] == "rework" and states["cutting"] == "done"
    other = client.post(url, json=FINAL_PASS)
    assert other.status_code == 409 and other.json()["code"] == "inspection_conflict"

    stored = client.get(f"/api/qc/inspections/{inspection['id']}").json()
    finish = next(r for r in stored["results"] if r["item"] == "finish_clean")
    assert finish["passed"] is False and finish["note"] == "scuff"
    assert client.get(finish["photos"][0]).content == png()
    rework = client.get("/api/qc/rework").json()["items"]
    assert [(r["pair_serial"], r["rework_to"], r["defect_codes"]) for r in rework] == [(serial, "lasting",
                                                                                        ["LEN", "FINISH"])]  # fmt: skip
    assert rework[0]["work_order_state"] == "rework" and rework[0]["rework_operation_state"] == "rework"

    floor.run_through(serial, until="qc_final")  # lasting, sole attaching and finishing again
    second = client.post("/api/qc/inspections", json={"pair": serial, "checkpoint": "final"}).json()["inspection"]
    assert second["attempt"] == 2
    passed = client.post(f"/api/qc/inspections/{second['id']}/results", json=FINAL_PASS).json()
    assert passed["outcome"]["passed"] is True and passed["work_order"]["state"] == "in_progress"  # packing next
    assert client.get("/api/qc/rework").json()["items"] == []
    listed = client.get("/api/qc/inspections", params={"pair": serial}).json()
    assert [i["attempt"] for i in listed["inspections"]] == [1, 2] and listed["checkpoints"] == {"final": "passed"}

    metrics = client.get("/api/qc/metrics").json()
    assert (metrics["inspections"], metrics["pairs_inspected"], metrics["failed_inspections"]) == (2, 1, 1)
    assert metrics["first_pass_yield"] == 0.0 and metrics["rework_rate"] == 0.5
    assert [(d["code"], d["count"]) for d in metrics["defect_pareto"]] == [("FINISH", 1), ("LEN", 1)]
    assert metrics["defect_pareto"][-1]["cumulative_share"] == 1.0


def test_inspection_problems_are_named(
    at_final_check: tuple[TestClient, Floor, str], find_template_bytes: bytes
) -> None:
    client, _, serial = at_final_check
    fresh = place_order(client, find_template_bytes)
    run_pipeline_in_process(client.app.state.resources, fresh["run_ids"][0])
    too_early = client.post("/api/qc/inspections", json={"pair": fresh["pair_serials"][0], "checkpoint": "final"})
    assert too_early.status_code == 409 and too_early.json()["code"] == "inspection_conflict"
    assert "qc_final is pending" in too_early.json()["detail"]
    inline = client.post("/api/qc/inspections", json={"pair": serial, "checkpoint": "closing"})
    assert inline.status_code == 201  # in-line, after machine closing (done)
    assert inline.json()["inspection"]["operation"] == "closing_machine"
    nobody = client.post("/api/qc/inspections", json={"pair": "CS00-NOPE", "checkpoint": "final"})
    assert nobody.status_code == 404 and nobody.json()["details"] == {"serial": "CS00-NOPE"}
    unknown = client.post("/api/qc/inspections", json={"pair": serial, "checkpoint": "heel"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["location"] == "body.checkpoint"
    inspection = client.post("/api/qc/inspections", json={"pair": serial, "checkpoint": "final"}).json()["inspection"]
    missing = client.post(f"/api/qc/inspections/{inspection['id']}/results", json={"checks": FINAL_PASS["checks"]})
    assert missing.status_code == 422 and "is not measured" in missing.json()["detail"]
    extra = client.post(f"/api/qc/inspections/{inspection['id']}/results",
                        json={**FINAL_PASS, "checks": {**FINAL_PASS["checks"], "laces": True}})  # fmt: skip
    assert extra.status_code == 422 and "laces" in extra.json()["detail"]
    assert client.get("/api/qc/inspections/999999").status_code == 404
    assert client.get("/api/qc/inspections").status_code == 422  # which pair?
