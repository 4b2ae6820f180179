"""Inventory and purchasing over HTTP: stock per material, lots (receive, count), movements, reorder points,
purchase suggestions and orders, and the work orders waiting for material with their reasons. The rules are
``manufacturing/inventory``'s (docs/inventory.md); every route commits once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Depends, Query, status

from manufacturing.accounts.roles import Capability
from manufacturing.db.session import session_scope
from manufacturing.inventory import lots
from manufacturing.planning import kits
from manufacturing.purchasing import orders as purchasing
from manufacturing.purchasing import positions
from web.api.auth import requires
from web.api.deps import RecordId, ResourcesDep
from web.api.pagination import Page, PageDep, PageRequest, page_of
from web.api.schemas.inventory import (
    AdjustIn,
    LotOut,
    LotWithMovementsOut,
    MovementOut,
    OrderReceiptOut,
    PlacedPurchaseOrdersOut,
    PurchaseOrderIn,
    PurchaseOrderOut,
    PurchaseSuggestionOut,
    PurchaseSuggestionsOut,
    ReceiptIn,
    ReceivedLotOut,
    ReceiveIn,
    ReorderLineOut,
    ReorderReportOut,
    StockRowOut,
    WaitingWorkOrderOut,
    WaitingWorkOrdersOut,
)

# The stores are the shop floor's: staff and administrators.
router = APIRouter(prefix="/api/inventory", tags=["inventory"], dependencies=[Depends(requires(Capability.SHOP_FLOOR))])


def _page(rows: Sequence[Any], page: PageRequest, item: Any, row_id: Any) -> Page[Any]:
    after = [row for row in rows if row_id(row) > page.after_id]
    return page_of(after[: page.limit + 1], page, item, row_id=row_id)


@router.get("/stock")
def read_stock(
    resources: ResourcesDep,
    page: PageDep,
    in_stock: bool = Query(False, description="Only materials with something on hand, reserved, ordered or due."),
) -> Page[StockRowOut]:
    """Per catalogue material (catalogue id order): on hand, reserved, free, on order, waited for, lots, value."""
    with session_scope(resources.sessions) as session:
        rows = [StockRowOut.model_validate(row.to_dict()) for row in positions.stock_report(session)]
    numbered = [(k, row) for k, row in enumerate(rows, start=1)]
    if in_stock:
        numbered = [(k, r) for k, r in numbered if r.on_hand or r.reserved or r.on_order or r.shortage]
    return _page(numbered, page, lambda item: item[1], row_id=lambda item: item[0])


@router.get("/lots")
def read_lots(
    resources: ResourcesDep,
    page: PageDep,
    material_id: str | None = Query(None, description="Only this material's lots."),
    include_empty: bool = Query(False, description="Also the lots used up."),
) -> Page[LotOut]:
    """Lots with their balances, oldest first."""
    with session_scope(resources.sessions) as session:
        rows = lots.lots(session, material_id, include_empty=include_empty)
    rows.sort(key=lambda lot: lot.id)
    return _page(rows, page, lambda lot: LotOut.model_validate(lot.to_dict()), row_id=lambda lot: lot.id)


@router.post("/lots", status_code=status.HTTP_201_CREATED)
def post_lot(resources: ResourcesDep, body: ReceiveIn) -> ReceivedLotOut:
    """Receive a lot; the work orders waiting for material are then reserved, earliest due first."""
    with session_scope(resources.sessions) as session:
        received = kits.receive_and_reserve(
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
        )
        return ReceivedLotOut.model_validate(received.to_dict())


@router.get("/lots/{lot_id}")
def read_lot(resources: ResourcesDep, lot_id: RecordId) -> LotWithMovementsOut:
    with session_scope(resources.sessions) as session:
        lot = lots.lot(session, lot_id).to_dict()
        return LotWithMovementsOut.model_validate({**lot, "movements": lots.movements_of(session, lot_id=lot_id)})


@router.post("/lots/{lot_id}/adjust")
def post_adjustment(resources: ResourcesDep, lot_id: RecordId, body: AdjustIn) -> LotOut:
    """Correct a lot by a signed ``delta`` or to a ``counted`` quantity; the note says why."""
    with session_scope(resources.sessions) as session:
        lot = kits.adjust_and_reserve(session, lot_id, delta=body.delta, counted=body.counted, note=body.note)
        return LotOut.model_validate(lot.to_dict())


@router.get("/movements")
def read_movements(
    resources: ResourcesDep,
    page: PageDep,
    lot_id: int | None = Query(None, ge=1),
    work_order_id: int | None = Query(None, ge=1),
    cutting_job_id: int | None = Query(None, ge=1),
    material_id: str | None = None,
) -> Page[MovementOut]:
    """Stock movements (append-only facts), oldest first, filtered by lot, work order, cutting job or material."""
    with session_scope(resources.sessions) as session:
        rows = lots.movements_of(
            session, lot_id=lot_id, work_order_id=work_order_id, cutting_job_id=cutting_job_id, material_id=material_id
        )
    rows.sort(key=lambda m: m["id"])
    return _page(rows, page, MovementOut.model_validate, row_id=lambda m: m["id"])


@router.get("/reorder")
def read_reorder(
    resources: ResourcesDep,
    service_level: float = Query(0.95, ge=0.5, lt=1.0, description="Cycle service level of the safety stock."),
    history_days: int = Query(90, ge=1, le=3650, description="Days of released demand measured."),
    cover_days: float = Query(14.0, ge=0, le=365, description="Orders bring the position to ROP + these days."),
) -> ReorderReportOut:
    """Per material: mean and σ of daily demand, lead time, safety stock, reorder point, position, what to order."""
    with session_scope(resources.sessions) as session:
        report = positions.reorder_report(
            session, service_level=service_level, history_days=history_days, cover_days=cover_days
        )
    return ReorderReportOut(
        service_level=service_level, history_days=history_days, cover_days=cover_days,
        materials=[ReorderLineOut.model_validate(line.to_dict()) for line in report],
    )  # fmt: skip


@router.get("/purchase-suggestions")
def read_suggestions(
    resources: ResourcesDep,
    service_level: float = Query(0.95, ge=0.5, lt=1.0),
    history_days: int = Query(90, ge=1, le=3650),
    cover_days: float = Query(14.0, ge=0, le=365),
) -> PurchaseSuggestionsOut:
    """What to order now, grouped by supplier, with each line's reason and cost."""
    with session_scope(resources.sessions) as session:
        found = positions.suggest_purchases(
            session, service_level=service_level, history_days=history_days, cover_days=cover_days
        )
    suppliers = [PurchaseSuggestionOut.model_validate(s.to_dict()) for s in found]
    return PurchaseSuggestionsOut(
        service_level=service_level, history_days=history_days, cover_days=cover_days, suppliers=suppliers,
        cost_eur=round(sum(s.cost_eur for s in suppliers), 2),
    )  # fmt: skip


@router.get("/purchase-orders")
def read_purchase_orders(resources: ResourcesDep, page: PageDep) -> Page[PurchaseOrderOut]:
    with session_scope(resources.sessions) as session:
        orders = purchasing.purchase_orders(session)
    return _page(orders, page, lambda o: PurchaseOrderOut.model_validate(o.to_dict()), row_id=lambda o: o.id)


@router.post("/purchase-orders", status_code=status.HTTP_201_CREATED)
def post_purchase_order(resources: ResourcesDep, body: PurchaseOrderIn) -> PlacedPurchaseOrdersOut:
    """Place one order with ``lines``, or the suggested orders (``from_suggestions``); answers what was placed."""
    with session_scope(resources.sessions) as session:
        if body.from_suggestions:
            placed = purchasing.place_suggested_orders(session, supplier=body.supplier)
        else:
            assert body.supplier is not None
            lines = [(line.material_id, line.quantity) for line in body.lines]
            placed = [purchasing.place_purchase_order(session, body.supplier, lines, note=body.note)]
        return PlacedPurchaseOrdersOut(purchase_orders=[PurchaseOrderOut.model_validate(o.to_dict()) for o in placed])


@router.get("/purchase-orders/{number}")
def read_purchase_order(resources: ResourcesDep, number: str) -> PurchaseOrderOut:
    with session_scope(resources.sessions) as session:
        return PurchaseOrderOut.model_validate(purchasing.purchase_order(session, number).to_dict())


@router.post("/purchase-orders/{number}/receive")
def post_receipt(resources: ResourcesDep, number: str, body: ReceiptIn | None = None) -> OrderReceiptOut:
    """Receive the order (or the given quantities) into lots; waiting work orders are then reserved."""
    body = body or ReceiptIn(batch=None, quantities=None, grades=None)
    with session_scope(resources.sessions) as session:
        receipt = purchasing.receive_purchase_order(
            session, number, batch=body.batch, quantities=body.quantities, grades=body.grades
        )
        return OrderReceiptOut.model_validate(receipt.to_dict())


@router.post("/purchase-orders/{number}/cancel")
def post_cancel(resources: ResourcesDep, number: str) -> PurchaseOrderOut:
    with session_scope(resources.sessions) as session:
        return PurchaseOrderOut.model_validate(purchasing.cancel_purchase_order(session, number).to_dict())


@router.get("/shortages")
def read_shortages(resources: ResourcesDep) -> WaitingWorkOrdersOut:
    """Work orders waiting for material, earliest due first: each short material, needed, available, unit."""
    with session_scope(resources.sessions) as session:
        waiting = [WaitingWorkOrderOut.model_validate(w.to_dict()) for w in kits.waiting_work_orders(session)]
    return WaitingWorkOrdersOut(work_orders=waiting)
