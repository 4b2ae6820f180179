"""Fit feedback for a delivered pair: store the answers, and when they ask for changes make the next revision
of the design's last: the newest revision (the pipeline's fitted last the first time) measured, its
measurements moved by the table (``rules``), solved with ``lasts.fitting.solve_last`` and measured again;
stored as ``last.params.json`` in the artifact store and a ``last_revision`` row. Re-orders use the newest
revision (``current_last``). Services never commit."""

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
from manufacturing.planning import repository as planning_repository
from manufacturing.planning import service as planning
from manufacturing.states import WorkOrderState

REVISION_STAGE = "fit.feedback"


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


def _measured(params: LastParameters, face_count: int) -> dict[str, float]:
    values = measure_last(build_last(params, face_count)).values()
    return {k: round(float(v), 2) for k in TARGET_KEYS if (v := values.get(k)) is not None}


def revised_last(
    params: LastParameters, changes: Mapping[str, float], face_count: int = 50_000
) -> tuple[dict[str, float], LastFit]:
    """Pure: (the last's measurements now, the solved last measuring them moved by ``changes``, mm). The short
    heel girth is kept ``MIN_HEEL_GIRTH_GAP_MM`` under the long one, as fitting does."""
    before = _measured(params, face_count)
    targets = {k: before[k] + float(changes.get(k, 0.0)) for k in TARGET_KEYS}
    targets["short_heel_girth_mm"] = min(
        targets["short_heel_girth_mm"], targets["long_heel_girth_mm"] - MIN_HEEL_GIRTH_GAP_MM
    )
    return before, solve_last(targets, params, face_count)


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


def _base_revision(session: Session, store: ArtifactStore, pair_id: int, last_key: str, style: str,
                   face_count: int) -> LastRevision:  # fmt: skip
    """The newest revision of the last; the first time, the pipeline's fitted last stored as revision 1."""
    existing = repository.revisions(session, last_key)
    if existing:
        return existing[-1]
    artifact = repository.fitted_last_params_artifact(session, pair_id)
    if artifact is None:
        raise FeedbackConflictError(f"pair {pair_id} has no fitted last (last.params.json)", pair_id=pair_id)
    params = LastParameters.from_dict(json.loads(store.read_bytes(artifact.sha256)))
    row = LastRevision(
        last_key=last_key, revision=1, style=style, side=params.side, parameters=params.to_dict(),
        measured=_measured(params, face_count), changes={}, max_error_mm=0.0, source="fitted", pair_id=pair_id,
        artifact_id=artifact.id,
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
    face_count: int = 50_000,
) -> Submitted:
    """Store a delivered pair's feedback (one per pair; the same answers again change nothing, other ones are
    refused) and, when it asks for changes, the design's next last revision."""
    pair = planning_repository.get_pair(session, pair_id)
    normalised = _normalised(answers)
    changes = last_changes(parse_answers(answers), rules)
    existing = repository.feedback_of_pair(session, pair_id)
    if existing is not None:
        if existing.answers != normalised:
            raise FeedbackConflictError(f"pair {pair_id} already has other feedback", pair_id=pair_id)
        revision = repository.revision_of_feedback(session, existing.id)
        return Submitted(existing.id, changes, None if revision is None else Revision.of(revision), None, False)
    work_order = planning_repository.find_work_order_of_pair(session, pair_id)
    if work_order is None or planning.work_order_status(session, work_order.id).state != WorkOrderState.DONE:
        raise FeedbackConflictError(f"pair {pair_id} is not delivered yet", pair_id=pair_id)
    design = pair.design
    feedback = FitFeedback(pair_id=pair_id, style=design.style, design_key=design.design_key, answers=normalised,
                           comment=comment, received_at=as_utc(now or utc_now()))  # fmt: skip
    repository.add(session, feedback)
    if not changes:
        return Submitted(feedback.id, changes, None, None, True)
    base = _base_revision(session, store, pair_id, design.design_key, design.style, face_count)
    params = LastParameters.from_dict(base.parameters)
    _, fit = revised_last(params, changes, face_count)
    number = base.revision + 1
    row = LastRevision(
        last_key=design.design_key, revision=number, style=design.style, side=params.side,
        parameters=fit.last.params.to_dict(), measured={k: round(v, 2) for k, v in fit.achieved.items()},
        changes=changes, max_error_mm=round(fit.max_error_mm, 3), source="feedback", pair_id=pair_id,
        feedback_id=feedback.id, artifact_id=_store_params(session, store, design.design_key, number, fit.last.params),
    )  # fmt: skip
    repository.add(session, row)
    return Submitted(feedback.id, changes, Revision.of(row), Revision.of(base), True)


def current_last(session: Session, design_key: str) -> Revision | None:
    """The newest revision of the design's last (what a re-order is made on); None: only the fitted last."""
    rows = repository.revisions(session, design_key)
    return Revision.of(rows[-1]) if rows else None
