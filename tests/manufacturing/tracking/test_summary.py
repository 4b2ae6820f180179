"""The maintained progress summary (``pair_progress``) on SQLite and PostgreSQL: what ingest stores equals what a
replay of the pair's events gives, after random event sequences delivered in random batches with resends;
after an invalid event written around ingest; when the summary is missing (an older database) or written by
another path (a terminal's event); and reads use it without replaying."""

from __future__ import annotations

import random
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from manufacturing.db.models import Pair, PairProgress, TrackingEvent
from manufacturing.db.repositories import get_pair_by_serial
from manufacturing.db.session import session_scope
from manufacturing.planning import service as planning
from manufacturing.planning.routing import Routing
from manufacturing.planning.work_orders import EventType
from manufacturing.tracking import repository, summary
from manufacturing.tracking.events import parse_events
from manufacturing.tracking.ingest import ingest_committed
from manufacturing.tracking.service import pair_progress
from tests.manufacturing.tracking.shop import BOM, DERBY, DERBY_OPERATIONS, T0, Shop, scan

NOW = T0 + timedelta(days=30)
KINDS = ["started", "finished", "qc_passed", "qc_failed", "blocked", "unblocked", "scanned", "material_reserved",
         "cancelled"]  # fmt: skip


def stored(shop: Shop, pair_id: int) -> summary.PairSummary | None:
    """The summary as the table holds it (no freshness check, no recompute)."""
    with session_scope(shop.sessions) as session:
        rows = repository.stored_summaries(session, [pair_id])
        return summary.PairSummary.from_row(rows[0].summary, rows[0].due_at) if rows else None


def replayed(shop: Shop, pair_id: int) -> summary.PairSummary:
    with session_scope(shop.sessions) as session:
        return summary.recompute(session, [pair_id])[pair_id]


def new_pair(shop: Shop, serial: str, released: bool = True) -> int:
    with session_scope(shop.sessions) as session:
        known = get_pair_by_serial(session, shop.serials[0])
        pair = Pair(serial=serial, order_id=known.order_id, design_id=known.design_id)
        session.add(pair)
        session.flush()
        if released:
            planning.release_work_order(session, pair.id, DERBY, BOM, due_at=T0 + timedelta(days=2), now=T0)
        return pair.id


def message(serial: str, k: int, operation: str, kind: str, minute: int) -> dict:
    operation = "work_order" if kind in ("material_reserved", "cancelled") else operation
    if kind == "qc_failed":
        return scan(serial, operation, kind, minute + k / 1000, rework_to=random.Random(k).choice(DERBY_OPERATIONS))
    return scan(serial, operation, kind, minute + k / 1000)


events_strategy = st.lists(
    st.tuples(st.sampled_from(DERBY_OPERATIONS), st.sampled_from(KINDS), st.integers(0, 40)), min_size=1, max_size=25
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=events_strategy, seed=st.integers(0, 2**16), released=st.booleans())
def test_the_stored_summary_equals_the_replay_after_any_delivery(
    shop: Shop, events: list[tuple[str, str, int]], seed: int, released: bool
) -> None:
    serial = f"CS26-P{seed:05d}{len(events):02d}{int(released)}"
    with session_scope(shop.sessions) as session:
        if session.scalars(select(Pair).where(Pair.serial == serial)).first() is not None:
            return  # hypothesis drew this pair already
    pair_id = new_pair(shop, serial, released)
    messages = [message(serial, k, op, kind, minute) for k, (op, kind, minute) in enumerate(events)]
    rng = random.Random(seed)
    deliveries = messages + rng.sample(messages, len(messages) // 3)  # some resent
    rng.shuffle(deliveries)
    while deliveries:
        cut = rng.randint(1, 5)
        batch, deliveries = deliveries[:cut], deliveries[cut:]
        ingest_committed(shop.sessions, parse_events(batch), now=NOW)
        assert stored(shop, pair_id) == replayed(shop, pair_id)


def test_a_resend_leaves_the_summary_alone_and_reads_do_not_replay(shop: Shop, monkeypatch) -> None:
    serial = shop.serials[0]
    run = [scan(serial, "work_order", "material_reserved", 0), scan(serial, "cutting", "started", 1),
           scan(serial, "cutting", "finished", 11), scan(serial, "skiving", "started", 12)]  # fmt: skip
    ingest_committed(shop.sessions, parse_events(run), now=NOW)
    with session_scope(shop.sessions) as session:
        pair_id = get_pair_by_serial(session, serial).id
    before = stored(shop, pair_id)
    ingest_committed(shop.sessions, parse_events(run[::-1]), now=NOW)  # every event again
    assert stored(shop, pair_id) == before == replayed(shop, pair_id)
    assert before is not None and before.event_count == len(run) + 1 and before.state == "in_progress"

    def no_replay(*_args, **_kwargs):
        raise AssertionError("a read replayed the events")

    monkeypatch.setattr(summary, "recompute", no_replay)
    with session_scope(shop.sessions) as session:
        progress = pair_progress(session, serial)
    assert progress["events"] == len(run) + 1 and progress["work_order"]["operations"][1]["state"] == "in_progress"


def test_a_scan_is_counted_without_a_replay(shop: Shop, monkeypatch) -> None:
    serial = shop.serials[1]
    ingest_committed(shop.sessions, parse_events([scan(serial, "cutting", "started", 1)]), now=NOW)
    calls = []
    real = summary.recompute
    monkeypatch.setattr(summary, "recompute", lambda session, ids: calls.append(sorted(ids)) or real(session, ids))
    ingest_committed(shop.sessions, parse_events([scan(serial, "cutting", "scanned", 5)]), now=NOW)
    assert calls == [[]]  # nothing replayed: the scan changes no state
    with session_scope(shop.sessions) as session:
        pair_id = get_pair_by_serial(session, serial).id
    monkeypatch.setattr(summary, "recompute", real)
    got = stored(shop, pair_id)
    assert got == replayed(shop, pair_id) and got is not None and got.last_seen.event_type == "scanned"


def test_an_event_written_around_ingest_makes_the_next_read_recompute_and_store(shop: Shop) -> None:
    serial = shop.serials[2]
    ingest_committed(shop.sessions, parse_events([scan(serial, "cutting", "started", 1)]), now=NOW)
    with session_scope(shop.sessions) as session:
        pair_id = get_pair_by_serial(session, serial).id
        session.add(TrackingEvent(event_id="old-gluing", pair_id=pair_id, station="OLD", operation="gluing",
                                  event_type="started", occurred_at=T0 + timedelta(minutes=3), received_at=T0,
                                  source="old", payload={}))  # fmt: skip
    assert stored(shop, pair_id) != replayed(shop, pair_id)  # behind: one event more in the table
    with session_scope(shop.sessions) as session:
        progress = pair_progress(session, serial)
    assert [e["event_id"] for e in progress["invalid_events"]] == ["old-gluing"]
    assert stored(shop, pair_id) == replayed(shop, pair_id)  # the read stored what it recomputed
    # A terminal's event (planning, through the ledger's record_event_once) is caught the same way.
    with session_scope(shop.sessions) as session:
        planning.record_operation_event(session, shop.work_orders[serial], EventType.FINISHED, "cutting",
                                        occurred_at=T0 + timedelta(minutes=9))  # fmt: skip
    with session_scope(shop.sessions) as session:
        cutting = pair_progress(session, serial)["work_order"]["operations"][0]
    assert (cutting["code"], cutting["state"]) == ("cutting", "done")
    # Ingest after that replays (its stored summary was behind) and stays right.
    ingest_committed(shop.sessions, parse_events([scan(serial, "skiving", "started", 12)]), now=NOW)
    assert stored(shop, pair_id) == replayed(shop, pair_id)


def test_an_older_database_without_summaries_is_summarised_on_first_read(shop: Shop) -> None:
    serial = shop.serials[0]
    ingest_committed(shop.sessions, parse_events([scan(serial, "cutting", "started", 1)]), now=NOW)
    with session_scope(shop.sessions) as session:
        session.execute(delete(PairProgress))
        pair_id = get_pair_by_serial(session, serial).id
        work_order = repository.work_order_of_pair(session, pair_id)
        assert work_order is not None
        codes = [op.code for op in Routing.from_json(work_order.routing).operations]
    assert stored(shop, pair_id) is None
    with session_scope(shop.sessions) as session:
        summaries = summary.summaries(session, [pair_id])
    assert [op.code for op in summaries[pair_id].operations] == codes
    assert stored(shop, pair_id) == replayed(shop, pair_id) == summaries[pair_id]
