"""The scan event, pure: what an RFID or barcode reader, a terminal or a machine reports, validated at the
boundary with errors that name the bad field.

A reader sends JSON like ``{"event_id": "…", "pair_serial": "CS26-…", "station": "CLS-1", "operation":
"closing_machine", "event_type": "finished", "occurred_at": "2026-03-16T07:42:10Z", "reader_id": "rfid-7",
"payload": {"worker": "W-12"}}``. ``event_id`` is the reporter's own id: ingest is idempotent by it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from geometry.errors import InputError
from manufacturing.planning.work_orders import WORK_ORDER_OPERATION, EventType

# Beyond the work-order facts: a pair read passing a station, and a material lot issued to it.
SCANNED = "scanned"
MATERIAL_ISSUED = "material_issued"
EVENT_TYPES = frozenset({*(e.value for e in EventType), SCANNED, MATERIAL_ISSUED})
QC_EVENTS = frozenset({EventType.QC_PASSED.value, EventType.QC_FAILED.value})
MAX_CLOCK_SKEW = timedelta(minutes=10)  # a reader's clock may run ahead of ours by this much
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-/]{0,63}$")
_MAX_PAYLOAD_KEYS = 32


class EventFieldError(InputError):
    """A scan event with a missing or invalid field; ``field`` names it (and ``index`` its place in a batch)."""

    code = "invalid_tracking_event"


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
    if event_type == MATERIAL_ISSUED and not isinstance(payload.get("lot"), str):
        raise EventFieldError("a material_issued event names its lot (payload.lot)", field="payload.lot")
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


def parse_events(data: Any, now: datetime | None = None, station: str | None = None) -> list[ScanEvent]:
    """One event (an object) or a batch (a list of objects); a bad event fails the batch, naming its index."""
    items = data if isinstance(data, list) else [data]
    events = []
    for index, item in enumerate(items):
        try:
            events.append(parse_event(item, now, station))
        except EventFieldError as exc:
            if isinstance(data, list):
                raise EventFieldError(f"event {index}: {exc.message}", index=index, **exc.details) from None
            raise
    return events


def event_json(event: ScanEvent) -> dict[str, Any]:
    return {
        "event_id": event.event_id, "pair_serial": event.pair_serial, "station": event.station,
        "operation": event.operation, "event_type": event.event_type,
        "occurred_at": event.occurred_at.isoformat(), "reader_id": event.reader_id, "payload": dict(event.payload),
    }  # fmt: skip
