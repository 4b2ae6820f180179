"""Work orders for the shop floor: release (with a snapshot, reserving its kit from stock), record operation
events, read derived states, re-schedule. The shell around the pure cores (``routing``, ``work_orders``,
``scheduling``): load, decide, store. Services never commit; every call takes ``now`` (aware UTC; the clock by
default)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from sqlalchemy.orm import Session

from manufacturing.clock import as_utc, utc_now
from manufacturing.db.models import TrackingEvent, WorkOrder, WorkOrderOperation
from manufacturing.db.models import WorkCentre as WorkCentreRow
from manufacturing.db.models import Worker as WorkerRow
from manufacturing.inventory import reservations
from manufacturing.inventory.model import bom_demand
from manufacturing.inventory.shortage import Shortage
from manufacturing.ledger.service import record_event_once
from manufacturing.materials.catalogue import Catalogue, default_catalogue
from manufacturing.planning import kits, repository
from manufacturing.planning.errors import OperationEventError
from manufacturing.planning.factory import Factory, Shift, WorkCentre, Worker, default_factory
from manufacturing.planning.routing import (
    TEMPLATES,
    OperationTemplate,
    Routing,
    RoutingInputs,
    Skill,
    WorkCentreKind,
    route,
)
from manufacturing.planning.scheduling import Instance, Job, Placement, Schedule, Task, operation_durations, solve
from manufacturing.planning.work_orders import (
    MATERIAL_EVENTS,
    WORK_ORDER_OPERATION,
    EventType,
    OperationFact,
    Progress,
    check_event,
    derive_progress,
    snapshot,
)
from manufacturing.states import WorkOrderState

# Fixed namespace so an operation event's default id is the same on every terminal, database and retry.
_EVENT_NAMESPACE = uuid.UUID("0b9f3a52-54c4-4d51-9f0e-7a1c2d3e4f50")
_CLOSED = (WorkOrderState.DONE, WorkOrderState.CANCELLED)
_CLOSING = (EventType.FINISHED, EventType.QC_PASSED)  # on the last operation: the work order is done


@dataclass(frozen=True)
class WorkOrderStatus:
    id: int
    pair_id: int
    state: WorkOrderState
    progress: Progress
    routing: dict[str, Any]
    bom: dict[str, Any]
    snapshot_sha256: str
    due_at: datetime
    weight: int
    planned: tuple[tuple[int, str | None, datetime | None, datetime | None], ...]  # (seq, centre, start, end)

    @property
    def shortages(self) -> tuple[Shortage, ...]:
        """Why it awaits material: each short material, what it needs, what is free, the unit."""
        return self.progress.shortages


@dataclass(frozen=True)
class Released:
    work_order: WorkOrderStatus
    first: bool  # False: the pair already had a work order; nothing changed


@dataclass(frozen=True)
class Recorded:
    work_order: WorkOrderStatus
    first: bool  # False: the event id was already stored; nothing changed


@dataclass(frozen=True)
class Replan:
    schedule: Schedule
    pair_eta: dict[int, datetime]
    order_eta: dict[int, datetime]
    work_orders: int


def _now(now: datetime | None) -> datetime:
    return as_utc(now if now is not None else utc_now())


def _facts(events: list[TrackingEvent]) -> list[OperationFact]:
    return [
        OperationFact(EventType(e.event_type), e.operation, e.occurred_at, e.station, e.payload)
        for e in events
        if e.event_type in set(EventType)
    ]


def _status(work_order: WorkOrder, events: list[TrackingEvent]) -> WorkOrderStatus:
    routing = Routing.from_json(work_order.routing)
    progress = derive_progress(routing.operations, _facts(events))
    return WorkOrderStatus(
        id=work_order.id, pair_id=work_order.pair_id, state=progress.state, progress=progress,
        routing=work_order.routing, bom=work_order.bom, snapshot_sha256=work_order.snapshot_sha256,
        due_at=work_order.due_at, weight=work_order.weight,
        planned=tuple((op.seq, op.planned_centre, op.planned_start, op.planned_end) for op in work_order.operations),
    )  # fmt: skip


def release_work_order(
    session: Session,
    pair_id: int,
    inputs: RoutingInputs,
    bom: Mapping[str, Any],
    due_at: datetime,
    weight: int = 1,
    now: datetime | None = None,
    templates: Mapping[str, OperationTemplate] = TEMPLATES,
    catalogue: Catalogue | None = None,
) -> Released:
    """The pair's work order, released now with copies of its routing and ``bom``, and its kit reserved from
    stock (inventory): when a material is short the work order is stored all the same and awaits material,
    with the shortages on its status. Idempotent: a pair that already has one gets it back unchanged
    (``first=False``), whatever the templates or BOM say today."""
    existing = repository.find_work_order_of_pair(session, pair_id)
    if existing is not None:
        return Released(_status(existing, repository.events_of_pairs(session, [pair_id])[pair_id]), first=False)
    repository.get_pair(session, pair_id)
    catalogue = catalogue or default_catalogue()
    bom_demand(bom, catalogue)  # a BOM inventory cannot read is refused before anything is stored
    routing = route(inputs, templates)
    snap = snapshot(routing, bom)
    work_order = WorkOrder(
        pair_id=pair_id, routing=snap.routing, bom=snap.bom, snapshot_sha256=snap.sha256,
        routing_version=routing.version, due_at=as_utc(due_at), weight=weight, released_at=_now(now),
        operations=[
            WorkOrderOperation(seq=op.seq, code=op.code, kind=op.kind.value, skill=op.skill.value,
                               standard_minutes=op.standard_minutes)
            for op in routing.operations
        ],
    )  # fmt: skip
    repository.add_work_order(session, work_order)
    kits.reserve_work_order(session, work_order.id, now=work_order.released_at, catalogue=catalogue)
    return Released(_status(work_order, repository.events_of_pairs(session, [pair_id])[pair_id]), first=True)


def work_order_status(session: Session, work_order_id: int) -> WorkOrderStatus:
    work_order = repository.get_work_order(session, work_order_id)
    return _status(work_order, repository.events_of_pairs(session, [work_order.pair_id])[work_order.pair_id])


def record_operation_event(
    session: Session,
    work_order_id: int,
    event_type: EventType | str,
    operation: str = WORK_ORDER_OPERATION,
    occurred_at: datetime | None = None,
    station: str | None = None,
    source: str = "terminal",
    event_id: str | None = None,
    payload: Mapping[str, Any] | None = None,
) -> Recorded:
    """Store one shop-floor fact about a work order, as a ``tracking_event`` of its pair, if it fits the work
    order's derived state (``OperationEventError``, 409, otherwise). Idempotent by ``event_id`` (default: a
    UUID5 of the work order, operation, event type and time), so a terminal may resend.

    Material facts are inventory's (receiving stock reserves, ``planning.kits``), not a terminal's. A
    cancellation gives the work order's reservation back; the fact that finishes the work order consumes
    what is still reserved for it (backflush)."""
    work_order = repository.get_work_order(session, work_order_id)
    event_type = EventType(event_type)
    if event_type in MATERIAL_EVENTS:
        raise OperationEventError(
            f"{event_type.value} is recorded by inventory when it reserves the kit (receive stock to reserve it)",
            event_type=event_type.value,
        )
    occurred_at = _now(occurred_at)
    event_id = event_id or str(
        uuid.uuid5(_EVENT_NAMESPACE, f"{work_order_id}:{operation}:{event_type.value}:{occurred_at.isoformat()}")
    )
    events = repository.events_of_pairs(session, [work_order.pair_id])[work_order.pair_id]
    if any(e.event_id == event_id for e in events):
        return Recorded(_status(work_order, events), first=False)
    routing = Routing.from_json(work_order.routing)
    fact = OperationFact(event_type, operation, occurred_at, station, dict(payload or {}))
    earlier = [f for f in _facts(events) if f.occurred_at <= occurred_at]
    check_event(routing.operations, derive_progress(routing.operations, earlier), fact)
    last = routing.operations[-1].code
    if event_type == EventType.CANCELLED or (operation == last and event_type in _CLOSING):
        reservations.lock_stock_of(session, work_order)  # stock before the pair's ledger lock, as everywhere
    row = TrackingEvent(
        event_id=event_id, pair_id=work_order.pair_id, station=station or operation, operation=operation,
        event_type=event_type.value, occurred_at=occurred_at, source=source,
        payload={"work_order_id": work_order_id, **dict(payload or {})},
    )  # fmt: skip
    stored, first = record_event_once(session, row)
    if not first:
        raise OperationEventError(f"event id {event_id} is already stored for another fact", event_id=event_id)
    before, after = _status(work_order, events), _status(work_order, [*events, stored])
    if after.state == WorkOrderState.CANCELLED and before.state != WorkOrderState.CANCELLED:
        kits.release_reservation(session, work_order_id, occurred_at, note="work order cancelled",
                                 record_fact=False)  # fmt: skip
    elif after.state == WorkOrderState.DONE and before.state != WorkOrderState.DONE:
        reservations.backflush_work_order(session, work_order_id, occurred_at)
    return Recorded(after, first=True)


# ---------------------------------------------------------------------------------------------- factory


def _shift_json(shift: Shift) -> dict[str, Any]:
    return {"name": shift.name, "start": shift.start.isoformat(), "end": shift.end.isoformat(),
            "weekdays": sorted(shift.weekdays)}  # fmt: skip


def _shift(data: Mapping[str, Any]) -> Shift:
    return Shift(data["name"], time.fromisoformat(data["start"]), time.fromisoformat(data["end"]),
                 frozenset(data["weekdays"]))  # fmt: skip


def store_factory(session: Session, factory: Factory) -> None:
    """Add the factory's work centres and workers that are not stored yet (by code); existing rows stay."""
    for c in factory.work_centres:
        if repository.find_work_centre(session, c.code) is None:
            repository.add(session, WorkCentreRow(
                code=c.code, kind=c.kind.value, stations=c.stations, speed=c.speed,
                skills=sorted(s.value for s in c.skills), shifts=[_shift_json(s) for s in c.shifts],
            ))  # fmt: skip
    for w in factory.workers:
        if repository.find_worker(session, w.code) is None:
            repository.add(session, WorkerRow(code=w.code, name=w.name, skills=sorted(s.value for s in w.skills),
                                              shift=w.shift.name))  # fmt: skip


def load_factory(session: Session) -> Factory:
    """The stored factory; the default workshop when nothing is stored."""
    centres = repository.work_centres(session)
    if not centres:
        return default_factory()
    shifts: dict[str, Shift] = {}
    built = []
    for c in centres:
        own = tuple(_shift(s) for s in c.shifts)
        shifts.update((s.name, s) for s in own)
        built.append(WorkCentre(c.code, WorkCentreKind(c.kind), c.stations, frozenset(Skill(s) for s in c.skills),
                                own, c.speed))  # fmt: skip
    people = tuple(
        Worker(w.code, w.name, frozenset(Skill(s) for s in w.skills), shifts[w.shift])
        for w in repository.workers(session)
        if w.shift in shifts
    )
    return Factory(tuple(built), people, tuple(shifts.values()))


# ---------------------------------------------------------------------------------------------- scheduling


def reschedule(
    session: Session, now: datetime | None = None, time_limit_s: float = 10.0, factory: Factory | None = None
) -> Replan:
    """Plan every open work order from ``now``: operations in progress stay on their centre (fixed), done
    ones drop out, the rest is solved again (``scheduling.solve``); each operation's plan is stored and the
    ETA of every pair and order returned as clock times."""
    now = _now(now)
    factory = factory or load_factory(session)
    calendar = factory.calendar()
    capacity = {c.code: factory.capacity(c) for c in factory.work_centres}
    work_orders = repository.all_work_orders(session)
    events = repository.events_of_pairs(session, [w.pair_id for w in work_orders])
    jobs, fixed, rows = [], {}, {}
    for wo in work_orders:
        status = _status(wo, events[wo.pair_id])
        if status.state in _CLOSED or status.state == WorkOrderState.AWAITING_MATERIAL:
            continue  # closed, or nothing can start before its kit is reserved
        routing = Routing.from_json(wo.routing)
        tasks = []
        for op, st in zip(routing.operations, status.progress.operations, strict=True):
            if st.state.value == "done":
                continue
            durations = operation_durations(factory, capacity, op)
            if not durations:
                raise OperationEventError(f"no staffed {op.kind.value} work centre for {op.code}")
            tasks.append(Task(wo.pair_id, op.seq, op.code, durations))
            rows[(wo.pair_id, op.seq)] = next(o for o in wo.operations if o.seq == op.seq)
            if st.state.value == "in_progress" and st.started_at is not None:
                centre = st.station if st.station in durations else next(iter(durations))
                start = round(calendar.working_minutes_between(now, st.started_at))
                fixed[(wo.pair_id, op.seq)] = Placement(wo.pair_id, op.seq, centre, start,
                                                        max(start + durations[centre], 1))  # fmt: skip
        due = round(calendar.working_minutes_between(now, wo.due_at))
        jobs.append(Job(wo.pair_id, wo.pair.order_id, due, wo.weight, tuple(tasks)))
    instance = Instance(tuple(jobs), capacity, fixed, 0)
    schedule = solve(instance, time_limit_s)
    for p in schedule.placements:
        row = rows[p.key]
        row.planned_centre = p.centre
        row.planned_start = calendar.add_working_minutes(now, p.start)
        row.planned_end = calendar.add_working_minutes(now, p.end)
    session.flush()
    pair_eta = {pid: calendar.add_working_minutes(now, end) for pid, end in schedule.pair_finish().items()}
    order_eta: dict[int, datetime] = {}
    for job in jobs:
        if job.pair_id in pair_eta:
            order_eta[job.order_id] = max(order_eta.get(job.order_id, pair_eta[job.pair_id]), pair_eta[job.pair_id])
    return Replan(schedule, pair_eta, order_eta, len(jobs))
