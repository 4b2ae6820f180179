"""Inventory over HTTP: a work order released short shows on the shortages with its reason, the suggestion
becomes a purchase order, its receipt reserves the kit; lots, counts, movements, the reorder report, the paged
stock list, and bad requests as problems naming what is wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from manufacturing.db.models import Customer, Design, Order, Pair
from manufacturing.db.session import session_scope
from manufacturing.materials.catalogue import default_catalogue
from manufacturing.planning import service as planning
from manufacturing.planning.routing import RoutingInputs

LEATHER = "full-grain-cowhide-b"
BOM = {
    "lines": [
        {"material_id": LEATHER, "quantity": 0.16, "unit": "m2"},
        {"material_id": "outsole-rubber-dress", "quantity": 1.0, "unit": "pair"},
    ]
}


def release_short_work_order(client: TestClient) -> int:
    """A pair released with nothing in stock (its kit waits), straight through the planning service."""
    now = datetime.now(UTC)
    with session_scope(client.app.state.resources.sessions) as session:  # type: ignore[attr-defined]
        customer = Customer(email="stores-api@example.com")
        session.add(customer)
        session.flush()
        design = Design(design_key="d-inv-api", customer_id=customer.id, style="derby", options={"style": "derby"})
        order = Order(number="O-INV-API", customer_id=customer.id)
        session.add_all([design, order])
        session.flush()
        pair = Pair(serial="CS26-INVAPI", order_id=order.id, design_id=design.id)
        session.add(pair)
        session.flush()
        released = planning.release_work_order(
            session, pair.id, RoutingInputs("derby", 8, 1800.0, 10), BOM, due_at=now + timedelta(days=5), now=now
        )
        return released.work_order.id


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_a_short_work_order_is_suggested_ordered_received_and_reserved(client: TestClient) -> None:
    ok(
        client.post(
            "/api/inventory/lots",
            json={"material_id": "outsole-rubber-dress", "quantity": 10, "batch": "S-1", "unit": "pair"},
        ),
        201,
    )
    wo = release_short_work_order(client)
    (waiting,) = ok(client.get("/api/inventory/shortages"))["work_orders"]
    assert waiting["work_order_id"] == wo and waiting["pair_serial"] == "CS26-INVAPI"
    assert waiting["shortages"] == [{"material_id": LEATHER, "needed": 0.16, "available": 0.0, "unit": "m2"}]
    assert waiting["reason"] == "full-grain-cowhide-b needs 0.16 m2, 0 m2 available (short 0.16 m2)"
    progress = ok(client.get("/api/pairs/CS26-INVAPI/progress"))["work_order"]
    assert progress["state"] == "awaiting_material"

    suggestions = ok(client.get("/api/inventory/purchase-suggestions"))
    (conceria,) = [s for s in suggestions["suppliers"] if s["supplier"].startswith("Conceria")]
    assert [(line["material_id"], line["quantity"]) for line in conceria["lines"]] == [(LEATHER, 4.6)]  # one hide
    placed = ok(
        client.post(
            "/api/inventory/purchase-orders", json={"from_suggestions": True, "supplier": conceria["supplier"]}
        ),
        201,
    )
    (order,) = placed["purchase_orders"]
    assert order["state"] == "open" and order["cost_eur"] == round(4.6 * 56.0, 2)
    listed = ok(client.get("/api/inventory/purchase-orders"))
    assert [o["number"] for o in listed["items"]] == [order["number"]]
    receipt = ok(client.post(f"/api/inventory/purchase-orders/{order['number']}/receive", json={"batch": "CT-9"}))
    assert receipt["purchase_order"]["state"] == "received" and receipt["reserved_work_orders"] == [wo]
    assert receipt["lots"][0]["batch"] == "CT-9" and receipt["lots"][0]["reserved"] == 0.16
    assert ok(client.get("/api/inventory/shortages"))["work_orders"] == []
    assert ok(client.get("/api/pairs/CS26-INVAPI/progress"))["work_order"]["state"] == "ready"
    again = client.post(f"/api/inventory/purchase-orders/{order['number']}/receive")
    assert again.status_code == 409 and again.json()["code"] == "purchase_order_conflict"

    moves = ok(client.get("/api/inventory/movements", params={"work_order_id": wo}))["items"]
    assert sorted((m["material_id"], m["kind"], m["quantity"]) for m in moves) == [
        (LEATHER, "reserve", 0.16),
        ("outsole-rubber-dress", "reserve", 1.0),
    ]


def test_lots_counts_and_the_paged_stock_list(client: TestClient) -> None:
    lot = ok(
        client.post(
            "/api/inventory/lots",
            json={"material_id": LEATHER, "quantity": 4.6, "batch": "H-7", "grade": "A", "unit_cost_eur": 60.0},
        ),
        201,
    )["lot"]
    assert (lot["grade"], lot["on_hand"], lot["supplier"]) == ("A", 4.6, default_catalogue().get(LEATHER).supplier)
    counted = ok(client.post(f"/api/inventory/lots/{lot['id']}/adjust", json={"counted": 4.2, "note": "count"}))
    assert counted["on_hand"] == 4.2
    detail = ok(client.get(f"/api/inventory/lots/{lot['id']}"))
    assert [(m["kind"], m["quantity"]) for m in detail["movements"]] == [("receive", 4.6), ("adjust", -0.4)]
    lots = ok(client.get("/api/inventory/lots", params={"material_id": LEATHER}))
    assert [x["id"] for x in lots["items"]] == [lot["id"]]

    seen, cursor, pages = [], None, 0
    while True:
        params: dict[str, Any] = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        page = ok(client.get("/api/inventory/stock", params=params))
        seen += [row["material_id"] for row in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    catalogue = default_catalogue().materials
    assert seen == sorted(catalogue) and pages == -(-len(catalogue) // 10)
    (row,) = ok(client.get("/api/inventory/stock", params={"in_stock": True}))["items"]
    assert (row["material_id"], row["on_hand"], row["lots"], row["value_eur"]) == (LEATHER, 4.2, 1, 252.0)

    reorder = ok(client.get("/api/inventory/reorder", params={"service_level": 0.9, "history_days": 30}))
    assert reorder["service_level"] == 0.9 and len(reorder["materials"]) == len(catalogue)
    leather = next(x for x in reorder["materials"] if x["material_id"] == LEATHER)
    assert leather["position"] == 4.2 and leather["reorder_point"] == 0.0 and not leather["needs_order"]


def test_bad_requests_are_problems_that_name_what_is_wrong(client: TestClient) -> None:
    wrong_unit = client.post(
        "/api/inventory/lots", json={"material_id": LEATHER, "quantity": 1, "batch": "B", "unit": "dm2"}
    )
    assert wrong_unit.status_code == 422 and wrong_unit.json()["code"] == "wrong_unit"
    assert "stocked in m2, not dm2" in wrong_unit.json()["detail"]
    unknown = client.post("/api/inventory/lots", json={"material_id": "calf-black", "quantity": 1, "batch": "B"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "catalogue_error"
    graded = client.post(
        "/api/inventory/lots", json={"material_id": "canvas-cotton", "quantity": 1, "batch": "B", "grade": "A"}
    )
    assert graded.status_code == 422 and "not a hide" in graded.json()["detail"]
    assert (
        client.post("/api/inventory/lots", json={"material_id": LEATHER, "quantity": -1, "batch": "B"}).status_code
        == 422
    )
    missing = client.get("/api/inventory/lots/999")
    assert missing.status_code == 404 and missing.json()["code"] == "unknown_lot"
    assert client.get("/api/inventory/purchase-orders/PO-000404").json()["code"] == "unknown_purchase_order"
    both = client.post("/api/inventory/lots/1/adjust", json={"delta": 1, "counted": 2, "note": "?"})
    assert both.status_code == 422
    no_supplier = client.post(
        "/api/inventory/purchase-orders", json={"lines": [{"material_id": LEATHER, "quantity": 1}]}
    )
    assert no_supplier.status_code == 422
    assert client.get("/api/inventory/reorder", params={"service_level": 1.0}).status_code == 422
