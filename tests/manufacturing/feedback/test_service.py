"""Feedback through the service on SQLite and PostgreSQL: only delivered pairs, one per pair, a new last
revision measured larger by the table's amount, the newest revision for re-orders, the summary."""

import json

import pytest

from lasts.model import LastParameters
from manufacturing.db import repositories
from manufacturing.db.models import PipelineRun, StageRun
from manufacturing.db.session import session_scope
from manufacturing.feedback import repository as feedback_repository
from manufacturing.feedback import service
from manufacturing.feedback.aggregate import feedback_summary
from manufacturing.feedback.errors import FeedbackConflictError
from manufacturing.states import RunState, StageState
from tests.manufacturing.qc.shop import Shop

LAST = LastParameters(stick_length_mm=285, ball_length_mm=195, ball_girth_mm=250, ball_width_mm=100,
                      waist_girth_mm=245, instep_girth_mm=255, long_heel_girth_mm=335, short_heel_girth_mm=320,
                      heel_width_mm=68, toe_box_height_mm=24)  # fmt: skip


def fitted(shop: Shop, pair_id: int) -> None:
    """What the pipeline's last.fit stage leaves: a run, its stage run and last.params.json."""
    with session_scope(shop.sessions) as session:
        blob = shop.store.put_bytes(json.dumps(LAST.to_dict()).encode())
        artifact = repositories.add_artifact(session, blob, kind="last.params.json", filename="last.params.json",
                                             media_type="application/json", input_key=f"test:{pair_id}",
                                             stage="last.fit", stage_version=1)  # fmt: skip
        run = PipelineRun(pair_id=pair_id, stages=["last.fit"], state=RunState.SUCCEEDED)
        session.add(run)
        session.flush()
        session.add(StageRun(pipeline_run_id=run.id, stage="last.fit", stage_version=1,
                             state=StageState.SUCCEEDED, artifact_ids=[artifact.id]))  # fmt: skip


def submit(shop: Shop, pair: int, answers: dict) -> service.Submitted:
    with session_scope(shop.sessions) as session:
        return service.submit_fit_feedback(session, shop.store, pair, answers, now=shop.at(), face_count=20_000)


def test_ball_tight_makes_the_next_last_revision(shop: Shop) -> None:
    first, second = shop.pair_ids[0], shop.pair_ids[2]
    fitted(shop, first)
    with pytest.raises(FeedbackConflictError, match="not delivered"):
        submit(shop, first, {"ball": "tight"})
    shop.run_through(first)
    done = submit(shop, first, {"ball": "tight", "toe": "right", "heel": {"answer": "right", "text": "fine"}})
    assert done.first and done.changes == {"ball_girth_mm": 4.0}
    assert done.base.revision == 1 and done.revision.revision == 2
    grown = done.revision.measured["ball_girth_mm"] - done.base.measured["ball_girth_mm"]
    assert grown == pytest.approx(4.0, abs=1.0)
    assert done.revision.measured["foot_length_mm"] == pytest.approx(done.base.measured["foot_length_mm"], abs=0.1)
    with session_scope(shop.sessions) as session:
        artifact = repositories.get_artifact(session, done.revision.artifact_id)
        stored = LastParameters.from_dict(json.loads(shop.store.read_bytes(artifact.sha256)))
        assert stored.to_dict() == done.revision.parameters
        assert service.current_last(session, "d-qc").revision == 2
    again = submit(shop, first, {"ball": "tight", "toe": "right", "heel": {"answer": "right", "text": "fine"}})
    assert not again.first and again.revision.revision == 2
    with pytest.raises(FeedbackConflictError, match="other feedback"):
        submit(shop, first, {"ball": "loose"})
    shop.run_through(second)  # a re-order of the same design: its feedback revises the newest last
    nxt = submit(shop, second, {"ball": "tight"})
    assert nxt.base.revision == 2 and nxt.revision.revision == 3
    with session_scope(shop.sessions) as session:
        summary = feedback_summary(session, min_samples=2)["derby"]
    assert summary.counts["ball"]["tight"] == 2
    assert [(s.allowance, s.change_mm) for s in summary.suggestions] == [("ball_girth_ease_mm", 4.0)]


def test_all_right_stores_feedback_without_a_revision(shop: Shop) -> None:
    pair = shop.pair_ids[0]
    shop.run_through(pair)
    done = submit(shop, pair, {"toe": "right", "ball": "right", "instep": "right", "heel": "right"})
    assert done.first and done.revision is None and done.changes == {}


def test_what_changed_between_the_check_and_the_store_is_checked_again(shop: Shop) -> None:
    # The web server checks, solves the last in its pool with no transaction open, then stores: meanwhile other
    # feedback may revise the same design's last, or the same feedback may be stored by a request sent twice.
    first, second, third = shop.pair_ids[0], shop.pair_ids[2], shop.pair_ids[1]
    for pair in (first, second, third):
        fitted(shop, pair)
        shop.run_through(pair)
    with session_scope(shop.sessions) as session:
        pending = service.check_fit_feedback(session, shop.store, first, {"ball": "tight"}, face_count=20_000)
        all_right = service.check_fit_feedback(session, shop.store, third, {"ball": "right"})
    assert isinstance(pending, service.PendingFeedback) and pending.base is not None
    assert pending.base.revision == 0 and pending.changes == {"ball_girth_mm": 4.0}
    assert isinstance(all_right, service.PendingFeedback) and all_right.base is None
    assert submit(shop, second, {"instep": "loose"}).revision.revision == 2  # the design's last: revised meanwhile
    made = service.MadeRevision({}, pending.base.params, {}, 0.0)  # refused before what was made is read
    with pytest.raises(FeedbackConflictError, match="revised by other feedback meanwhile"), \
            session_scope(shop.sessions) as session:  # fmt: skip
        service.store_fit_feedback(session, shop.store, pending, made)
    assert submit(shop, third, {"ball": "right"}).first  # the same answers, stored meanwhile
    with session_scope(shop.sessions) as session:
        again = service.store_fit_feedback(session, shop.store, all_right, None)
    assert not again.first and again.revision is None
    with session_scope(shop.sessions) as session:
        assert service.current_last(session, "d-qc").revision == 2  # the refused one stored nothing
        assert [row.pair_id for row in feedback_repository.all_feedback(session)] == [second, third]
