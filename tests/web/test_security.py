"""Hostile requests: path traversal in downloads and pages, oversized and decompression-bomb uploads, the scan
issue's malformed meshes sent through the API, and injection attempts in filters. Each gets a typed 4xx
problem, never a file from outside the store or a 500, and leaves nothing stored."""

import io
import math
import struct

import numpy as np
import pytest
import trimesh
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from manufacturing.db.models import Artifact, FootScan
from manufacturing.db.session import session_scope
from tests.geometry.exchange.test_meshes import zip_bomb_3mf


def stored(client: TestClient) -> tuple[int, int]:
    with session_scope(client.app.state.resources.sessions) as session:
        return (session.scalar(select(func.count()).select_from(FootScan)) or 0,
                session.scalar(select(func.count()).select_from(Artifact)) or 0)  # fmt: skip


def post_scan(client: TestClient, data: bytes, filename: str):
    return client.post("/api/scans", files={"scan": (filename, data)}, data={"email": "walker@example.com"})


@pytest.mark.parametrize(
    "path",
    [
        "/api/artifacts/..%2F..%2F..%2Fetc%2Fpasswd/content",
        "/api/artifacts/1%2F..%2F..%2Fetc%2Fpasswd/content",
        "/api/orders/..%2F..%2Fetc/patterns/passwd",
        "/api/orders/O1/patterns/..%2F..%2F..%2Fetc%2Fpasswd",
        "/api/scans/..%2F1/upload",
        "/configurator/..%2F..%2F..%2Fpyproject.toml",
        "/vendor/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/pairs/..%2F..%2Fetc%2Fpasswd/provenance",
    ],
)
def test_path_traversal_reaches_no_file_outside_the_store(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code in (404, 422), (path, response.status_code)
    assert b"root:" not in response.content and b"[project]" not in response.content


def test_a_decompression_bomb_upload_is_refused_and_nothing_is_stored(client: TestClient) -> None:
    before = stored(client)
    response = post_scan(client, zip_bomb_3mf(200), "foot.3mf")
    assert response.status_code == 413, response.text
    assert "decompression bomb" in response.json()["detail"]
    assert stored(client) == before


def test_an_upload_over_the_limit_is_refused_while_streaming(client: TestClient) -> None:
    limit = client.app.state.resources.settings.max_upload_bytes
    client.app.state.resources.settings.max_upload_bytes = 10_000
    try:
        response = post_scan(client, b"1 2 3\n" * 5_000, "foot.xyz")
    finally:
        client.app.state.resources.settings.max_upload_bytes = limit
    assert response.status_code == 413 and response.json()["code"] == "input_too_large"


def _stl(mesh: trimesh.Trimesh) -> bytes:
    return mesh.export(file_type="stl")


def _nan_obj() -> bytes:
    return b"v 0 0 0\nv 1 0 0\nv nan 1 0\nf 1 2 3\n"


def _random_bytes() -> bytes:
    return np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes()


def _truncated_stl() -> bytes:
    data = _stl(trimesh.creation.icosphere(subdivisions=3, radius=50.0))
    return data[: len(data) // 2]


def _two_triangle_header_lie() -> bytes:
    # A binary STL whose header promises a million triangles it does not hold.
    return b"\0" * 80 + struct.pack("<I", 1_000_000) + b"\0" * 100


MALFORMED = {
    "empty.stl": b"",
    "truncated.stl": _truncated_stl(),
    "random.bin": _random_bytes(),
    "cube.stl": _stl(trimesh.creation.box(extents=(100.0, 100.0, 100.0))),
    "sphere.stl": _stl(trimesh.creation.icosphere(subdivisions=3, radius=60.0)),
    "nan.obj": _nan_obj(),
    "lying-header.stl": _two_triangle_header_lie(),
    "tiny.stl": _stl(trimesh.creation.icosphere(subdivisions=2, radius=0.5 * math.pi)),
}


@pytest.mark.parametrize("filename", sorted(MALFORMED))
def test_malformed_scans_through_the_api_are_typed_4xx_and_store_nothing(client: TestClient, filename: str) -> None:
    before = stored(client)
    response = post_scan(client, MALFORMED[filename], filename)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    body = response.json()
    assert body["type"].startswith("/problems/") and body["detail"], body
    assert stored(client) == before


def test_an_upload_that_claims_to_be_a_scan_but_is_html_is_refused(client: TestClient) -> None:
    response = post_scan(client, b"<html><script>alert(1)</script></html>", "foot.stl")
    assert response.status_code in (415, 422) and response.json()["code"] in ("unsupported_format", "input_error")
    assert "text/html" not in response.headers["content-type"]


def test_problem_details_never_carry_a_traceback(client: TestClient) -> None:
    response = post_scan(client, io.BytesIO(b"solid x\nfacet normal nan nan nan\nendsolid").getvalue(), "x.stl")
    assert 400 <= response.status_code < 500
    assert "Traceback" not in response.text and 'File "/' not in response.text
