"""Cutting jobs through the service on SQLite and PostgreSQL: cut files in the store, races between machines,
lost leases, idempotent completion with one pieces-cut event per pair, retries."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import ezdxf
import pytest
from sqlalchemy import select, text

from geometry.exchange.cutter import hpgl_extent_mm
from manufacturing.cutting import service
from manufacturing.cutting.errors import CutPlanError, LeaseExpiredError, NotLeaseHolderError
from manufacturing.cutting.jobs import PIECES_CUT
from manufacturing.cutting.repository import tracking_events_of_pair, tracking_events_of_type
from manufacturing.db.models import Artifact, CuttingJob
from manufacturing.db.session import session_scope
from manufacturing.inventory.errors import WrongUnitError
from manufacturing.materials.catalogue import CatalogueError
from manufacturing.states import CuttingJobState
from tests.manufacturing.cutting.conftest import T0, CuttingDb, hide_nest, pair_pieces, strip_nest

LEASE_S = 60.0
HIDE, ROLL = "full-grain-cowhide-b", "canvas-cotton"  # catalogue area materials: completion books them in stock


def later(seconds: float):
    return T0 + timedelta(seconds=seconds)


def roll_jobs(db: CuttingDb, count: int, max_attempts: int = 3) -> list[int]:
    """One roll job per pair (pair k on roll-k), created one second apart so their queue order is known."""
    ids = []
    for k, pair in enumerate(db.pair_ids[:count]):
        pieces = pair_pieces([pair])
        with session_scope(db.sessions) as session:
            job = service.create_roll_job(
                session, db.store, strip_nest(pieces), material=ROLL, roll_ref=f"roll-{k}",
                pieces=pieces, max_attempts=max_attempts, now=later(k),
            )  # fmt: skip
            ids.append(job.id)
    return ids


def test_a_hide_job_stores_a_cutter_dxf_and_plt_that_parse(cutting_db: CuttingDb) -> None:
    pieces = pair_pieces(cutting_db.pair_ids[:2])
    layout = hide_nest(pieces)
    with session_scope(cutting_db.sessions) as session:
        job = service.create_hide_job(session, cutting_db.store, layout, material=HIDE, pieces=pieces, now=T0)
        again = service.create_hide_job(session, cutting_db.store, layout, material=HIDE, pieces=pieces)
        dxf_row = session.get(Artifact, job.dxf_artifact_id)
        plt_row = session.get(Artifact, job.plt_artifact_id)
    assert again.id == job.id  # the same nest queued twice is one job
    assert job.state == CuttingJobState.QUEUED and job.container_ref == "hide-A"
    assert job.pair_ids == tuple(cutting_db.pair_ids[:2])
    assert len(job.placements) == len(pieces) and job.placements[0]["mirrored"] is True
    assert 0.0 < job.utilisation <= 1.0
    assert job.consumed_area_mm2 >= job.placed_area_mm2 > 0
    assert dxf_row is not None and plt_row is not None
    assert cutting_db.store.verify(dxf_row.sha256) and cutting_db.store.verify(plt_row.sha256)

    doc = ezdxf.read(io.StringIO(cutting_db.store.read_bytes(dxf_row.sha256).decode()))
    auditor = doc.audit()
    assert not auditor.has_errors
    outlines = [e for e in doc.modelspace() if e.dxf.layer == "CUT"]
    cutouts = sum(len(cut.pattern.internal_cutouts) for cut in pieces.values())
    assert len(outlines) == len(pieces) + cutouts
    hide = layout.instance.hides[0].outline
    x0, y0, x1, y1 = hpgl_extent_mm(cutting_db.store.read_bytes(plt_row.sha256))
    assert hide.bounds[0] <= x0 and hide.bounds[1] <= y0 and x1 <= hide.bounds[2] and y1 <= hide.bounds[3]
    assert plt_row.filename.endswith(".plt") and dxf_row.filename.endswith(".dxf")


def test_a_nest_naming_unknown_pairs_is_refused(cutting_db: CuttingDb) -> None:
    pieces = pair_pieces([999_999])
    with pytest.raises(CutPlanError, match="pairs that do not exist"), session_scope(cutting_db.sessions) as session:
        service.create_roll_job(
            session, cutting_db.store, strip_nest(pieces), material=ROLL, roll_ref="r", pieces=pieces
        )


def test_a_nest_of_a_material_the_stock_cannot_book_is_refused(cutting_db: CuttingDb) -> None:
    pieces = pair_pieces(cutting_db.pair_ids[:1])
    with (
        pytest.raises(CatalogueError, match="'calf-black' is not in the catalogue"),
        session_scope(cutting_db.sessions) as session,
    ):
        service.create_roll_job(session, cutting_db.store, strip_nest(pieces), material="calf-black",
                                roll_ref="r", pieces=pieces)  # fmt: skip
    with pytest.raises(WrongUnitError, match="cutting jobs consume area"), session_scope(cutting_db.sessions) as s:
        service.create_roll_job(s, cutting_db.store, strip_nest(pieces), material="thread-bonded-nylon",
                                roll_ref="r", pieces=pieces)  # fmt: skip


def test_claims_take_the_oldest_job_first_and_none_when_the_queue_is_empty(cutting_db: CuttingDb) -> None:
    ids = roll_jobs(cutting_db, 2)
    with session_scope(cutting_db.sessions) as session:
        first = service.claim_next(session, "cutter-1", LEASE_S, now=later(10))
        second = service.claim_next(session, "cutter-2", LEASE_S, now=later(10))
        none = service.claim_next(session, "cutter-3", LEASE_S, now=later(10))
    assert first is not None and second is not None and none is None
    assert [first.id, second.id] == ids
    assert (first.machine_id, first.attempts, first.lease_expires_at) == ("cutter-1", 1, later(10 + LEASE_S))


def test_machines_claiming_at_once_each_get_a_different_job(cutting_db: CuttingDb) -> None:
    ids = roll_jobs(cutting_db, 4)
    machines = [f"cutter-{k}" for k in range(6)]
    barrier = threading.Barrier(len(machines))
    won: dict[str, int | None] = {}
    errors: list[BaseException] = []

    def machine(name: str) -> None:
        try:
            barrier.wait()
            with session_scope(cutting_db.sessions) as session:
                job = service.claim_next(session, name, LEASE_S, now=later(10))
                won[name] = job.id if job else None
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=machine, args=(m,)) for m in machines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    claimed = [j for j in won.values() if j is not None]
    assert sorted(claimed) == sorted(ids)  # every job once, no job twice
    assert list(won.values()).count(None) == len(machines) - len(ids)
    with session_scope(cutting_db.sessions) as session:
        rows = session.scalars(select(CuttingJob).order_by(CuttingJob.id)).all()
        assert {r.id: r.machine_id for r in rows} == {j: m for m, j in won.items() if j is not None}
        assert all(r.attempts == 1 and r.state == CuttingJobState.CLAIMED for r in rows)


@pytest.mark.postgres
def test_on_postgres_an_open_claim_is_skipped_not_waited_for(postgres_cutting_db: CuttingDb) -> None:
    cutting_db = postgres_cutting_db
    ids = roll_jobs(cutting_db, 2)
    first, second = cutting_db.sessions(), cutting_db.sessions()
    try:
        a = service.claim_next(first, "cutter-1", LEASE_S, now=later(10))  # holds the row lock, not committed
        second.execute(text("SET LOCAL lock_timeout = '5s'"))  # waiting on the lock would fail, not hang
        b = service.claim_next(second, "cutter-2", LEASE_S, now=later(10))
        assert a is not None and b is not None
        assert (a.id, b.id) == (ids[0], ids[1])
        first.commit()
        second.commit()
    finally:
        first.close()
        second.close()


def test_a_silent_machines_job_returns_to_the_queue_and_it_cannot_complete(cutting_db: CuttingDb) -> None:
    (job_id,) = roll_jobs(cutting_db, 1)
    with session_scope(cutting_db.sessions) as session:
        service.claim_next(session, "cutter-1", LEASE_S, now=later(10))
        service.start_cutting(session, job_id, "cutter-1", now=later(11))
        service.heartbeat(session, job_id, "cutter-1", LEASE_S, now=later(40))  # lease now to 100 s
    with session_scope(cutting_db.sessions) as session:
        assert service.claim_next(session, "cutter-2", LEASE_S, now=later(99)) is None
        status = service.job_status(session, job_id, now=later(100))
        assert (status.state, status.stored_state) == (CuttingJobState.QUEUED, CuttingJobState.CUTTING)
    with pytest.raises(LeaseExpiredError, match="claim the job again"), session_scope(cutting_db.sessions) as s:
        service.complete(s, job_id, "cutter-1", now=later(100))
    with session_scope(cutting_db.sessions) as session:
        taken = service.claim_next(session, "cutter-2", LEASE_S, now=later(101))
        assert taken is not None and (taken.id, taken.machine_id, taken.attempts) == (job_id, "cutter-2", 2)
    with pytest.raises(NotLeaseHolderError, match="held by machine cutter-2"), session_scope(cutting_db.sessions) as s:
        service.heartbeat(s, job_id, "cutter-1", LEASE_S, now=later(102))
    with session_scope(cutting_db.sessions) as session:
        done = service.complete(session, job_id, "cutter-2", now=later(120))
    assert done.first and done.job.state == CuttingJobState.DONE


def test_completing_twice_gives_one_pieces_cut_event_per_pair(cutting_db: CuttingDb) -> None:
    pairs = cutting_db.pair_ids[:3]
    pieces = pair_pieces(pairs)
    with session_scope(cutting_db.sessions) as session:
        job = service.create_roll_job(
            session, cutting_db.store, strip_nest(pieces), material=ROLL, roll_ref="roll-9", pieces=pieces, now=T0
        )
        service.claim_next(session, "cutter-1", LEASE_S, now=later(1))
    with session_scope(cutting_db.sessions) as session:
        first = service.complete(session, job.id, "cutter-1", now=later(30))
    with session_scope(cutting_db.sessions) as session:
        second = service.complete(session, job.id, "cutter-1", now=later(45))
    assert (first.first, first.events_added) == (True, len(pairs))
    assert (second.first, second.events_added) == (False, 0)
    assert second.job.state == CuttingJobState.DONE
    with session_scope(cutting_db.sessions) as session:
        events = tracking_events_of_type(session, PIECES_CUT)
        assert sorted(e.pair_id for e in events) == sorted(pairs)
        for pair in pairs:
            (event,) = tracking_events_of_pair(session, pair)
            assert (event.station, event.source, event.occurred_at) == ("cutting", "cutter-1", later(30))
            assert event.payload["cutting_job_id"] == job.id
            assert sorted(event.payload["piece_ids"]) == sorted(k for k, c in pieces.items() if c.pair_id == pair)


def test_a_failing_job_is_retried_then_fails_for_good(cutting_db: CuttingDb) -> None:
    (job_id,) = roll_jobs(cutting_db, 1, max_attempts=2)
    with session_scope(cutting_db.sessions) as session:
        service.claim_next(session, "cutter-1", LEASE_S, now=later(10))
        retry = service.fail(session, job_id, "cutter-1", "roll ran out", now=later(20))
    assert (retry.state, retry.machine_id, retry.failure_reason) == (CuttingJobState.QUEUED, None, "roll ran out")
    with session_scope(cutting_db.sessions) as session:
        again = service.claim_next(session, "cutter-2", LEASE_S, now=later(30))
        assert again is not None and again.attempts == 2
        final = service.fail(session, job_id, "cutter-2", "blade broke", now=later(40))
    assert (final.state, final.failure_reason) == (CuttingJobState.FAILED, "blade broke")
    with session_scope(cutting_db.sessions) as session:
        assert service.claim_next(session, "cutter-3", LEASE_S, now=later(50)) is None
        assert tracking_events_of_type(session, PIECES_CUT) == []


def test_a_lost_lease_on_the_last_attempt_fails_the_job_when_the_queue_next_looks(cutting_db: CuttingDb) -> None:
    lost, waiting = roll_jobs(cutting_db, 2, max_attempts=1)
    with session_scope(cutting_db.sessions) as session:
        service.claim_next(session, "cutter-1", LEASE_S, now=later(10))
    with session_scope(cutting_db.sessions) as session:
        taken = service.claim_next(session, "cutter-2", LEASE_S, now=later(10 + LEASE_S))
        assert taken is not None and taken.id == waiting
        status = service.job_status(session, lost, now=later(10 + LEASE_S))
    assert (status.state, status.stored_state) == (CuttingJobState.FAILED, CuttingJobState.FAILED)
    assert "lost its lease" in (status.failure_reason or "")
