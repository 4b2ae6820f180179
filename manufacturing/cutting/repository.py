"""Every query about cutting jobs and tracking events. Repositories never commit.

Job changes are compare-and-set on ``version`` (one UPDATE ... WHERE id = ? AND version = ?): of two
sessions that read the same job, only the first write lands, on SQLite and PostgreSQL alike. On PostgreSQL
the claim query also locks its row (``FOR UPDATE SKIP LOCKED``), so concurrent claimers pass each other
without waiting; SQLite ignores the lock clause and serialises writers, the version check doing the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from geometry.errors import NotFoundError
from manufacturing.cutting.jobs import JobFacts
from manufacturing.db.models import CuttingJob, Pair, TrackingEvent
from manufacturing.states import CuttingJobState

_HELD = (CuttingJobState.CLAIMED, CuttingJobState.CUTTING)


def get_cutting_job(session: Session, job_id: int) -> CuttingJob:
    job = session.get(CuttingJob, job_id)
    if job is None:
        raise NotFoundError(f"cutting job {job_id} does not exist", job_id=job_id)
    return job


def find_cutting_job_by_key(session: Session, job_key: str) -> CuttingJob | None:
    return session.scalars(select(CuttingJob).where(CuttingJob.job_key == job_key)).one_or_none()


def add_cutting_job(session: Session, job: CuttingJob) -> CuttingJob:
    session.add(job)
    session.flush()
    return job


def next_claimable_job(session: Session, now: datetime, skip_ids: Sequence[int] = ()) -> CuttingJob | None:
    """The oldest job that is queued, or held under a lease that ran out at ``now``; locked on PostgreSQL
    (rows other transactions hold are skipped, not waited for). Fresh from the database."""
    query = (
        select(CuttingJob)
        .where(
            or_(
                CuttingJob.state == CuttingJobState.QUEUED,
                and_(CuttingJob.state.in_(_HELD), CuttingJob.lease_expires_at <= now),
            )
        )
        .order_by(CuttingJob.created_at, CuttingJob.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if skip_ids:
        query = query.where(CuttingJob.id.not_in(list(skip_ids)))
    return session.scalars(query).one_or_none()


def lock_cutting_job(session: Session, job_id: int) -> CuttingJob:
    """The job re-read from the database, locked until the transaction ends on PostgreSQL."""
    job = session.scalars(
        select(CuttingJob).where(CuttingJob.id == job_id).with_for_update().execution_options(populate_existing=True)
    ).one_or_none()
    if job is None:
        raise NotFoundError(f"cutting job {job_id} does not exist", job_id=job_id)
    return job


def job_facts(job: CuttingJob) -> JobFacts:
    return JobFacts(
        job_id=job.id,
        state=CuttingJobState(job.state),
        machine_id=job.machine_id,
        lease_expires_at=job.lease_expires_at,
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        failure_reason=job.failure_reason,
    )


def store_job_facts(session: Session, job: CuttingJob, facts: JobFacts, **extra: Any) -> bool:
    """Write ``facts`` (and ``extra`` columns) if the job is still at the version it was read at.

    Returns False, changing nothing, when another transaction changed the job first.
    """
    values = {
        "state": facts.state,
        "machine_id": facts.machine_id,
        "lease_expires_at": facts.lease_expires_at,
        "attempts": facts.attempts,
        "failure_reason": facts.failure_reason,
        "version": job.version + 1,
        **extra,
    }
    result = session.execute(
        update(CuttingJob)
        .where(CuttingJob.id == job.id, CuttingJob.version == job.version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.refresh(job)
    return True


def jobs_in_state(session: Session, state: CuttingJobState) -> Sequence[CuttingJob]:
    return session.scalars(select(CuttingJob).where(CuttingJob.state == state).order_by(CuttingJob.id)).all()


def tracking_events_of_pair(session: Session, pair_id: int) -> Sequence[TrackingEvent]:
    """A pair's events in the order they happened (not the order they arrived)."""
    return session.scalars(
        select(TrackingEvent)
        .where(TrackingEvent.pair_id == pair_id)
        .order_by(TrackingEvent.occurred_at, TrackingEvent.id)
    ).all()


def tracking_events_of_type(session: Session, event_type: str) -> Sequence[TrackingEvent]:
    return session.scalars(
        select(TrackingEvent).where(TrackingEvent.event_type == event_type).order_by(TrackingEvent.id)
    ).all()


def existing_pair_ids(session: Session, pair_ids: Sequence[int]) -> set[int]:
    if not pair_ids:
        return set()
    return set(session.scalars(select(Pair.id).where(Pair.id.in_(list(pair_ids)))).all())


def jobs_after(
    session: Session, state: CuttingJobState | None, after_id: int, limit: int, now: datetime
) -> Sequence[CuttingJob]:
    """Jobs with id > ``after_id`` in their derived ``state`` at ``now`` (a held job whose lease ran out is
    queued), by id, at most ``limit`` rows."""
    query = select(CuttingJob).where(CuttingJob.id > after_id).order_by(CuttingJob.id).limit(limit)
    if state == CuttingJobState.QUEUED:
        lost = and_(CuttingJob.state.in_(_HELD), CuttingJob.lease_expires_at <= now)
        query = query.where(or_(CuttingJob.state == CuttingJobState.QUEUED, lost))
    elif state in _HELD:
        query = query.where(CuttingJob.state == state, CuttingJob.lease_expires_at > now)
    elif state is not None:
        query = query.where(CuttingJob.state == state)
    return session.scalars(query).all()
