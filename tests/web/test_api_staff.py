"""The staff dashboard's read APIs over HTTP on real orders (the FIND foot through the pipeline, the floor's events
through the tracking API): the pair list with its filters (bound, validated: a bad one is a 422 problem), paging
and counts; a pair's timeline; the schedule after a re-plan and the work-centre queues; the KPIs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from manufacturing.pipeline.local import run_pipeline_in_process
from manufacturing.settings import Settings
from manufacturing.states import WorkOrderState
from tests.web.conftest import SavedWorkshop, new_workshop, reopened, saved
from tests.web.floor import Floor, place_order


@dataclass
class Staffed:
    client: TestClient
    floor: Floor
    done: str  # every operation finished
    running: str  # cutting started
    ready: str  # released, nothing done
    unreleased: str  # its pipeline has not run
    order_of: dict[str, str]


@dataclass(frozen=True)
class StaffedWorkshop:
    """The floor below, built once for the module (three pipelines run); each test gets a copy to change."""

    saved: SavedWorkshop
    floor: Floor  # as it was left: its clock and counts
    done: str
    running: str
    ready: str
    unreleased: str
    order_of: dict[str, str]


@pytest.fixture(scope="module")
def staffed_workshop(
    tmp_path_factory: pytest.TempPathFactory, migrated_sqlite_template: Path, find_template_bytes: bytes
) -> StaffedWorkshop:
    with new_workshop(tmp_path_factory, migrated_sqlite_template) as client:
        two = place_order(client, find_template_bytes, pairs=2)
        other = place_order(client, find_template_bytes, style="oxford")
        for run_id in two["run_ids"]:
            run_pipeline_in_process(client.app.state.resources, run_id)
        floor = Floor(client)
        done, running = two["pair_serials"]
        floor.run_through(done)
        floor.reserve(running)
        floor.event(running, "cutting", "started", station="cutting-1", worker="W-3")
        third = place_order(client, find_template_bytes)
        run_pipeline_in_process(client.app.state.resources, third["run_ids"][0])
        ready = third["pair_serials"][0]
        order_of = {done: two["order_number"], running: two["order_number"], ready: third["order_number"],
                    other["pair_serials"][0]: other["order_number"]}  # fmt: skip
    return StaffedWorkshop(saved(client), floor, done, running, ready, other["pair_serials"][0], order_of)


@pytest.fixture
def staffed(staffed_workshop: StaffedWorkshop, settings: Settings) -> Iterator[Staffed]:
    s = staffed_workshop
    with reopened(s.saved, settings) as client:
        floor = replace(s.floor, client=client, sent=dict(s.floor.sent))
        yield Staffed(client, floor, s.done, s.running, s.ready, s.unreleased, dict(s.order_of))


def pairs(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/pairs", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def serials(body: dict[str, Any]) -> set[str]:
    return {item["serial"] for item in body["items"]}


def problem(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/pairs", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def test_the_pair_list_filters_by_state_style_due_date_overdue_and_text(staffed: Staffed) -> None:
    client, s = staffed.client, staffed
    everything = pairs(client)
    assert everything["total"] == 4 and len(everything["items"]) == 4 and everything["next_cursor"] is None
    by_serial = {item["serial"]: item for item in everything["items"]}
    assert by_serial[s.done]["state"] == "done" and by_serial[s.done]["done_fraction"] == 1.0
    assert by_serial[s.running]["state"] == "in_progress"
    current = by_serial[s.running]["current_operation"]
    assert (current["code"], current["state"], current["station"]) == ("cutting", "in_progress", "cutting-1")
    # Its material is not reserved yet: whatever the work order calls that, the list says the same.
    progress = client.get(f"/api/pairs/{s.ready}/progress").json()["work_order"]
    assert by_serial[s.ready]["state"] == progress["state"] not in ("ready", "in_progress", "done")
    assert by_serial[s.unreleased]["state"] == "not_released"
    assert by_serial[s.unreleased]["pipeline_state"] == "queued" and by_serial[s.unreleased]["due_at"] is None
    assert by_serial[s.done]["order_number"] == s.order_of[s.done] and by_serial[s.done]["style"] == "derby"

    assert serials(pairs(client, state="done")) == {s.done}
    both = pairs(client, state=["done", "in_progress"])
    assert serials(both) == {s.done, s.running} and both["total"] == 2
    assert serials(pairs(client, state="not_released")) == {s.unreleased}
    assert serials(pairs(client, style="oxford")) == {s.unreleased}
    assert serials(pairs(client, q=s.order_of[s.done].lower())) == {s.done, s.running}
    assert serials(pairs(client, q=s.ready[-5:].lower())) == {s.ready}
    assert pairs(client, q="%")["total"] == 0  # a LIKE wildcard is searched for, not used
    assert pairs(client, q="_")["total"] == 0
    # Injection attempts are searched for as text (bound parameters), or refused by validation: no row leaks.
    for attempt in ("' OR 1=1 --", "x' UNION SELECT serial FROM pair --", "\\'; DROP TABLE pair; --"):
        assert pairs(client, q=attempt)["total"] == 0, attempt
    assert problem(client, state="done' OR '1'='1")["code"] == "invalid_request"
    assert problem(client, style="derby; DROP TABLE pair")["code"] == "invalid_request"
    assert pairs(client)["total"] == 4  # the table is still there, whole

    due = datetime.fromisoformat(by_serial[s.ready]["due_at"])
    assert serials(pairs(client, due_before=(due + timedelta(seconds=1)).isoformat())) == {s.done, s.running, s.ready}
    assert pairs(client, due_before=(due - timedelta(days=1)).isoformat())["total"] == 0
    later = (due + timedelta(days=7)).isoformat()
    late = pairs(client, overdue="true", now=later)
    assert serials(late) == {s.running, s.ready} and all(item["overdue"] for item in late["items"])
    assert serials(pairs(client, overdue="false", now=later)) == {s.done, s.unreleased}
    assert pairs(client, overdue="true")["total"] == 0  # due in 14 days

    bad_state = problem(client, state="exploded")
    assert bad_state["code"] == "invalid_request" and "state" in bad_state["detail"]
    assert problem(client, style="brogue")["errors"][0]["location"] == "query.style"
    naive = problem(client, due_before="2030-01-01T00:00:00")
    assert naive["code"] == "input_error" and "time zone" in naive["detail"]
    assert problem(client, q="x" * 65)["errors"][0]["location"] == "query.q"
    assert problem(client, overdue="sometimes")["errors"][0]["location"] == "query.overdue"


def test_pages_of_the_pair_list_follow_the_filters_and_the_summary_counts_every_state(staffed: Staffed) -> None:
    client = staffed.client
    seen, cursor, pages = [], None, 0
    while True:
        body = pairs(client, limit=1, **({"cursor": cursor} if cursor else {}))
        assert body["total"] == 4 and len(body["items"]) == 1
        seen += [item["serial"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 4 and len(set(seen)) == 4
    ready_state = client.get(f"/api/pairs/{staffed.ready}/progress").json()["work_order"]["state"]
    states = [ready_state, "not_released"]
    first = pairs(client, limit=1, state=states)
    assert first["total"] == 2 and first["next_cursor"] is not None
    second = pairs(client, limit=1, state=states, cursor=first["next_cursor"])
    assert serials(first) | serials(second) == {staffed.ready, staffed.unreleased} and second["next_cursor"] is None
    bad = client.get("/api/pairs", params={"cursor": "not-ours"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_cursor"

    summary = client.get("/api/pairs/summary").json()
    assert set(summary["by_state"]) == {s.value for s in WorkOrderState} | {"not_released"}
    assert summary["total"] == 4 == sum(summary["by_state"].values())
    assert summary["by_state"]["done"] == summary["by_state"]["in_progress"] == 1
    assert client.get("/api/pairs/summary", params={"style": "oxford"}).json()["total"] == 1


def test_a_pairs_timeline_lists_what_happened_in_order(staffed: Staffed) -> None:
    client = staffed.client
    body = client.get(f"/api/pairs/{staffed.done}/timeline").json()
    assert body["serial"] == staffed.done and body["order_number"] == staffed.order_of[staffed.done]
    kinds = [entry["kind"] for entry in body["entries"]]
    assert kinds[0] == "order" and "pipeline" in kinds and "work_order" in kinds
    ours = [e for e in body["entries"] if e["kind"] == "event" and e["source"] == "terminal-1"]
    assert len(ours) == staffed.floor.sent[staffed.done]  # (stores may add its own, e.g. material_short)
    times = [datetime.fromisoformat(entry["at"]) for entry in body["entries"]]
    assert times == sorted(times)
    assert body["progress"]["work_order"]["state"] == "done"
    packing = [e for e in body["entries"] if e["kind"] == "event" and e["operation"] == "packing"]
    assert [e["event_type"] for e in packing] == ["started", "finished"] and packing[0]["worker"] == "W-7"
    missing = client.get("/api/pairs/CS00-NOPE/timeline")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_the_schedule_after_a_replan_and_the_work_centre_queues(staffed: Staffed) -> None:
    client = staffed.client
    queues = {q["centre"]: q for q in client.get("/api/planning/queues").json()["queues"]}
    assert [i["pair_serial"] for i in queues["cutting-1"]["in_progress"]] == [staffed.running]
    # Not scheduled yet: a ready operation waits for any centre of its kind.
    assert not any(i["pair_serial"] == staffed.ready for q in queues.values() for i in q["ready"])
    staffed.floor.reserve(staffed.ready)
    unassigned = client.get("/api/planning/queues").json()["unassigned"]
    assert [(u["kind"], [i["pair_serial"] for i in u["ready"]]) for u in unassigned] == [("cutting", [staffed.ready])]

    assert client.get("/api/planning/schedule").json()["operations"] == []
    replanned = client.post("/api/planning/schedule", json={"time_limit_s": 2})
    assert replanned.status_code == 200, replanned.text
    plan = replanned.json()
    assert plan["work_orders"] == 2 and set(plan["pair_eta"]) == {staffed.running, staffed.ready}
    schedule = client.get("/api/planning/schedule").json()
    open_operations = sum(
        sum(op["state"] != "done" for op in staffed.floor.operations(serial))
        for serial in (staffed.running, staffed.ready)
    )
    assert len(schedule["operations"]) == plan["operations"] == open_operations
    centres = {c["code"] for c in schedule["centres"]}
    for bar in schedule["operations"]:
        assert bar["centre"] in centres and bar["start"] < bar["end"] and bar["late"] is False
    assert schedule["pairs"] == 2 and schedule["late_pairs"] == 0
    running = next(
        b for b in schedule["operations"] if b["pair_serial"] == staffed.running and b["operation"] == "cutting"
    )
    assert running["centre"] == "cutting-1" and running["state"] == "in_progress"
    assert client.post("/api/planning/schedule", json={"time_limit_s": 600}).status_code == 422
    naive = client.post("/api/planning/schedule", json={"now": "2030-01-01T08:00:00"})
    assert naive.status_code == 422 and "time zone" in naive.json()["detail"]

    queues = {q["centre"]: q for q in client.get("/api/planning/queues").json()["queues"]}
    planned = next(
        b for b in schedule["operations"] if b["pair_serial"] == staffed.ready and b["operation"] == "cutting"
    )
    assert [i["pair_serial"] for i in queues[planned["centre"]]["ready"]] == [staffed.ready]
    assert client.get("/api/planning/queues").json()["unassigned"] == []


def test_kpis_and_delay_alerts_for_the_dashboard(staffed: Staffed) -> None:
    client = staffed.client
    kpis = client.get("/api/kpis").json()
    assert kpis["pairs"] == 3 and kpis["pairs_done"] == 1  # released pairs
    assert kpis["output_per_worker"] == {"W-7": staffed.floor.finishes}
    assert len(kpis["daily_output"]) == 14
    assert sum(day["operations_finished"] for day in kpis["daily_output"]) == staffed.floor.finishes
    today = datetime.now(UTC).date().isoformat()
    assert kpis["daily_output"][-1]["day"] == today
    assert client.get("/api/kpis", params={"days": 0}).status_code == 422
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    alerts = client.get("/api/tracking/alerts", params={"now": later}).json()
    assert {a["serial"] for a in alerts} == {staffed.running, staffed.ready}
