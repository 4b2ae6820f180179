"""Every GLB the app serves passes the Khronos glTF validator (npm ``gltf-validator``, driven by
``web/scripts/validate-gltf.mjs``): each style's design preview (``GET /api/designs/{id}/preview.glb``), the
preview of a design on a scanned foot, and the last an order's ``last.fit`` stage stores
(``GET /api/artifacts/{id}/content``, kind ``last.glb``).

Node and the validator come with ``make install-test`` (``npm ci --prefix web`` installs the devDependency);
without them the tests fail when ``CI=true`` and skip, saying why, elsewhere.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from configurator.styles.library import STYLES
from manufacturing.db.session import session_scope
from manufacturing.pipeline.runner import execute_stage
from tests.conftest import REPO_ROOT
from tests.lasts.last_samples import FIND_LIKE

SCRIPT = REPO_ROOT / "web" / "scripts" / "validate-gltf.mjs"
VALIDATOR_PACKAGE = REPO_ROOT / "web" / "node_modules" / "gltf-validator" / "package.json"
LAST = FIND_LIKE.with_values(side="right").to_dict()
GLB_MEDIA_TYPE = "model/gltf-binary"


def _tool_missing(message: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: the glTF validation must run)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def node() -> str:
    path = shutil.which("node")
    if path is None:
        _tool_missing("node is missing: apt-get install nodejs npm (make install-test needs it for the web assets)")
    if not VALIDATOR_PACKAGE.is_file():
        _tool_missing(f"{VALIDATOR_PACKAGE.parent} is missing: npm ci --prefix web (make install-test runs it)")
    return str(path)


def _validate(node: str, files: dict[str, bytes], folder: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    """(the script's exit status, each file's validation report by name)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        paths.append(str(path))
    done = subprocess.run([node, str(SCRIPT), *paths], capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), f"validate-gltf.mjs exited {done.returncode}: {done.stderr}"
    reports = json.loads(done.stdout)
    assert [report["uri"] for report in reports] == paths
    return done.returncode, {Path(report["uri"]).name: report for report in reports}


def _counts(report: dict[str, Any]) -> str:
    issues = report["issues"]
    found = sorted({f"{m['code']} ({m['severity']})" for m in issues["messages"]})
    return (
        f"{Path(report['uri']).name}: {issues['numErrors']} errors, {issues['numWarnings']} warnings, "
        f"{issues['numInfos']} infos, {issues['numHints']} hints; codes (severity): {', '.join(found) or 'none'}"
    )


def _assert_valid(status: int, reports: dict[str, dict[str, Any]]) -> None:
    summary = "\n".join(_counts(report) for report in reports.values())
    for report in reports.values():
        assert report["issues"]["numErrors"] == 0, summary
        assert report["mimeType"] == GLB_MEDIA_TYPE and report["info"]["version"] == "2.0", summary
    assert status == 0, summary


def _glb_with_json(glb: bytes, edit: Any) -> bytes:
    """The GLB with its JSON chunk changed by ``edit(document)``, lengths and padding redone."""
    json_length = struct.unpack("<I", glb[12:16])[0]
    document = json.loads(glb[20 : 20 + json_length])
    edit(document)
    text = json.dumps(document).encode()
    text += b" " * (-len(text) % 4)
    rest = glb[20 + json_length :]
    body = struct.pack("<I", len(text)) + b"JSON" + text + rest
    return glb[:8] + struct.pack("<I", 12 + len(body)) + body


@pytest.mark.slow
def test_every_styles_design_preview_is_valid_gltf(client: TestClient, node: str, tmp_path: Path) -> None:
    served: dict[str, bytes] = {}
    for name in sorted(STYLES):
        piece = STYLES[name]().pieces[0].name
        options = {"style": name, "pieces": {piece: {"material": "full-grain-cowhide-a", "colour": "#c0302a"}}}
        design = client.post("/api/designs", json={"options": options, "email": "walker@example.com", "last": LAST})
        assert design.status_code == 201, design.text
        glb = client.get(design.json()["links"]["preview_glb"])
        assert glb.status_code == 200 and glb.headers["content-type"] == GLB_MEDIA_TYPE
        served[f"{name}.glb"] = glb.content
    status, reports = _validate(node, served, tmp_path)
    _assert_valid(status, reports)
    for name in STYLES:
        info = reports[f"{name}.glb"]["info"]
        pieces = len(STYLES[name]().pieces)
        # What the validator read is the whole preview: the last and one mesh and material per piece.
        assert info["drawCallCount"] == pieces + 1 and info["materialCount"] == pieces + 1, _counts(
            reports[f"{name}.glb"]
        )
        assert info["totalTriangleCount"] > 10_000


@pytest.mark.slow
def test_an_orders_last_and_a_design_on_its_scan_are_valid_gltf(
    client: TestClient, node: str, find_template_bytes: bytes, tmp_path: Path
) -> None:
    placed = client.post(
        "/api/orders",
        files={"scan": ("find_template.obj", find_template_bytes, "application/octet-stream")},
        data={"options": json.dumps({"style": "derby"}), "email": "walker@example.com"},
    ).json()
    run_id = placed["run_ids"][0]
    resources = client.app.state.resources
    for stage in ("scan.measure", "last.fit"):
        with session_scope(resources.sessions) as session:
            assert execute_stage(session, resources.store, run_id, stage).ok, stage
    run = client.get(f"/api/runs/{run_id}").json()
    (last_fit,) = [stage for stage in run["stages"] if stage["stage"] == "last.fit"]
    glb_artifacts = [a for a in last_fit["artifacts"] if a["media_type"] == GLB_MEDIA_TYPE]
    assert [a["kind"] for a in glb_artifacts] == ["last.glb"]
    last_glb = client.get(f"/api/artifacts/{glb_artifacts[0]['id']}/content")
    assert last_glb.status_code == 200 and last_glb.headers["content-type"] == GLB_MEDIA_TYPE

    design = client.post(
        "/api/designs",
        json={"options": {"style": "derby"}, "email": "walker@example.com", "foot_scan_id": placed["foot_scan_id"]},
    )
    assert design.status_code == 201, design.text
    preview = client.get(design.json()["links"]["preview_glb"])
    assert preview.status_code == 200

    status, reports = _validate(node, {"last.glb": last_glb.content, "preview.glb": preview.content}, tmp_path)
    _assert_valid(status, reports)
    assert reports["last.glb"]["info"]["drawCallCount"] == 1
    assert reports["preview.glb"]["info"]["drawCallCount"] == len(STYLES["derby"]().pieces) + 1


def test_the_validator_fails_a_broken_glb_and_refuses_what_is_no_gltf(node: str, tmp_path: Path) -> None:
    """The check can fail: a GLB whose index accessor claims a wrong maximum is an error, and bytes that are
    not glTF at all stop the script before any report."""
    from configurator.preview import preview_last
    from lasts.export import last_mesh_bytes

    last = preview_last(FIND_LIKE)
    good = last_mesh_bytes(last.vertices, last.faces, "glb", "last")

    def wrong_index_max(document: dict[str, Any]) -> None:
        document["accessors"][0]["max"] = [3]

    status, reports = _validate(node, {"good.glb": good, "bad.glb": _glb_with_json(good, wrong_index_max)}, tmp_path)
    assert status == 1
    assert reports["good.glb"]["issues"]["numErrors"] == 0, _counts(reports["good.glb"])
    bad = reports["bad.glb"]["issues"]
    assert bad["numErrors"] >= 1 and "ACCESSOR_MAX_MISMATCH" in {m["code"] for m in bad["messages"]}, _counts(
        reports["bad.glb"]
    )
    not_gltf = tmp_path / "scan.obj"
    not_gltf.write_bytes(b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    refused = subprocess.run([node, str(SCRIPT), str(not_gltf)], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "scan.obj" in refused.stderr
