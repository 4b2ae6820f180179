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
from manufacturing.db.models import DurationStat
from manufacturing.db.session import session_scope
from manufacturing.ledger.ledger import verify_proof
from manufacturing.settings import Settings
from tests.manufacturing.tracking.shop import DERBY_OPERATIONS, Shop, full_run, make_shop, scan
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
