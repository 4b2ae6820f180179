"""Fit feedback for a delivered pair: store the answers, and when they ask for changes make the next revision
of the design's last: the newest revision (the pipeline's fitted last the first time) measured, its
measurements moved by the table (``rules``), solved with ``lasts.fitting.solve_last`` and measured again;
stored as ``last.params.json`` in the artifact store and a ``last_revision`` row. Re-orders use the newest
revision (``current_last``). Services never commit.

Three steps, so that the web server solves the last (about 2 s) in its geometry pool
(``manufacturing/geometry_pool.py``) and holds no transaction meanwhile: ``check_fit_feedback`` reads (what is
stored, what to make: ``PendingFeedback``), ``make_revision`` is the heavy half (pure, typed records in and out),
``store_fit_feedback`` writes, after checking that nothing it relied on changed. ``submit_fit_feedback`` is the
three in one session, for callers without a pool."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lasts.fitting import MIN_HEEL_GIRTH_GAP_MM, TARGET_KEYS, LastFit, measure_last, solve_last
from lasts.model import LastParameters, build_last
from manufacturing.artifacts.store import ArtifactStore
from manufacturing.clock import as_utc, utc_now
from manufacturing.db import repositories as artifacts_repository
from manufacturing.db.models import FitFeedback, LastRevision
from manufacturing.feedback import repository
from manufacturing.feedback.errors import FeedbackConflictError
from manufacturing.feedback.rules import DEFAULT_FEEDBACK_RULES, FeedbackRules, last_changes, parse_answers
from manufacturing.geometry_pool import GeometryPool
from manufacturing.planning import repository as planning_repository
from manufacturing.planning import service as planning
from manufacturing.states import WorkOrderState

REVISION_STAGE = "fit.feedback"
FACE_COUNT = 50_000  # the resolution a revision's last is built, measured and solved at
MAKING_THE_REVISION = "making the revised last"  # the pool's work, in its errors' words


@dataclass(frozen=True)
class Revision:
    id: int
    last_key: str
    revision: int
    parameters: dict[str, Any]
    measured: dict[str, float]
    changes: dict[str, float]
    max_error_mm: float
    artifact_id: int

    @classmethod
    def of(cls, row: LastRevision) -> Revision:
        return cls(row.id, row.last_key, row.revision, dict(row.parameters), dict(row.measured), dict(row.changes),
                   row.max_error_mm, row.artifact_id)  # fmt: skip


@dataclass(frozen=True)
class Submitted:
    feedback_id: int
    changes: dict[str, float]  # mm per measurement the answers asked for
    revision: Revision | None  # the new last revision (None when every answer was "right")
    base: Revision | None  # the revision it was made from
    first: bool  # False: this feedback was already stored; nothing changed


@dataclass(frozen=True)
class RevisionWork:
    """What ``make_revision`` needs (it crosses to the geometry pool): the last to revise (mm), the changes the
    answers ask for (mm per measurement), the resolution to build it at."""

    params: LastParameters
    changes: dict[str, float]
    face_count: int


@dataclass(frozen=True)
class MadeRevision:
    """What ``make_revision`` gives back: the base last's measurements and the revised last with its own (mm,
    to 0.01 mm), and the solver's worst error (mm, to 0.001 mm)."""

    base_measured: dict[str, float]
    params: LastParameters
    measured: dict[str, float]
    max_error_mm: float


@dataclass(frozen=True)
class BaseLast:
    """The last a revision is made from: the newest revision, or (``revision`` 0) the pipeline's fitted last,
    which becomes revision 1; ``artifact_id``: its ``last.params.json``."""

    revision: int
    params: LastParameters
    artifact_id: int


@dataclass(frozen=True)
class PendingFeedback:
    """Feedback checked and not stored yet (what ``check_fit_feedback`` found); ``base``: the last its revision is
    made from (None when every answer was "right")."""

    pair_id: int
    style: str
    design_key: str
    answers: dict[str, Any]  # normalised
    comment: str
    received_at: datetime
    changes: dict[str, float]
    base: BaseLast | None
    face_count: int

    @property
    def work(self) -> RevisionWork | None:
        """The revision to make (None: no change asked for)."""
        return None if self.base is None else RevisionWork(self.base.params, self.changes, self.face_count)


def _measured(params: LastParameters, face_count: int) -> dict[str, float]:
    values = measure_last(build_last(params, face_count)).values()
    return {k: round(float(v), 2) for k in TARGET_KEYS if (v := values.get(k)) is not None}


def revised_last(
    params: LastParameters, changes: Mapping[str, float], face_count: int = FACE_COUNT
) -> tuple[dict[str, float], LastFit]:
    """Pure: (the last's measurements now, the solved last measuring them moved by ``changes``, mm). The short
    heel girth is kept ``MIN_HEEL_GIRTH_GAP_MM`` under the long one, as fitting does."""
    before = _measured(params, face_count)
    targets = {k: before[k] + float(changes.get(k, 0.0)) for k in TARGET_KEYS}
    targets["short_heel_girth_mm"] = min(
        targets["short_heel_girth_mm"], targets["long_heel_girth_mm"] - MIN_HEEL_GIRTH_GAP_MM
    )
    return before, solve_last(targets, params, face_count)


def make_revision(work: RevisionWork) -> MadeRevision:
    """The revised last (``revised_last``) as it is stored: what the geometry pool runs (the mesh stays here)."""
    before, fit = revised_last(work.params, work.changes, work.face_count)
    measured = {k: round(v, 2) for k, v in fit.achieved.items()}
    return MadeRevision(before, fit.last.params, measured, round(fit.max_error_mm, 3))


def _normalised(answers: Mapping[str, object]) -> dict[str, Any]:
    parsed = parse_answers(answers)
    return {
        r.value: {"answer": a.answer.value, "text": a.text, "detail": a.detail}
        for r, a in sorted(parsed.items(), key=lambda kv: kv[0].value)
    }


def _store_params(session: Session, store: ArtifactStore, last_key: str, revision: int,
                  params: LastParameters) -> int:  # fmt: skip
    data = json.dumps(params.to_dict(), indent=2, sort_keys=True).encode()
    artifact = artifacts_repository.add_artifact(
        session, store.put_bytes(data), kind="last.params.json", filename=f"last-r{revision}.params.json",
        media_type="application/json", input_key=f"last:{last_key}:r{revision}", stage=REVISION_STAGE,
        stage_version=1,
    )  # fmt: skip
    return artifact.id


def _already_stored(session: Session, pair_id: int, normalised: dict[str, Any],
                    changes: dict[str, float]) -> Submitted | None:  # fmt: skip
    """The pair's stored feedback when it has the same answers (None: none stored); other answers: conflict."""
    existing = repository.feedback_of_pair(session, pair_id)
    if existing is None:
        return None
    if existing.answers != normalised:
        raise FeedbackConflictError(f"pair {pair_id} already has other feedback", pair_id=pair_id)
    revision = repository.revision_of_feedback(session, existing.id)
    return Submitted(existing.id, changes, None if revision is None else Revision.of(revision), None, False)


def check_fit_feedback(
    session: Session,
    store: ArtifactStore,
    pair_id: int,
    answers: Mapping[str, object],
    comment: str = "",
    now: datetime | None = None,
    rules: FeedbackRules = DEFAULT_FEEDBACK_RULES,
    face_count: int = FACE_COUNT,
) -> Submitted | PendingFeedback:
    """Read only: the stored answer when the same feedback is stored already, else what to store and the last to
    make (``PendingFeedback``). Other answers already stored, a pair not delivered yet or without a fitted last:
    ``FeedbackConflictError``."""
    pair = planning_repository.get_pair(session, pair_id)
    normalised = _normalised(answers)
    changes = last_changes(parse_answers(answers), rules)
    stored = _already_stored(session, pair_id, normalised, changes)
    if stored is not None:
        return stored
    work_order = planning_repository.find_work_order_of_pair(session, pair_id)
    if work_order is None or planning.work_order_status(session, work_order.id).state != WorkOrderState.DONE:
        raise FeedbackConflictError(f"pair {pair_id} is not delivered yet", pair_id=pair_id)
    design = pair.design
    base = _base_last(session, store, pair_id, design.design_key) if changes else None
    return PendingFeedback(pair_id, design.style, design.design_key, normalised, comment, as_utc(now or utc_now()),
                           changes, base, face_count)  # fmt: skip


def _base_last(session: Session, store: ArtifactStore, pair_id: int, last_key: str) -> BaseLast:
    """The newest revision of the last; the first time, the pipeline's fitted last."""
    revisions = repository.revisions(session, last_key)
    if revisions:
        newest = revisions[-1]
        return BaseLast(newest.revision, LastParameters.from_dict(newest.parameters), newest.artifact_id)
    artifact = repository.fitted_last_params_artifact(session, pair_id)
    if artifact is None:
        raise FeedbackConflictError(f"pair {pair_id} has no fitted last (last.params.json)", pair_id=pair_id)
    return BaseLast(0, LastParameters.from_dict(json.loads(store.read_bytes(artifact.sha256))), artifact.id)


def make_revision_in(pool: GeometryPool | None, pending: PendingFeedback) -> MadeRevision | None:
    """``make_revision`` of the pending feedback in the geometry pool (the web server), or in this process
    (``pool=None``); None when the feedback asks for no change."""
    if pending.work is None:
        return None
    if pool is None:
        return make_revision(pending.work)
    return pool.run(make_revision, pending.work, what=MAKING_THE_REVISION)


def store_fit_feedback(
    session: Session, store: ArtifactStore, pending: PendingFeedback, made: MadeRevision | None
) -> Submitted:
    """Store the checked feedback and the revision made for it (no commit). What changed since the check is
    checked again: the same feedback stored meanwhile is that answer; other answers, or a newer revision of the
    last than the one this was made from (other feedback on the same design), are a ``FeedbackConflictError``."""
    stored = _already_stored(session, pending.pair_id, pending.answers, pending.changes)
    if stored is not None:
        return stored
    feedback = FitFeedback(pair_id=pending.pair_id, style=pending.style, design_key=pending.design_key,
                           answers=pending.answers, comment=pending.comment,
                           received_at=pending.received_at)  # fmt: skip
    repository.add(session, feedback)
    if pending.base is None:
        return Submitted(feedback.id, pending.changes, None, None, True)
    if made is None:
        raise ValueError("feedback with changes is stored with the revision made for it (make_revision)")
    revisions = repository.revisions(session, pending.design_key)
    if (revisions[-1].revision if revisions else 0) != pending.base.revision:
        raise FeedbackConflictError(
            f"the last of pair {pending.pair_id}'s design was revised by other feedback meanwhile; send the answers "
            "again", pair_id=pending.pair_id,
        )  # fmt: skip
    base = revisions[-1] if revisions else _fitted_revision(session, pending, pending.base, made)
    number = base.revision + 1
    row = LastRevision(
        last_key=pending.design_key, revision=number, style=pending.style, side=made.params.side,
        parameters=made.params.to_dict(), measured=made.measured, changes=pending.changes,
        max_error_mm=made.max_error_mm, source="feedback", pair_id=pending.pair_id, feedback_id=feedback.id,
        artifact_id=_store_params(session, store, pending.design_key, number, made.params),
    )  # fmt: skip
    repository.add(session, row)
    return Submitted(feedback.id, pending.changes, Revision.of(row), Revision.of(base), True)


def _fitted_revision(session: Session, pending: PendingFeedback, fitted: BaseLast,
                     made: MadeRevision) -> LastRevision:  # fmt: skip
    """Revision 1: the pipeline's fitted last, as measured while its revision was made."""
    params = fitted.params
    row = LastRevision(
        last_key=pending.design_key, revision=1, style=pending.style, side=params.side, parameters=params.to_dict(),
        measured=made.base_measured, changes={}, max_error_mm=0.0, source="fitted", pair_id=pending.pair_id,
        artifact_id=fitted.artifact_id,
    )  # fmt: skip
    repository.add(session, row)
    return row


def submit_fit_feedback(
    session: Session,
    store: ArtifactStore,
    pair_id: int,
    answers: Mapping[str, object],
    comment: str = "",
    now: datetime | None = None,
    rules: FeedbackRules = DEFAULT_FEEDBACK_RULES,
    face_count: int = FACE_COUNT,
    pool: GeometryPool | None = None,
) -> Submitted:
    """Store a delivered pair's feedback (one per pair; the same answers again change nothing, other ones are
    refused) and, when it asks for changes, the design's next last revision: the three steps in one session.
    ``pool``: where the last is solved (None: in this process)."""
    checked = check_fit_feedback(session, store, pair_id, answers, comment, now, rules, face_count)
    if isinstance(checked, Submitted):
        return checked
    return store_fit_feedback(session, store, checked, make_revision_in(pool, checked))


def current_last(session: Session, design_key: str) -> Revision | None:
    """The newest revision of the design's last (what a re-order is made on); None: only the fitted last."""
    rows = repository.revisions(session, design_key)
    return Revision.of(rows[-1]) if rows else None
