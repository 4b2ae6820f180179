"""Cutting jobs for machines: create from a nest, claim, heartbeat, start, complete, fail.

The shell around the pure core (``jobs``): load the job, let the core decide, store the new facts with a
compare-and-set. Services never commit: the request or task that calls them commits once. Every call takes
``now`` (UTC; defaults to the clock) so tests and replays decide the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from manufacturing.artifacts import ArtifactStore
from manufacturing.clock import as_utc, utc_now
from manufacturing.cutting import jobs, repository
from manufacturing.cutting.errors import CutPlanError, CuttingJobError
from manufacturing.cutting.jobs import CUTTING_STATION, DEFAULT_LEASE_SECONDS, PIECES_CUT, JobFacts
from manufacturing.cutting.plan import CutPiece, CutPlan, cut_files, plan_hide_nest, plan_strip_nest
from manufacturing.db import repositories
from manufacturing.db.models import CuttingJob, TrackingEvent
from manufacturing.inventory.consumption import CuttingConsumption, consume_cutting_job, cuttable_material
from manufacturing.ledger.service import record_event_once
from manufacturing.nesting.model import HideLayout, StripLayout
from manufacturing.states import DEFAULT_MAX_ATTEMPTS, ContainerKind, CuttingJobState

CUT_FILES_STAGE = "cutting.files"
CUT_FILES_VERSION = 1  # bump when the cut files of the same plan would change
DXF_MEDIA_TYPE = "image/vnd.dxf"
PLT_MEDIA_TYPE = "application/vnd.hp-hpgl"


@dataclass(frozen=True)
class CuttingJobStatus:
    """A job as a machine or a page sees it at ``as_of``; ``state`` is derived (a lost lease reads queued)."""

    id: int
    state: CuttingJobState
    stored_state: CuttingJobState
    machine_id: str | None
    lease_expires_at: datetime | None
    attempts: int
    max_attempts: int
    failure_reason: str | None
    material: str
    container_kind: ContainerKind
    container_ref: str
    pair_ids: tuple[int, ...]
    placements: tuple[dict[str, Any], ...]
    placed_area_mm2: float
    consumed_area_mm2: float
    utilisation: float
    dxf_artifact_id: int
    plt_artifact_id: int
    as_of: datetime


@dataclass(frozen=True)
class Completed:
    job: CuttingJobStatus
    first: bool  # False: the job was already done; nothing changed
    events_added: int  # pieces-cut events stored by this call (0 on a repeat)
    consumption: CuttingConsumption | None = None  # the stock it consumed (first=False on a repeat)


def _now(now: datetime | None) -> datetime:
    return as_utc(now if now is not None else utc_now())


def _status(job: CuttingJob, now: datetime) -> CuttingJobStatus:
    facts = repository.job_facts(job)
    placements = tuple(job.layout.get("placements", ()))
    return CuttingJobStatus(
        id=job.id,
        state=jobs.effective_state(facts, now),
        stored_state=facts.state,
        machine_id=job.machine_id,
        lease_expires_at=job.lease_expires_at,
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        failure_reason=job.failure_reason,
        material=job.material,
        container_kind=ContainerKind(job.container_kind),
        container_ref=job.container_ref,
        pair_ids=tuple(sorted({int(p["pair_id"]) for p in placements})),
        placements=placements,
        placed_area_mm2=job.placed_area_mm2,
        consumed_area_mm2=job.consumed_area_mm2,
        utilisation=job.utilisation,
        dxf_artifact_id=job.dxf_artifact_id,
        plt_artifact_id=job.plt_artifact_id,
        as_of=now,
    )


# ---------------------------------------------------------------------------------------------- creating


def create_cutting_job(
    session: Session,
    store: ArtifactStore,
    plan: CutPlan,
    pieces: Mapping[str, CutPiece],
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    now: datetime | None = None,
) -> CuttingJobStatus:
    """Queue ``plan``: write its cutter DXF and ``.plt`` to the store and record the job. The same plan
    (material, container, placements) queued twice gives the one job back."""
    now = _now(now)
    key = plan.key()
    existing = repository.find_cutting_job_by_key(session, key)
    if existing is not None:
        return _status(existing, now)
    if max_attempts < 1:
        raise CutPlanError(f"a job needs at least one attempt, got {max_attempts}", max_attempts=max_attempts)
    cuttable_material(plan.material)  # a stocked area material, or its completion could not book it
    missing = sorted(set(plan.pair_ids) - repository.existing_pair_ids(session, plan.pair_ids))
    if missing:
        raise CutPlanError(f"the nest names pairs that do not exist: {missing}", pair_ids=missing)
    files = cut_files(plan, pieces)
    artifacts = {}
    for kind, data, suffix, media_type in (
        ("cutting.dxf", files.dxf, "dxf", DXF_MEDIA_TYPE),
        ("cutting.plt", files.plt, "plt", PLT_MEDIA_TYPE),
    ):
        blob = store.put_bytes(data)
        artifacts[kind] = repositories.add_artifact(
            session,
            blob,
            kind=kind,
            filename=f"cut-{plan.container_kind.value}-{plan.container_ref}-{key[:12]}.{suffix}",
            media_type=media_type,
            input_key=f"cut-plan:{key}",
            stage=CUT_FILES_STAGE,
            stage_version=CUT_FILES_VERSION,
        )
    job = CuttingJob(
        job_key=key,
        material=plan.material,
        container_kind=plan.container_kind,
        container_ref=plan.container_ref,
        layout=plan.layout_json(),
        placed_area_mm2=plan.placed_area_mm2,
        consumed_area_mm2=plan.consumed_area_mm2,
        utilisation=plan.utilisation,
        dxf_artifact_id=artifacts["cutting.dxf"].id,
        plt_artifact_id=artifacts["cutting.plt"].id,
        state=CuttingJobState.QUEUED,
        attempts=0,
        max_attempts=max_attempts,
        version=0,
        created_at=now,
        updated_at=now,
    )
    return _status(repository.add_cutting_job(session, job), now)


def create_hide_job(
    session: Session,
    store: ArtifactStore,
    layout: HideLayout,
    *,
    material: str,
    pieces: Mapping[str, CutPiece],
    hide_id: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    now: datetime | None = None,
) -> CuttingJobStatus:
    """A job for the pieces a hide nest puts on ``hide_id`` (one job per hide)."""
    plan = plan_hide_nest(layout, hide_id=hide_id, material=material, pieces=pieces)
    return create_cutting_job(session, store, plan, pieces, max_attempts=max_attempts, now=now)


def create_roll_job(
    session: Session,
    store: ArtifactStore,
    layout: StripLayout,
    *,
    material: str,
    roll_ref: str,
    pieces: Mapping[str, CutPiece],
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    now: datetime | None = None,
) -> CuttingJobStatus:
    """A job for a strip nest cut from roll ``roll_ref``."""
    plan = plan_strip_nest(layout, roll_ref=roll_ref, material=material, pieces=pieces)
    return create_cutting_job(session, store, plan, pieces, max_attempts=max_attempts, now=now)


# ---------------------------------------------------------------------------------------------- machines


def _store(session: Session, job: CuttingJob, facts: JobFacts, now: datetime, **extra: Any) -> None:
    if not repository.store_job_facts(session, job, facts, updated_at=now, **extra):
        raise CuttingJobError(
            f"cutting job {job.id} changed while this request was deciding; read it again and retry",
            job_id=job.id,
        )


def claim_next(
    session: Session, machine_id: str, lease_seconds: float = DEFAULT_LEASE_SECONDS, now: datetime | None = None
) -> CuttingJobStatus | None:
    """Claim the oldest job that is queued or whose lease ran out, for ``lease_seconds``; ``None`` when there is
    no work. Jobs whose lost lease was their last attempt are failed on the way."""
    now = _now(now)
    skipped: list[int] = []
    while True:
        job = repository.next_claimable_job(session, now, skipped)
        if job is None:
            return None
        facts = repository.job_facts(job)
        expired = jobs.expire(facts, now)
        if expired is not None and expired.state == CuttingJobState.FAILED:
            repository.store_job_facts(session, job, expired, updated_at=now, finished_at=now)
            skipped.append(job.id)
            continue
        claimed = jobs.claim(facts, machine_id, now, lease_seconds)
        if repository.store_job_facts(session, job, claimed, updated_at=now, claimed_at=now, started_at=None):
            return _status(job, now)
        skipped.append(job.id)  # another machine won it between our read and our write (SQLite)


def claim_job(
    session: Session,
    job_id: int,
    machine_id: str,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    now: datetime | None = None,
) -> CuttingJobStatus:
    """Claim one named job (a machine re-claiming the job it lost, or an operator's pick); renews the lease
    when the machine already holds it."""
    now = _now(now)
    job = repository.lock_cutting_job(session, job_id)
    facts = repository.job_facts(job)
    claimed = jobs.claim(facts, machine_id, now, lease_seconds)
    if claimed.attempts != facts.attempts:
        _store(session, job, claimed, now, claimed_at=now, started_at=None)
    else:
        _store(session, job, claimed, now)
    return _status(job, now)


def heartbeat(
    session: Session,
    job_id: int,
    machine_id: str,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    now: datetime | None = None,
) -> CuttingJobStatus:
    """Extend the lease to ``now + lease_seconds``, for the live holder only."""
    now = _now(now)
    job = repository.lock_cutting_job(session, job_id)
    _store(session, job, jobs.heartbeat(repository.job_facts(job), machine_id, now, lease_seconds), now)
    return _status(job, now)


def start_cutting(session: Session, job_id: int, machine_id: str, now: datetime | None = None) -> CuttingJobStatus:
    """The holder starts cutting (claimed → cutting); a repeat changes nothing."""
    now = _now(now)
    job = repository.lock_cutting_job(session, job_id)
    facts = repository.job_facts(job)
    started = jobs.start_cutting(facts, machine_id, now)
    if started != facts:
        _store(session, job, started, now, started_at=now)
    return _status(job, now)


def complete(session: Session, job_id: int, machine_id: str, now: datetime | None = None) -> Completed:
    """The holder finished cutting: the job is done, each pair in it gets one pieces-cut event and the stock
    books what the nest really consumed (``consume_cutting_job``). Calling it again is harmless: the
    event ids are derived from the job and the pair, and the job's consumption is booked once."""
    now = _now(now)
    job = repository.lock_cutting_job(session, job_id)
    completion = jobs.complete(repository.job_facts(job), machine_id, now)
    if completion.first:
        _store(session, job, completion.facts, now, finished_at=now)
    # Stock before events: the stock lock is always taken before the pairs' ledger locks (no deadlock).
    consumption = consume_cutting_job(session, job.id, job.finished_at or now)
    placements = [(str(p["piece_id"]), int(p["pair_id"])) for p in job.layout.get("placements", ())]
    added = 0
    for fact in jobs.pieces_cut(job.id, placements):
        event = TrackingEvent(
            event_id=fact.event_id,
            pair_id=fact.pair_id,
            station=CUTTING_STATION,
            operation=CUTTING_STATION,
            event_type=PIECES_CUT,
            occurred_at=job.finished_at or now,
            received_at=now,
            source=job.machine_id or machine_id,
            payload={
                "cutting_job_id": job.id,
                "piece_ids": list(fact.piece_ids),
                "material": job.material,
                "container_kind": str(job.container_kind),
                "container_ref": job.container_ref,
            },
        )
        added += int(record_event_once(session, event, now)[1])
    return Completed(_status(job, now), completion.first, added, consumption)


def fail(session: Session, job_id: int, machine_id: str, reason: str, now: datetime | None = None) -> CuttingJobStatus:
    """The holder could not cut the job: it goes back to the queue, or fails for good on its last attempt."""
    now = _now(now)
    job = repository.lock_cutting_job(session, job_id)
    failed = jobs.fail(repository.job_facts(job), machine_id, now, reason)
    extra = {"finished_at": now} if failed.state == CuttingJobState.FAILED else {"started_at": None}
    _store(session, job, failed, now, **extra)
    return _status(job, now)


def job_status(session: Session, job_id: int, now: datetime | None = None) -> CuttingJobStatus:
    return _status(repository.get_cutting_job(session, job_id), _now(now))
