"""The tracking routes over HTTP (``create_tracking_app``, the app the ingest benchmark serves): events in, one
or a batch, idempotent; a bad event is a 422 problem naming the field; progress, ledger verification, the DPP
export and the label QR code of a pair; durations learned just after, in the background."""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select

from manufacturing.accounts.roles import Role
from manufacturing.db.models import DurationStat, PipelineRun, StageRun, TrackingEvent
from manufacturing.db.repositories import get_pair_by_serial
from manufacturing.db.session import session_scope
from manufacturing.ledger.ledger import verify_proof
from manufacturing.settings import Settings
from manufacturing.states import RunState, StageState
from tests.manufacturing.tracking.shop import DERBY_OPERATIONS, T0, Shop, full_run, make_shop, scan
from tests.web.conftest import signed_in
from web.api.tracking import create_tracking_app


@dataclass
class Tracked:
    client: TestClient
    shop: Shop


@pytest.fixture
def tracked(settings: Settings) -> Iterator[Tracked]:
    shop = make_shop(settings.resolved_database_url, pairs=2)
    app = create_tracking_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        client.headers.update(signed_in(app, "reader@example.com", Role.STAFF))  # readers post as shop-floor staff
        yield Tracked(client, shop)
    app.state.resources.engine.dispose()
    shop.sessions.kw["bind"].dispose()


def post(tracked: Tracked, body: object) -> dict:
    response = tracked.client.post("/api/tracking/events", json=body)
    assert response.status_code == 202, response.text
    return response.json()


def test_single_and_batch_events_are_stored_once_and_the_pair_progresses(tracked: Tracked) -> None:
    serial = tracked.shop.serials[0]
    run = full_run(serial)
    assert post(tracked, run[0]) == {"received": 1, "stored": 1, "duplicates": 0, "unknown_serials": [],
                                     "observations": 0, "refused": []}  # fmt: skip
    batch = post(tracked, [*run[1:], scan("CS26-NOPE", "cutting", "started", 1)])
    assert (batch["stored"], batch["duplicates"], batch["unknown_serials"]) == (len(run) - 1, 0, ["CS26-NOPE"])
    assert [(r["index"], r["code"]) for r in batch["refused"]] == [(len(run) - 1, "unknown_pair")]
    resent = post(tracked, run[::-1])  # the whole run again, in reverse
    assert (resent["stored"], resent["duplicates"]) == (0, len(run))

    progress = tracked.client.get(f"/api/pairs/{serial}/progress").json()
    assert progress["events"] == len(run) + 1  # + inventory's fact: its kit reserved at release
    assert progress["work_order"]["state"] == "done" and progress["work_order"]["done_fraction"] == 1.0
    assert [o["code"] for o in progress["work_order"]["operations"]] == DERBY_OPERATIONS
    assert progress["last_seen"]["operation"] == "packing"
    other = tracked.client.get(f"/api/pairs/{tracked.shop.serials[1]}/progress").json()
    assert other["events"] == 1 and other["work_order"]["state"] == "ready"  # only its kit reserved


def test_a_bad_event_is_a_422_problem_naming_the_field_and_nothing_is_stored(tracked: Tracked) -> None:
    serial = tracked.shop.serials[0]
    good = scan(serial, "cutting", "started", 0)
    response = tracked.client.post("/api/tracking/events", json=[good, {**good, "event_type": "exploded"}])
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "invalid_tracking_event"
    assert problem["details"] == {"index": 1, "field": "event_type"}
    assert "exploded" in problem["detail"]
    single = tracked.client.post("/api/tracking/events", json={**good, "occurred_at": "2026-03-16T07:00"})
    assert single.status_code == 422 and single.json()["details"] == {"field": "occurred_at"}
    assert tracked.client.get(f"/api/pairs/{serial}/progress").json()["events"] == 1  # its kit reservation only


def test_ledger_verification_dpp_and_qr_of_a_tracked_pair(tracked: Tracked) -> None:
    serial = tracked.shop.serials[0]
    post(tracked, full_run(serial))
    verification = tracked.client.get(f"/api/pairs/{serial}/ledger/verify").json()
    entries = len(full_run(serial)) + 1  # + the kit reserved at release
    assert verification["ok"] is True and verification["entries"] == entries
    assert len(verification["head_hash"]) == 64 and verification["problems"] == []

    dpp = tracked.client.get(f"/api/pairs/{serial}/dpp").json()
    assert dpp["product"]["serial"] == serial and dpp["ledger"]["verified"] is True
    assert dpp["ledger"]["entries"] == entries and dpp["ledger"]["head_hash"] == verification["head_hash"]
    assert dpp["materials"]["lots"][0]["lot"] == "LOT-CALF-0042"
    assert [s["qc"]["result"] for s in dpp["process"] if "qc" in s] == ["pass"]
    assert dpp["provenance_url"] == f"http://testserver/pairs/{serial}/provenance"
    for anchor in dpp["ledger"]["anchors"]:  # only sealed days are anchored; none yet today
        assert verify_proof(anchor["entry_hash"], anchor["proof"], anchor["merkle_root"])

    qr = tracked.client.get(f"/api/pairs/{serial}/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml"
    assert etree.fromstring(qr.content).tag.endswith("svg")
    missing = tracked.client.get("/api/pairs/CS26-NOPE/qr.svg")
    assert missing.status_code == 404 and missing.json()["details"] == {"serial": "CS26-NOPE"}


def test_durations_are_learned_in_the_background_once(tracked: Tracked) -> None:
    for k, serial in enumerate(tracked.shop.serials):
        post(tracked, full_run(serial, start=k * 200, minutes=10 + 2 * k))
    post(tracked, full_run(tracked.shop.serials[0]))  # a resend learns nothing
    learner = tracked.client.app.state.duration_learner
    assert learner.flush(10) and learner.failures == 0
    with session_scope(tracked.shop.sessions) as session:
        cutting = session.scalars(select(DurationStat).where(DurationStat.operation == "cutting",
                                                             DurationStat.kind == "work")).one()  # fmt: skip
        assert cutting.count == 2 and cutting.median_minutes == pytest.approx(11.0)


def test_a_single_refused_event_is_answered_with_its_typed_error(tracked: Tracked) -> None:
    serial = tracked.shop.serials[0]
    gluing = tracked.client.post("/api/tracking/events", json=scan(serial, "gluing", "started", 1))
    assert gluing.status_code == 422 and gluing.json()["code"] == "unknown_operation"
    assert gluing.json()["details"] == {"field": "operation", "operation": "gluing"}
    nobody = tracked.client.post("/api/tracking/events", json=scan("CS26-NOPE", "cutting", "started", 1))
    assert nobody.status_code == 422 and nobody.json()["code"] == "unknown_pair"
    first = scan(serial, "cutting", "started", 1)
    post(tracked, first)
    clash = tracked.client.post("/api/tracking/events", json={**first, "reader_id": "rfid-9"})
    assert clash.status_code == 409 and clash.json()["code"] == "event_conflict"
    assert post(tracked, first)["duplicates"] == 1  # the same event again is harmless
    deep = tracked.client.post("/api/tracking/events", json={**scan(serial, "cutting", "finished", 2),
                                                             "payload": {"a": {"b": {"c": {"d": {"e": {}}}}}}})
    assert deep.status_code == 422 and deep.json()["code"] == "event_too_large"


def test_an_invalid_event_stored_by_an_older_version_breaks_no_read(client: TestClient, settings: Settings) -> None:
    """Finding 5: an event naming an unknown operation made the order view, the run view and re-planning answer
    409 for good. Stored straight into the table (as an older version's ingest did), it is shown as invalid."""
    shop = make_shop(settings.resolved_database_url, pairs=2)
    serial = shop.serials[0]
    with session_scope(shop.sessions) as session:
        pair = get_pair_by_serial(session, serial)
        run = PipelineRun(pair_id=pair.id, stages=["work_order.release"], state=RunState.SUCCEEDED)
        run.stage_runs.append(StageRun(stage="work_order.release", stage_version=1, state=StageState.SUCCEEDED))
        session.add(run)
        session.add(TrackingEvent(event_id="old-gluing", pair_id=pair.id, station="GLUE-1", operation="gluing",
                                  event_type="started", occurred_at=T0, received_at=T0, source="old-reader",
                                  payload={}))  # fmt: skip
        session.flush()
        run_id, order_number = run.id, pair.order.number
    shop.sessions.kw["bind"].dispose()

    def ok(method: str, url: str, **kwargs: object) -> dict:
        response = client.request(method, url, **kwargs)
        assert response.status_code == 200, f"{method} {url}: {response.status_code} {response.text}"
        return response.json()

    order = ok("GET", f"/api/orders/{order_number}")
    stage = order["pairs"][0]["runs"][0]["stages"][0]
    assert stage["work_order"]["state"] == ok("GET", f"/api/runs/{run_id}")["stages"][0]["work_order"]["state"]
    progress = ok("GET", f"/api/pairs/{serial}/progress")
    assert progress["invalid_events"] == [{"event_id": "old-gluing", "event_type": "started", "operation": "gluing",
                                           "reason": "the work order has no operation 'gluing'"}]  # fmt: skip
    assert progress["work_order"]["state"] == stage["work_order"]["state"]
    timeline = ok("GET", f"/api/pairs/{serial}/timeline")
    [marked] = [e for e in timeline["entries"] if e["kind"] == "event" and "invalid" in e]
    assert marked["event_id"] == "old-gluing" and timeline["progress"]["invalid_events"] == progress["invalid_events"]
    assert serial in {p["serial"] for p in ok("GET", "/api/pairs")["items"]}
    ok("GET", "/api/pairs/summary")
    assert serial in ok("POST", "/api/planning/schedule", json={"time_limit_s": 2})["pair_eta"]
    ok("GET", "/api/planning/schedule")
    ok("GET", "/api/planning/queues")
    ok("GET", "/api/tracking/alerts")
    ok("GET", "/api/kpis")
