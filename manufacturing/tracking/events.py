"""The scan event, pure: what an RFID or barcode reader, a terminal or a machine reports, validated at the
boundary with errors that name the bad field.

A reader sends JSON like ``{"event_id": "…", "pair_serial": "CS26-…", "station": "CLS-1", "operation":
"closing_machine", "event_type": "finished", "occurred_at": "2026-03-16T07:42:10Z", "reader_id": "rfid-7",
"payload": {"worker": "W-12"}}``. ``event_id`` is the reporter's own id: ingest is idempotent by it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from geometry.errors import ConflictError, InputError
from manufacturing.inventory.shortage import Shortage
from manufacturing.planning.routing import TEMPLATES
from manufacturing.planning.work_orders import ORDER_LEVEL_EVENTS, WORK_ORDER_OPERATION, EventType

# Beyond the work-order facts: a pair read passing a station, and a material lot issued to it.
SCANNED = "scanned"
MATERIAL_ISSUED = "material_issued"
EVENT_TYPES = frozenset({*(e.value for e in EventType), SCANNED, MATERIAL_ISSUED})
QC_EVENTS = frozenset({EventType.QC_PASSED.value, EventType.QC_FAILED.value})
# Facts about one operation (not the work order as a whole): they must name an operation of the routing.
OPERATION_FACTS = frozenset(e.value for e in EventType if e not in ORDER_LEVEL_EVENTS)
# What an event may name before its pair's work order (and so its routing) exists: any routing's operation.
ANY_OPERATION = frozenset(TEMPLATES)
MAX_CLOCK_SKEW = timedelta(minutes=10)  # a reader's clock may run ahead of ours by this much
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-/]{0,63}$")
_MAX_PAYLOAD_KEYS = 32
# A payload is a few facts (worker, lot, defects): these bounds keep one event from weighing on every read of its
# pair (the ledger hashes it, the timeline and the passport show it).
MAX_PAYLOAD_BYTES = 4096  # as compact JSON
MAX_PAYLOAD_DEPTH = 4  # nested objects or arrays below the payload itself
MAX_BATCH_EVENTS = 1000


class EventFieldError(InputError):
    """A scan event with a missing or invalid field; ``field`` names it (and ``index`` its place in a batch)."""

    code = "invalid_tracking_event"


class EventPayloadTooLargeError(EventFieldError):
    """A payload over ``MAX_PAYLOAD_BYTES`` or nested deeper than ``MAX_PAYLOAD_DEPTH``, or a batch over
    ``MAX_BATCH_EVENTS``."""

    code = "event_too_large"


class EventReferenceError(InputError):
    """A well-formed event that names something the shop does not know: it is refused, not stored (a stored
    event is a fact every later read replays)."""

    code = "unknown_event_reference"


class UnknownPairError(EventReferenceError):
    code = "unknown_pair"


class UnknownOperationError(EventReferenceError):
    """The operation is not one of the pair's routing (or, before its work order is released, of any routing)."""

    code = "unknown_operation"


class EventConflictError(ConflictError):
    """An ``event_id`` already stored for a different fact: a resend must be the same event, byte for byte in
    meaning; anything else would be silently dropped."""

    code = "event_conflict"


@dataclass(frozen=True)
class ScanEvent:
    event_id: str
    pair_serial: str
    station: str  # the work centre (or reader location) that saw it
    operation: str  # a routing operation code, or ``work_order`` for order-level facts
    event_type: str
    occurred_at: datetime  # aware UTC, the reporter's clock
    reader_id: str  # the reader, terminal or machine that reported it
    payload: Mapping[str, Any] = field(default_factory=dict)  # worker, lot, defects, ...

    @property
    def worker(self) -> str | None:
        worker = self.payload.get("worker")
        return str(worker) if worker is not None else None


def _text(
    data: Mapping[str, Any], name: str, pattern: re.Pattern[str] | None = _NAME, default: str | None = None
) -> str:
    value = data.get(name, default)
    if value is None:
        raise EventFieldError(f"{name} is missing", field=name)
    if not isinstance(value, str) or not value.strip():
        raise EventFieldError(f"{name} must be a non-empty string, got {value!r}", field=name)
    value = value.strip()
    if pattern is not None and not pattern.match(value):
        raise EventFieldError(f"{name} {value!r} must be 1–64 letters, digits or _ . : - /", field=name)
    return value


def _time(value: Any, name: str, now: datetime | None) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise EventFieldError(f"{name} {value!r} is not an ISO 8601 time", field=name) from None
    elif value is None:
        raise EventFieldError(f"{name} is missing", field=name)
    else:
        raise EventFieldError(f"{name} must be an ISO 8601 string, got {type(value).__name__}", field=name)
    if moment.tzinfo is None:
        raise EventFieldError(f"{name} {value!r} has no time zone (send UTC, e.g. ...Z)", field=name)
    moment = moment.astimezone(UTC)
    if now is not None and moment > now + MAX_CLOCK_SKEW:
        raise EventFieldError(f"{name} {moment.isoformat()} is in the future", field=name)
    return moment


def parse_event(data: Any, now: datetime | None = None, station: str | None = None) -> ScanEvent:
    """A validated ``ScanEvent`` from a reader's JSON object (``EventFieldError`` naming the field otherwise).
    ``station`` fills a missing station (MQTT: from the topic)."""
    if not isinstance(data, Mapping):
        raise EventFieldError(f"an event must be a JSON object, got {type(data).__name__}", field="event")
    event_type = _text(data, "event_type", None)
    if event_type not in EVENT_TYPES:
        raise EventFieldError(
            f"event_type {event_type!r} is not one of {', '.join(sorted(EVENT_TYPES))}", field="event_type"
        )
    payload = data.get("payload") or {}
    if not isinstance(payload, Mapping):
        raise EventFieldError("payload must be a JSON object", field="payload")
    if len(payload) > _MAX_PAYLOAD_KEYS:
        raise EventFieldError(f"payload has {len(payload)} keys, at most {_MAX_PAYLOAD_KEYS}", field="payload")
    _check_payload_size(payload)
    if event_type == MATERIAL_ISSUED and not isinstance(payload.get("lot"), str):
        raise EventFieldError("a material_issued event names its lot (payload.lot)", field="payload.lot")
    if event_type == EventType.MATERIAL_SHORT.value and not _shortages_readable(payload.get("shortages")):
        raise EventFieldError("a material_short event lists its shortages (payload.shortages: [{material_id, "
                              "needed, available, unit}])", field="payload.shortages")  # fmt: skip
    order_level = event_type in (EventType.MATERIAL_RESERVED.value, EventType.CANCELLED.value)
    operation = _text(data, "operation", default=WORK_ORDER_OPERATION if order_level else None)
    return ScanEvent(
        event_id=_text(data, "event_id"),
        pair_serial=_text(data, "pair_serial"),
        station=_text(data, "station", default=station),
        operation=operation,
        event_type=event_type,
        occurred_at=_time(data.get("occurred_at"), "occurred_at", now),
        reader_id=_text(data, "reader_id"),
        payload=dict(payload),
    )


def _depth(value: Any, limit: int) -> int:
    """How deep ``value`` nests (0 for a scalar), counting no further than ``limit`` + 1."""
    if limit < 0 or not isinstance(value, Mapping | list | tuple):
        return 0
    children = value.values() if isinstance(value, Mapping) else value
    return 1 + max((_depth(child, limit - 1) for child in children), default=0)


def _check_payload_size(payload: Mapping[str, Any]) -> None:
    depth = _depth(payload, MAX_PAYLOAD_DEPTH + 1) - 1
    if depth > MAX_PAYLOAD_DEPTH:
        raise EventPayloadTooLargeError(f"payload nests deeper than {MAX_PAYLOAD_DEPTH} levels", field="payload",
                                        limit=MAX_PAYLOAD_DEPTH)  # fmt: skip
    try:
        size = len(json.dumps(payload, separators=(",", ":"), allow_nan=False).encode())
    except (TypeError, ValueError):
        raise EventFieldError("payload must be plain JSON (no NaN or infinity)", field="payload") from None
    if size > MAX_PAYLOAD_BYTES:
        raise EventPayloadTooLargeError(f"payload is {size} bytes as JSON, at most {MAX_PAYLOAD_BYTES}",
                                        field="payload", limit=MAX_PAYLOAD_BYTES)  # fmt: skip


def _shortages_readable(items: Any) -> bool:
    if not isinstance(items, list):
        return False
    for item in items:
        try:
            Shortage.from_dict(item)
        except (KeyError, TypeError, ValueError, AttributeError):
            return False
    return True


def parse_events(data: Any, now: datetime | None = None, station: str | None = None) -> list[ScanEvent]:
    """One event (an object) or a batch (a list of objects); a bad event fails the batch, naming its index."""
    items = data if isinstance(data, list) else [data]
    if len(items) > MAX_BATCH_EVENTS:
        raise EventPayloadTooLargeError(f"a batch has at most {MAX_BATCH_EVENTS} events, got {len(items)}",
                                        field="events", limit=MAX_BATCH_EVENTS)  # fmt: skip
    events = []
    for index, item in enumerate(items):
        try:
            events.append(parse_event(item, now, station))
        except EventFieldError as exc:
            if isinstance(data, list):
                raise type(exc)(f"event {index}: {exc.message}", index=index, **exc.details) from None
            raise
    return events


def reference_problem(event_type: str, operation: str, routing_codes: frozenset[str] | None) -> str | None:
    """Why an event names something its pair cannot have (None: nothing): an unknown event type, an operation
    outside the pair's routing (``routing_codes``; None before its work order is released: outside every
    routing), or an operation fact naming the work order as a whole."""
    if event_type not in EVENT_TYPES:
        return f"unknown event type {event_type!r}"
    if operation == WORK_ORDER_OPERATION:
        return f"{event_type} is about one operation: name it, not {WORK_ORDER_OPERATION!r}" if (
            event_type in OPERATION_FACTS) else None  # fmt: skip
    if routing_codes is None:
        return None if operation in ANY_OPERATION else f"no routing has an operation {operation!r}"
    return None if operation in routing_codes else f"the work order has no operation {operation!r}"


def same_fact(event: ScanEvent, pair_id: int, stored: Any) -> bool:
    """Whether a stored ``tracking_event`` row (by the same ``event_id``) holds this very event: a resend."""
    return (stored.pair_id == pair_id and stored.station == event.station and stored.operation == event.operation
            and stored.event_type == event.event_type and stored.source == event.reader_id
            and stored.occurred_at == event.occurred_at
            and _canonical(stored.payload or {}) == _canonical(event.payload))  # fmt: skip


def _canonical(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


def event_json(event: ScanEvent) -> dict[str, Any]:
    return {
        "event_id": event.event_id, "pair_serial": event.pair_serial, "station": event.station,
        "operation": event.operation, "event_type": event.event_type,
        "occurred_at": event.occurred_at.isoformat(), "reader_id": event.reader_id, "payload": dict(event.payload),
    }  # fmt: skip
