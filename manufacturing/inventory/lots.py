"""Lots as the stores see them: what came in together, with the balances its movements give, and the
movements themselves (append-only facts, oldest first)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from manufacturing.inventory import repository
from manufacturing.inventory.model import EPS, LotBalance
from manufacturing.materials.catalogue import Catalogue, default_catalogue


@dataclass(frozen=True)
class LotView:
    id: int
    material_id: str
    supplier: str
    batch: str
    grade: str | None
    unit: str
    unit_cost_eur: float | None
    received_at: datetime
    received: float
    on_hand: float
    reserved: float
    purchase_order_line_id: int | None = None
    note: str = ""

    @property
    def available(self) -> float:
        return self.on_hand - self.reserved

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "material_id": self.material_id,
            "supplier": self.supplier,
            "batch": self.batch,
            "grade": self.grade,
            "unit": self.unit,
            "unit_cost_eur": self.unit_cost_eur,
            "received_at": self.received_at.isoformat(),
            "received": round(self.received, 6),
            "on_hand": round(self.on_hand, 6),
            "reserved": round(self.reserved, 6),
            "available": round(self.available, 6),
            "purchase_order_line_id": self.purchase_order_line_id,
            "note": self.note,
        }


def _lot_views(session: Session, balances: Sequence[LotBalance]) -> list[LotView]:
    rows = repository.lots_by_id(session, [b.lot_id for b in balances])
    received = repository.received_of_lots(session, [b.lot_id for b in balances])
    out = []
    for b in balances:
        lot = rows[b.lot_id]
        out.append(
            LotView(
                lot.id,
                lot.material_id,
                lot.supplier,
                lot.batch,
                lot.grade,
                lot.unit,
                lot.unit_cost_eur,
                lot.received_at,
                received.get(lot.id, 0.0),
                b.on_hand,
                b.reserved,
                lot.purchase_order_line_id,
                lot.note,
            )
        )
    return out


def lots(
    session: Session, material_id: str | None = None, include_empty: bool = False, catalogue: Catalogue | None = None
) -> list[LotView]:
    """Lots (of one material, or all) with their balances, first received first; empty lots only when asked."""
    if material_id is not None:
        (catalogue or default_catalogue()).get(material_id)
    balances = repository.lot_balances(session, None if material_id is None else [material_id])
    views = _lot_views(session, balances)
    return [v for v in views if include_empty or abs(v.on_hand) > EPS or v.reserved > EPS]


def lot(session: Session, lot_id: int) -> LotView:
    row = repository.get_lot(session, lot_id)
    return next(v for v in _lot_views(session, repository.lot_balances(session, [row.material_id])) if v.id == lot_id)


def movements_of(session: Session, **filters: Any) -> list[dict[str, Any]]:
    """Stock movements (by lot, work order, cutting job or material) as plain data, oldest first."""
    return [
        {
            "id": m.id,
            "lot_id": m.lot_id,
            "material_id": m.material_id,
            "kind": m.kind,
            "quantity": round(m.quantity, 6),
            "unit": m.unit,
            "work_order_id": m.work_order_id,
            "cutting_job_id": m.cutting_job_id,
            "demand_material_id": m.demand_material_id,
            "variance": None if m.variance is None else round(m.variance, 6),
            "occurred_at": m.occurred_at.isoformat(),
            "note": m.note,
        }
        for m in repository.movements(session, **filters)
    ]
