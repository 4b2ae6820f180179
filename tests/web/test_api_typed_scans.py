"""A foot from typed measurements: made, stored and measured like a scan (its measurements come back as
typed), usable for a design and an order; values no foot has are 422 problems naming the field."""

import pytest
from fastapi.testclient import TestClient

from manufacturing.accounts.roles import Role
from tests.web.conftest import signed_in


def test_typed_measurements_become_a_measured_foot_that_designs_and_orders_use(anonymous: TestClient) -> None:
    alice = signed_in(anonymous.app, "alice@example.com", Role.CUSTOMER)
    typed = {"side": "right", "foot_length_mm": 262.0, "ball_girth_mm": 246.0, "ball_width_mm": 98.0}
    response = anonymous.post("/api/scans/typed", headers=alice, json=typed)
    assert response.status_code == 201, response.text
    scan = response.json()
    assert scan["side"] == "right" and scan["units_detected"] == "mm"
    for key in ("foot_length_mm", "ball_girth_mm", "ball_width_mm"):
        assert scan["measurements"][key] == pytest.approx(typed[key], abs=1.0), key
    # Its heel girths are the template's, made to the typed values: estimates, never the customer's measurements.
    for key in ("long_heel_girth_mm", "short_heel_girth_mm"):
        assert scan["measurements"][key] is None, key
        estimate = scan["estimated"][key]
        assert estimate["method"] == "find_template_ratio" and estimate["reason"] == "not_typed", key
        assert 0.05 * estimate["value_mm"] < estimate["uncertainty_95_mm"] < 0.1 * estimate["value_mm"], key
    design = anonymous.post(
        "/api/designs", headers=alice, json={"options": {"style": "derby"}, "foot_scan_id": scan["id"]}
    )
    assert design.status_code == 201, design.text
    order = anonymous.post("/api/orders", headers=alice, data={"design_id": str(design.json()["id"])})
    assert order.status_code == 201 and order.json()["foot_scan_id"] == scan["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"side": "right", "foot_length_mm": 900, "ball_girth_mm": 250}, "foot_length_mm"),
        ({"side": "right", "foot_length_mm": 260, "ball_girth_mm": 120}, "ball_girth_mm"),
        ({"side": "left", "foot_length_mm": 260, "ball_girth_mm": 245, "ball_width_mm": 60}, "ball_width_mm"),
    ],
)
def test_measurements_no_foot_has_are_problems(client: TestClient, body: dict, field: str) -> None:
    response = client.post("/api/scans/typed", json={**body, "email": "walker@example.com"})
    assert response.status_code == 422 and response.json()["code"] == "impossible_measurements", response.text
    assert response.json()["details"]["field"] == field


def test_a_missing_side_is_a_validation_problem(client: TestClient) -> None:
    response = client.post("/api/scans/typed", json={"foot_length_mm": 260, "ball_girth_mm": 245})
    assert response.status_code == 422 and "side" in response.json()["detail"]
