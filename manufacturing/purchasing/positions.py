"""Where each material stands and what to order: its stock position (on hand, reserved, free, on order, waited
for by work orders) with its lots and value, the released demand per day, the reorder report (safety stock,
reorder point, what to order) and the suggestions by supplier. Load, let the pure core (``reorder``) decide.
Every call takes ``now`` (aware UTC; the clock by default)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from geometry.errors import InputError
from manufacturing.clock import as_utc, utc_now
from manufacturing.inventory import repository as inventory_repository
from manufacturing.inventory.errors import InventoryInputError
from manufacturing.inventory.model import EPS
from manufacturing.inventory.reservations import work_order_demand
from manufacturing.materials.catalogue import Catalogue, Material, default_catalogue
from manufacturing.planning.kits import waiting_demand
from manufacturing.purchasing import repository
from manufacturing.purchasing.reorder import (
    PurchaseSuggestion,
    ReorderLine,
    StockPosition,
    purchase_suggestions,
    reorder_line,
    z_for_service_level,
)

log = logging.getLogger(__name__)

DEFAULT_SERVICE_LEVEL = 0.95
DEFAULT_HISTORY_DAYS = 90
DEFAULT_COVER_DAYS = 14  # an order brings the position up to the reorder point + this many days of demand


@dataclass(frozen=True)
class StockRow:
    material: Material
    stock: StockPosition
    lots: int
    value_eur: float

    def to_dict(self) -> dict[str, Any]:
        s = self.stock
        return {
            "material_id": self.material.id,
            "name": self.material.name,
            "category": self.material.category,
            "unit": s.unit,
            "grade": self.material.hide_grade,
            "supplier": self.material.supplier,
            "on_hand": round(s.on_hand, 6),
            "reserved": round(s.reserved, 6),
            "available": round(s.available, 6),
            "on_order": round(s.on_order, 6),
            "shortage": round(s.shortage, 6),
            "lots": self.lots,
            "value_eur": round(self.value_eur, 2),
        }


def _on_order(session: Session) -> dict[str, float]:
    lines = repository.open_order_lines(session)
    received = repository.received_of_order_lines(session, [line.id for line in lines])
    out: dict[str, float] = {}
    for line in lines:
        rest = line.quantity - received.get(line.id, 0.0)
        if rest > EPS:
            out[line.material_id] = out.get(line.material_id, 0.0) + rest
    return out


def stock_positions(session: Session, catalogue: Catalogue | None = None) -> dict[str, StockPosition]:
    catalogue = catalogue or default_catalogue()
    on_order = _on_order(session)
    waiting = waiting_demand(session, catalogue)
    totals: dict[str, list[float]] = {}
    for b in inventory_repository.lot_balances(session):
        t = totals.setdefault(b.material_id, [0.0, 0.0])
        t[0] += b.on_hand
        t[1] += b.reserved
    out = {}
    for material_id in sorted(set(catalogue.materials) | set(totals)):
        unit = catalogue.materials[material_id].unit if material_id in catalogue.materials else "?"
        on_hand, reserved = totals.get(material_id, (0.0, 0.0))
        out[material_id] = StockPosition(
            material_id, unit, on_hand, reserved, on_order.get(material_id, 0.0), waiting.get(material_id, 0.0)
        )
    return out


def stock_report(session: Session, catalogue: Catalogue | None = None) -> list[StockRow]:
    """Every catalogue material with its on-hand, reserved, free, on-order and waiting quantities and value."""
    catalogue = catalogue or default_catalogue()
    positions = stock_positions(session, catalogue)
    balances = inventory_repository.lot_balances(session)
    lots_ = inventory_repository.lots_by_id(session, [b.lot_id for b in balances])
    counts: dict[str, int] = {}
    value: dict[str, float] = {}
    for b in balances:
        if abs(b.on_hand) > EPS:
            counts[b.material_id] = counts.get(b.material_id, 0) + 1
        value[b.material_id] = value.get(b.material_id, 0.0) + b.on_hand * (lots_[b.lot_id].unit_cost_eur or 0.0)
    return [
        StockRow(catalogue.materials[m], positions[m], counts.get(m, 0), value.get(m, 0.0))
        for m in sorted(positions)
        if m in catalogue.materials
    ]


def daily_demand(session: Session, now: datetime, history_days: int, catalogue: Catalogue) -> dict[str, list[float]]:
    """Material → the BOM demand of the work orders released on each of the last ``history_days`` days (oldest
    first; days without a release are 0)."""
    if not isinstance(history_days, int) or history_days < 1:
        raise InventoryInputError(
            f"history_days must be a whole number ≥ 1, got {history_days!r}", field="history_days"
        )
    start = now - timedelta(days=history_days)
    out: dict[str, list[float]] = {}
    for wo in repository.work_orders_released_between(session, start, now):
        try:
            demand = work_order_demand(wo, catalogue)
        except InputError:  # an unknown material or unit too
            log.warning("work order %s: its BOM has no readable lines; left out of the demand history", wo.id)
            continue
        day = min(int((as_utc(wo.released_at) - start) / timedelta(days=1)), history_days - 1)
        for material_id, q in demand.items():
            out.setdefault(material_id, [0.0] * history_days)[day] += q
    return out


def reorder_report(
    session: Session,
    now: datetime | None = None,
    *,
    service_level: float = DEFAULT_SERVICE_LEVEL,
    history_days: int = DEFAULT_HISTORY_DAYS,
    cover_days: float = DEFAULT_COVER_DAYS,
    catalogue: Catalogue | None = None,
) -> list[ReorderLine]:
    """Per catalogue material: demand statistics over the history window, safety stock, reorder point, the
    position and what to order (docs/inventory.md)."""
    now, catalogue = as_utc(now or utc_now()), catalogue or default_catalogue()
    z = z_for_service_level(service_level)
    if not cover_days >= 0:
        raise InventoryInputError(f"cover_days must be ≥ 0, got {cover_days}", field="cover_days")
    history = daily_demand(session, now, history_days, catalogue)
    positions = stock_positions(session, catalogue)
    zeros = [0.0] * history_days
    return [
        reorder_line(catalogue.materials[m], positions[m], history.get(m, zeros), z, cover_days)
        for m in sorted(catalogue.materials)
    ]


def suggest_purchases(session: Session, now: datetime | None = None, **options: Any) -> list[PurchaseSuggestion]:
    """The reorder report's lines with something to order, grouped by supplier."""
    return purchase_suggestions(reorder_report(session, now, **options))
