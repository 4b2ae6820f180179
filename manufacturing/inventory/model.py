"""Inventory, pure: lots and their balances from movements, allocating a demand across lots, reorder points,
safety stock and purchase suggestions. No database, no clock (docs/inventory.md gives the formulas' sources).

Balances are never stored: a lot's ``on_hand`` and ``reserved`` are the sums of its movements' effects
(``EFFECTS``), and ``available = on_hand − reserved`` = received − consumed − reserved ± adjusted.

Hides of a better grade may serve a demand for a worse one of the same leather (``full-grain-cowhide-a``
serves a BOM line of ``full-grain-cowhide-b``), never the other way round; every other material is served
by lots of that material only.
"""

from __future__ import annotations

import enum
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from manufacturing.inventory.errors import InventoryInputError, WrongUnitError
from manufacturing.materials.catalogue import Catalogue, Material

EPS = 1e-9  # quantities closer than this are equal (float sums of m², g, pieces)
COUNTED_UNITS = frozenset({"pair", "piece"})  # bought whole
GRADES = "ABCDEF"  # SATRA hide grades, best first


class MovementKind(enum.StrEnum):
    RECEIVE = "receive"
    RESERVE = "reserve"
    UNRESERVE = "unreserve"
    CONSUME = "consume"  # from a work order's reservation: on hand and reserved both go down
    CONSUME_UNRESERVED = "consume_unreserved"  # beyond any reservation (the nest used more than reserved)
    ADJUST = "adjust"  # signed: a count, damage, a found hide


# (on hand, reserved) change per unit of a movement's quantity.
EFFECTS: Mapping[MovementKind, tuple[int, int]] = {
    MovementKind.RECEIVE: (1, 0),
    MovementKind.RESERVE: (0, 1),
    MovementKind.UNRESERVE: (0, -1),
    MovementKind.CONSUME: (-1, -1),
    MovementKind.CONSUME_UNRESERVED: (-1, 0),
    MovementKind.ADJUST: (1, 0),
}


@dataclass(frozen=True)
class Movement:
    lot_id: int
    kind: MovementKind
    quantity: float
    work_order_id: int | None = None


@dataclass(frozen=True)
class LotBalance:
    """A lot as allocation sees it: what it is, when it came, and its derived balances (lot unit)."""

    lot_id: int
    material_id: str
    grade: str | None
    received_at: datetime
    unit: str
    on_hand: float
    reserved: float

    @property
    def available(self) -> float:
        return self.on_hand - self.reserved


def fold_balances(movements: Iterable[Movement]) -> dict[int, tuple[float, float]]:
    """lot id → (on hand, reserved), from the lot's movements in any order."""
    out: dict[int, tuple[float, float]] = {}
    for m in movements:
        on_hand_sign, reserved_sign = EFFECTS[MovementKind(m.kind)]
        on_hand, reserved = out.get(m.lot_id, (0.0, 0.0))
        out[m.lot_id] = (on_hand + on_hand_sign * m.quantity, reserved + reserved_sign * m.quantity)
    return out


def reservations_of(movements: Iterable[Movement]) -> dict[tuple[int, int], float]:
    """(work order, lot) → the quantity still reserved for it (reserved − unreserved − consumed from it)."""
    out: dict[tuple[int, int], float] = {}
    for m in movements:
        if m.work_order_id is None:
            continue
        sign = EFFECTS[MovementKind(m.kind)][1]
        if sign:
            key = (m.work_order_id, m.lot_id)
            out[key] = out.get(key, 0.0) + sign * m.quantity
    return {k: v for k, v in out.items() if v > EPS}


# ---------------------------------------------------------------------------------------------- shortages


@dataclass(frozen=True)
class Shortage:
    """Why a demand cannot be reserved: ``needed`` of ``material_id``, only ``available`` free (``unit``)."""

    material_id: str
    needed: float
    available: float
    unit: str

    @property
    def missing(self) -> float:
        return max(self.needed - self.available, 0.0)

    def sentence(self) -> str:
        return (
            f"{self.material_id} needs {_qty(self.needed)} {self.unit}, {_qty(max(self.available, 0.0))} {self.unit} "
            f"available (short {_qty(self.missing)} {self.unit})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "material_id": self.material_id,
            "needed": round(self.needed, 6),
            "available": round(max(self.available, 0.0), 6),
            "unit": self.unit,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Shortage:
        return cls(str(data["material_id"]), float(data["needed"]), float(data["available"]), str(data["unit"]))


def _qty(value: float) -> str:
    return f"{value:.4g}" if abs(value) < 1000 else f"{value:,.0f}".replace(",", " ")


# ---------------------------------------------------------------------------------------------- materials


def check_quantity(quantity: Any, what: str = "quantity", allow_negative: bool = False) -> float:
    """A finite number (> 0 unless ``allow_negative``, then ≠ 0), else ``InventoryInputError`` naming it."""
    if isinstance(quantity, bool) or not isinstance(quantity, int | float) or not math.isfinite(quantity):
        raise InventoryInputError(f"{what} must be a finite number, got {quantity!r}", field=what)
    value = float(quantity)
    if allow_negative and abs(value) <= EPS:
        raise InventoryInputError(f"{what} must not be 0", field=what)
    if not allow_negative and value <= EPS:
        raise InventoryInputError(f"{what} must be more than 0, got {quantity!r}", field=what)
    return value


def check_unit(material: Material, unit: str | None) -> str:
    """The material's unit; a different one given is refused (``WrongUnitError``), never converted."""
    if unit is not None and unit != material.unit:
        raise WrongUnitError(
            f"{material.id} is stocked in {material.unit}, not {unit}",
            material=material.id,
            unit=unit,
            expected_unit=material.unit,
        )
    return material.unit


def check_grade(material: Material, grade: str | None) -> str | None:
    """The grade a lot of ``material`` is recorded at: hides default to their catalogue grade; other
    materials have none."""
    if grade is None:
        return material.hide_grade
    grade = grade.strip().upper()
    if not material.is_hide:
        raise InventoryInputError(f"{material.id} is not a hide: it has no grade", material=material.id, grade=grade)
    if len(grade) != 1 or grade not in GRADES:
        raise InventoryInputError(f"hide grade {grade!r} is none of {', '.join(GRADES)}", grade=grade)
    return grade


def family(material: Material) -> str:
    """The leather a hide material is a grade of (``full-grain-cowhide-b`` → ``full-grain-cowhide``); any other
    material is its own family. Lots of one family share their stock lock."""
    if material.hide_grade is not None:
        suffix = f"-{material.hide_grade.lower()}"
        if material.id.endswith(suffix):
            return material.id.removesuffix(suffix)
    return material.id


def family_members(catalogue: Catalogue, material: Material) -> list[Material]:
    own = family(material)
    return [m for m in catalogue.materials.values() if family(m) == own]


def can_serve(lot_material: Material, lot_grade: str | None, demand: Material) -> bool:
    """Whether a lot may fill a demand: the same material, or a hide of the same leather graded as good or
    better (A best)."""
    if lot_material.unit != demand.unit:
        return False
    if lot_material.id == demand.id and not demand.is_hide:
        return True
    if not demand.is_hide or family(lot_material) != family(demand):
        return False
    grade = lot_grade or lot_material.hide_grade
    return grade is not None and GRADES.index(grade) <= GRADES.index(demand.hide_grade or "F")


def allocation_order(lots: Iterable[LotBalance], demand: Material, catalogue: Catalogue) -> list[LotBalance]:
    """The lots that may serve ``demand``, in the order they are taken: its own grade first, then the next better
    grades (a B demand spends A hides only when no B is free), first received first within a grade."""
    eligible = [
        lot
        for lot in lots
        if lot.material_id in catalogue.materials and can_serve(catalogue.materials[lot.material_id], lot.grade, demand)
    ]
    target = GRADES.index(demand.hide_grade) if demand.hide_grade else 0

    def rank(lot: LotBalance) -> tuple[int, datetime, int]:
        distance = target - GRADES.index(lot.grade) if lot.grade and demand.hide_grade else 0
        return distance, lot.received_at, lot.lot_id

    return sorted(eligible, key=rank)


@dataclass(frozen=True)
class Take:
    lot_id: int
    quantity: float


@dataclass(frozen=True)
class LineAllocation:
    """One demanded material and the lots that fill it."""

    material_id: str
    quantity: float
    unit: str
    takes: tuple[Take, ...]


@dataclass(frozen=True)
class ReservationPlan:
    """All of a work order's demand allocated to lots, or the shortages that stop it (then nothing is taken:
    a work order holds its whole kit or nothing)."""

    allocations: tuple[LineAllocation, ...]
    shortages: tuple[Shortage, ...]

    @property
    def complete(self) -> bool:
        return not self.shortages


def bom_demand(bom: Mapping[str, Any], catalogue: Catalogue) -> dict[str, float]:
    """Material id → quantity per pair, summed over the BOM's lines (in each material's catalogue unit)."""
    lines = bom.get("lines")
    if not isinstance(lines, list):
        raise InventoryInputError("the BOM has no list of lines", field="lines")
    demand: dict[str, float] = {}
    for k, line in enumerate(lines):
        if not isinstance(line, Mapping) or "material_id" not in line:
            raise InventoryInputError(f"BOM line {k} names no material_id", line=k)
        material = catalogue.get(str(line["material_id"]))
        check_unit(material, line.get("unit"))
        quantity = check_quantity(line.get("quantity"), f"BOM line {k} quantity")
        demand[material.id] = demand.get(material.id, 0.0) + quantity
    return demand


def plan_reservation(demand: Mapping[str, float], lots: Sequence[LotBalance], catalogue: Catalogue) -> ReservationPlan:
    """Allocate every demanded material to free lots (``allocation_order``). Demands of the best grades go first,
    so better hides are kept for the lines that need them; lines of one leather share its lots."""
    free = {lot.lot_id: max(lot.available, 0.0) for lot in lots}
    materials = [catalogue.get(material_id) for material_id in demand]
    materials.sort(key=lambda m: (m.hide_grade is None, m.hide_grade or "", m.id))
    allocations, shortages = [], []
    for material in materials:
        needed = demand[material.id]
        order = allocation_order(lots, material, catalogue)
        total_free = sum(free[lot.lot_id] for lot in order)
        if total_free + EPS < needed:
            shortages.append(Shortage(material.id, needed, total_free, material.unit))
            continue
        takes, left = [], needed
        for lot in order:
            if left <= EPS:
                break
            take = min(free[lot.lot_id], left)
            if take > EPS:
                takes.append(Take(lot.lot_id, take))
                free[lot.lot_id] -= take
                left -= take
        allocations.append(LineAllocation(material.id, needed, material.unit, tuple(takes)))
    if shortages:
        return ReservationPlan((), tuple(shortages))
    return ReservationPlan(tuple(allocations), ())


def take_in_order(lots: Sequence[tuple[int, float]], quantity: float) -> tuple[list[Take], float]:
    """Take ``quantity`` from (lot, free quantity) in the given order; returns the takes and what is left."""
    takes, left = [], quantity
    for lot_id, free in lots:
        if left <= EPS:
            break
        take = min(max(free, 0.0), left)
        if take > EPS:
            takes.append(Take(lot_id, take))
            left -= take
    return takes, max(left, 0.0)


def split_in_proportion(total: float, weights: Mapping[int, float]) -> dict[int, float]:
    """``total`` shared by ``weights`` (equal shares when they are all 0); the last share takes the rounding, so
    the shares add up to ``total`` exactly."""
    keys = sorted(weights)
    if not keys:
        return {}
    weight_sum = sum(max(weights[k], 0.0) for k in keys)
    shares: dict[int, float] = {}
    given = 0.0
    for k in keys[:-1]:
        share = total * (max(weights[k], 0.0) / weight_sum if weight_sum > EPS else 1.0 / len(keys))
        shares[k] = share
        given += share
    shares[keys[-1]] = total - given
    return shares


# ---------------------------------------------------------------------------------------------- reordering


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
    parts = [f"position {_qty(s.position)} {s.unit} ≤ reorder point {_qty(line.reorder_point)} {s.unit}"]
    if s.shortage > EPS:
        parts.append(f"work orders wait for {_qty(s.shortage)} {s.unit}")
    if line.material.pack_quantity:
        parts.append(f"whole packs of {_qty(line.material.pack_quantity)} {s.unit}")
    elif s.unit in COUNTED_UNITS:
        parts.append(f"whole {s.unit}s")
    return "; ".join(parts)
