"""A work order's kit of materials: reserved from stock when it is released, and again for every work order
still waiting when stock comes in (earliest due first); given back when it is cancelled. Inventory keeps the
stock (``inventory.reservations``, ``inventory.receiving``); this module decides which work orders should hold
a kit, from their derived state, and records what happened as facts on the pair. Services never commit; every
call takes ``now`` (aware UTC; the clock by default).

A work order's material state is a fact on its pair (``tracking_event``): ``material_reserved`` when its whole
kit is reserved, ``material_short`` with the shortages when it is not. ``work_orders.derive_progress`` derives
``awaiting_material`` from them (docs/planning.md, docs/inventory.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from geometry.errors import InputError
from manufacturing.clock import as_utc, utc_now
from manufacturing.db.models import TrackingEvent, WorkOrder
from manufacturing.inventory import lots, receiving, reservations
from manufacturing.inventory import repository as inventory_repository
from manufacturing.inventory.lots import LotView
from manufacturing.inventory.model import LineAllocation, family, family_of
from manufacturing.inventory.shortage import Shortage
from manufacturing.ledger.service import record_event_once
from manufacturing.materials.catalogue import Catalogue, default_catalogue
from manufacturing.planning import repository
from manufacturing.planning.routing import Routing
from manufacturing.planning.work_orders import WORK_ORDER_OPERATION, EventType, OperationFact, Progress, derive_progress
from manufacturing.states import WorkOrderState

STORES_STATION = "stores"
INVENTORY_SOURCE = "inventory"
_CLOSED = (WorkOrderState.DONE, WorkOrderState.CANCELLED)
_MATERIAL_FACTS = (EventType.MATERIAL_RESERVED.value, EventType.MATERIAL_SHORT.value)


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


# ---------------------------------------------------------------------------------------------- one work order


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


def reserve_work_order(
    session: Session, work_order_id: int, now: datetime | None = None, catalogue: Catalogue | None = None
) -> Reservation:
    """Reserve the work order's whole kit from free stock, or record why not (``material_short`` with each
    short material, what it needs and what is free). Idempotent: a work order that holds its kit, or is
    done or cancelled, is left as it is."""
    now, catalogue = as_utc(now or utc_now()), catalogue or default_catalogue()
    work_order = repository.get_work_order(session, work_order_id)
    demand = reservations.work_order_demand(work_order, catalogue)
    reservations.lock_demand(session, demand, catalogue)
    events = repository.events_of_pairs(session, [work_order.pair_id])[work_order.pair_id]
    progress = _progress(work_order, events)
    if progress.material_reserved or progress.state in _CLOSED:
        return Reservation(work_order.id, progress.material_reserved, first=False, shortages=progress.shortages)
    plan = reservations.reserve_kit(session, work_order.id, demand, now, catalogue)
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
    now, catalogue = as_utc(now or utc_now()), catalogue or default_catalogue()
    work_order = repository.get_work_order(session, work_order_id)
    released = reservations.release_kit(session, work_order.id, now, note, catalogue)
    if record_fact:
        events = repository.events_of_pairs(session, [work_order.pair_id])[work_order.pair_id]
        if _progress(work_order, events).material_reserved:
            _material_fact(
                session, work_order, events, EventType.MATERIAL_SHORT, {"shortages": [], "reason": note}, now
            )
    return released


# ---------------------------------------------------------------------------------------------- the waiting ones


@dataclass(frozen=True)
class Retried:
    reserved: tuple[int, ...]  # work orders that now hold their kit
    waiting: tuple[int, ...]  # still short


def _open_unreserved(session: Session, catalogue: Catalogue) -> list[tuple[WorkOrder, set[str]]]:
    """Open work orders without their kit, earliest due first, with the stock families their BOM names."""
    work_orders = repository.work_orders_by_due(session)
    events = repository.events_of_pairs(session, [wo.pair_id for wo in work_orders])
    out = []
    for wo in work_orders:
        progress = _progress(wo, events[wo.pair_id])
        if progress.material_reserved or progress.state in _CLOSED:
            continue
        try:
            demand = reservations.work_order_demand(wo, catalogue)
        except InputError:  # an unknown material or unit too
            continue  # a BOM from before inventory: nothing to reserve it by
        out.append((wo, {family(catalogue.get(m)) for m in demand}))
    return out


def waiting_families(session: Session, catalogue: Catalogue | None = None) -> set[str]:
    """The stock families the work orders waiting for material would reserve from."""
    needed: set[str] = set()
    for _, needs in _open_unreserved(session, catalogue or default_catalogue()):
        needed |= needs
    return needed


def lock_for_retry(session: Session, families: Iterable[str] = (), catalogue: Catalogue | None = None) -> set[str]:
    """Take, in one sorted batch, the stock locks of ``families`` and of every waiting work order's materials:
    a receipt or a count then reserves without taking a lock out of order (no deadlock). Returns them."""
    locked = set(families) | waiting_families(session, catalogue)
    inventory_repository.lock_families(session, locked)
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
    now, catalogue = as_utc(now or utc_now()), catalogue or default_catalogue()
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
    events = repository.events_of_pairs(session, [wo.pair_id for wo in work_orders])
    out = []
    for wo in work_orders:
        progress = _progress(wo, events[wo.pair_id])
        if progress.material_reserved or progress.state in _CLOSED:
            continue
        out.append(WaitingWorkOrder(wo.id, wo.pair_id, wo.pair.serial, wo.due_at, progress.shortages))
    return out


def waiting_demand(session: Session, catalogue: Catalogue | None = None) -> dict[str, float]:
    """Material → the BOM demand of the work orders waiting for material (what the stock report calls short)."""
    catalogue = catalogue or default_catalogue()
    out: dict[str, float] = {}
    for waiting in waiting_work_orders(session):
        wo = repository.get_work_order(session, waiting.work_order_id)
        try:
            demand = reservations.work_order_demand(wo, catalogue)
        except InputError:  # an unknown material or unit too
            continue  # a work order released before inventory, with a BOM it cannot read
        for material_id, q in demand.items():
            out[material_id] = out.get(material_id, 0.0) + q
    return out


# ---------------------------------------------------------------------------------------------- stock coming in


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


def receive_and_reserve(
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
) -> Received:
    """Store a received lot (``inventory.receiving.receive_lot``), then reserve for the work orders waiting for
    material, earliest due first."""
    now, catalogue = as_utc(now or utc_now()), catalogue or default_catalogue()
    waiting = waiting_families(session, catalogue)
    received = receiving.receive_lot(
        session,
        material_id,
        quantity,
        batch=batch,
        supplier=supplier,
        grade=grade,
        unit=unit,
        unit_cost_eur=unit_cost_eur,
        note=note,
        now=now,
        catalogue=catalogue,
        lock_with=waiting,
    )
    locked = waiting | {family_of(catalogue, received.material_id)}
    retried = retry_waiting_work_orders(session, now, catalogue, locked)
    return Received(lots.lot(session, received.id), retried)  # as it stands after the reservations


def adjust_and_reserve(
    session: Session,
    lot_id: int,
    *,
    delta: float | None = None,
    counted: float | None = None,
    note: str,
    now: datetime | None = None,
    catalogue: Catalogue | None = None,
) -> LotView:
    """Correct a lot (``inventory.receiving.adjust_lot``); a correction upward then retries the waiting work
    orders."""
    now, catalogue = as_utc(now or utc_now()), catalogue or default_catalogue()
    waiting = waiting_families(session, catalogue)
    adjusted = receiving.adjust_lot(
        session, lot_id, delta=delta, counted=counted, note=note, now=now, catalogue=catalogue, lock_with=waiting
    )
    if adjusted.change > 0:
        retry_waiting_work_orders(session, now, catalogue, waiting | {family_of(catalogue, adjusted.material_id)})
    return lots.lot(session, lot_id)
