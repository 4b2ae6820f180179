"""The HTTP API: orders in, problem details for bad input, runs and artifacts out."""

import json
from pathlib import Path

from fastapi.testclient import TestClient

from manufacturing.accounts.roles import Role
from manufacturing.pipeline.stages import ORDER_PIPELINE
from manufacturing.settings import Settings
from tests.web.conftest import signed_in

DERBY = json.dumps({"style": "derby", "pieces": {"vamp": {"material": "full-grain-calf", "colour": "#5a3a22"}}})


def _post_order(client: TestClient, scan: bytes, options: str = DERBY, filename: str = "foot.obj", **extra: str):
    return client.post(
        "/api/orders",
        files={"scan": (filename, scan, "application/octet-stream")},
        data={"options": options, "email": "walker@example.com", **extra},
    )


def test_openapi_docs_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/api/orders" in spec["paths"]
    assert client.get("/api/health").json()["database"] == {"reachable": True, "dialect": "sqlite"}


def test_placing_an_order_stores_it_and_enqueues_after_commit(
    client: TestClient, settings: Settings, find_template_bytes: bytes
) -> None:
    response = _post_order(client, find_template_bytes, filename="find_template.obj")
    assert response.status_code == 201, response.text
    placed = response.json()
    assert placed["stages"] == list(ORDER_PIPELINE)
    # The embedded broker holds one message per pair's chain, written only after the commit.
    queued = list((settings.broker_dir / "queue").glob("*.msg"))
    assert len(queued) == len(placed["run_ids"]) == 1
    order = client.get(f"/api/orders/{placed['order_number']}").json()
    assert order["pairs"][0]["serial"] == placed["pair_serials"][0]
    assert order["pairs"][0]["runs"][0]["state"] == "queued"
    run = client.get(f"/api/runs/{placed['run_ids'][0]}").json()
    assert run["planned_stages"] == list(ORDER_PIPELINE)


def test_bad_options_are_a_422_problem_and_store_nothing(
    client: TestClient, settings: Settings, find_template_bytes: bytes
) -> None:
    response = _post_order(client, find_template_bytes, options='{"style": "brogue"}')
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "invalid_options"
    assert "unknown style 'brogue'" in problem["detail"]
    assert problem["instance"] == "/api/orders"
    assert not list((settings.broker_dir / "queue").glob("*.msg"))


def test_a_file_that_is_no_scan_is_a_415_problem(client: TestClient, settings: Settings) -> None:
    response = _post_order(client, b"%PDF-1.7 this is a document", filename="foot.stl")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_format"
    assert not (settings.resolved_artifact_dir / "sha256").exists()


def test_an_upload_over_the_limit_is_a_413_problem(settings: Settings, tmp_path: Path) -> None:
    from manufacturing.db.migrate import upgrade
    from web.api.app import create_app

    small = settings.model_copy(update={"max_upload_bytes": 1000})
    upgrade(small.resolved_database_url)
    app = create_app(small)
    with TestClient(app) as client:
        client.headers.update(signed_in(app, "walker@example.com", Role.CUSTOMER))
        response = _post_order(client, b"1 2 3\n" * 1000, filename="points.xyz")
    assert response.status_code == 413
    assert response.json()["code"] == "input_too_large"


def test_missing_fields_and_unknown_ids_are_problems(client: TestClient) -> None:
    response = client.post("/api/orders", data={"options": DERBY, "email": "walker@example.com"})
    assert response.status_code == 422
    assert response.json()["code"] == "input_error"
    assert "scan" in response.json()["detail"]
    staff_without_customer = client.post("/api/orders", data={"options": DERBY})
    assert staff_without_customer.status_code == 422 and "e-mail" in staff_without_customer.json()["detail"]
    for path in (
        "/api/runs/999",
        "/api/orders/O000000-000000",
        "/api/artifacts/999",
        "/api/artifacts/999/content",
    ):
        missing = client.get(path)
        assert missing.status_code == 404, path
        assert missing.json()["code"] == "not_found"
    assert client.get("/api/runs/not-a-number").status_code == 422


def test_artifacts_are_downloaded_by_id(client: TestClient, find_template_bytes: bytes) -> None:
    from manufacturing.pipeline.local import run_pipeline_in_process

    placed = _post_order(client, find_template_bytes, filename="find_template.obj").json()
    run_pipeline_in_process(client.app.state.resources, placed["run_ids"][0])
    run = client.get(f"/api/runs/{placed['run_ids'][0]}").json()
    artifact = run["stages"][0]["artifacts"][0]
    content = client.get(f"/api/artifacts/{artifact['id']}/content")
    assert content.status_code == 200
    assert content.headers["content-type"].startswith("application/json")
    assert json.loads(content.content)["scan"]["vertex_count"] == 44_395
    sheet = next(a for a in run["stages"][0]["artifacts"] if a["kind"] == "scan.sheet")
    svg = client.get(f"/api/artifacts/{sheet['id']}/content")
    assert svg.headers["content-type"].startswith("image/svg+xml")
