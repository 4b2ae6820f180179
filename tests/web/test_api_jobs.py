"""The machine API: bearer tokens per machine, claim → heartbeat → start → files → complete through HTTP,
idempotent completion, conflicts as problems, and cursor pagination of the job list."""

from __future__ import annotations

import io

import ezdxf
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from geometry.exchange.cutter import hpgl_extent_mm
from manufacturing.cutting import service
from manufacturing.cutting.repository import tracking_events_of_pair
from manufacturing.db.models import Customer, Design, Order, Pair
from manufacturing.db.session import session_scope
from tests.manufacturing.cutting.conftest import pair_pieces, strip_nest
from tests.manufacturing.inventory.stock import receive_opening_stock

CUTTER_1 = {"Authorization": "Bearer tok-one"}
CUTTER_2 = {"Authorization": "Bearer tok-two"}


@pytest.fixture(autouse=True)
def machine_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSPMS_MACHINE_TOKENS", "cutter-1:tok-one, cutter-2:tok-two")


def _pairs(client: TestClient, count: int) -> list[int]:
    with session_scope(client.app.state.resources.sessions) as session:
        customer = Customer(email="cutter@example.com")
        session.add(customer)
        session.flush()
        design = Design(design_key="d-1", customer_id=customer.id, style="derby", options={"style": "derby"})
        order = Order(number="O-CUT-1", customer_id=customer.id)
        session.add_all([design, order])
        session.flush()
        pairs = [Pair(serial=f"CS26-CUT{k}", order_id=order.id, design_id=design.id) for k in range(count)]
        session.add_all(pairs)
        session.flush()
        receive_opening_stock(session)  # a completed job books its roll
        return [p.id for p in pairs]


def _roll_jobs(client: TestClient, count: int) -> tuple[list[int], list[int]]:
    """One roll job per pair (pair k on roll-k): (job ids, pair ids)."""
    resources = client.app.state.resources
    pair_ids = _pairs(client, count)
    job_ids = []
    for k, pair in enumerate(pair_ids):
        pieces = pair_pieces([pair])
        with session_scope(resources.sessions) as session:
            job = service.create_roll_job(
                session, resources.store, strip_nest(pieces), material="canvas-cotton", roll_ref=f"roll-{k}",
                pieces=pieces,
            )  # fmt: skip
            job_ids.append(job.id)
    return job_ids, pair_ids


def test_a_machine_claims_heartbeats_cuts_and_completes_a_job(client: TestClient) -> None:
    (job_id,), (pair_id,) = _roll_jobs(client, 1)
    claimed = client.post("/api/jobs/claim", headers=CUTTER_1, json={"lease_seconds": 60})
    assert claimed.status_code == 200, claimed.text
    job = claimed.json()
    assert job["id"] == job_id and job["state"] == "claimed" and job["machine_id"] == "cutter-1"
    assert job["attempts"] == 1 and job["pair_ids"] == [pair_id]
    assert client.post("/api/jobs/claim", headers=CUTTER_2).status_code == 204  # nothing left

    beat = client.post(f"/api/jobs/{job_id}/heartbeat", headers=CUTTER_1, json={"lease_seconds": 120})
    assert beat.status_code == 200 and beat.json()["lease_expires_at"] > job["lease_expires_at"]
    assert client.post(f"/api/jobs/{job_id}/start", headers=CUTTER_1).json()["state"] == "cutting"

    dxf = client.get(job["files"]["dxf"], headers=CUTTER_1)
    assert dxf.status_code == 200 and dxf.headers["content-type"].startswith("image/vnd.dxf")
    doc = ezdxf.read(io.StringIO(dxf.content.decode()))
    assert not doc.audit().has_errors
    plt = client.get(job["files"]["plt"], headers=CUTTER_1)
    x0, y0, x1, y1 = hpgl_extent_mm(plt.content)
    assert x1 > x0 and y1 > y0
    # Only the holder gets the files; another machine is told why.
    other = client.get(job["files"]["plt"], headers=CUTTER_2)
    assert other.status_code == 403 and other.json()["code"] == "forbidden"
    # Another machine may not report on it: 409 problem naming the conflict.
    stolen = client.post(f"/api/jobs/{job_id}/complete", headers=CUTTER_2)
    assert stolen.status_code == 409 and stolen.json()["code"] == "not_lease_holder"

    done = client.post(f"/api/jobs/{job_id}/complete", headers=CUTTER_1)
    assert done.status_code == 200
    assert done.json()["first"] is True and done.json()["events_added"] == 1
    assert done.json()["job"]["state"] == "done"
    again = client.post(f"/api/jobs/{job_id}/complete", headers=CUTTER_1)  # the machine retried: harmless
    assert again.status_code == 200
    assert again.json()["first"] is False and again.json()["events_added"] == 0
    with session_scope(client.app.state.resources.sessions) as session:
        assert [e.event_type for e in tracking_events_of_pair(session, pair_id)] == ["pieces_cut"]
    finished = client.post(f"/api/jobs/{job_id}/heartbeat", headers=CUTTER_1)
    assert finished.status_code == 409 and finished.json()["code"] == "cutting_job_finished"


def test_a_failed_job_goes_back_to_the_queue_for_another_machine(client: TestClient) -> None:
    (job_id,), _ = _roll_jobs(client, 1)
    client.post("/api/jobs/claim", headers=CUTTER_1)
    failed = client.post(f"/api/jobs/{job_id}/fail", headers=CUTTER_1, json={"reason": "blade broke"})
    assert failed.status_code == 200
    assert failed.json()["state"] == "queued" and failed.json()["failure_reason"] == "blade broke"
    assert client.post(f"/api/jobs/{job_id}/fail", headers=CUTTER_1, json={"reason": ""}).status_code == 422
    retaken = client.post("/api/jobs/claim", headers=CUTTER_2).json()
    assert retaken["machine_id"] == "cutter-2" and retaken["attempts"] == 2


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({}, "Bearer"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "Bearer"),
        ({"Authorization": "Bearer wrong"}, "not known"),
    ],
)
def test_missing_or_wrong_tokens_are_401_problems_with_a_challenge(client: TestClient, headers, why) -> None:
    client.headers.pop("Authorization")  # a machine, not the signed-in administrator the fixture makes
    for method, path in (("post", "/api/jobs/claim"), ("get", "/api/jobs"), ("get", "/api/jobs/1/files/dxf")):
        response = client.request(method, path, headers=headers)
        assert response.status_code == 401, path
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["code"] == "unauthorised" and why in response.json()["detail"]


def test_without_configured_tokens_the_machine_api_is_closed(client: TestClient) -> None:
    client.app.state.resources.settings.machine_tokens = SecretStr("")
    response = client.post("/api/jobs/claim", headers=CUTTER_1)
    assert response.status_code == 401 and "CSPMS_MACHINE_TOKENS" in response.json()["detail"]


def test_the_job_list_pages_with_a_cursor_and_filters_by_derived_state(client: TestClient) -> None:
    job_ids, _ = _roll_jobs(client, 3)
    client.post("/api/jobs/claim", headers=CUTTER_1)  # the oldest job is now claimed
    first = client.get("/api/jobs", headers=CUTTER_1, params={"limit": 2}).json()
    assert [j["id"] for j in first["items"]] == job_ids[:2] and first["next_cursor"]
    second = client.get("/api/jobs", headers=CUTTER_1, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [j["id"] for j in second["items"]] == job_ids[2:] and second["next_cursor"] is None
    queued = client.get("/api/jobs", headers=CUTTER_2, params={"state": "queued"}).json()
    assert [j["id"] for j in queued["items"]] == job_ids[1:]
    claimed = client.get("/api/jobs", headers=CUTTER_2, params={"state": "claimed"}).json()
    assert [j["id"] for j in claimed["items"]] == job_ids[:1]
    bad = client.get("/api/jobs", headers=CUTTER_1, params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_cursor"
    assert client.get("/api/jobs", headers=CUTTER_1, params={"limit": 0}).status_code == 422
    missing = client.get("/api/jobs/999", headers=CUTTER_1)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
