"""The pure cutting-job state machine: claims and leases, expiry, idempotent completion, retries."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from geometry.errors import ConflictError, InputError
from manufacturing.cutting import jobs
from manufacturing.cutting.errors import JobFinishedError, LeaseExpiredError, NotLeaseHolderError
from manufacturing.cutting.jobs import JobFacts
from manufacturing.states import CuttingJobState
from tests.manufacturing.cutting.conftest import T0

LEASE_S = 60.0


def queued(max_attempts: int = 3) -> JobFacts:
    return JobFacts(job_id=7, state=CuttingJobState.QUEUED, max_attempts=max_attempts)


def later(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_claim_takes_the_job_for_the_lease_and_counts_an_attempt() -> None:
    facts = jobs.claim(queued(), "cutter-1", T0, LEASE_S)
    assert facts.state == CuttingJobState.CLAIMED
    assert facts.machine_id == "cutter-1"
    assert facts.lease_expires_at == later(LEASE_S)
    assert facts.attempts == 1
    assert jobs.effective_state(facts, later(LEASE_S - 1)) == CuttingJobState.CLAIMED


def test_a_live_lease_keeps_other_machines_out_and_the_holder_renews_it() -> None:
    facts = jobs.claim(queued(), "cutter-1", T0, LEASE_S)
    with pytest.raises(NotLeaseHolderError, match="held by machine cutter-1"):
        jobs.claim(facts, "cutter-2", later(30), LEASE_S)
    renewed = jobs.claim(facts, "cutter-1", later(30), LEASE_S)
    assert renewed.attempts == 1 and renewed.lease_expires_at == later(30 + LEASE_S)


def test_a_silent_machine_loses_its_lease_and_the_job_is_queued_again() -> None:
    facts = jobs.start_cutting(jobs.claim(queued(), "cutter-1", T0, LEASE_S), "cutter-1", later(5))
    assert jobs.effective_state(facts, later(LEASE_S)) == CuttingJobState.QUEUED  # expiry is inclusive
    assert jobs.is_claimable(facts, later(LEASE_S))
    expired = jobs.expire(facts, later(LEASE_S))
    assert expired is not None
    assert (expired.state, expired.machine_id, expired.lease_expires_at) == (CuttingJobState.QUEUED, None, None)
    assert "lost its lease" in (expired.failure_reason or "")
    taken = jobs.claim(facts, "cutter-2", later(LEASE_S + 1), LEASE_S)
    assert (taken.state, taken.machine_id, taken.attempts) == (CuttingJobState.CLAIMED, "cutter-2", 2)


def test_a_machine_whose_lease_expired_cannot_complete_until_it_claims_again() -> None:
    facts = jobs.claim(queued(), "cutter-1", T0, LEASE_S)
    with pytest.raises(LeaseExpiredError, match=r"lease expired at .*claim the job again") as caught:
        jobs.complete(facts, "cutter-1", later(LEASE_S + 1))
    assert caught.value.http_status == 409 and caught.value.code == "lease_expired"
    assert isinstance(caught.value, ConflictError)
    reclaimed = jobs.claim(facts, "cutter-1", later(LEASE_S + 1), LEASE_S)
    assert jobs.complete(reclaimed, "cutter-1", later(LEASE_S + 2)).facts.state == CuttingJobState.DONE


def test_after_another_machine_took_the_job_the_old_holder_is_told_who_holds_it() -> None:
    facts = jobs.claim(queued(), "cutter-1", T0, LEASE_S)
    taken = jobs.claim(facts, "cutter-2", later(LEASE_S + 1), LEASE_S)
    for action in (
        lambda: jobs.complete(taken, "cutter-1", later(LEASE_S + 2)),
        lambda: jobs.heartbeat(taken, "cutter-1", later(LEASE_S + 2), LEASE_S),
        lambda: jobs.fail(taken, "cutter-1", later(LEASE_S + 2), "blade broke"),
    ):
        with pytest.raises(NotLeaseHolderError, match="held by machine cutter-2"):
            action()


def test_heartbeat_extends_only_a_live_holders_lease() -> None:
    facts = jobs.claim(queued(), "cutter-1", T0, LEASE_S)
    beat = jobs.heartbeat(facts, "cutter-1", later(50), LEASE_S)
    assert beat.lease_expires_at == later(50 + LEASE_S)
    assert jobs.effective_state(beat, later(LEASE_S + 10)) == CuttingJobState.CLAIMED
    with pytest.raises(LeaseExpiredError):
        jobs.heartbeat(facts, "cutter-1", later(LEASE_S), LEASE_S)
    with pytest.raises(NotLeaseHolderError, match="queued"):
        jobs.heartbeat(queued(), "cutter-1", T0, LEASE_S)


def test_completing_twice_is_harmless_for_the_holder_and_a_conflict_for_others() -> None:
    facts = jobs.start_cutting(jobs.claim(queued(), "cutter-1", T0, LEASE_S), "cutter-1", later(1))
    first = jobs.complete(facts, "cutter-1", later(2))
    assert first.first and first.facts.state == CuttingJobState.DONE and first.facts.lease_expires_at is None
    again = jobs.complete(first.facts, "cutter-1", later(LEASE_S * 10))  # long after the lease: still harmless
    assert not again.first and again.facts == first.facts
    with pytest.raises(JobFinishedError, match="already done"):
        jobs.complete(first.facts, "cutter-2", later(3))
    with pytest.raises(JobFinishedError):
        jobs.claim(first.facts, "cutter-2", later(3), LEASE_S)


def test_a_failed_job_goes_back_to_the_queue_until_its_last_attempt() -> None:
    facts = queued(max_attempts=2)
    facts = jobs.fail(jobs.claim(facts, "cutter-1", T0, LEASE_S), "cutter-1", later(1), "hide slipped")
    assert (facts.state, facts.machine_id, facts.attempts) == (CuttingJobState.QUEUED, None, 1)
    assert facts.failure_reason == "hide slipped"
    facts = jobs.fail(jobs.claim(facts, "cutter-2", later(2), LEASE_S), "cutter-2", later(3), "blade broke")
    assert (facts.state, facts.attempts, facts.failure_reason) == (CuttingJobState.FAILED, 2, "blade broke")
    with pytest.raises(JobFinishedError, match="failed"):
        jobs.claim(facts, "cutter-3", later(4), LEASE_S)


def test_a_lost_lease_on_the_last_attempt_fails_the_job() -> None:
    facts = jobs.claim(queued(max_attempts=1), "cutter-1", T0, LEASE_S)
    assert jobs.effective_state(facts, later(LEASE_S)) == CuttingJobState.FAILED
    assert not jobs.is_claimable(facts, later(LEASE_S))
    expired = jobs.expire(facts, later(LEASE_S))
    assert expired is not None and expired.state == CuttingJobState.FAILED
    assert "on attempt 1" in (expired.failure_reason or "")
    assert jobs.expire(facts, later(1)) is None


def test_every_transition_the_core_makes_is_in_the_table_and_final_states_have_none() -> None:
    assert jobs.TRANSITIONS[CuttingJobState.DONE] == frozenset()
    assert jobs.TRANSITIONS[CuttingJobState.FAILED] == frozenset()
    assert jobs.TRANSITIONS[CuttingJobState.QUEUED] == {CuttingJobState.CLAIMED}
    assert set(jobs.TRANSITIONS) == set(CuttingJobState)


def test_bad_input_is_refused_with_a_clear_message() -> None:
    with pytest.raises(InputError, match="no time zone"):
        jobs.claim(queued(), "cutter-1", datetime(2026, 3, 14, 8, 0), LEASE_S)
    with pytest.raises(InputError, match="more than 0 s"):
        jobs.claim(queued(), "cutter-1", T0, 0)
    with pytest.raises(InputError, match="machine id"):
        jobs.claim(queued(), " ", T0, LEASE_S)
    facts = jobs.claim(queued(), "cutter-1", T0, LEASE_S)
    with pytest.raises(InputError, match="reason"):
        jobs.fail(facts, "cutter-1", later(1), "  ")


def test_pieces_cut_events_are_one_per_pair_with_ids_stable_across_calls() -> None:
    placements = [("p1-vamp", 1), ("p2-vamp", 2), ("p1-quarter", 1)]
    events = jobs.pieces_cut(7, placements)
    assert [(e.pair_id, e.piece_ids) for e in events] == [(1, ("p1-vamp", "p1-quarter")), (2, ("p2-vamp",))]
    assert [e.event_id for e in jobs.pieces_cut(7, list(reversed(placements)))] == [e.event_id for e in events]
    assert len({e.event_id for e in events} | {e.event_id for e in jobs.pieces_cut(8, placements)}) == 4
