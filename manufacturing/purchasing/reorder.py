"""Purchasing, pure: reorder points and safety stock from a material's daily demand and lead time, what to
order, and the suggestions grouped by supplier. No database, no clock (docs/inventory.md gives the formulas'
sources).

A material's *position* is what it can still give without ordering: free stock + on order − the demand of
work orders waiting for it. At or below the reorder point it is ordered up to the reorder point plus some days
of cover, in whole packs.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from manufacturing.inventory.errors import InventoryInputError
from manufacturing.inventory.model import EPS
from manufacturing.inventory.shortage import quantity_text
from manufacturing.materials.catalogue import Material

COUNTED_UNITS = frozenset({"pair", "piece"})  # bought whole


def z_for_service_level(service_level: float) -> float:
    """The standard normal quantile of the cycle service level (0.95 → 1.645)."""
    if not 0.5 <= service_level < 1.0:
        raise InventoryInputError(f"service level must be in [0.5, 1), got {service_level}", field="service_level")
    return statistics.NormalDist().inv_cdf(service_level)


def daily_demand_stats(daily: Sequence[float]) -> tuple[float, float]:
    """(mean, sample standard deviation) of a daily demand series (days without demand count as 0)."""
    if not daily:
        return 0.0, 0.0
    mean = statistics.fmean(daily)
    return mean, statistics.stdev(daily) if len(daily) > 1 else 0.0


def safety_stock(z: float, sigma_daily: float, lead_time_days: float) -> float:
    """SS = z × σ_d × √L: demand uncertainty over a fixed lead time of L days."""
    return z * sigma_daily * math.sqrt(max(lead_time_days, 0.0))


def reorder_point(mean_daily: float, lead_time_days: float, safety: float) -> float:
    """ROP = d̄ × L + SS: the demand expected during the lead time plus the safety stock."""
    return mean_daily * max(lead_time_days, 0.0) + safety


def round_up_to_pack(quantity: float, pack_quantity: float | None) -> float:
    """Whole packs (hides, cones, boxes) when the material is sold in them."""
    if quantity <= EPS:
        return 0.0
    if not pack_quantity:
        return quantity
    return math.ceil(quantity / pack_quantity - 1e-9) * pack_quantity


def suggested_order(
    position: float, rop: float, mean_daily: float, cover_days: float, pack_quantity: float | None
) -> float:
    """How much to order when the position (free + on order − unreserved demand) is at or below the reorder
    point: up to ROP + ``cover_days`` of mean demand (which also covers the shortage, counted in the position),
    rounded up to whole packs; 0 otherwise."""
    if position > rop + EPS:
        return 0.0
    return round_up_to_pack(rop + mean_daily * cover_days - position, pack_quantity)


@dataclass(frozen=True)
class StockPosition:
    """A material's balances (its own lots; unit of the material)."""

    material_id: str
    unit: str
    on_hand: float = 0.0
    reserved: float = 0.0
    on_order: float = 0.0  # open purchase-order lines not yet received
    shortage: float = 0.0  # demand of work orders waiting for this material, not reserved

    @property
    def available(self) -> float:
        return self.on_hand - self.reserved

    @property
    def position(self) -> float:
        return self.available + self.on_order - self.shortage


@dataclass(frozen=True)
class ReorderLine:
    material: Material
    stock: StockPosition
    mean_daily: float
    sigma_daily: float
    safety_stock: float
    reorder_point: float
    suggested: float

    @property
    def needs_order(self) -> bool:
        return self.suggested > EPS

    def to_dict(self) -> dict[str, Any]:
        s = self.stock
        return {
            "material_id": self.material.id,
            "unit": s.unit,
            "supplier": self.material.supplier,
            "lead_time_days": self.material.lead_time_days,
            "on_hand": round(s.on_hand, 6),
            "reserved": round(s.reserved, 6),
            "available": round(s.available, 6),
            "on_order": round(s.on_order, 6),
            "shortage": round(s.shortage, 6),
            "position": round(s.position, 6),
            "mean_daily_demand": round(self.mean_daily, 6),
            "sigma_daily_demand": round(self.sigma_daily, 6),
            "safety_stock": round(self.safety_stock, 6),
            "reorder_point": round(self.reorder_point, 6),
            "needs_order": self.needs_order,
            "suggested_quantity": round(self.suggested, 6),
            "pack_quantity": purchase_unit(self.material),
        }


def reorder_line(
    material: Material, stock: StockPosition, daily: Sequence[float], z: float, cover_days: float
) -> ReorderLine:
    mean, sigma = daily_demand_stats(daily)
    safety = safety_stock(z, sigma, material.lead_time_days)
    rop = reorder_point(mean, material.lead_time_days, safety)
    return ReorderLine(
        material,
        stock,
        mean,
        sigma,
        safety,
        rop,
        suggested_order(stock.position, rop, mean, cover_days, purchase_unit(material)),
    )


def purchase_unit(material: Material) -> float | None:
    """What an order is rounded up to: the catalogue's pack (a hide, a cone, a box of 1000), else one pair or
    piece for counted materials; area, length and weight without a pack are ordered as computed."""
    if material.pack_quantity:
        return material.pack_quantity
    return 1.0 if material.unit in COUNTED_UNITS else None


@dataclass(frozen=True)
class SuggestedLine:
    material_id: str
    quantity: float
    unit: str
    unit_cost_eur: float
    reason: str

    @property
    def cost_eur(self) -> float:
        return self.quantity * self.unit_cost_eur

    def to_dict(self) -> dict[str, Any]:
        return {
            "material_id": self.material_id,
            "quantity": round(self.quantity, 6),
            "unit": self.unit,
            "unit_cost_eur": self.unit_cost_eur,
            "cost_eur": round(self.cost_eur, 2),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class PurchaseSuggestion:
    """What to order from one supplier now."""

    supplier: str
    lead_time_days: int  # the longest of its lines
    lines: tuple[SuggestedLine, ...] = field(default_factory=tuple)

    @property
    def cost_eur(self) -> float:
        return sum(line.cost_eur for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "supplier": self.supplier,
            "lead_time_days": self.lead_time_days,
            "cost_eur": round(self.cost_eur, 2),
            "lines": [line.to_dict() for line in self.lines],
        }


def purchase_suggestions(lines: Iterable[ReorderLine]) -> list[PurchaseSuggestion]:
    """The reorder lines with something to order, grouped by supplier (suppliers by name, lines by material)."""
    by_supplier: dict[str, list[ReorderLine]] = {}
    for line in lines:
        if line.suggested > EPS:
            by_supplier.setdefault(line.material.supplier, []).append(line)
    out = []
    for supplier in sorted(by_supplier):
        rows = sorted(by_supplier[supplier], key=lambda r: r.material.id)
        suggested = tuple(
            SuggestedLine(r.material.id, r.suggested, r.material.unit, r.material.unit_cost_eur, _reason(r))
            for r in rows
        )
        out.append(PurchaseSuggestion(supplier, max(r.material.lead_time_days for r in rows), suggested))
    return out


def _reason(line: ReorderLine) -> str:
    s = line.stock
    parts = [
        f"position {quantity_text(s.position)} {s.unit} ≤ reorder point {quantity_text(line.reorder_point)} {s.unit}"
    ]
    if s.shortage > EPS:
        parts.append(f"work orders wait for {quantity_text(s.shortage)} {s.unit}")
    if line.material.pack_quantity:
        parts.append(f"whole packs of {quantity_text(line.material.pack_quantity)} {s.unit}")
    elif s.unit in COUNTED_UNITS:
        parts.append(f"whole {s.unit}s")
    return "; ".join(parts)
