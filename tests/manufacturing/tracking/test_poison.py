"""Events that cannot poison (issue 18, finding 5), on SQLite and PostgreSQL: ingest refuses, event by event, what
names an unknown pair or operation or reuses an event id for another event; payloads are bounded; and an invalid
event already stored (by an older version, or written around ingest) never makes a read fail: every view skips
it and shows it as invalid."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from manufacturing.boards.pairs import PairFilters, list_pairs, state_counts
from manufacturing.boards.schedule import replan, schedule_view, station_queues
from manufacturing.boards.timeline import pair_timeline
from manufacturing.db.models import Pair, TrackingEvent
from manufacturing.db.repositories import get_pair_by_serial
from manufacturing.db.session import session_scope
from manufacturing.planning import service as planning
from manufacturing.tracking.eta import pair_eta
from manufacturing.tracking.events import (
    MAX_BATCH_EVENTS,
    MAX_PAYLOAD_BYTES,
    EventFieldError,
    EventPayloadTooLargeError,
    parse_event,
    parse_events,
)
from manufacturing.tracking.ingest import ingest_committed
from manufacturing.tracking.kpi import kpis
from manufacturing.tracking.service import pair_progress
from tests.manufacturing.tracking.shop import T0, Shop, full_run, scan

NOW = T0 + timedelta(days=2)


def send(shop: Shop, messages: list[dict]):
    return ingest_committed(shop.sessions, parse_events(messages), now=NOW)


def stored_ids(shop: Shop) -> set[str]:
    with session_scope(shop.sessions) as session:
        return set(session.scalars(select(TrackingEvent.event_id)))


def test_unknown_pairs_and_operations_are_refused_one_by_one_and_the_rest_stored(shop: Shop) -> None:
    serial = shop.serials[0]
    good = scan(serial, "cutting", "started", 1)
    gluing = scan(serial, "gluing", "started", 2)  # no such operation in a derby's routing
    whole = scan(serial, "work_order", "finished", 3)  # an operation fact naming the work order
    nobody = scan("CS26-NOPE", "cutting", "started", 4)
    lot = scan(serial, "work_order", "material_issued", 5, lot="LOT-1")  # order-level: the work order is fine
    result = send(shop, [good, gluing, whole, nobody, lot])
    assert (result.received, result.stored, result.duplicates) == (5, 2, 0)
    assert [(r.index, r.code) for r in result.refused] == [
        (1, "unknown_operation"), (2, "unknown_operation"), (3, "unknown_pair")]  # fmt: skip
    assert "gluing" in result.refused[0].message and result.refused[0].details["field"] == "operation"
    assert result.unknown_serials == ("CS26-NOPE",)
    ids = stored_ids(shop)
    assert good["event_id"] in ids and lot["event_id"] in ids
    assert not ids & {gluing["event_id"], whole["event_id"], nobody["event_id"]}
    with session_scope(shop.sessions) as session:
        progress = pair_progress(session, serial)
    assert progress["invalid_events"] == [] and progress["work_order"]["operations"][0]["state"] == "in_progress"


def test_a_reused_event_id_with_other_content_is_a_conflict_and_a_resend_is_not(shop: Shop) -> None:
    serial = shop.serials[0]
    first = scan(serial, "cutting", "started", 1)
    assert send(shop, [first]).stored == 1
    again = send(shop, [first])
    assert (again.stored, again.duplicates, again.refused) == (0, 1, ())
    other = {**first, "station": "SKIVING", "operation": "skiving"}
    conflict = send(shop, [other])
    assert (conflict.stored, conflict.duplicates) == (0, 0)
    assert [(r.index, r.code, r.error.http_status) for r in conflict.refused] == [(0, "event_conflict", 409)]
    # Within one batch too: the first of the two is stored, the other refused.
    twin = scan(serial, "skiving", "started", 20)
    batch = send(shop, [twin, twin, {**twin, "occurred_at": (T0 + timedelta(minutes=21)).isoformat()}])
    assert (batch.stored, batch.duplicates) == (1, 1)
    assert [(r.index, r.code) for r in batch.refused] == [(2, "event_conflict")]
    with session_scope(shop.sessions) as session:
        row = session.scalars(select(TrackingEvent).where(TrackingEvent.event_id == first["event_id"])).one()
        assert (row.operation, row.station) == ("cutting", first["station"])  # the stored event is untouched


def test_payloads_and_batches_are_bounded() -> None:
    base = scan("CS26-TRK000", "cutting", "started", 1)
    deep: dict = {"worker": "W-1"}
    for _ in range(6):
        deep = {"nested": deep}
    with pytest.raises(EventPayloadTooLargeError) as error:
        parse_event({**base, "payload": deep})
    assert error.value.code == "event_too_large" and error.value.details["field"] == "payload"
    with pytest.raises(EventPayloadTooLargeError, match="bytes"):
        parse_event({**base, "payload": {"note": "x" * MAX_PAYLOAD_BYTES}})
    with pytest.raises(EventPayloadTooLargeError) as batch_error:
        parse_events([base] * (MAX_BATCH_EVENTS + 1))
    assert batch_error.value.details["field"] == "events"
    with pytest.raises(EventPayloadTooLargeError) as indexed:
        parse_events([base, {**base, "payload": deep}])
    assert indexed.value.details["index"] == 1
    with pytest.raises(EventFieldError) as short:
        parse_event(scan("CS26-TRK000", "work_order", "material_short", 1, shortages="everything"))
    assert short.value.details["field"] == "payload.shortages"
    parse_event({**base, "payload": {"defects": [{"code": "D1", "zone": {"x": 1}}]}})  # a few levels are fine


def insert_poison(shop: Shop, serial: str) -> dict[str, str]:
    """Events as an older version stored them, straight into the table (no ingest checks): {event id: kind}."""
    kinds = {"p-gluing": ("gluing", "started", {}), "p-whole": ("work_order", "finished", {}),
             "p-short": ("work_order", "material_short", {"shortages": "lots"}),
             "p-type": ("cutting", "exploded", {})}  # fmt: skip
    with session_scope(shop.sessions) as session:
        pair_id = get_pair_by_serial(session, serial).id
        for k, (event_id, (operation, event_type, payload)) in enumerate(kinds.items()):
            session.add(TrackingEvent(event_id=event_id, pair_id=pair_id, station="OLD", operation=operation,
                                      event_type=event_type, occurred_at=T0 + timedelta(minutes=30 + k),
                                      received_at=T0, source="old-reader", payload=payload))  # fmt: skip
    return {event_id: operation for event_id, (operation, _, _) in kinds.items()}


def test_an_invalid_stored_event_is_shown_by_every_read_and_breaks_none(shop: Shop) -> None:
    serial = shop.serials[0]
    send(shop, full_run(serial)[:5])  # reserved, issued, cutting done, skiving started
    with session_scope(shop.sessions) as session:
        before = pair_progress(session, serial)["work_order"]
    poison = insert_poison(shop, serial)
    with session_scope(shop.sessions) as session:
        progress = pair_progress(session, serial)
        assert progress["work_order"] == before  # skipped: the states are what the valid events say
        assert {e["event_id"] for e in progress["invalid_events"]} == set(poison)
        assert all(e["reason"] for e in progress["invalid_events"])
        assert progress["events"] == 1 + 5 + len(poison)
        timeline = pair_timeline(session, serial)
        marked = {e["event_id"]: e.get("invalid") for e in timeline["entries"] if e["kind"] == "event"}
        assert {k for k, v in marked.items() if v} == set(poison)
        # What the order and run views read (finding 5: it raised, a 409, for good).
        status = planning.work_order_status(session, shop.work_orders[serial])
        assert status.state.value == before["state"] and len(status.progress.invalid) == len(poison) - 1
        queues = station_queues(session)
        queued = [i for q in [*queues["queues"], *queues["unassigned"]] for i in q["in_progress"]]
        assert [i["operation"] for i in queued if i["pair_serial"] == serial] == ["skiving"]
        assert pair_eta(session, status.pair_id, now=NOW) is not None
        assert kpis(session)["pairs"] == len(shop.serials)
        rows, total = list_pairs(session, PairFilters.checked(now=NOW), 0, 50)
        assert total == len(shop.serials) and {r.serial: r.state for r in rows}[serial] == before["state"]
        assert state_counts(session, PairFilters.checked(now=NOW))["total"] == len(shop.serials)
    with session_scope(shop.sessions) as session:
        planned = replan(session, now=NOW, time_limit_s=2.0)  # shop-wide re-planning
        assert serial in planned["pair_eta"]
    with session_scope(shop.sessions) as session:
        assert any(b["pair_serial"] == serial for b in schedule_view(session)["operations"])


def test_a_pair_not_released_takes_any_routing_operation_only(shop: Shop) -> None:
    with session_scope(shop.sessions) as session:
        known = session.scalars(select(Pair).where(Pair.serial == shop.serials[0])).one()
        session.add(Pair(serial="CS26-NEW01", order_id=known.order_id, design_id=known.design_id))
    result = send(shop, [scan("CS26-NEW01", "cutting", "started", 1), scan("CS26-NEW01", "gluing", "started", 2)])
    assert result.stored == 1 and [r.code for r in result.refused] == ["unknown_operation"]
    with session_scope(shop.sessions) as session:
        progress = pair_progress(session, "CS26-NEW01")
        count = session.scalar(select(func.count()).select_from(TrackingEvent))
    assert progress["work_order"] is None and progress["events"] == 1 and count == len(shop.serials) + 1
