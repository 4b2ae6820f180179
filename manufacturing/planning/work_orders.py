"""Work orders, pure: one per pair, released with a snapshot of its routing and BOM, and operation states
derived from facts (never set by hand).

Release copies the routing (operations, standard times, the inputs they came from, the routing version) and
the BOM (a plain JSON dict, as the BOM module gives it) into the work order, with the sha256 of the snapshot:
later changes to templates, formulas or the BOM do not touch released work.

Facts are the shop floor's events on the pair (``tracking_event`` rows): ``material_reserved`` (the BOM's
components are reserved for the work order), ``material_short`` (inventory could not reserve them: the
shortages, material by material), ``started`` / ``finished`` an operation, ``qc_passed`` /
``qc_failed`` at a QC point, ``blocked`` / ``unblocked`` (a machine down, a question to the customer),
``cancelled``. Replayed in the order they happened (``occurred_at``, then arrival), they give each
operation's state:

- ``done``: finished (or, at a QC point, passed) since it was last sent back;
- ``in_progress``: started, not finished;
- ``blocked``: blocked and not unblocked;
- ``rework``: a later inspection failed and sent the pair back to it (or past it); it has to be done again;
- ``ready``: every earlier operation is done, and its components are reserved when it consumes any;
- ``waiting_material``: every earlier operation is done but it consumes components not yet reserved;
- ``pending``: an earlier operation is not done yet.

The work order is ``awaiting_material`` while its next operation waits for components; ``Progress.shortages``
then says why (the latest ``material_short`` fact), and starting that operation is refused with them.
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from manufacturing.inventory.shortage import Shortage
from manufacturing.planning.errors import AwaitingMaterialError, OperationEventError
from manufacturing.planning.routing import Operation, Routing, canonical_sha256
from manufacturing.states import OperationState, WorkOrderState


class EventType(enum.StrEnum):
    MATERIAL_RESERVED = "material_reserved"
    MATERIAL_SHORT = "material_short"
    STARTED = "started"
    FINISHED = "finished"
    QC_PASSED = "qc_passed"
    QC_FAILED = "qc_failed"
    BLOCKED = "blocked"
    UNBLOCKED = "unblocked"
    CANCELLED = "cancelled"


ORDER_LEVEL_EVENTS = frozenset({EventType.MATERIAL_RESERVED, EventType.MATERIAL_SHORT, EventType.CANCELLED})
BLOCKING_EVENTS = frozenset({EventType.BLOCKED, EventType.UNBLOCKED})
MATERIAL_EVENTS = frozenset({EventType.MATERIAL_RESERVED, EventType.MATERIAL_SHORT})  # written by inventory only
WORK_ORDER_OPERATION = "work_order"  # the operation name of order-level events


@dataclass(frozen=True)
class Snapshot:
    """What a work order keeps at release: its own copies, and their fingerprint."""

    routing: dict[str, Any]
    bom: dict[str, Any]
    sha256: str


def snapshot(routing: Routing, bom: Mapping[str, Any]) -> Snapshot:
    """Deep, JSON-ready copies of the routing and the BOM, with the sha256 of both."""
    routing_json = copy.deepcopy(routing.to_json())
    bom_json = copy.deepcopy(dict(bom))
    return Snapshot(routing_json, bom_json, canonical_sha256({"routing": routing_json, "bom": bom_json}))


@dataclass(frozen=True)
class OperationFact:
    """One event about a work order. ``operation`` is an operation code, or ``work_order`` for the order-level
    events (material reserved, cancelled)."""

    event_type: EventType
    operation: str
    occurred_at: datetime
    station: str | None = None  # the work centre that reported it
    payload: Mapping[str, Any] = field(default_factory=dict)
    event_id: str | None = None  # the stored event's id, so a fact that cannot be replayed can be named


@dataclass(frozen=True)
class InvalidFact:
    """A stored fact the replay skipped, and why: it names no operation of the routing, or its payload cannot be
    read. Stored events are facts that cannot be taken back, so a bad one is shown, never raised."""

    event_id: str | None
    event_type: str
    operation: str
    reason: str


@dataclass(frozen=True)
class OperationStatus:
    seq: int
    code: str
    state: OperationState
    passes: int  # times it was finished (rework adds passes)
    station: str | None  # where it is or was last worked on
    started_at: datetime | None


@dataclass(frozen=True)
class Progress:
    state: WorkOrderState
    operations: tuple[OperationStatus, ...]
    material_reserved: bool
    shortages: tuple[Shortage, ...] = ()  # why the kit is not reserved (the latest material_short fact)
    invalid: tuple[InvalidFact, ...] = ()  # facts skipped by the replay, oldest first

    def of(self, code: str) -> OperationStatus:
        return next(op for op in self.operations if op.code == code)


@dataclass
class _Replay:
    done: bool = False
    running: bool = False
    blocked: bool = False
    rework: bool = False
    passes: int = 0
    station: str | None = None
    started_at: datetime | None = None


def derive_progress(operations: Sequence[Operation], facts: Iterable[OperationFact]) -> Progress:
    """Each operation's state, and the work order's, from the facts (in any order: they are sorted here)."""
    index = {op.code: k for k, op in enumerate(operations)}
    replay = [_Replay() for _ in operations]
    reserved = cancelled = False
    shortages: tuple[Shortage, ...] = ()
    invalid: list[InvalidFact] = []
    for fact in sorted(facts, key=lambda f: f.occurred_at):  # stable: same-time facts keep arrival order
        if fact.event_type == EventType.MATERIAL_RESERVED:
            reserved, shortages = True, ()
            continue
        if fact.event_type == EventType.MATERIAL_SHORT:
            short = _shortages(fact.payload)
            if short is None:
                invalid.append(_invalid(fact, "its payload.shortages is not a list of shortages"))
                continue
            reserved, shortages = False, short
            continue
        if fact.event_type == EventType.CANCELLED:
            cancelled = True
            continue
        k = index.get(fact.operation)
        if k is None:  # stored before ingest checked operations (or written around it): shown, not replayed
            invalid.append(_invalid(fact, f"the work order has no operation {fact.operation!r}"))
            continue
        op, r = operations[k], replay[k]
        match fact.event_type:
            case EventType.STARTED:
                r.running, r.station, r.started_at = True, fact.station or r.station, fact.occurred_at
            case EventType.FINISHED | EventType.QC_PASSED:
                r.running, r.done, r.rework = False, True, False
                r.passes += 1
            case EventType.QC_FAILED:
                # The inspection may name an earlier operation to redo (a final check failing on length
                # sends the pair back to lasting); else the routing's own rework step.
                named = str(fact.payload.get("rework_to") or "") if isinstance(fact.payload, Mapping) else ""
                back = index[named] if named in index and index[named] <= k else index.get(op.rework_to or "", k)
                for j in range(min(back, k), k + 1):  # everything from the named operation to this inspection
                    replay[j].done, replay[j].running = False, False
                    replay[j].rework = j != k
                r.passes += 1
            case EventType.BLOCKED:
                r.blocked = True
            case EventType.UNBLOCKED:
                r.blocked = False
    statuses = []
    previous_done = True
    for op, r in zip(operations, replay, strict=True):
        if r.blocked:
            state = OperationState.BLOCKED
        elif r.done:
            state = OperationState.DONE
        elif r.running:
            state = OperationState.IN_PROGRESS
        elif r.rework:
            state = OperationState.REWORK
        elif not previous_done:
            state = OperationState.PENDING
        elif op.needs_material and not reserved:
            state = OperationState.WAITING_MATERIAL
        else:
            state = OperationState.READY
        statuses.append(OperationStatus(op.seq, op.code, state, r.passes, r.station, r.started_at))
        previous_done = previous_done and state == OperationState.DONE
    return Progress(_order_state(statuses, cancelled), tuple(statuses), reserved, shortages, tuple(invalid))


def _invalid(fact: OperationFact, reason: str) -> InvalidFact:
    return InvalidFact(fact.event_id, fact.event_type.value, fact.operation, reason)


def _shortages(payload: Any) -> tuple[Shortage, ...] | None:
    """A material_short fact's shortages; None when its payload cannot be read as them."""
    items = payload.get("shortages", ()) if isinstance(payload, Mapping) else None
    if not isinstance(items, list | tuple):
        return None
    try:
        return tuple(Shortage.from_dict(item) for item in items)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _order_state(statuses: Sequence[OperationStatus], cancelled: bool) -> WorkOrderState:
    states = {s.state for s in statuses}
    if cancelled:
        return WorkOrderState.CANCELLED
    if states <= {OperationState.DONE}:
        return WorkOrderState.DONE
    for op_state, order_state in (
        (OperationState.BLOCKED, WorkOrderState.BLOCKED),
        (OperationState.REWORK, WorkOrderState.REWORK),
        (OperationState.IN_PROGRESS, WorkOrderState.IN_PROGRESS),
    ):
        if op_state in states:
            return order_state
    first_open = next(s for s in statuses if s.state != OperationState.DONE)
    if first_open.state == OperationState.WAITING_MATERIAL:
        return WorkOrderState.AWAITING_MATERIAL
    if first_open.state == OperationState.READY:
        return WorkOrderState.IN_PROGRESS if OperationState.DONE in states else WorkOrderState.READY
    return WorkOrderState.PENDING


def check_event(operations: Sequence[Operation], progress: Progress, fact: OperationFact) -> None:
    """Refuse an event that contradicts the work order as it stands (``OperationEventError``, 409)."""
    if progress.state == WorkOrderState.CANCELLED:
        raise OperationEventError("the work order is cancelled")
    if fact.event_type in ORDER_LEVEL_EVENTS:
        return
    try:
        status = progress.of(fact.operation)
    except StopIteration:
        raise OperationEventError(
            f"the work order has no operation {fact.operation!r}", operation=fact.operation
        ) from None
    op = next(o for o in operations if o.code == fact.operation)
    if status.state == OperationState.WAITING_MATERIAL and fact.event_type not in BLOCKING_EVENTS:
        reasons = "; ".join(s.sentence() for s in progress.shortages) or "its components are not reserved"
        raise AwaitingMaterialError(
            f"cannot record {fact.event_type.value} on {op.code}: the work order awaits material: {reasons}",
            operation=op.code, shortages=[s.to_dict() for s in progress.shortages],
        )  # fmt: skip
    allowed: dict[EventType, set[OperationState]] = {
        EventType.STARTED: {OperationState.READY, OperationState.REWORK},
        EventType.FINISHED: {OperationState.IN_PROGRESS},
        EventType.QC_PASSED: {OperationState.IN_PROGRESS, OperationState.READY},
        EventType.QC_FAILED: {OperationState.IN_PROGRESS, OperationState.READY},
        EventType.BLOCKED: {s for s in OperationState if s not in (OperationState.DONE, OperationState.BLOCKED)},
        EventType.UNBLOCKED: {OperationState.BLOCKED},
    }
    if fact.event_type in (EventType.QC_PASSED, EventType.QC_FAILED) and not op.qc_point:
        raise OperationEventError(f"{op.code} is not a QC point", operation=op.code)
    if fact.event_type == EventType.FINISHED and op.qc_point:
        raise OperationEventError(f"{op.code} is a QC point: report qc_passed or qc_failed", operation=op.code)
    if status.state not in allowed[fact.event_type]:
        raise OperationEventError(
            f"cannot record {fact.event_type.value} on {op.code}: it is {status.state.value}",
            operation=op.code, state=status.state.value,
        )  # fmt: skip
