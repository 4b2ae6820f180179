"""Inventory, the shell: receive lots, reserve a work order's kit, release it, consume at cutting from the real
nest, count, report stock and reorder points, suggest, place and receive purchase orders. Load, let the pure
core (``model``) decide, store movements. Services never commit; every call takes ``now`` (aware UTC; the clock
by default).

A work order's material state is a fact on its pair (``tracking_event``): ``material_reserved`` when its whole
kit is reserved, ``material_short`` with the shortages when it is not. The planning core derives
``awaiting_material`` from them (docs/planning.md, docs/inventory.md).
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from geometry.errors import InputError
from manufacturing.clock import as_utc, utc_now
from manufacturing.db.models import PurchaseOrder, PurchaseOrderLine, StockLot, StockMovement, TrackingEvent, WorkOrder
from manufacturing.inventory import repository
from manufacturing.inventory.errors import (
    InventoryInputError,
    PurchaseOrderError,
    ShortageError,
    WrongUnitError,
)
from manufacturing.inventory.model import (
    EPS,
    LineAllocation,
    LotBalance,
    MovementKind,
    PurchaseSuggestion,
    ReorderLine,
    Shortage,
    StockPosition,
    Take,
    allocation_order,
    bom_demand,
    can_serve,
    check_grade,
    check_quantity,
    check_unit,
    family,
    family_members,
    plan_reservation,
    purchase_suggestions,
    reorder_line,
    split_in_proportion,
    take_in_order,
    z_for_service_level,
)
from manufacturing.ledger.service import record_event_once
from manufacturing.materials.catalogue import MM2_PER_UNIT, Catalogue, Material, default_catalogue
from manufacturing.planning import repository as planning_repository
from manufacturing.planning.routing import Routing
from manufacturing.planning.work_orders import WORK_ORDER_OPERATION, EventType, OperationFact, Progress, derive_progress
from manufacturing.states import CuttingJobState, WorkOrderState

log = logging.getLogger(__name__)

STORES_STATION = "stores"
INVENTORY_SOURCE = "inventory"
DEFAULT_SERVICE_LEVEL = 0.95
DEFAULT_HISTORY_DAYS = 90
DEFAULT_COVER_DAYS = 14  # an order brings the position up to the reorder point + this many days of demand
_CLOSED = (WorkOrderState.DONE, WorkOrderState.CANCELLED)
_MATERIAL_FACTS = (EventType.MATERIAL_RESERVED.value, EventType.MATERIAL_SHORT.value)


def _now(now: datetime | None) -> datetime:
    return as_utc(now if now is not None else utc_now())


def _catalogue(catalogue: Catalogue | None) -> Catalogue:
    return catalogue or default_catalogue()


def _text(value: Any, name: str, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InventoryInputError(f"{name} must be a non-empty text, got {value!r}", field=name)
    value = value.strip()
    if len(value) > max_length:
        raise InventoryInputError(f"{name} is longer than {max_length} characters", field=name)
    return value


# ---------------------------------------------------------------------------------------------- views


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
        _catalogue(catalogue).get(material_id)
    balances = repository.lot_balances(session, None if material_id is None else [material_id])
    views = _lot_views(session, balances)
    return [v for v in views if include_empty or abs(v.on_hand) > EPS or v.reserved > EPS]


def lot(session: Session, lot_id: int) -> LotView:
    row = repository.get_lot(session, lot_id)
    return next(v for v in _lot_views(session, repository.lot_balances(session, [row.material_id])) if v.id == lot_id)


# ---------------------------------------------------------------------------------------------- work orders


def _progress(work_order: WorkOrder, events: Sequence[TrackingEvent]) -> Progress:
    routing = Routing.from_json(work_order.routing)
    facts = [
        OperationFact(EventType(e.event_type), e.operation, e.occurred_at, e.station, e.payload)
        for e in events
        if e.event_type in set(EventType)
    ]
    return derive_progress(routing.operations, facts)


def _material_fact(
    session: Session,
    work_order: WorkOrder,
    events: Sequence[TrackingEvent],
    event_type: EventType,
    payload: Mapping[str, Any],
    now: datetime,
) -> None:
    # Never before the pair's latest material fact: replayed by time, the newest decision must win.
    latest = max((e.occurred_at for e in events if e.event_type in _MATERIAL_FACTS), default=now)
    record_event_once(
        session,
        TrackingEvent(
            event_id=str(uuid.uuid4()),
            pair_id=work_order.pair_id,
            station=STORES_STATION,
            operation=WORK_ORDER_OPERATION,
            event_type=event_type.value,
            occurred_at=max(now, as_utc(latest)),
            received_at=now,
            source=INVENTORY_SOURCE,
            payload={"work_order_id": work_order.id, **payload},
        ),
        now,
    )


@dataclass(frozen=True)
class Reservation:
    """The outcome of reserving a work order's kit: all of it (``allocations``) or nothing (``shortages``)."""

    work_order_id: int
    reserved: bool
    first: bool  # False: it was already reserved (or closed); nothing changed
    allocations: tuple[LineAllocation, ...] = ()
    shortages: tuple[Shortage, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "work_order_id": self.work_order_id,
            "reserved": self.reserved,
            "first": self.first,
            "allocations": [
                {
                    "material_id": a.material_id,
                    "quantity": round(a.quantity, 6),
                    "unit": a.unit,
                    "lots": [{"lot_id": t.lot_id, "quantity": round(t.quantity, 6)} for t in a.takes],
                }
                for a in self.allocations
            ],
            "shortages": [s.to_dict() for s in self.shortages],
        }


def work_order_demand(work_order: WorkOrder, catalogue: Catalogue | None = None) -> dict[str, float]:
    """What the work order's BOM snapshot needs, per material (catalogue unit)."""
    return bom_demand(work_order.bom, _catalogue(catalogue))


def reserve_work_order(
    session: Session, work_order_id: int, now: datetime | None = None, catalogue: Catalogue | None = None
) -> Reservation:
    """Reserve the work order's whole kit from free stock, or record why not (``material_short`` with each
    short material, what it needs and what is free). Idempotent: a work order that holds its kit, or is
    done or cancelled, is left as it is."""
    now, catalogue = _now(now), _catalogue(catalogue)
    work_order = planning_repository.get_work_order(session, work_order_id)
    demand = work_order_demand(work_order, catalogue)
    materials = [catalogue.get(m) for m in demand]
    repository.lock_families(session, (family(m) for m in materials))
    events = planning_repository.events_of_pairs(session, [work_order.pair_id])[work_order.pair_id]
    progress = _progress(work_order, events)
    if progress.material_reserved or progress.state in _CLOSED:
        return Reservation(work_order.id, progress.material_reserved, first=False, shortages=progress.shortages)
    members = {m.id for material in materials for m in family_members(catalogue, material)}
    balances = repository.lot_balances(session, members)
    plan = plan_reservation(demand, balances, catalogue)
    if not plan.complete:
        if [s.to_dict() for s in progress.shortages] != [s.to_dict() for s in plan.shortages]:  # same: no new fact
            _material_fact(
                session,
                work_order,
                events,
                EventType.MATERIAL_SHORT,
                {"shortages": [s.to_dict() for s in plan.shortages]},
                now,
            )
        return Reservation(work_order.id, False, first=True, shortages=plan.shortages)
    lot_material = {b.lot_id: (b.material_id, b.unit) for b in balances}
    rows = [
        StockMovement(
            lot_id=take.lot_id,
            material_id=lot_material[take.lot_id][0],
            kind=MovementKind.RESERVE.value,
            quantity=take.quantity,
            unit=lot_material[take.lot_id][1],
            work_order_id=work_order.id,
            demand_material_id=line.material_id,
            occurred_at=now,
            note=f"reserved for work order {work_order.id}",
        )
        for line in plan.allocations
        for take in line.takes
    ]
    repository.add_all(session, rows)
    _material_fact(
        session,
        work_order,
        events,
        EventType.MATERIAL_RESERVED,
        {
            "reserved": [
                {
                    "material_id": line.material_id,
                    "quantity": round(line.quantity, 6),
                    "unit": line.unit,
                    "lots": [[t.lot_id, round(t.quantity, 6)] for t in line.takes],
                }
                for line in plan.allocations
            ]
        },
        now,
    )
    return Reservation(work_order.id, True, first=True, allocations=plan.allocations)


def _held(session: Session, work_order_id: int) -> dict[tuple[int, str], float]:
    """(lot, BOM material served) → what is still reserved for the work order there."""
    outstanding = repository.outstanding_reservations(session, [work_order_id])
    return {(lot_id, demand): q for (_, lot_id, demand), q in outstanding.items()}


def _ending_rows(
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
    repository.lock_families(session, (_family_of(catalogue, lot.material_id) for lot in lots_.values()))


def release_reservation(
    session: Session,
    work_order_id: int,
    now: datetime | None = None,
    note: str = "reservation released",
    record_fact: bool = True,
    catalogue: Catalogue | None = None,
) -> float:
    """Give back everything still reserved for the work order; returns how much (sum over lots). With
    ``record_fact`` the work order goes back to awaiting material (a receipt may reserve it again)."""
    now, catalogue = _now(now), _catalogue(catalogue)
    work_order = planning_repository.get_work_order(session, work_order_id)
    _lock_lots_of(session, _held(session, work_order.id), catalogue)
    rows = _ending_rows(session, work_order.id, _held(session, work_order.id), MovementKind.UNRESERVE, now, note)
    repository.add_all(session, rows)
    released = sum(r.quantity for r in rows)
    if record_fact:
        events = planning_repository.events_of_pairs(session, [work_order.pair_id])[work_order.pair_id]
        if _progress(work_order, events).material_reserved:
            _material_fact(
                session, work_order, events, EventType.MATERIAL_SHORT, {"shortages": [], "reason": note}, now
            )
    return released


def lock_stock_of(session: Session, work_order: WorkOrder, catalogue: Catalogue | None = None) -> None:
    """Take the stock locks of every material the work order's BOM names (callers that will change its
    reservations take them before any pair lock, the order every writer keeps)."""
    catalogue = _catalogue(catalogue)
    try:
        demand = work_order_demand(work_order, catalogue)
    except InputError:
        return  # a BOM from before inventory: it holds nothing
    repository.lock_families(session, (family(catalogue.get(m)) for m in demand))


def _family_of(catalogue: Catalogue, material_id: str) -> str:
    return family(catalogue.materials[material_id]) if material_id in catalogue.materials else material_id


@dataclass(frozen=True)
class Retried:
    reserved: tuple[int, ...]  # work orders that now hold their kit
    waiting: tuple[int, ...]  # still short


def _open_unreserved(session: Session, catalogue: Catalogue) -> list[tuple[WorkOrder, set[str]]]:
    """Open work orders without their kit, earliest due first, with the stock families their BOM names."""
    work_orders = repository.work_orders_by_due(session)
    events = planning_repository.events_of_pairs(session, [wo.pair_id for wo in work_orders])
    out = []
    for wo in work_orders:
        progress = _progress(wo, events[wo.pair_id])
        if progress.material_reserved or progress.state in _CLOSED:
            continue
        try:
            demand = work_order_demand(wo, catalogue)
        except InputError:  # an unknown material or unit too
            continue  # a BOM from before inventory: nothing to reserve it by
        out.append((wo, {family(catalogue.get(m)) for m in demand}))
    return out


def lock_for_retry(session: Session, families: Iterable[str] = (), catalogue: Catalogue | None = None) -> set[str]:
    """Take, in one sorted batch, the stock locks of ``families`` and of every waiting work order's materials:
    a receipt or a count then reserves without taking a lock out of order (no deadlock). Returns them."""
    catalogue = _catalogue(catalogue)
    locked = set(families)
    for _, needs in _open_unreserved(session, catalogue):
        locked |= needs
    repository.lock_families(session, locked)
    return locked


def retry_waiting_work_orders(
    session: Session,
    now: datetime | None = None,
    catalogue: Catalogue | None = None,
    locked: set[str] | None = None,
) -> Retried:
    """Try to reserve every work order that waits for material, earliest due date first. The locks are taken
    first (``lock_for_retry``, or ``locked`` when the caller took them); a work order released meanwhile whose
    materials fall outside them waits for the next receipt."""
    now, catalogue = _now(now), _catalogue(catalogue)
    locked = lock_for_retry(session, (), catalogue) if locked is None else locked
    reserved: list[int] = []
    waiting: list[int] = []
    for wo, needs in _open_unreserved(session, catalogue):
        if not needs <= locked:
            waiting.append(wo.id)
            continue
        outcome = reserve_work_order(session, wo.id, now, catalogue)
        (reserved if outcome.reserved else waiting).append(wo.id)
    return Retried(tuple(reserved), tuple(waiting))


@dataclass(frozen=True)
class WaitingWorkOrder:
    work_order_id: int
    pair_id: int
    pair_serial: str
    due_at: datetime
    shortages: tuple[Shortage, ...]

    def to_dict(self) -> dict[str, Any]:
        reason = "; ".join(s.sentence() for s in self.shortages) or "its components are not reserved"
        return {
            "work_order_id": self.work_order_id,
            "pair_id": self.pair_id,
            "pair_serial": self.pair_serial,
            "due_at": self.due_at.isoformat(),
            "reason": reason,
            "shortages": [s.to_dict() for s in self.shortages],
        }


def waiting_work_orders(session: Session) -> list[WaitingWorkOrder]:
    """Work orders that are open and do not hold their kit, earliest due first, with the reasons."""
    work_orders = repository.work_orders_by_due(session)
    events = planning_repository.events_of_pairs(session, [wo.pair_id for wo in work_orders])
    out = []
    for wo in work_orders:
        progress = _progress(wo, events[wo.pair_id])
        if progress.material_reserved or progress.state in _CLOSED:
            continue
        out.append(WaitingWorkOrder(wo.id, wo.pair_id, wo.pair.serial, wo.due_at, progress.shortages))
    return out


def backflush_work_order(
    session: Session, work_order_id: int, now: datetime | None = None, catalogue: Catalogue | None = None
) -> float:
    """Consume what is still reserved for a finished work order (soles, thread, boxes: the lines no cutting
    job measured), at the reserved quantities. Returns how much (sum over lots); a repeat consumes nothing."""
    now, catalogue = _now(now), _catalogue(catalogue)
    _lock_lots_of(session, _held(session, work_order_id), catalogue)
    note = f"backflushed at the completion of work order {work_order_id} (BOM quantity)"
    rows = _ending_rows(session, work_order_id, _held(session, work_order_id), MovementKind.CONSUME, now, note)
    repository.add_all(session, rows)
    return sum(r.quantity for r in rows)


# ---------------------------------------------------------------------------------------------- receiving


@dataclass(frozen=True)
class Received:
    lot: LotView
    retried: Retried = field(default_factory=lambda: Retried((), ()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "lot": self.lot.to_dict(),
            "reserved_work_orders": list(self.retried.reserved),
            "still_waiting": list(self.retried.waiting),
        }


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
    retry: bool = True,
) -> Received:
    """Store a received lot (in the material's unit; hides at their grade, the catalogue's by default), then
    reserve for the work orders waiting for material, earliest due first."""
    now, catalogue = _now(now), _catalogue(catalogue)
    material = catalogue.get(material_id)
    quantity = check_quantity(quantity)
    unit = check_unit(material, unit)
    grade = check_grade(material, grade)
    batch = _text(batch, "batch", 100)
    supplier = _text(supplier, "supplier", 200) if supplier is not None else material.supplier
    cost = material.unit_cost_eur if unit_cost_eur is None else check_quantity(unit_cost_eur, "unit_cost_eur")
    # Adding stock cannot over-reserve: the locks are only taken, in one batch, for the retry that follows.
    locked = lock_for_retry(session, [family(material)], catalogue) if retry else set()
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
    retried = retry_waiting_work_orders(session, now, catalogue, locked) if retry else Retried((), ())
    return Received(lot(session, row.id), retried)


def adjust_lot(
    session: Session,
    lot_id: int,
    *,
    delta: float | None = None,
    counted: float | None = None,
    note: str,
    now: datetime | None = None,
    catalogue: Catalogue | None = None,
) -> LotView:
    """Correct a lot by ``delta`` (signed), or to a physical ``counted`` on-hand quantity; the note says why.
    A correction upward retries the waiting work orders."""
    now, catalogue = _now(now), _catalogue(catalogue)
    if (delta is None) == (counted is None):
        raise InventoryInputError("give either delta or counted", field="delta")
    note = _text(note, "note", 2000)
    row = repository.get_lot(session, lot_id)
    locked = lock_for_retry(session, [_family_of(catalogue, row.material_id)], catalogue)
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
    if abs(change) > EPS:
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
        if change > 0:
            retry_waiting_work_orders(session, now, catalogue, locked)
    return lot(session, lot_id)


# ---------------------------------------------------------------------------------------------- cutting


@dataclass(frozen=True)
class PairConsumption:
    pair_id: int | None  # None: the consumption of pairs without a work order, on a repeat
    work_order_id: int | None
    consumed: float  # this pair's share of the nest's consumption
    estimate: float  # this pair's share of its BOM estimate for the leather
    released: float  # reservation given back (the pair has no other open job of this material)

    @property
    def variance(self) -> float:
        return self.consumed - self.estimate


@dataclass(frozen=True)
class CuttingConsumption:
    cutting_job_id: int
    material_id: str
    unit: str
    consumed: float  # the nest's consumption: the job's consumed area in the material's unit
    pairs: tuple[PairConsumption, ...]
    first: bool  # False: this job's consumption was already booked; nothing changed

    @property
    def estimate(self) -> float:
        return sum(p.estimate for p in self.pairs)

    @property
    def released(self) -> float:
        return sum(p.released for p in self.pairs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cutting_job_id": self.cutting_job_id,
            "material_id": self.material_id,
            "unit": self.unit,
            "consumed": round(self.consumed, 6),
            "estimate": round(self.estimate, 6),
            "variance": round(self.consumed - self.estimate, 6),
            "released": round(self.released, 6),
            "first": self.first,
            "pairs": [
                {
                    "pair_id": p.pair_id,
                    "work_order_id": p.work_order_id,
                    "consumed": round(p.consumed, 6),
                    "estimate": round(p.estimate, 6),
                    "variance": round(p.variance, 6),
                    "released": round(p.released, 6),
                }
                for p in self.pairs
            ],
        }


def cuttable_material(material_id: str, catalogue: Catalogue | None = None) -> Material:
    """The catalogue material a cutting job cuts: it must exist and be stocked by area (m², dm²)."""
    material = _catalogue(catalogue).get(material_id)
    if not material.is_area:
        raise WrongUnitError(
            f"{material.id} is stocked in {material.unit}: cutting jobs consume area (m2 or dm2)",
            material=material.id,
            unit=material.unit,
        )
    return material


def _placements(job: Any) -> list[tuple[str, int]]:
    return [(str(p["piece_id"]), int(p["pair_id"])) for p in job.layout.get("placements", ())]


def _summary_of_booked(
    session: Session, job: Any, booked: Sequence[StockMovement], material: Material
) -> CuttingConsumption:
    used = (MovementKind.CONSUME.value, MovementKind.CONSUME_UNRESERVED.value)
    per_order: dict[int | None, list[StockMovement]] = {}
    for m in booked:
        per_order.setdefault(m.work_order_id, []).append(m)
    pairs = []
    for wo_id, rows in per_order.items():
        got = sum(m.quantity for m in rows if m.kind in used)
        measured = [m.variance for m in rows if m.kind in used and m.variance is not None]
        released = sum(m.quantity for m in rows if m.kind == MovementKind.UNRESERVE.value)
        pair_id = None if wo_id is None else planning_repository.get_work_order(session, wo_id).pair_id
        pairs.append(PairConsumption(pair_id, wo_id, got, got - sum(measured) if measured else 0.0, released))
    consumed = sum(m.quantity for m in booked if m.kind in used)
    return CuttingConsumption(
        job.id, material.id, material.unit, consumed, tuple(sorted(pairs, key=lambda p: p.pair_id or 0)), first=False
    )


def _cut_demands(material: Material, demand: Mapping[str, float], catalogue: Catalogue) -> list[str]:
    """The BOM materials of a pair that a job of ``material`` cuts: that material itself, else the lines of its
    leather that it may serve (a better hide cut for a worse grade's line)."""
    if material.id in demand:
        return [material.id]
    return [m for m in demand if can_serve(material, material.hide_grade, catalogue.get(m))]


def consume_cutting_job(
    session: Session, job_id: int, now: datetime | None = None, catalogue: Catalogue | None = None
) -> CuttingConsumption:
    """Book what a finished cutting job really consumed: its nest's ``consumed_area_mm2`` in the material's unit,
    shared among its pairs in proportion to their BOM estimate for what it cuts (by piece count when none),
    each share taken from that pair's reservation first, then from free stock of the leather. A pair with no
    other open job of this material gets the rest of that reservation back. Every consumption movement carries
    its part of the variance (nest − BOM estimate). Idempotent: a job already booked books nothing."""
    now, catalogue = _now(now), _catalogue(catalogue)
    job = repository.get_cutting_job(session, job_id)
    material = cuttable_material(job.material, catalogue)
    members = [m.id for m in family_members(catalogue, material)]
    repository.lock_families(session, [family(material)])
    booked = repository.movements(session, cutting_job_id=job.id)
    if booked:
        return _summary_of_booked(session, job, booked, material)
    quantity = job.consumed_area_mm2 / MM2_PER_UNIT[material.unit]
    placements = _placements(job)
    pair_ids = sorted({pair for _, pair in placements})
    work_orders = repository.work_orders_of_pairs(session, pair_ids)
    # Each pair's pieces in this job, and in all its live jobs of this material (the BOM line's share).
    here = {p: sum(1 for _, q in placements if q == p) for p in pair_ids}
    everywhere = dict.fromkeys(pair_ids, 0)
    other_open: set[int] = set()
    for other in repository.cutting_jobs_of_materials(session, [material.id]):
        if other.state == CuttingJobState.FAILED:
            continue
        for _, p in _placements(other):
            if p in everywhere:
                everywhere[p] += 1
                if other.id != job.id and other.state != CuttingJobState.DONE:
                    other_open.add(p)
    cuts: dict[int, list[str]] = {}
    estimate: dict[int, float] = {}
    for p in pair_ids:
        wo = work_orders.get(p)
        demand = work_order_demand(wo, catalogue) if wo is not None else {}
        cuts[p] = _cut_demands(material, demand, catalogue)
        estimate[p] = sum(demand[m] for m in cuts[p]) * here[p] / max(everywhere[p], 1)
    weights = estimate if sum(estimate.values()) > EPS else {p: float(here[p]) for p in pair_ids}
    shares = split_in_proportion(quantity, weights)
    outstanding = repository.outstanding_reservations(session, [wo.id for wo in work_orders.values()])
    balances = {b.lot_id: b for b in repository.lot_balances(session, members)}
    if not balances:
        raise ShortageError(
            [Shortage(material.id, quantity, 0.0, material.unit)],
            f"cutting job {job.id} consumed leather that was never received",
        )
    free = {lot_id: b.available for lot_id, b in balances.items()}
    where = f"cutting job {job.id}, {job.container_kind} {job.container_ref}"
    rows: list[StockMovement] = []
    results = []
    for p in pair_ids:
        wo = work_orders.get(p)
        wo_id = wo.id if wo is not None else None
        share, est = shares[p], estimate[p]

        def book(take: Take, kind: MovementKind, demand: str | None, note: str, share=share, est=est, wo_id=wo_id):
            lot = balances[take.lot_id]
            variance = take.quantity * (1.0 - est / share) if share > EPS and est > EPS else None
            rows.append(
                StockMovement(
                    lot_id=take.lot_id,
                    material_id=lot.material_id,
                    kind=kind.value,
                    quantity=take.quantity,
                    unit=lot.unit,
                    work_order_id=wo_id,
                    cutting_job_id=job.id,
                    demand_material_id=demand,
                    variance=variance,
                    occurred_at=now,
                    note=note,
                )
            )

        held = {
            (lot_id, demand): q
            for (w, lot_id, demand), q in outstanding.items()
            if w == wo_id and demand in cuts[p] and lot_id in balances
        }
        order = sorted(held, key=lambda key: (balances[key[0]].received_at, key[0], key[1]))
        left = share
        for key in order:
            quantity_here = min(held[key], left)
            if quantity_here > EPS:
                book(
                    Take(key[0], quantity_here),
                    MovementKind.CONSUME,
                    key[1],
                    f"pair {p} cut from its reservation ({where})",
                )
                held[key] -= quantity_here
                left -= quantity_here
        if left > EPS:  # the nest used more than was reserved: free stock of this leather, best-matching first
            candidates = [(b.lot_id, free[b.lot_id]) for b in allocation_order(balances.values(), material, catalogue)]
            extra, left = take_in_order(candidates, left)
            for extra_take in extra:
                book(
                    extra_take, MovementKind.CONSUME_UNRESERVED, None, f"pair {p} cut beyond its reservation ({where})"
                )
                free[extra_take.lot_id] -= extra_take.quantity
        if left > EPS:  # more than the free stock: the cut happened; book it and let a count find the hide
            lot_id = max(balances.values(), key=lambda b: (b.on_hand, b.lot_id)).lot_id
            book(
                Take(lot_id, left),
                MovementKind.CONSUME_UNRESERVED,
                None,
                f"pair {p} cut beyond the free stock: count this lot ({where})",
            )
            free[lot_id] -= left
        released = 0.0
        if wo_id is not None and p not in other_open:
            note = f"pair {p} reserved but not used by the nest ({where})"
            ending = _ending_rows(session, wo_id, held, MovementKind.UNRESERVE, now, note, cutting_job_id=job.id)
            rows.extend(ending)
            released = sum(r.quantity for r in ending)
        results.append(PairConsumption(p, wo_id, share, est, released))
    repository.add_all(session, rows)
    return CuttingConsumption(job.id, material.id, material.unit, quantity, tuple(results), first=True)


# ---------------------------------------------------------------------------------------------- reports


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


def _waiting_demand(session: Session, catalogue: Catalogue) -> dict[str, float]:
    out: dict[str, float] = {}
    for waiting in waiting_work_orders(session):
        wo = planning_repository.get_work_order(session, waiting.work_order_id)
        try:
            demand = work_order_demand(wo, catalogue)
        except InputError:  # an unknown material or unit too
            continue  # a work order released before inventory, with a BOM it cannot read
        for material_id, q in demand.items():
            out[material_id] = out.get(material_id, 0.0) + q
    return out


def stock_positions(session: Session, catalogue: Catalogue | None = None) -> dict[str, StockPosition]:
    catalogue = _catalogue(catalogue)
    on_order = _on_order(session)
    waiting = _waiting_demand(session, catalogue)
    totals: dict[str, list[float]] = {}
    for b in repository.lot_balances(session):
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
    catalogue = _catalogue(catalogue)
    positions = stock_positions(session, catalogue)
    balances = repository.lot_balances(session)
    lots_ = repository.lots_by_id(session, [b.lot_id for b in balances])
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
    now, catalogue = _now(now), _catalogue(catalogue)
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


# ---------------------------------------------------------------------------------------------- purchase orders


@dataclass(frozen=True)
class PurchaseOrderView:
    id: int
    number: str
    supplier: str
    state: str  # open, partly_received, received, cancelled
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
            "state": self.state,
            "placed_at": self.placed_at.isoformat(),
            "expected_at": self.expected_at.isoformat(),
            "cost_eur": round(self.cost_eur, 2),
            "lines": list(self.lines),
            "note": self.note,
        }


def _order_state(order: PurchaseOrder, received: Mapping[int, float]) -> str:
    if order.cancelled_at is not None:
        return "cancelled"
    got = [received.get(line.id, 0.0) for line in order.lines]
    if all(g + EPS >= line.quantity for g, line in zip(got, order.lines, strict=True)):
        return "received"
    return "partly_received" if any(g > EPS for g in got) else "open"


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
        _order_state(order, received),
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
    now, catalogue = _now(now), _catalogue(catalogue)
    supplier = _text(supplier, "supplier", 200)
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
    now = _now(now)
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
    now, catalogue = _now(now), _catalogue(catalogue)
    order = repository.get_purchase_order(session, ref)
    # Locked before reading what was received: a second receipt of the same order waits, then sees this one.
    locked = lock_for_retry(session, {_family_of(catalogue, line.material_id) for line in order.lines}, catalogue)
    view = _order_view(session, order)
    if view.state in ("cancelled", "received"):
        raise PurchaseOrderError(
            f"purchase order {order.number} is {view.state}", purchase_order=order.number, state=view.state
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
        got = receive_lot(
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
            retry=False,
        )
        lots_.append(got.lot)
    if not lots_:
        raise InventoryInputError(f"nothing to receive on purchase order {order.number}", purchase_order=order.number)
    retried = retry_waiting_work_orders(session, now, catalogue, locked)
    after = tuple(lot(session, received_lot.id) for received_lot in lots_)  # as they stand after the reservations
    return OrderReceipt(_order_view(session, order), after, retried)


def cancel_purchase_order(session: Session, ref: str | int, now: datetime | None = None) -> PurchaseOrderView:
    order = repository.get_purchase_order(session, ref)
    view = _order_view(session, order)
    if view.state != "open":
        raise PurchaseOrderError(
            f"purchase order {order.number} is {view.state}: only an open order is cancelled",
            purchase_order=order.number,
            state=view.state,
        )
    order.cancelled_at = _now(now)
    session.flush()
    return _order_view(session, order)


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
