"""Fit feedback over HTTP on a real, delivered pair (the FIND foot through the pipeline, every operation done
through the tracking API): "ball tight" makes the design's last revision 2, measured 4 mm larger at the ball;
once per pair; the per-style aggregate; the problems on the way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lasts.model import LastParameters
from manufacturing.pipeline.local import run_pipeline_in_process
from manufacturing.settings import Settings
from tests.web.conftest import SavedWorkshop, new_workshop, reopened, saved
from tests.web.floor import Floor, place_order

BALL_TIGHT = {"answers": {"ball": "tight", "toe": "right", "heel": {"answer": "right", "text": "holds well"}},
              "comment": "the ball presses after an hour"}  # fmt: skip


@pytest.fixture(scope="module")
def delivered_workshop(
    tmp_path_factory: pytest.TempPathFactory, migrated_sqlite_template: Path, find_template_bytes: bytes
) -> tuple[SavedWorkshop, dict]:
    """A real order of two pairs: the first delivered (every operation done), the second still waiting; built once
    for the module."""
    with new_workshop(tmp_path_factory, migrated_sqlite_template) as client:
        placed = place_order(client, find_template_bytes, pairs=2)
        for run_id in placed["run_ids"]:
            run_pipeline_in_process(client.app.state.resources, run_id)
        Floor(client).run_through(placed["pair_serials"][0])
    return saved(client), placed


@pytest.fixture
def delivered(delivered_workshop: tuple[SavedWorkshop, dict], settings: Settings) -> Iterator[tuple[TestClient, dict]]:
    """A copy of that order's workshop, this test's own."""
    workshop, placed = delivered_workshop
    with reopened(workshop, settings) as client:
        yield client, placed


def test_ball_tight_makes_the_next_revision_of_the_last(delivered: tuple[TestClient, dict]) -> None:
    client, placed = delivered
    serial, waiting = placed["pair_serials"]
    response = client.post(f"/api/pairs/{serial}/fit-feedback", json=BALL_TIGHT)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["first"] is True and body["changes"] == {"ball_girth_mm": 4.0}
    base, revision = body["base"], body["revision"]
    assert (base["revision"], revision["revision"]) == (1, 2)
    grown = revision["measured"]["ball_girth_mm"] - base["measured"]["ball_girth_mm"]
    assert grown == pytest.approx(4.0, abs=1.0)
    assert revision["measured"]["foot_length_mm"] == pytest.approx(base["measured"]["foot_length_mm"], abs=0.5)
    stored = LastParameters.from_dict(client.get(revision["artifact_url"]).json())
    assert stored.to_dict() == revision["parameters"]

    again = client.post(f"/api/pairs/{serial}/fit-feedback", json=BALL_TIGHT)
    assert again.status_code == 200 and again.json()["first"] is False
    assert again.json()["revision"]["revision"] == 2
    other = client.post(f"/api/pairs/{serial}/fit-feedback", json={"answers": {"ball": "loose"}})
    assert other.status_code == 409 and other.json()["code"] == "feedback_conflict"
    read = client.get(f"/api/pairs/{serial}/fit-feedback").json()
    assert read["answers"]["ball"] == {"answer": "tight", "text": "", "detail": None}
    assert read["comment"] == BALL_TIGHT["comment"] and read["revision"]["revision"] == 2

    lasts = client.get(f"/api/orders/{placed['order_number']}/lasts").json()["pairs"][0]
    assert [r["revision"] for r in lasts["revisions"]] == [1, 2]
    assert [r["source"] for r in lasts["revisions"]] == ["fitted", "feedback"]

    style = client.get("/api/feedback/styles/derby", params={"min_samples": 1}).json()
    assert style["feedback"] == 1 and style["counts"]["ball"] == {"tight": 1, "right": 0, "loose": 0}
    assert style["suggestions"] == [{"allowance": "ball_girth_ease_mm", "measurement": "ball_girth_mm",
                                     "change_mm": 4.0, "samples": 1}]  # fmt: skip
    default = client.get("/api/feedback/styles/derby").json()  # one answer is not a style's fit
    assert default["min_samples"] == 10 and default["suggestions"] == []
    listed = client.get("/api/feedback/styles").json()
    assert [s["style"] for s in listed["styles"]] == ["derby"]
    nobody = client.get("/api/feedback/styles/oxford").json()
    assert nobody["feedback"] == 0 and nobody["counts"]["toe"] == {"tight": 0, "right": 0, "loose": 0}

    not_delivered = client.post(f"/api/pairs/{waiting}/fit-feedback", json=BALL_TIGHT)
    assert not_delivered.status_code == 409 and "not delivered" in not_delivered.json()["detail"]


def test_feedback_problems_are_named(delivered: tuple[TestClient, dict]) -> None:
    client, placed = delivered
    serial = placed["pair_serials"][0]
    unknown = client.post(f"/api/pairs/{serial}/fit-feedback", json={"answers": {"arch": "tight"}})
    assert (
        unknown.status_code == 422 and unknown.json()["code"] == "feedback_error" and "arch" in unknown.json()["detail"]
    )
    empty = client.post(f"/api/pairs/{serial}/fit-feedback", json={"answers": {}})
    assert empty.status_code == 422 and "no region" in empty.json()["detail"]
    ball_height = {"answers": {"ball": {"answer": "tight", "detail": "height"}}}  # a detail only the toe has
    detail = client.post(f"/api/pairs/{serial}/fit-feedback", json=ball_height)
    assert detail.status_code == 422
    assert client.post("/api/pairs/CS00-NOPE/fit-feedback", json=BALL_TIGHT).status_code == 404
    assert client.get(f"/api/pairs/{serial}/fit-feedback").status_code == 404  # none stored yet
    assert client.get("/api/feedback/styles/brogue").status_code == 404
    assert client.get("/api/feedback/styles", params={"min_samples": 0}).status_code == 422
    all_right = {"answers": {"toe": "right", "ball": "right", "instep": "right", "heel": "right"}}
    stored = client.post(f"/api/pairs/{serial}/fit-feedback", json=all_right)
    assert stored.status_code == 201 and stored.json()["revision"] is None and stored.json()["changes"] == {}
