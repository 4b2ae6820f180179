"""Ingest on SQLite and PostgreSQL: idempotent by event id, the same states whatever the delivery order,
a ledger entry per stored event, duration models learned as events arrive, ETAs and delay alerts."""

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from manufacturing.db.models import DurationStat, LedgerEntry, TrackingEvent
from manufacturing.db.session import session_scope
from manufacturing.ledger.ledger import sha256_hex
from manufacturing.ledger.service import seal_days, verify_all, verify_pair
from manufacturing.tracking.eta import delay_alerts, pair_etas
from manufacturing.tracking.events import EventFieldError, parse_event, parse_events
from manufacturing.tracking.ingest import ingest, ingest_committed
from manufacturing.tracking.learning import DurationLearner, relearn_all
from manufacturing.tracking.service import pair_progress
from tests.manufacturing.tracking.shop import DERBY_OPERATIONS, T0, Shop, full_run, scan

NOW = T0 + timedelta(days=2)


def send(shop: Shop, messages: list[dict], now=NOW):
    return ingest_committed(shop.sessions, parse_events(messages), now=now)


def count(shop: Shop, model) -> int:
    with session_scope(shop.sessions) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_duplicates_and_shuffled_delivery_give_the_same_states(shop: Shop) -> None:
    a, b = shop.serials[:2]
    messages_a, messages_b = full_run(a), full_run(b)
    first = send(shop, messages_a)
    assert (first.stored, first.duplicates) == (len(messages_a), 0)
    again = send(shop, messages_a[:5])
    assert (again.stored, again.duplicates) == (0, 5)
    shuffled = messages_b + messages_b[::3]  # redelivered, in a random order, in small batches
    random.Random(7).shuffle(shuffled)
    for k in range(0, len(shuffled), 4):
        send(shop, shuffled[k : k + 4])
    kits = len(shop.serials)  # one inventory fact per pair: its kit reserved at release
    assert count(shop, TrackingEvent) == len(messages_a) + len(messages_b) + kits
    assert count(shop, LedgerEntry) == len(messages_a) + len(messages_b) + kits
    with session_scope(shop.sessions) as session:
        pa, pb = pair_progress(session, a), pair_progress(session, b)
    assert pa["work_order"]["state"] == pb["work_order"]["state"] == "done"
    assert [o["state"] for o in pb["work_order"]["operations"]] == ["done"] * len(DERBY_OPERATIONS)
    assert pb["work_order"]["done_fraction"] == 1.0
    with session_scope(shop.sessions) as session:
        assert verify_pair(session, b).ok and verify_all(session).ok


def test_partial_progress_and_unknown_pairs(shop: Shop) -> None:
    serial = shop.serials[0]
    result = send(shop, [*full_run(serial)[:5], scan("CS26-NOPE", "cutting", "started", 1)])
    assert result.unknown_serials == ("CS26-NOPE",) and result.stored == 5
    with session_scope(shop.sessions) as session:
        states = {o["code"]: o["state"] for o in pair_progress(session, serial)["work_order"]["operations"]}
    assert states["cutting"] == "done" and states["skiving"] == "in_progress" and states["lasting"] == "pending"


def test_durations_are_learned_robustly_as_events_arrive(shop: Shop) -> None:
    for k, serial in enumerate(shop.serials):
        send(shop, full_run(serial, start=k * 200, minutes=10 + k))
    with session_scope(shop.sessions) as session:
        cutting = session.scalars(select(DurationStat).where(DurationStat.operation == "cutting",
                                                             DurationStat.kind == "work")).one()  # fmt: skip
    assert cutting.count == 3 and cutting.median_minutes == pytest.approx(11.0)
    assert cutting.mad_minutes == pytest.approx(1.0)
    send(shop, full_run(shop.serials[0])[:4])  # resent: nothing learned twice
    with session_scope(shop.sessions) as session:
        assert session.get(DurationStat, cutting.id).count == 3


def test_eta_and_an_alert_naming_the_bottleneck(shop: Shop) -> None:
    # History: two pairs done, closing takes 6 hours instead of ≈ 24 min; the third has just been cut.
    for k, serial in enumerate(shop.serials[:2]):
        run = full_run(serial, start=k * 5, minutes=5)
        for m in run:
            if m["operation"] == "closing_machine" and m["event_type"] == "finished":
                m["occurred_at"] = (T0 + timedelta(minutes=k * 5 + 21 + 360)).isoformat()
        send(shop, run, now=T0 + timedelta(days=1))
    third = shop.serials[2]
    send(shop, full_run(third)[:4], now=T0 + timedelta(days=1))
    with session_scope(shop.sessions) as session:
        etas = {e.serial: e for e in pair_etas(session, now=T0 + timedelta(minutes=30))}
        alerts = delay_alerts(session, now=T0 + timedelta(days=1, hours=15))  # Tuesday 22:00, due Wednesday 07:00
    assert set(etas) == {third}  # the others are done
    assert etas[third].forecast.bottleneck[0] == "closing_machine"
    assert etas[third].forecast.remaining_minutes > 150  # two slow closings, shrunk toward the standard
    assert [a.serial for a in alerts] == [third] and alerts[0].late


def test_events_are_validated_field_by_field() -> None:
    good = scan("CS26-X", "cutting", "started", 0)
    assert parse_event(good).operation == "cutting"
    for field, value in [("event_type", "exploded"), ("occurred_at", "yesterday"), ("occurred_at", "2026-03-16T07:00"),
                         ("pair_serial", ""), ("station", 12), ("payload", [1])]:  # fmt: skip
        with pytest.raises(EventFieldError) as error:
            parse_event({**good, field: value})
        assert error.value.details["field"] == field
    with pytest.raises(EventFieldError) as error:
        parse_events([good, {**good, "event_id": None}])
    assert error.value.details == {"index": 1, "field": "event_id"}
    with pytest.raises(EventFieldError, match="future"):
        parse_event(good, now=T0 - timedelta(hours=1))


def test_days_sealed_and_an_edit_on_a_sealed_day_caught(shop: Shop) -> None:
    send(shop, full_run(shop.serials[0]), now=T0)
    with session_scope(shop.sessions) as session:
        sealed = seal_days(session, now=T0 + timedelta(days=1))
        # the 18 readings of the first pair and the 3 pairs' kit reservations at release
        assert [(d, n) for d, _, n in sealed] == [(T0.date().isoformat(), 18 + len(shop.serials))]
        ingest(session, parse_events(full_run(shop.serials[1])), now=T0 + timedelta(days=1))
        assert verify_all(session).ok
    with session_scope(shop.sessions) as session:
        # seq 4: after the kit reservation, material reserved and issued, the cutter (W-7) starts
        row = session.scalars(select(LedgerEntry).where(LedgerEntry.seq == 4, LedgerEntry.day == "2026-03-16")).one()
        row.body = row.body.replace("W-7", "W-8")
        row.entry_hash = sha256_hex(row.body)  # a careful forger rehashes the entry
    with session_scope(shop.sessions) as session:
        report = verify_all(session)
        assert not report.ok and report.day_problems  # the sealed root no longer matches
        assert {p.what for v in report.verifications for p in v.problems} >= {"link", "event"}


def test_shuffled_delivery_learns_each_work_observation_once_and_a_rebuild_fixes_waits(shop: Shop) -> None:
    messages = [m for k, serial in enumerate(shop.serials) for m in full_run(serial, start=k * 200, minutes=10 + k)]
    random.Random(3).shuffle(messages)  # finishes before their starts, starts before the completion they follow
    learner = DurationLearner(shop.sessions, flush_s=0.01)
    for k in range(0, len(messages), 5):
        ingest_committed(shop.sessions, parse_events(messages[k : k + 5]), now=NOW, learner=learner)
    learner.stop()
    assert learner.failures == 0

    def stats() -> dict:
        with session_scope(shop.sessions) as session:
            rows = session.scalars(select(DurationStat)).all()
            return {(r.work_centre, r.operation, r.kind): (r.count, r.median_minutes, sorted(r.samples)) for r in rows}

    learned = stats()
    assert learned[("CUTTING", "cutting", "work")] == (3, 11.0, [10.0, 11.0, 12.0])
    with session_scope(shop.sessions) as session:
        relearn_all(session, now=NOW)
    rebuilt = stats()
    work = {key for key in rebuilt if key[2] == "work"}
    assert len(work) == len(DERBY_OPERATIONS) and {k: learned[k] for k in work} == {k: rebuilt[k] for k in work}
    # A wait learned from the completion known when its start arrived is not retracted when the true previous
    # completion turns up later; the rebuild keeps only the true 2-minute waits.
    assert all(rebuilt[k] == (3, 2.0, [2.0] * 3) for k in rebuilt if k[2] == "wait")
    assert all(learned[k][0] >= 3 for k in rebuilt if k[2] == "wait")
