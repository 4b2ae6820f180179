"""Designs through the API: validated and priced on a last or a measured scan, stored as revisions, the
preview GLB (named pieces, the design's colours, cached per revision), and the style library."""

from __future__ import annotations

import io
import json

import numpy as np
import trimesh
from fastapi.testclient import TestClient

from configurator.preview import MAX_PREVIEW_BYTES, srgb_hex_to_linear_rgba
from configurator.styles.library import STYLES
from manufacturing.db.session import session_scope
from manufacturing.pipeline.runner import execute_stage
from tests.lasts.last_samples import FIND_LIKE

DERBY = {
    "style": "derby",
    "pieces": {
        "vamp": {"material": "full-grain-cowhide-a", "colour": "#5a3a22"},
        "tongue": {"material": "suede-cowhide-b", "colour": "#8a6a4a"},
    },
}
LAST = FIND_LIKE.with_values(side="right").to_dict()


def _post(client: TestClient, **body):
    return client.post("/api/designs", json={"options": DERBY, "email": "walker@example.com", **body})


def test_a_design_on_a_last_is_priced_stored_and_previewed(client: TestClient) -> None:
    response = _post(client, last=LAST)
    assert response.status_code == 201, response.text
    design = response.json()
    assert design["style"] == "derby" and design["revision"] == 1
    assert design["last"]["source"] == "parameters" and design["last"]["side"] == "right"
    assert design["size_eu"] == 41.0  # 272.8 mm stick length ÷ 6.67 mm Paris points
    assert design["quote"]["currency"] == "EUR" and design["quote"]["per_pair"]["price_eur"] > 0
    assert any(line["group"] == "upper" for line in design["bom"]["lines"])
    assert design["eta"]["materials_lead_time_days"] > 0
    looks = {p["name"]: p for p in design["pieces"]}
    assert looks["vamp"]["colour"] == "#5a3a22" and looks["quarter_medial"]["source"] == "default"
    assert client.get(design["links"]["self"]).json()["quote"] == design["quote"]

    glb = client.get(design["links"]["preview_glb"])
    assert glb.status_code == 200 and glb.headers["content-type"] == "model/gltf-binary"
    assert len(glb.content) <= MAX_PREVIEW_BYTES
    scene = trimesh.load(io.BytesIO(glb.content), file_type="glb")
    assert sorted(scene.geometry) == sorted(["last", *(p.name for p in STYLES["derby"]().pieces)])
    vamp = scene.geometry["vamp"].visual.material.baseColorFactor
    assert np.allclose(vamp, np.array(srgb_hex_to_linear_rgba("#5a3a22")) * 255, atol=1.0)
    # One GLB per revision: the second request is the stored one, and a client with it gets a 304.
    again = client.get(design["links"]["preview_glb"])
    assert again.content == glb.content and again.headers["etag"] == glb.headers["etag"]
    cached = client.get(design["links"]["preview_glb"], headers={"If-None-Match": glb.headers["etag"]})
    assert cached.status_code == 304

    # A new revision of the same design (a geometry change: another style) gets its own id and GLB.
    revised = client.post(
        "/api/designs",
        json={"options": {"style": "oxford"}, "email": "walker@example.com", "last": LAST, "revises": design["id"]},
    ).json()
    assert revised["design_key"] == design["design_key"] and revised["revision"] == 2
    assert client.get(revised["links"]["preview_glb"]).content != glb.content


def test_a_design_on_a_measured_scan_fits_the_last_to_it(client: TestClient, find_template_bytes: bytes) -> None:
    placed = client.post(
        "/api/orders",
        files={"scan": ("find_template.obj", find_template_bytes, "application/octet-stream")},
        data={"options": json.dumps(DERBY), "email": "walker@example.com"},
    ).json()
    too_early = _post(client, foot_scan_id=placed["foot_scan_id"])
    assert too_early.status_code == 409 and "not measured yet" in too_early.json()["detail"]
    resources = client.app.state.resources
    with session_scope(resources.sessions) as session:
        assert execute_stage(session, resources.store, placed["run_ids"][0], "scan.measure").ok
    design = _post(client, foot_scan_id=placed["foot_scan_id"])
    assert design.status_code == 201, design.text
    last = design.json()["last"]
    assert last["source"] == "scan" and last["foot_scan_id"] == placed["foot_scan_id"]
    assert last["max_fit_error_mm"] < 2.0 and 250 < last["stick_length_mm"] < 300
    # Another size of the same style and fit is the same last (reused, not solved again); another fit is not.
    resized = _post(client, foot_scan_id=placed["foot_scan_id"], size_eu=43).json()
    assert resized["last"] == last and resized["size_eu"] == 43
    roomy_options = {**DERBY, "fit_preference": "roomy"}
    roomy = _post(client, foot_scan_id=placed["foot_scan_id"], options=roomy_options).json()
    assert roomy["last"] != last
    assert roomy["last"]["max_fit_error_mm"] < 2.0


def test_bad_designs_are_problems(client: TestClient) -> None:
    bad_options = client.post(
        "/api/designs", json={"options": {"style": "brogue"}, "email": "walker@example.com", "last": LAST}
    )
    assert bad_options.status_code == 422 and bad_options.json()["code"] == "invalid_options"
    neither = _post(client)
    assert neither.status_code == 422 and "foot_scan_id" in neither.json()["detail"]
    impossible = _post(client, last={**LAST, "ball_girth_mm": 100.0})
    assert impossible.status_code == 422 and impossible.json()["code"] == "impossible_last"
    unknown = _post(client, last={**LAST, "heel_colour": "red"})
    assert unknown.status_code == 422 and "heel_colour" in unknown.json()["detail"]
    assert _post(client, foot_scan_id=999).status_code == 404
    assert client.get("/api/designs/999").json()["code"] == "not_found"
    assert client.get("/api/designs/999/preview.glb").status_code == 404


def test_the_style_library_lists_pieces_and_material_slots(client: TestClient) -> None:
    styles = {s["name"]: s for s in client.get("/api/styles").json()}
    assert sorted(styles) == sorted(STYLES)
    sneaker = styles["low_top_sneaker"]
    assert "mudguard" in [p["name"] for p in sneaker["pieces"]]
    assert set(sneaker["material_slots"]) >= {"upper", "overlay", "tongue"}
