"""Inventory and purchasing over HTTP: stock per material, lots (receive, count), movements, reorder points,
purchase suggestions and orders, and the work orders waiting for material with their reasons. The rules are
``manufacturing/inventory``'s (docs/inventory.md); every route commits once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field, model_validator

from manufacturing.accounts.roles import Capability
from manufacturing.db.session import session_scope
from manufacturing.inventory import service
from web.api.auth import requires
from web.api.deps import RecordId, ResourcesDep
from web.api.pagination import PageDep, PageRequest, page_of

# The stores are the shop floor's: staff and administrators.
router = APIRouter(prefix="/api/inventory", tags=["inventory"], dependencies=[Depends(requires(Capability.SHOP_FLOOR))])


def _page(rows: Sequence[Any], page: PageRequest, item: Any, row_id: Any) -> dict[str, Any]:
    after = [row for row in rows if row_id(row) > page.after_id]
    return page_of(after[: page.limit + 1], page, item, row_id=row_id).model_dump()


class ReceiveIn(BaseModel):
    material_id: str = Field(description="Catalogue material id, e.g. full-grain-cowhide-b.")
    quantity: float = Field(gt=0, description="In the material's unit (m², pairs, m, pieces, g).")
    unit: str | None = Field(None, description="The unit `quantity` is in: refused unless it is the material's.")
    batch: str = Field(min_length=1, max_length=100, description="The supplier's batch or hide bundle number.")
    supplier: str | None = Field(None, max_length=200, description="The catalogue's supplier when omitted.")
    grade: str | None = Field(None, description="Hides: the SATRA grade they were sorted at (A best … F).")
    unit_cost_eur: float | None = Field(None, gt=0, description="The catalogue's price when omitted.")
    note: str = Field("", max_length=2000)
    received_at: datetime | None = Field(None, description="When it came in (with its zone); now by default.")


class AdjustIn(BaseModel):
    delta: float | None = Field(None, description="A signed correction, in the lot's unit.")
    counted: float | None = Field(None, ge=0, description="The physical count: the lot is set to it.")
    note: str = Field(min_length=1, max_length=2000, description="Why (a count, damage, a hide found).")

    @model_validator(mode="after")
    def one_of(self) -> AdjustIn:
        if (self.delta is None) == (self.counted is None):
            raise ValueError("give either delta or counted")
        return self


class OrderLineIn(BaseModel):
    material_id: str
    quantity: float = Field(gt=0, description="In the material's unit.")


class PurchaseOrderIn(BaseModel):
    """Either ``lines`` for ``supplier``, or ``from_suggestions`` (one order per supplier, or ``supplier``'s)."""

    supplier: str | None = Field(None, max_length=200)
    lines: list[OrderLineIn] = Field(default_factory=list)
    from_suggestions: bool = False
    note: str = Field("", max_length=2000)

    @model_validator(mode="after")
    def lines_or_suggestions(self) -> PurchaseOrderIn:
        if self.from_suggestions == bool(self.lines):
            raise ValueError("give either lines (with a supplier) or from_suggestions")
        if self.lines and not self.supplier:
            raise ValueError("an order with lines names its supplier")
        return self


class ReceiptIn(BaseModel):
    batch: str | None = Field(None, max_length=100, description="The order number when omitted.")
    quantities: dict[str, float] | None = Field(
        None, description="Material id → quantity received; everything still open when omitted."
    )
    grades: dict[str, str] | None = Field(None, description="Hides: material id → the grade they came at.")


@router.get("/stock")
def read_stock(
    resources: ResourcesDep,
    page: PageDep,
    in_stock: bool = Query(False, description="Only materials with something on hand, reserved, ordered or due."),
) -> dict[str, Any]:
    """Per catalogue material (catalogue id order): on hand, reserved, free, on order, waited for, lots, value."""
    with session_scope(resources.sessions) as session:
        rows = [row.to_dict() for row in service.stock_report(session)]
    numbered = [(k, row) for k, row in enumerate(rows, start=1)]
    if in_stock:
        numbered = [(k, r) for k, r in numbered if r["on_hand"] or r["reserved"] or r["on_order"] or r["shortage"]]
    return _page(numbered, page, lambda item: item[1], row_id=lambda item: item[0])


@router.get("/lots")
def read_lots(
    resources: ResourcesDep,
    page: PageDep,
    material_id: str | None = Query(None, description="Only this material's lots."),
    include_empty: bool = Query(False, description="Also the lots used up."),
) -> dict[str, Any]:
    """Lots with their balances, oldest first."""
    with session_scope(resources.sessions) as session:
        rows = service.lots(session, material_id, include_empty=include_empty)
    rows.sort(key=lambda lot: lot.id)
    return _page(rows, page, lambda lot: lot.to_dict(), row_id=lambda lot: lot.id)


@router.post("/lots", status_code=status.HTTP_201_CREATED)
def post_lot(resources: ResourcesDep, body: ReceiveIn) -> dict[str, Any]:
    """Receive a lot; the work orders waiting for material are then reserved, earliest due first."""
    with session_scope(resources.sessions) as session:
        return service.receive_lot(
            session,
            body.material_id,
            body.quantity,
            batch=body.batch,
            supplier=body.supplier,
            grade=body.grade,
            unit=body.unit,
            unit_cost_eur=body.unit_cost_eur,
            note=body.note,
            now=body.received_at,
        ).to_dict()


@router.get("/lots/{lot_id}")
def read_lot(resources: ResourcesDep, lot_id: RecordId) -> dict[str, Any]:
    with session_scope(resources.sessions) as session:
        lot = service.lot(session, lot_id).to_dict()
        return {**lot, "movements": service.movements_of(session, lot_id=lot_id)}


@router.post("/lots/{lot_id}/adjust")
def post_adjustment(resources: ResourcesDep, lot_id: RecordId, body: AdjustIn) -> dict[str, Any]:
    """Correct a lot by a signed ``delta`` or to a ``counted`` quantity; the note says why."""
    with session_scope(resources.sessions) as session:
        return service.adjust_lot(session, lot_id, delta=body.delta, counted=body.counted, note=body.note).to_dict()


@router.get("/movements")
def read_movements(
    resources: ResourcesDep,
    page: PageDep,
    lot_id: int | None = Query(None, ge=1),
    work_order_id: int | None = Query(None, ge=1),
    cutting_job_id: int | None = Query(None, ge=1),
    material_id: str | None = None,
) -> dict[str, Any]:
    """Stock movements (append-only facts), oldest first, filtered by lot, work order, cutting job or material."""
    with session_scope(resources.sessions) as session:
        rows = service.movements_of(
            session, lot_id=lot_id, work_order_id=work_order_id, cutting_job_id=cutting_job_id, material_id=material_id
        )
    rows.sort(key=lambda m: m["id"])
    return _page(rows, page, lambda m: m, row_id=lambda m: m["id"])


@router.get("/reorder")
def read_reorder(
    resources: ResourcesDep,
    service_level: float = Query(0.95, ge=0.5, lt=1.0, description="Cycle service level of the safety stock."),
    history_days: int = Query(90, ge=1, le=3650, description="Days of released demand measured."),
    cover_days: float = Query(14.0, ge=0, le=365, description="Orders bring the position to ROP + these days."),
) -> dict[str, Any]:
    """Per material: mean and σ of daily demand, lead time, safety stock, reorder point, position, what to order."""
    with session_scope(resources.sessions) as session:
        report = service.reorder_report(
            session, service_level=service_level, history_days=history_days, cover_days=cover_days
        )
    options = {"service_level": service_level, "history_days": history_days, "cover_days": cover_days}
    return {**options, "materials": [line.to_dict() for line in report]}


@router.get("/purchase-suggestions")
def read_suggestions(
    resources: ResourcesDep,
    service_level: float = Query(0.95, ge=0.5, lt=1.0),
    history_days: int = Query(90, ge=1, le=3650),
    cover_days: float = Query(14.0, ge=0, le=365),
) -> dict[str, Any]:
    """What to order now, grouped by supplier, with each line's reason and cost."""
    with session_scope(resources.sessions) as session:
        found = service.suggest_purchases(
            session, service_level=service_level, history_days=history_days, cover_days=cover_days
        )
    suggestions = [s.to_dict() for s in found]
    options = {"service_level": service_level, "history_days": history_days, "cover_days": cover_days}
    return {**options, "suppliers": suggestions, "cost_eur": round(sum(s["cost_eur"] for s in suggestions), 2)}


@router.get("/purchase-orders")
def read_purchase_orders(resources: ResourcesDep, page: PageDep) -> dict[str, Any]:
    with session_scope(resources.sessions) as session:
        orders = service.purchase_orders(session)
    return _page(orders, page, lambda o: o.to_dict(), row_id=lambda o: o.id)


@router.post("/purchase-orders", status_code=status.HTTP_201_CREATED)
def post_purchase_order(resources: ResourcesDep, body: PurchaseOrderIn) -> dict[str, Any]:
    """Place one order with ``lines``, or the suggested orders (``from_suggestions``); answers what was placed."""
    with session_scope(resources.sessions) as session:
        if body.from_suggestions:
            placed = service.place_suggested_orders(session, supplier=body.supplier)
        else:
            assert body.supplier is not None
            lines = [(line.material_id, line.quantity) for line in body.lines]
            placed = [service.place_purchase_order(session, body.supplier, lines, note=body.note)]
        return {"purchase_orders": [o.to_dict() for o in placed]}


@router.get("/purchase-orders/{number}")
def read_purchase_order(resources: ResourcesDep, number: str) -> dict[str, Any]:
    with session_scope(resources.sessions) as session:
        return service.purchase_order(session, number).to_dict()


@router.post("/purchase-orders/{number}/receive")
def post_receipt(resources: ResourcesDep, number: str, body: ReceiptIn | None = None) -> dict[str, Any]:
    """Receive the order (or the given quantities) into lots; waiting work orders are then reserved."""
    body = body or ReceiptIn(batch=None, quantities=None, grades=None)
    with session_scope(resources.sessions) as session:
        return service.receive_purchase_order(
            session, number, batch=body.batch, quantities=body.quantities, grades=body.grades
        ).to_dict()


@router.post("/purchase-orders/{number}/cancel")
def post_cancel(resources: ResourcesDep, number: str) -> dict[str, Any]:
    with session_scope(resources.sessions) as session:
        return service.cancel_purchase_order(session, number).to_dict()


@router.get("/shortages")
def read_shortages(resources: ResourcesDep) -> dict[str, Any]:
    """Work orders waiting for material, earliest due first: each short material, needed, available, unit."""
    with session_scope(resources.sessions) as session:
        waiting = [w.to_dict() for w in service.waiting_work_orders(session)]
    return {"work_orders": waiting}
