"""Purchase orders: placed with a supplier (by hand, or one per supplier from the suggestions) at catalogue
prices, received into lots (then the work orders waiting for material are reserved), cancelled while open.
An order's state is derived from what its lines received (``PurchaseOrderState``), never stored. Services never
commit; every call takes ``now`` (aware UTC; the clock by default)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from manufacturing.clock import as_utc, utc_now
from manufacturing.db.models import PurchaseOrder, PurchaseOrderLine
from manufacturing.inventory import lots, receiving
from manufacturing.inventory.errors import InventoryInputError
from manufacturing.inventory.lots import LotView
from manufacturing.inventory.model import EPS, check_quantity, check_text, family_of
from manufacturing.materials.catalogue import Catalogue, default_catalogue
from manufacturing.planning.kits import Retried, lock_for_retry, retry_waiting_work_orders
from manufacturing.purchasing import repository
from manufacturing.purchasing.errors import PurchaseOrderError
from manufacturing.purchasing.positions import suggest_purchases
from manufacturing.states import PurchaseOrderState


@dataclass(frozen=True)
class PurchaseOrderView:
    id: int
    number: str
    supplier: str
    state: PurchaseOrderState
    placed_at: datetime
    expected_at: datetime
    lines: tuple[dict[str, Any], ...]
    note: str

    @property
    def cost_eur(self) -> float:
        return sum(line["quantity"] * line["unit_cost_eur"] for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "supplier": self.supplier,
            "state": self.state.value,
            "placed_at": self.placed_at.isoformat(),
            "expected_at": self.expected_at.isoformat(),
            "cost_eur": round(self.cost_eur, 2),
            "lines": list(self.lines),
            "note": self.note,
        }


def order_state(order: PurchaseOrder, received: Mapping[int, float]) -> PurchaseOrderState:
    """Cancelled if it was; received when every line got its quantity; partly received when any got some."""
    if order.cancelled_at is not None:
        return PurchaseOrderState.CANCELLED
    got = [received.get(line.id, 0.0) for line in order.lines]
    if all(g + EPS >= line.quantity for g, line in zip(got, order.lines, strict=True)):
        return PurchaseOrderState.RECEIVED
    return PurchaseOrderState.PARTLY_RECEIVED if any(g > EPS for g in got) else PurchaseOrderState.OPEN


def _order_view(session: Session, order: PurchaseOrder) -> PurchaseOrderView:
    received = repository.received_of_order_lines(session, [line.id for line in order.lines])
    lines = tuple(
        {
            "id": line.id,
            "material_id": line.material_id,
            "quantity": round(line.quantity, 6),
            "unit": line.unit,
            "unit_cost_eur": line.unit_cost_eur,
            "received": round(received.get(line.id, 0.0), 6),
        }
        for line in order.lines
    )
    return PurchaseOrderView(
        order.id,
        order.number,
        order.supplier,
        order_state(order, received),
        order.placed_at,
        order.expected_at,
        lines,
        order.note,
    )


def place_purchase_order(
    session: Session,
    supplier: str,
    lines: Sequence[tuple[str, float]],
    *,
    note: str = "",
    now: datetime | None = None,
    catalogue: Catalogue | None = None,
) -> PurchaseOrderView:
    """Place an order with ``supplier`` for (material id, quantity in its unit) lines at catalogue prices; it is
    expected after the longest of its materials' lead times."""
    now, catalogue = as_utc(now or utc_now()), catalogue or default_catalogue()
    supplier = check_text(supplier, "supplier", 200)
    if not lines:
        raise InventoryInputError("a purchase order needs at least one line", field="lines")
    rows, lead = [], 0
    for material_id, quantity in lines:
        material = catalogue.get(material_id)
        rows.append(
            PurchaseOrderLine(
                material_id=material.id,
                quantity=check_quantity(quantity),
                unit=material.unit,
                unit_cost_eur=material.unit_cost_eur,
            )
        )
        lead = max(lead, material.lead_time_days)
    order = PurchaseOrder(
        number=f"TMP-{uuid.uuid4().hex[:24]}",
        supplier=supplier,
        placed_at=now,
        expected_at=now + timedelta(days=lead),
        note=note,
        lines=rows,
    )
    repository.add(session, order)
    order.number = f"PO-{order.id:06d}"  # from the id: unique without a counter to contend on
    session.flush()
    return _order_view(session, order)


def place_suggested_orders(
    session: Session, now: datetime | None = None, supplier: str | None = None, **options: Any
) -> list[PurchaseOrderView]:
    """One purchase order per supplier with suggestions (or only ``supplier``'s)."""
    now = as_utc(now or utc_now())
    catalogue = options.get("catalogue")
    placed = []
    for suggestion in suggest_purchases(session, now, **options):
        if supplier is not None and suggestion.supplier != supplier:
            continue
        placed.append(
            place_purchase_order(
                session,
                suggestion.supplier,
                [(line.material_id, line.quantity) for line in suggestion.lines],
                note="from the purchase suggestions",
                now=now,
                catalogue=catalogue,
            )
        )
    return placed


def purchase_order(session: Session, ref: str | int) -> PurchaseOrderView:
    return _order_view(session, repository.get_purchase_order(session, ref))


def purchase_orders(session: Session) -> list[PurchaseOrderView]:
    return [_order_view(session, order) for order in repository.purchase_orders(session)]


@dataclass(frozen=True)
class OrderReceipt:
    order: PurchaseOrderView
    lots: tuple[LotView, ...]
    retried: Retried

    def to_dict(self) -> dict[str, Any]:
        return {
            "purchase_order": self.order.to_dict(),
            "lots": [lot.to_dict() for lot in self.lots],
            "reserved_work_orders": list(self.retried.reserved),
            "still_waiting": list(self.retried.waiting),
        }


def receive_purchase_order(
    session: Session,
    ref: str | int,
    *,
    batch: str | None = None,
    quantities: Mapping[str, float] | None = None,
    grades: Mapping[str, str] | None = None,
    now: datetime | None = None,
    catalogue: Catalogue | None = None,
) -> OrderReceipt:
    """Receive what is still open on the order (or ``quantities`` per material) as one lot per line, batch = the
    order number unless given; then reserve for the waiting work orders."""
    now, catalogue = as_utc(now or utc_now()), catalogue or default_catalogue()
    order = repository.get_purchase_order(session, ref)
    # Locked before reading what was received: a second receipt of the same order waits, then sees this one.
    locked = lock_for_retry(session, {family_of(catalogue, line.material_id) for line in order.lines}, catalogue)
    view = _order_view(session, order)
    if view.state in (PurchaseOrderState.CANCELLED, PurchaseOrderState.RECEIVED):
        raise PurchaseOrderError(
            f"purchase order {order.number} is {view.state}", purchase_order=order.number, state=view.state.value
        )
    unknown = sorted(set(quantities or {}) - {line.material_id for line in order.lines})
    if unknown:
        raise InventoryInputError(
            f"purchase order {order.number} has no line of {', '.join(unknown)}", materials=unknown
        )
    received = {line["id"]: line["received"] for line in view.lines}
    lots_ = []
    for line in order.lines:
        rest = line.quantity - received[line.id]
        quantity = (quantities or {}).get(line.material_id, rest if quantities is None else 0.0)
        if quantity <= EPS:
            continue
        lots_.append(
            receiving.receive_lot(
                session,
                line.material_id,
                quantity,
                batch=batch or order.number,
                supplier=order.supplier,
                grade=(grades or {}).get(line.material_id),
                unit_cost_eur=line.unit_cost_eur,
                note=f"received on {order.number}",
                now=now,
                catalogue=catalogue,
                purchase_order_line_id=line.id,
            )
        )
    if not lots_:
        raise InventoryInputError(f"nothing to receive on purchase order {order.number}", purchase_order=order.number)
    retried = retry_waiting_work_orders(session, now, catalogue, locked)
    after = tuple(lots.lot(session, received_lot.id) for received_lot in lots_)  # as they stand after the reservations
    return OrderReceipt(_order_view(session, order), after, retried)


def cancel_purchase_order(session: Session, ref: str | int, now: datetime | None = None) -> PurchaseOrderView:
    order = repository.get_purchase_order(session, ref)
    view = _order_view(session, order)
    if view.state != PurchaseOrderState.OPEN:
        raise PurchaseOrderError(
            f"purchase order {order.number} is {view.state}: only an open order is cancelled",
            purchase_order=order.number,
            state=view.state.value,
        )
    order.cancelled_at = as_utc(now or utc_now())
    session.flush()
    return _order_view(session, order)
