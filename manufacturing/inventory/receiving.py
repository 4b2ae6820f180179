"""Stock coming in and counted: a received lot (in the material's unit; hides at their grade), and corrections
of a lot by a signed delta or to a physical count. Services never commit; every call takes ``now`` (aware UTC;
the clock by default).

Stock that comes in may let work orders waiting for material reserve their kits; that sweep is planning's
(``manufacturing.planning.kits``), which passes the families it will reserve from as ``lock_with`` so that all
the stock locks are taken in one sorted batch (no deadlock).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from manufacturing.clock import as_utc, utc_now
from manufacturing.db.models import StockLot, StockMovement
from manufacturing.inventory import repository
from manufacturing.inventory.errors import InventoryInputError
from manufacturing.inventory.lots import LotView, lot
from manufacturing.inventory.model import (
    EPS,
    MovementKind,
    check_grade,
    check_quantity,
    check_text,
    check_unit,
    family,
    family_of,
)
from manufacturing.materials.catalogue import Catalogue, default_catalogue


def receive_lot(
    session: Session,
    material_id: str,
    quantity: float,
    *,
    batch: str,
    supplier: str | None = None,
    grade: str | None = None,
    unit: str | None = None,
    unit_cost_eur: float | None = None,
    note: str = "",
    now: datetime | None = None,
    catalogue: Catalogue | None = None,
    purchase_order_line_id: int | None = None,
    lock_with: Iterable[str] | None = None,
) -> LotView:
    """Store a received lot (in the material's unit; hides at their grade, the catalogue's by default). With
    ``lock_with`` the stock locks of those families and of this material's are taken first, in one batch."""
    now, catalogue = as_utc(now or utc_now()), catalogue or default_catalogue()
    material = catalogue.get(material_id)
    quantity = check_quantity(quantity)
    unit = check_unit(material, unit)
    grade = check_grade(material, grade)
    batch = check_text(batch, "batch", 100)
    supplier = check_text(supplier, "supplier", 200) if supplier is not None else material.supplier
    cost = material.unit_cost_eur if unit_cost_eur is None else check_quantity(unit_cost_eur, "unit_cost_eur")
    # Adding stock cannot over-reserve: locks are only needed for the reservations that follow.
    if lock_with is not None:
        repository.lock_families(session, {family(material), *lock_with})
    row = StockLot(
        material_id=material.id,
        supplier=supplier,
        batch=batch,
        grade=grade,
        unit=unit,
        unit_cost_eur=cost,
        received_at=now,
        purchase_order_line_id=purchase_order_line_id,
        note=note,
    )
    repository.add(session, row)
    repository.add(
        session,
        StockMovement(
            lot_id=row.id,
            material_id=material.id,
            kind=MovementKind.RECEIVE.value,
            quantity=quantity,
            unit=unit,
            occurred_at=now,
            note=note or f"received from {supplier}, batch {batch}",
        ),
    )
    return lot(session, row.id)


@dataclass(frozen=True)
class Adjustment:
    """A lot's correction: by how much its on-hand quantity changed (signed, lot unit; 0 when the count
    matched)."""

    lot_id: int
    material_id: str
    change: float


def adjust_lot(
    session: Session,
    lot_id: int,
    *,
    delta: float | None = None,
    counted: float | None = None,
    note: str,
    now: datetime | None = None,
    catalogue: Catalogue | None = None,
    lock_with: Iterable[str] = (),
) -> Adjustment:
    """Correct a lot by ``delta`` (signed), or to a physical ``counted`` on-hand quantity; the note says why.
    The lot's stock lock (and those of ``lock_with``, in the same batch) is taken before its balance is read."""
    now, catalogue = as_utc(now or utc_now()), catalogue or default_catalogue()
    if (delta is None) == (counted is None):
        raise InventoryInputError("give either delta or counted", field="delta")
    note = check_text(note, "note", 2000)
    row = repository.get_lot(session, lot_id)
    repository.lock_families(session, {family_of(catalogue, row.material_id), *lock_with})
    before = next(b for b in repository.lot_balances(session, [row.material_id]) if b.lot_id == lot_id)
    if counted is not None:
        if (
            isinstance(counted, bool)
            or not isinstance(counted, int | float)
            or not math.isfinite(counted)
            or counted < 0
        ):
            raise InventoryInputError(f"counted must be a number ≥ 0, got {counted!r}", field="counted")
        change = float(counted) - before.on_hand
    else:
        change = check_quantity(delta, "delta", allow_negative=True)
    if abs(change) <= EPS:
        return Adjustment(lot_id, row.material_id, 0.0)
    repository.add(
        session,
        StockMovement(
            lot_id=lot_id,
            material_id=row.material_id,
            kind=MovementKind.ADJUST.value,
            quantity=change,
            unit=row.unit,
            occurred_at=now,
            note=note,
        ),
    )
    return Adjustment(lot_id, row.material_id, change)
