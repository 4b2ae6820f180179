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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from manufacturing.inventory.errors import InventoryInputError, WrongUnitError
from manufacturing.inventory.shortage import Shortage
from manufacturing.materials.catalogue import Catalogue, Material

EPS = 1e-9  # quantities closer than this are equal (float sums of m², g, pieces)
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


def check_text(value: Any, name: str, max_length: int) -> str:
    """A non-empty text (stripped) of at most ``max_length`` characters, else ``InventoryInputError`` naming it."""
    if not isinstance(value, str) or not value.strip():
        raise InventoryInputError(f"{name} must be a non-empty text, got {value!r}", field=name)
    value = value.strip()
    if len(value) > max_length:
        raise InventoryInputError(f"{name} is longer than {max_length} characters", field=name)
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


def family_of(catalogue: Catalogue, material_id: str) -> str:
    """The family of a lot's material id; one no longer in the catalogue is its own family."""
    return family(catalogue.materials[material_id]) if material_id in catalogue.materials else material_id


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
