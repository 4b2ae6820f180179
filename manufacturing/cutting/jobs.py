"""The cutting-job state machine, pure: facts in, new facts (or a typed error) out; no database, no clock.

States: ``queued → claimed → cutting → done``, with ``failed`` as the end of a job that failed too often.
A machine *claims* a job and holds it under a lease (``lease_expires_at``); it renews the lease with
heartbeats. A machine that goes silent loses the lease when it runs out: the job then counts as queued again
(``effective_state``) and the next claim takes it, as a new attempt. Each claim is one attempt; once
``max_attempts`` claims have ended in a reported failure or a lost lease, the job is failed for good.

Completing is idempotent: the holder's second ``complete`` on a done job changes nothing (no new events).
A machine whose lease ran out cannot complete, start or fail the job until it claims it again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from geometry.errors import InputError
from manufacturing.clock import as_utc
from manufacturing.cutting.errors import JobFinishedError, LeaseExpiredError, NotLeaseHolderError
from manufacturing.states import DEFAULT_MAX_ATTEMPTS, CuttingJobState

DEFAULT_LEASE_SECONDS = 120.0  # how long a claim lasts without a heartbeat (the machine may ask for another)

PIECES_CUT = "pieces_cut"  # the tracking event a completed job emits for each pair it cut
CUTTING_STATION = "cutting"
# Fixed namespace so a pieces-cut event id is the same on every machine, database and retry.
_EVENT_NAMESPACE = uuid.UUID("6f1c7c4e-5a55-4c1e-9a8b-2d3f0c7e5b10")


_HELD = frozenset({CuttingJobState.CLAIMED, CuttingJobState.CUTTING})
_FINAL = frozenset({CuttingJobState.DONE, CuttingJobState.FAILED})

# Every stored state change the core may make. CLAIMED/CUTTING -> CLAIMED is a re-claim after the lease ran
# out; -> QUEUED is a failure with attempts left, or a lost lease written back by the queue.
TRANSITIONS: dict[CuttingJobState, frozenset[CuttingJobState]] = {
    CuttingJobState.QUEUED: frozenset({CuttingJobState.CLAIMED}),
    CuttingJobState.CLAIMED: frozenset(
        {
            CuttingJobState.CLAIMED,
            CuttingJobState.CUTTING,
            CuttingJobState.DONE,
            CuttingJobState.QUEUED,
            CuttingJobState.FAILED,
        }
    ),
    CuttingJobState.CUTTING: frozenset(
        {
            CuttingJobState.CLAIMED,
            CuttingJobState.CUTTING,
            CuttingJobState.DONE,
            CuttingJobState.QUEUED,
            CuttingJobState.FAILED,
        }
    ),
    CuttingJobState.DONE: frozenset(),
    CuttingJobState.FAILED: frozenset(),
}


def lease_until(now: datetime, lease_seconds: float) -> datetime:
    if not lease_seconds > 0:
        raise InputError(f"a lease must last more than 0 s, got {lease_seconds}", lease_seconds=lease_seconds)
    return as_utc(now) + timedelta(seconds=lease_seconds)


@dataclass(frozen=True)
class JobFacts:
    """What is stored about a job's progress; every decision below follows from these facts and ``now``."""

    job_id: int
    state: CuttingJobState
    machine_id: str | None = None
    lease_expires_at: datetime | None = None
    attempts: int = 0  # claims so far
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    failure_reason: str | None = None

    def lease_live(self, now: datetime) -> bool:
        """Whether a machine holds the job with a lease that has not run out at ``now``."""
        return (
            self.state in _HELD
            and self.machine_id is not None
            and self.lease_expires_at is not None
            and as_utc(self.lease_expires_at) > as_utc(now)
        )


def effective_state(facts: JobFacts, now: datetime) -> CuttingJobState:
    """The state the facts mean at ``now``: a held job whose lease ran out is queued again (or failed, when
    that was its last attempt), whatever the stored state still says."""
    if facts.state in _HELD and not facts.lease_live(now):
        return CuttingJobState.FAILED if facts.attempts >= facts.max_attempts else CuttingJobState.QUEUED
    return facts.state


def is_claimable(facts: JobFacts, now: datetime) -> bool:
    return effective_state(facts, now) == CuttingJobState.QUEUED


def _moved(facts: JobFacts, state: CuttingJobState, **changes: object) -> JobFacts:
    if state not in TRANSITIONS[facts.state]:
        raise JobFinishedError(
            f"cutting job {facts.job_id} is {facts.state.value}: it cannot become {state.value}",
            job_id=facts.job_id,
            state=facts.state.value,
        )
    return replace(facts, state=state, **changes)  # type: ignore[arg-type]


def expire(facts: JobFacts, now: datetime) -> JobFacts | None:
    """The facts to store once a lost lease is noticed (queued again, or failed on the last attempt);
    ``None`` when the stored state is still right."""
    state = effective_state(facts, now)
    if state == facts.state:
        return None
    reason = f"machine {facts.machine_id} lost its lease (expired {facts.lease_expires_at})"
    if state == CuttingJobState.FAILED:
        return _moved(facts, state, lease_expires_at=None, failure_reason=f"{reason} on attempt {facts.attempts}")
    return _moved(facts, state, machine_id=None, lease_expires_at=None, failure_reason=reason)


def claim(facts: JobFacts, machine_id: str, now: datetime, lease_seconds: float) -> JobFacts:
    """``machine_id`` takes the job for ``lease_seconds`` (a new attempt); its own live lease is just renewed."""
    machine_id = _machine(machine_id)
    until = lease_until(now, lease_seconds)
    if facts.lease_live(now):
        if facts.machine_id != machine_id:
            raise NotLeaseHolderError(
                f"cutting job {facts.job_id} is held by machine {facts.machine_id} until "
                f"{as_utc(facts.lease_expires_at).isoformat()}",  # type: ignore[arg-type]
                job_id=facts.job_id,
                holder=facts.machine_id,
            )
        return replace(facts, lease_expires_at=until)
    state = effective_state(facts, now)
    if state != CuttingJobState.QUEUED:
        raise JobFinishedError(
            f"cutting job {facts.job_id} is {state.value}; it cannot be claimed", job_id=facts.job_id, state=state.value
        )
    return _moved(facts, CuttingJobState.CLAIMED, machine_id=machine_id, lease_expires_at=until,
                  attempts=facts.attempts + 1)  # fmt: skip


def _require_live_holder(facts: JobFacts, machine_id: str, now: datetime, doing: str) -> None:
    """Raise unless ``machine_id`` holds the job under a live lease."""
    if facts.state in _FINAL:
        raise JobFinishedError(
            f"cutting job {facts.job_id} is already {facts.state.value}; machine {machine_id} cannot {doing} it",
            job_id=facts.job_id,
            state=facts.state.value,
        )
    if facts.state not in _HELD or facts.machine_id != machine_id:
        holder = f"held by machine {facts.machine_id}" if facts.state in _HELD else "queued, held by no machine"
        raise NotLeaseHolderError(
            f"machine {machine_id} cannot {doing} cutting job {facts.job_id}: it is {holder}; claim a job first",
            job_id=facts.job_id,
            machine_id=machine_id,
            holder=facts.machine_id,
        )
    if not facts.lease_live(now):
        expired = as_utc(facts.lease_expires_at).isoformat()  # type: ignore[arg-type]
        raise LeaseExpiredError(
            f"machine {machine_id} cannot {doing} cutting job {facts.job_id}: its lease expired at {expired} "
            f"(now {as_utc(now).isoformat()}); claim the job again",
            job_id=facts.job_id,
            machine_id=machine_id,
            lease_expires_at=expired,
        )


def heartbeat(facts: JobFacts, machine_id: str, now: datetime, lease_seconds: float) -> JobFacts:
    """The holder's lease, extended to ``now + lease_seconds``; only a live holder may extend it."""
    _require_live_holder(facts, machine_id, now, "renew the lease of")
    return replace(facts, lease_expires_at=lease_until(now, lease_seconds))


def start_cutting(facts: JobFacts, machine_id: str, now: datetime) -> JobFacts:
    """claimed → cutting for the live holder; a repeat changes nothing."""
    _require_live_holder(facts, machine_id, now, "start cutting")
    if facts.state == CuttingJobState.CUTTING:
        return facts
    return _moved(facts, CuttingJobState.CUTTING)


@dataclass(frozen=True)
class Completion:
    facts: JobFacts
    first: bool  # False: the job was already done by this machine; nothing to store, no events to emit


def complete(facts: JobFacts, machine_id: str, now: datetime) -> Completion:
    """claimed or cutting → done for the live holder. Completing a done job again from the same machine is
    harmless (``first=False``); from another machine it is a conflict."""
    machine_id = _machine(machine_id)
    if facts.state == CuttingJobState.DONE and facts.machine_id == machine_id:
        return Completion(facts, first=False)
    _require_live_holder(facts, machine_id, now, "complete")
    return Completion(_moved(facts, CuttingJobState.DONE, lease_expires_at=None, failure_reason=None), first=True)


def fail(facts: JobFacts, machine_id: str, now: datetime, reason: str) -> JobFacts:
    """The holder reports a failure: back to the queue while attempts are left, else failed for good."""
    reason = reason.strip()
    if not reason:
        raise InputError("a failure needs a reason the operator can act on")
    _require_live_holder(facts, _machine(machine_id), now, "fail")
    if facts.attempts >= facts.max_attempts:
        return _moved(facts, CuttingJobState.FAILED, lease_expires_at=None, failure_reason=reason)
    return _moved(facts, CuttingJobState.QUEUED, machine_id=None, lease_expires_at=None, failure_reason=reason)


def _machine(machine_id: str) -> str:
    machine_id = str(machine_id).strip()
    if not machine_id or len(machine_id) > 64:
        raise InputError(f"machine id {machine_id!r} must be 1 to 64 characters", machine_id=machine_id)
    return machine_id


def pieces_cut_event_id(job_id: int, pair_id: int) -> str:
    """The id of the pieces-cut event of ``pair_id`` from job ``job_id``: the same on every retry, so a second
    completion (or a replayed one) adds nothing."""
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"cutting-job/{job_id}/pair/{pair_id}/{PIECES_CUT}"))


@dataclass(frozen=True)
class PiecesCut:
    """The pieces-cut fact of one pair: which of its pieces a completed job cut."""

    event_id: str
    pair_id: int
    piece_ids: tuple[str, ...]


def pieces_cut(job_id: int, placements: list[tuple[str, int]]) -> list[PiecesCut]:
    """One pieces-cut fact per pair among ``placements`` (piece id, pair id), in pair order."""
    by_pair: dict[int, list[str]] = {}
    for piece_id, pair_id in placements:
        by_pair.setdefault(int(pair_id), []).append(str(piece_id))
    return [
        PiecesCut(pieces_cut_event_id(job_id, pair), pair, tuple(pieces)) for pair, pieces in sorted(by_pair.items())
    ]
