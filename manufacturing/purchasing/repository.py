"""Every query about purchase orders and the demand history purchasing measures. Repositories never commit.

What an order line has received is the sum of the receive movements of the lots received on it: nothing about
it is stored on the line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from manufacturing.db.models import PurchaseOrder, PurchaseOrderLine, StockLot, StockMovement, WorkOrder
from manufacturing.inventory.model import MovementKind
from manufacturing.purchasing.errors import UnknownPurchaseOrderError


def add(session: Session, row: object) -> None:
    session.add(row)
    session.flush()


def get_purchase_order(session: Session, ref: str | int) -> PurchaseOrder:
    """By number (``PO-000001``) or id."""
    query = select(PurchaseOrder).options(selectinload(PurchaseOrder.lines))
    text_ref = str(ref).strip()
    if text_ref.isdigit():
        query = query.where(PurchaseOrder.id == int(text_ref))
    else:
        query = query.where(PurchaseOrder.number == text_ref.upper())
    order = session.scalars(query).one_or_none()
    if order is None:
        raise UnknownPurchaseOrderError(f"purchase order {ref} does not exist", purchase_order=str(ref))
    return order


def purchase_orders(session: Session) -> Sequence[PurchaseOrder]:
    return session.scalars(
        select(PurchaseOrder).options(selectinload(PurchaseOrder.lines)).order_by(PurchaseOrder.id)
    ).all()


def received_of_order_lines(session: Session, line_ids: Iterable[int]) -> dict[int, float]:
    """Purchase-order line → the quantity received on it so far (its lots' receive movements)."""
    ids = sorted(set(line_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(StockLot.purchase_order_line_id, func.sum(StockMovement.quantity))
        .join(StockMovement, StockMovement.lot_id == StockLot.id)
        .where(StockLot.purchase_order_line_id.in_(ids), StockMovement.kind == MovementKind.RECEIVE.value)
        .group_by(StockLot.purchase_order_line_id)
    ).all()
    return {int(line_id): float(q) for line_id, q in rows if line_id is not None}


def open_order_lines(session: Session) -> Sequence[PurchaseOrderLine]:
    """Lines of purchase orders that are not cancelled (received ones are filtered by the caller)."""
    return session.scalars(
        select(PurchaseOrderLine)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(PurchaseOrder.cancelled_at.is_(None))
    ).all()


def work_orders_released_between(session: Session, start: datetime, end: datetime) -> Sequence[WorkOrder]:
    return session.scalars(
        select(WorkOrder).where(WorkOrder.released_at >= start, WorkOrder.released_at < end).order_by(WorkOrder.id)
    ).all()
