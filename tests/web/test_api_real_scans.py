"""Scans as customers send them, through ``POST /api/scans``: a real scan cut at the ankle (measured as far as it
reaches, the rest estimated, what it holds recorded), a file named for the other foot (refused with what to send,
accepted once the side is confirmed), and a file holding both feet (a scan per foot)."""

import numpy as np
import pytest
import trimesh
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from manufacturing.db.models import Artifact
from manufacturing.db.session import session_scope
from manufacturing.pipeline.stages import SCAN_MEASURE
from tests.conftest import shared_file

WALKER = {"email": "walker@example.com"}


@pytest.fixture(scope="module")
def dupontgu_bytes() -> bytes:
    """A real left foot as a consumer scanner exports it: metres, cut flat ~100 mm up, sole flattened on glass."""
    return shared_file("feet/dupontgu_left_foot.stl").read_bytes()


@pytest.fixture(scope="module")
def two_feet_ply() -> bytes:
    """The FIND foot (a left) and its mirror image (a right) side by side, 10 cm apart, in one file (metres)."""
    mesh = trimesh.load(shared_file("feet/find_template.obj"), process=False, force="mesh")
    v, f = np.asarray(mesh.vertices), np.asarray(mesh.faces)
    both = np.vstack([v, v * [1.0, -1.0, 1.0] + [0.0, 0.2, 0.0]])
    faces = np.vstack([f, f[:, ::-1] + len(v)])  # a mirror turns faces inside out: turned back
    data = trimesh.Trimesh(both, faces, process=False).export(file_type="ply")
    assert isinstance(data, bytes)
    return data


def _upload(client: TestClient, name: str, data: bytes, **fields: str):
    return client.post("/api/scans", files={"scan": (name, data)}, data={**WALKER, **fields})


def _measured_sets(client: TestClient) -> int:
    """How many scan.measure records are stored (one per measurement made)."""
    with session_scope(client.app.state.resources.sessions) as session:
        return session.scalar(select(func.count()).select_from(Artifact).where(
            Artifact.stage == SCAN_MEASURE.name, Artifact.kind == "scan.measurements"))  # fmt: skip


def test_a_scan_cut_at_the_ankle_says_what_it_holds_and_estimates_what_it_lacks(
    client: TestClient, dupontgu_bytes: bytes
) -> None:
    response = _upload(client, "dupontgu_left_foot.stl", dupontgu_bytes)
    assert response.status_code == 201, response.text
    scan = response.json()
    assert scan["side"] == "left" and scan["units_detected"] == "m"
    # Its long heel girth's plane passes over the ankle, above the cut: not measured, estimated with its error.
    assert scan["measurements"]["long_heel_girth_mm"] is None
    long_heel = scan["estimated"]["long_heel_girth_mm"]
    assert long_heel["method"] == "ansur_ii_regression" and long_heel["reason"] == "not_in_scan"
    assert 300.0 < long_heel["value_mm"] < 420.0 and 5.0 < long_heel["uncertainty_95_mm"] < 40.0
    coverage = scan["coverage"]
    assert coverage["top"] == "cap" and 93.0 < coverage["cut_height_mm"] <= 100.0
    assert coverage["flattened_sole"] and coverage["partial"] and "long_heel_girth_mm" in coverage["not_reached"]
    assert any("flattened" in note for note in coverage["notes"])
    assert scan["side_decision"] == {"side": "left", "anatomy": "left", "confidence": 1.0, "source": "anatomy",
                                     "claimed": "left", "claimed_by": "file name", "mirrored": False}  # fmt: skip
    assert scan["other_foot_scan_id"] is None and "other_foot" not in scan["links"]
    # Kept on the scan's row: read back as it was answered.
    assert client.get(f"/api/scans/{scan['id']}").json() == scan


def test_a_scan_named_for_the_other_foot_is_refused_until_its_side_is_confirmed(
    client: TestClient, dupontgu_bytes: bytes
) -> None:
    refused = _upload(client, "right_foot.stl", dupontgu_bytes)
    assert refused.status_code == 422 and refused.json()["code"] == "side_mismatch", refused.text
    detail = refused.json()["detail"]
    assert "'right_foot.stl' is named as the right foot, but the foot in it is a left foot" in detail
    assert "Upload it again with the side confirmed: side=left if it is the left foot" in detail
    assert "side=right if it is the right foot exported mirrored" in detail
    assert refused.json()["details"]["anatomy"] == "left" and _measured_sets(client) == 0  # nothing kept
    confirmed = _upload(client, "right_foot.stl", dupontgu_bytes, side="left")
    assert confirmed.status_code == 201, confirmed.text
    scan = confirmed.json()
    assert scan["side"] == "left" and scan["estimated"]["long_heel_girth_mm"]["value_mm"] > 300.0
    assert scan["side_decision"]["source"] == "confirmed" and scan["side_decision"]["claimed"] == "right"
    assert not scan["side_decision"]["mirrored"]
    # Confirmed as the right foot it was named: a mirrored export, measured mirrored back and flagged.
    mirrored = _upload(client, "right_foot.stl", dupontgu_bytes, side="right").json()
    assert mirrored["side"] == "right" and mirrored["side_decision"]["mirrored"] is True
    assert mirrored["measurements"]["ball_girth_mm"] == pytest.approx(scan["measurements"]["ball_girth_mm"], abs=0.5)
    assert _measured_sets(client) == 2  # each side its own measurement
    nonsense = _upload(client, "right_foot.stl", dupontgu_bytes, side="middle")
    assert nonsense.status_code == 422 and nonsense.json()["code"] == "invalid_request"


def test_a_file_holding_both_feet_gives_a_scan_per_foot(client: TestClient, two_feet_ply: bytes) -> None:
    response = _upload(client, "feet.ply", two_feet_ply)
    assert response.status_code == 201, response.text
    left = response.json()
    assert left["side"] == "left" and left["other_foot_scan_id"] is not None
    right = client.get(left["links"]["other_foot"]).json()
    assert right["side"] == "right" and right["other_foot_scan_id"] == left["id"]
    assert right["sha256"] == left["sha256"] and right["original_filename"] == "feet.ply"
    for foot in (left, right):
        assert foot["measurements"]["foot_length_mm"] == pytest.approx(256.8, abs=1.0)
        assert foot["side_decision"]["source"] == "anatomy"
    # The right foot asked for comes first; the feet measured for the first upload serve it.
    again = _upload(client, "feet.ply", two_feet_ply, side="right").json()
    assert again["side"] == "right" and client.get(f"/api/scans/{again['other_foot_scan_id']}").json()["side"] == "left"
    assert _measured_sets(client) == 2
