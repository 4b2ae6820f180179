"""The staff dashboard in Debian's chromium (headless) driven by Playwright, on a live workshop: real orders (the
FIND foot through the server's pipeline), the floor's events and QC through the API, a staff member signed in.
Every panel must show the API's numbers: as many table rows as the list's total, one Gantt bar per planned
operation, the QC and KPI figures; screenshots (desktop and phone) go to tests/e2e/artifacts/."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from manufacturing.accounts.roles import Role
from tests.e2e.conftest import ARTIFACTS, Workshop, sign_in
from tests.web.floor import FINAL_PASS, Floor, png

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STAFF = "staff@workshop.example"


@dataclass
class Floorplan:
    done: str  # failed its final check once, reworked, passed, packed
    running: str  # cutting in progress at cutting-1
    rework: str  # failed its final check: back to finishing
    oxford: str  # another style, released
    order_two: str  # the order of ``done`` and ``running``


def inspect_final(api: Any, serial: str, results: dict[str, Any]) -> dict[str, Any]:
    started = api.post("/api/qc/inspections", json={"pair": serial, "checkpoint": "final", "inspector": "Q-1"})
    assert started.status_code in (200, 201), started.text
    recorded = api.post(f"/api/qc/inspections/{started.json()['inspection']['id']}/results", json=results)
    assert recorded.status_code == 200, recorded.text
    outcome: dict[str, Any] = recorded.json()["outcome"]
    return outcome


@pytest.fixture(scope="module")
def floorplan(workshop: Workshop, find_template_bytes: bytes) -> Floorplan:
    two = workshop.finished_order(find_template_bytes, pairs=2)
    oxford = workshop.finished_order(find_template_bytes, style="oxford")
    third = workshop.finished_order(find_template_bytes)
    floor = Floor(workshop.api)
    done, running = two["pair_serials"]
    rework = third["pair_serials"][0]
    photo = base64.b64encode(png()).decode()
    floor.run_through(done, until="qc_final")
    failing = {
        "measurements": {**FINAL_PASS["measurements"], "length_vs_last_mm": 2.2},
        "checks": {**FINAL_PASS["checks"], "finish_clean": False},
        "photos": {"finish_clean": [photo]},
    }
    assert inspect_final(workshop.api, done, failing)["rework_to"] == "lasting"
    floor.run_through(done, until="qc_final")
    assert inspect_final(workshop.api, done, FINAL_PASS)["passed"]
    floor.run_through(done)
    floor.reserve(running)
    floor.event(running, "cutting", "started", station="cutting-1", worker="W-3")
    floor.run_through(rework, until="qc_final", worker="W-5")
    colour = {"measurements": {**FINAL_PASS["measurements"], "colour_delta_e": 3.1}, "checks": FINAL_PASS["checks"]}
    assert inspect_final(workshop.api, rework, colour)["rework_to"] == "finishing"
    return Floorplan(done, running, rework, oxford["pair_serials"][0], two["order_number"])


@pytest.fixture(scope="module")
def staff_password(workshop: Workshop) -> str:
    return workshop.account(STAFF, Role.STAFF)


@pytest.fixture
def page(browser: Browser, workshop: Workshop, floorplan: Floorplan, staff_password: str) -> Iterator[Page]:
    """A staff member signed in on a desktop-sized window; page errors collected in ``page.errors``."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: page.errors.append(str(error)))  # type: ignore[attr-defined]
    sign_in(page, workshop.url, STAFF, staff_password, "/staff/")
    yield page
    context.close()


def api(workshop: Workshop, path: str, **params: Any) -> Any:
    response = workshop.api.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def loaded(page: Page, panel: str) -> None:
    expect(page.locator(f"#panel-{panel}")).to_have_attribute("data-loaded", "true", timeout=30_000)


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def test_the_dashboard_shows_the_workshop_as_the_api_has_it(
    page: Page, workshop: Workshop, floorplan: Floorplan
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    # Orders and pairs: one row per pair the list counts, chips with the API's counts per state.
    loaded(page, "pairs")
    listed = api(workshop, "/api/pairs")
    expect(page.locator("#pairs-table tbody tr")).to_have_count(listed["total"])
    expect(page.locator("#pairs-total")).to_have_text(str(listed["total"]))
    summary = api(workshop, "/api/pairs/summary")
    for state, count in summary["by_state"].items():
        expect(page.locator(f"#state-chips .chip[data-state='{state}'] b")).to_have_text(str(count))
    page.click("#state-chips .chip[data-state='done']")
    expect(page.locator("#pairs-table tbody tr")).to_have_count(summary["by_state"]["done"])
    expect(page.locator(f"#pairs-table tbody tr[data-serial='{floorplan.done}']")).to_be_visible()
    page.click("#state-chips .chip[data-state='done']")
    page.fill("#f-q", floorplan.order_two)
    expect(page.locator("#pairs-table tbody tr")).to_have_count(2)
    expect(page.locator("#pairs-total")).to_have_text("2")
    page.fill("#f-q", "")
    expect(page.locator("#pairs-table tbody tr")).to_have_count(listed["total"])

    # A pair's timeline: every entry the API has, in its order.
    page.click(f"#pairs-table tbody tr[data-serial='{floorplan.done}']")
    expect(page.locator("#timeline")).to_have_attribute("data-loaded", "true", timeout=30_000)
    timeline = api(workshop, f"/api/pairs/{floorplan.done}/timeline")
    expect(page.locator("#tl-entries li")).to_have_count(len(timeline["entries"]))
    expect(page.locator("#tl-entries li[data-kind='qc'][data-passed='false']")).to_have_count(1)
    expect(page.locator("#tl-operations li[data-state='done']")).to_have_count(
        len(timeline["progress"]["work_order"]["operations"])
    )
    page.screenshot(path=ARTIFACTS / "staff-1-pairs-timeline-desktop.png", full_page=True)

    # The schedule: nothing planned, then re-planned from the page; one bar per planned operation.
    page.click("#tab-schedule")
    loaded(page, "schedule")
    expect(page.locator("#gantt")).to_contain_text("Nothing is planned")
    page.click("#replan")
    expect(page.locator("#notice")).to_contain_text("Re-planned", timeout=60_000)
    schedule = api(workshop, "/api/planning/schedule")
    assert schedule["operations"], "the open work orders were planned"
    expect(page.locator("#gantt rect.bar")).to_have_count(len(schedule["operations"]))
    expect(page.locator("#gantt rect.bar.in_progress")).to_have_count(
        sum(op["state"] == "in_progress" for op in schedule["operations"])
    )
    page.screenshot(path=ARTIFACTS / "staff-2-schedule-desktop.png", full_page=True)

    # Station queues: what runs where, what waits.
    page.click("#tab-stations")
    loaded(page, "stations")
    queues = api(workshop, "/api/planning/queues")
    queued = sum(
        len(q[key]) for q in [*queues["queues"], *queues["unassigned"]] for key in ("in_progress", "ready", "blocked")
    )
    expect(page.locator(".station li")).to_have_count(queued)
    expect(page.locator(".station[data-centre='cutting-1'] ol[data-queue='running'] li")).to_contain_text(
        floorplan.running
    )
    page.screenshot(path=ARTIFACTS / "staff-3-stations-desktop.png", full_page=True)

    # QC and rework.
    page.click("#tab-qc")
    loaded(page, "qc")
    metrics = api(workshop, "/api/qc/metrics")
    expect(page.locator(".tile[data-kpi='first_pass_yield'] strong")).to_have_text(pct(metrics["first_pass_yield"]))
    expect(page.locator(".tile[data-kpi='rework_rate'] strong")).to_have_text(pct(metrics["rework_rate"]))
    expect(page.locator("#pareto rect.bar")).to_have_count(len(metrics["defect_pareto"]))
    rework = api(workshop, "/api/qc/rework")["items"]
    assert [r["pair_serial"] for r in rework] == [floorplan.rework]
    expect(page.locator("#rework-table tbody tr")).to_have_count(1)
    expect(page.locator("#rework-table tbody tr")).to_contain_text("finishing")
    page.screenshot(path=ARTIFACTS / "staff-4-qc-desktop.png", full_page=True)

    # Delay alerts, as the API forecasts them.
    page.click("#tab-alerts")
    loaded(page, "alerts")
    alerts = api(workshop, "/api/tracking/alerts")
    if alerts:
        expect(page.locator("#alerts-table tbody tr")).to_have_count(len(alerts))
    else:
        expect(page.locator("#alerts-table tbody")).to_contain_text("No delay alerts")
    page.screenshot(path=ARTIFACTS / "staff-5-alerts-desktop.png", full_page=True)

    # Inventory: its numbers when the server has the inventory API, a clear "not available" before.
    page.click("#tab-inventory")
    loaded(page, "inventory")
    stock = workshop.api.get("/api/inventory/stock", params={"limit": 200, "in_stock": "true"})
    if stock.status_code == 404:
        expect(page.locator("#panel-inventory")).to_have_attribute("data-state", "unavailable")
        expect(page.locator("#inventory-state")).to_contain_text("not available")
    else:
        expect(page.locator("#panel-inventory")).to_have_attribute("data-state", "available")
        waiting = api(workshop, "/api/inventory/shortages")["work_orders"]
        assert floorplan.oxford in {w["pair_serial"] for w in waiting}  # no stock received: its kit is short
        lines = sum(max(1, len(w["shortages"])) for w in waiting)
        expect(page.locator("#shortages-table tbody tr")).to_have_count(lines)
        expect(page.locator("#stock-table tbody tr")).to_have_count(len(stock.json()["items"]))
    page.screenshot(path=ARTIFACTS / "staff-6-inventory-desktop.png", full_page=True)

    # KPIs and their charts.
    page.click("#tab-kpis")
    loaded(page, "kpis")
    kpis = api(workshop, "/api/kpis", days=14)
    expect(page.locator(".tile[data-kpi='pairs'] strong")).to_have_text(str(kpis["pairs"]))
    expect(page.locator(".tile[data-kpi='defect_rate'] strong")).to_have_text(pct(kpis["defect_rate"]))
    expect(page.locator("#daily circle.point")).to_have_count(14)
    assert page.locator("#daily circle.point").last.get_attribute("data-value") == str(
        kpis["daily_output"][-1]["operations_finished"]
    )
    expect(page.locator("#by-state rect.bar")).to_have_count(len(summary["by_state"]))
    expect(page.locator("#per-worker rect.bar")).to_have_count(len(kpis["output_per_worker"]))
    page.screenshot(path=ARTIFACTS / "staff-7-kpis-desktop.png", full_page=True)

    # A phone: the same panels, one column, tabs scrolling sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{workshop.url}/staff/#pairs")
    expect(page.locator("#panel-pairs")).to_be_visible()
    loaded(page, "pairs")
    expect(page.locator("#pairs-table tbody tr")).to_have_count(listed["total"])
    page.screenshot(path=ARTIFACTS / "staff-8-pairs-phone.png", full_page=True)
    page.click("#tab-schedule")
    loaded(page, "schedule")
    expect(page.locator("#gantt rect.bar")).to_have_count(len(schedule["operations"]))
    page.screenshot(path=ARTIFACTS / "staff-9-schedule-phone.png", full_page=True)
    page.click("#tab-kpis")
    loaded(page, "kpis")
    page.screenshot(path=ARTIFACTS / "staff-10-kpis-phone.png", full_page=True)
    assert page.errors == []  # type: ignore[attr-defined]
