"""The pattern-maker's files through the API: listed per pair by kind once the patterns stage ran, each one
downloadable, and problems before that or for kinds that do not exist."""

from __future__ import annotations

import io
import json

import ezdxf
from fastapi.testclient import TestClient

from manufacturing.pipeline.local import run_pipeline_in_process

DERBY = json.dumps({"style": "derby"})


def test_pattern_files_are_listed_by_kind_and_downloaded(client: TestClient, find_template_bytes: bytes) -> None:
    placed = client.post(
        "/api/orders",
        files={"scan": ("find_template.obj", find_template_bytes, "application/octet-stream")},
        data={"options": DERBY, "email": "walker@example.com"},
    ).json()
    number = placed["order_number"]
    before = client.get(f"/api/orders/{number}/patterns").json()
    assert before["pairs"][0]["state"] == "pending" and before["pairs"][0]["files"] == []
    early = client.get(f"/api/orders/{number}/patterns/left.dxf")
    assert early.status_code == 409 and "not made yet" in early.json()["detail"]

    run_pipeline_in_process(client.app.state.resources, placed["run_ids"][0])
    listing = client.get(f"/api/orders/{number}/patterns").json()
    pair = listing["pairs"][0]
    assert pair["serial"] == placed["pair_serials"][0] and pair["state"] == "succeeded"
    files = {f["kind"]: f for f in pair["files"]}
    for side in ("left", "right"):
        for fmt in ("dxf", "cutter.dxf", "plt", "svg", "pdf"):
            assert files[f"patterns.{side}.{fmt}"]["side"] == side
    assert files["patterns.left.pdf"]["format"] == "pdf"
    assert files["patterns.patterns.json"]["format"] == "report"
    assert any(f["format"] == "strain" for f in pair["files"])

    dxf = client.get(files["patterns.left.dxf"]["url"])
    assert dxf.status_code == 200
    doc = ezdxf.read(io.StringIO(dxf.content.decode()))
    assert not doc.audit().has_errors
    assert dxf.content == client.get(files["patterns.left.dxf"]["artifact_url"]).content
    short = client.get(f"/api/orders/{number}/patterns/right.pdf")  # the kind without its prefix
    assert short.status_code == 200 and short.content.startswith(b"%PDF")
    report = client.get(f"/api/orders/{number}/patterns/patterns.json").json()
    assert report["style"] == "derby" and report["left"]["pieces"]

    unknown = client.get(f"/api/orders/{number}/patterns/left.stl")
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    wrong_pair = client.get(f"/api/orders/{number}/patterns/left.dxf", params={"pair": "CS00-NOPE"})
    assert wrong_pair.status_code == 404
    assert client.get("/api/orders/O000000-000000/patterns").status_code == 404
