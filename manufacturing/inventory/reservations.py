"""A work order's kit in the stock: its BOM demand reserved from free lots (all of it or nothing), given back,
or consumed when the work order is done (backflush). Load, let the pure core (``model``) decide, store
movements keyed by the work order's id. Services never commit; every call takes ``now`` (aware UTC; the clock
by default).

Whether a work order should hold its kit (it is open and does not hold it yet), the order in which waiting
work orders are served, and the facts that tell the shop floor are planning's (``manufacturing.planning.kits``).
Writers that decide from balances hold the stock locks of the families they touch (``repository.lock_families``),
taken before any pair's ledger lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from geometry.errors import InputError
from manufacturing.clock import as_utc, utc_now
from manufacturing.db.models import StockMovement, WorkOrder
from manufacturing.inventory import repository
from manufacturing.inventory.model import (
    EPS,
    MovementKind,
    ReservationPlan,
    bom_demand,
    family,
    family_members,
    family_of,
    plan_reservation,
)
from manufacturing.materials.catalogue import Catalogue, default_catalogue


def work_order_demand(work_order: WorkOrder, catalogue: Catalogue | None = None) -> dict[str, float]:
    """What the work order's BOM snapshot needs, per material (catalogue unit)."""
    return bom_demand(work_order.bom, catalogue or default_catalogue())


def lock_demand(session: Session, demand: Mapping[str, float], catalogue: Catalogue | None = None) -> None:
    """Take the stock locks of the families of every demanded material (before reading their balances)."""
    catalogue = catalogue or default_catalogue()
    repository.lock_families(session, (family(catalogue.get(m)) for m in demand))


def lock_stock_of(session: Session, work_order: WorkOrder, catalogue: Catalogue | None = None) -> None:
    """Take the stock locks of every material the work order's BOM names (callers that will change its
    reservations take them before any pair lock, the order every writer keeps)."""
    catalogue = catalogue or default_catalogue()
    try:
        demand = work_order_demand(work_order, catalogue)
    except InputError:
        return  # a BOM from before inventory: it holds nothing
    lock_demand(session, demand, catalogue)


def reserve_kit(
    session: Session,
    work_order_id: int,
    demand: Mapping[str, float],
    now: datetime | None = None,
    catalogue: Catalogue | None = None,
) -> ReservationPlan:
    """Reserve ``demand`` (material → quantity in its unit) for the work order from free stock: the whole kit,
    or nothing when a material is short (the plan then names each shortage). The caller holds the demand's
    stock locks (``lock_demand``)."""
    now, catalogue = as_utc(now or utc_now()), catalogue or default_catalogue()
    members = {m.id for material_id in demand for m in family_members(catalogue, catalogue.get(material_id))}
    balances = repository.lot_balances(session, members)
    plan = plan_reservation(demand, balances, catalogue)
    if not plan.complete:
        return plan
    lot_material = {b.lot_id: (b.material_id, b.unit) for b in balances}
    rows = [
        StockMovement(
            lot_id=take.lot_id,
            material_id=lot_material[take.lot_id][0],
            kind=MovementKind.RESERVE.value,
            quantity=take.quantity,
            unit=lot_material[take.lot_id][1],
            work_order_id=work_order_id,
            demand_material_id=line.material_id,
            occurred_at=now,
            note=f"reserved for work order {work_order_id}",
        )
        for line in plan.allocations
        for take in line.takes
    ]
    repository.add_all(session, rows)
    return plan


def held_by(session: Session, work_order_id: int) -> dict[tuple[int, str], float]:
    """(lot, BOM material served) → what is still reserved for the work order there."""
    outstanding = repository.outstanding_reservations(session, [work_order_id])
    return {(lot_id, demand): q for (_, lot_id, demand), q in outstanding.items()}


def ending_movements(
    session: Session,
    work_order_id: int,
    held: Mapping[tuple[int, str], float],
    kind: MovementKind,
    now: datetime,
    note: str,
    cutting_job_id: int | None = None,
) -> list[StockMovement]:
    """Movements that end a work order's (lot, BOM material) reservations: given back, or consumed."""
    lots_ = repository.lots_by_id(session, [lot_id for lot_id, _ in held])
    return [
        StockMovement(
            lot_id=lot_id,
            material_id=lots_[lot_id].material_id,
            kind=kind.value,
            quantity=quantity,
            unit=lots_[lot_id].unit,
            work_order_id=work_order_id,
            cutting_job_id=cutting_job_id,
            demand_material_id=demand,
            occurred_at=now,
            note=note,
        )
        for (lot_id, demand), quantity in sorted(held.items())
        if quantity > EPS
    ]


def _lock_lots_of(session: Session, held: Mapping[tuple[int, str], float], catalogue: Catalogue) -> None:
    lots_ = repository.lots_by_id(session, [lot_id for lot_id, _ in held])
    repository.lock_families(session, (family_of(catalogue, lot.material_id) for lot in lots_.values()))


def _end_kit(
    session: Session, work_order_id: int, kind: MovementKind, now: datetime, note: str, catalogue: Catalogue
) -> float:
    _lock_lots_of(session, held_by(session, work_order_id), catalogue)
    rows = ending_movements(session, work_order_id, held_by(session, work_order_id), kind, now, note)
    repository.add_all(session, rows)
    return sum(r.quantity for r in rows)


def release_kit(
    session: Session,
    work_order_id: int,
    now: datetime | None = None,
    note: str = "reservation released",
    catalogue: Catalogue | None = None,
) -> float:
    """Give back everything still reserved for the work order; returns how much (sum over lots)."""
    now, catalogue = as_utc(now or utc_now()), catalogue or default_catalogue()
    return _end_kit(session, work_order_id, MovementKind.UNRESERVE, now, note, catalogue)


def backflush_work_order(
    session: Session, work_order_id: int, now: datetime | None = None, catalogue: Catalogue | None = None
) -> float:
    """Consume what is still reserved for a finished work order (soles, thread, boxes: the lines no cutting
    job measured), at the reserved quantities. Returns how much (sum over lots); a repeat consumes nothing."""
    now, catalogue = as_utc(now or utc_now()), catalogue or default_catalogue()
    note = f"backflushed at the completion of work order {work_order_id} (BOM quantity)"
    return _end_kit(session, work_order_id, MovementKind.CONSUME, now, note, catalogue)
