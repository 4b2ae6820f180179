"""Fit feedback over HTTP: a delivered pair's answers per region (toe, ball, instep, heel) make the next revision
of its design's last; per style, the answers aggregate into suggested allowance changes. The rules are
``manufacturing/feedback``'s (docs/feedback.md). A revised last is solved in the server's geometry pool
(``manufacturing/geometry_pool.py``), between a transaction that reads and one that writes, so no lock is held
while it is made."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.orm import Session

from configurator.styles.library import STYLES
from geometry.errors import NotFoundError
from manufacturing.accounts.service import Principal
from manufacturing.db.models import Pair
from manufacturing.db.repositories import get_pair_by_serial
from manufacturing.db.session import session_scope
from manufacturing.feedback import repository
from manufacturing.feedback import service as feedback_service
from manufacturing.feedback.aggregate import MIN_CHANGE_MM, MIN_SAMPLES, feedback_summary, summarise_style
from manufacturing.feedback.service import Revision, Submitted
from manufacturing.geometry_pool import geometry_pool
from web.api.auth import CustomerSideDep, PatternsDep, owns
from web.api.deps import ResourcesDep
from web.api.schemas.feedback import (
    FitFeedbackIn,
    FitFeedbackOut,
    FitFeedbackSubmittedOut,
    RegionAnswerOut,
    RevisionOut,
    StyleFeedbackListOut,
    StyleFeedbackOut,
    StyleFeedbackReportOut,
)

router = APIRouter(tags=["feedback"])


@router.post("/api/pairs/{serial}/fit-feedback", status_code=status.HTTP_201_CREATED)
def post_fit_feedback(
    resources: ResourcesDep, principal: CustomerSideDep, serial: str, body: FitFeedbackIn, response: Response
) -> FitFeedbackSubmittedOut:
    """Store a delivered pair's feedback (`201`) and, when it asks for changes, the next revision of its design's
    last (`revision`, made from `base`). The same answers again change nothing (`200`, `first: false`). `409
    feedback_conflict`: not delivered yet, other answers already stored, no fitted last, or the last revised by
    other feedback while this one's was made (send it again); `422 feedback_error`: an unknown region, answer or
    detail. About 2 s when a revision is made (the last is solved again); 503 `compute_timeout` when that ran
    past its deadline or `compute_busy` when the geometry processes are all taken (nothing is stored: send it
    again)."""
    with session_scope(resources.sessions) as session:  # reads only
        pair = _owned_pair(session, principal, serial)
        pair_serial = pair.serial
        checked = feedback_service.check_fit_feedback(session, resources.store, pair.id, body.answers,
                                                      comment=body.comment)  # fmt: skip
    if isinstance(checked, Submitted):
        submitted = checked
    else:
        made = feedback_service.make_revision_in(geometry_pool(resources.settings), checked)
        with session_scope(resources.sessions) as session:
            submitted = feedback_service.store_fit_feedback(session, resources.store, checked, made)
    if not submitted.first:
        response.status_code = status.HTTP_200_OK
    return FitFeedbackSubmittedOut(
        feedback_id=submitted.feedback_id,
        pair_serial=pair_serial,
        changes=submitted.changes,
        revision=None if submitted.revision is None else RevisionOut.of(submitted.revision),
        base=None if submitted.base is None else RevisionOut.of(submitted.base),
        first=submitted.first,
    )


@router.get("/api/pairs/{serial}/fit-feedback")
def read_fit_feedback(resources: ResourcesDep, principal: CustomerSideDep, serial: str) -> FitFeedbackOut:
    """The pair's feedback (404 when there is none) and the last revision it made, if any."""
    with session_scope(resources.sessions) as session:
        pair = _owned_pair(session, principal, serial)
        feedback = repository.feedback_of_pair(session, pair.id)
        if feedback is None:
            raise NotFoundError(f"pair {serial} has no fit feedback", serial=serial)
        revision = repository.revision_of_feedback(session, feedback.id)
        return FitFeedbackOut(
            feedback_id=feedback.id, pair_serial=pair.serial, style=feedback.style,
            answers={region: RegionAnswerOut.model_validate(a) for region, a in feedback.answers.items()},
            comment=feedback.comment, received_at=feedback.received_at.isoformat(),
            revision=None if revision is None else RevisionOut.of(Revision.of(revision)),
        )  # fmt: skip


def _owned_pair(session: Session, principal: Principal, serial: str) -> Pair:
    """The pair by serial; a customer's only if it is theirs (someone else's reads as missing)."""
    pair = get_pair_by_serial(session, serial)
    if not owns(principal, pair.order.customer_id):
        raise NotFoundError(f"pair {serial} does not exist", serial=serial)
    return pair


MinSamples = Query(MIN_SAMPLES, ge=1, le=10_000, description="Answers a region needs before a change is suggested.")


@router.get("/api/feedback/styles")
def list_style_feedback(
    resources: ResourcesDep, _workshop: PatternsDep, min_samples: int = MinSamples
) -> StyleFeedbackListOut:
    """Per style with feedback: answers per region and the suggested allowance changes (mm)."""
    with session_scope(resources.sessions) as session:
        summary = feedback_summary(session, min_samples=min_samples)
    styles = [StyleFeedbackOut.model_validate(s.to_json()) for s in summary.values()]
    return StyleFeedbackListOut(min_samples=min_samples, styles=styles)


@router.get("/api/feedback/styles/{style}")
def read_style_feedback(
    resources: ResourcesDep, _workshop: PatternsDep, style: str, min_samples: int = MinSamples
) -> StyleFeedbackReportOut:
    """One style's aggregate (zeros when nobody answered yet); `404` for a style that is not in the library."""
    if style not in STYLES:
        raise NotFoundError(f"style {style!r} is not in the library", style=style)
    with session_scope(resources.sessions) as session:
        summary = feedback_summary(session, min_samples=min_samples).get(style)
    if summary is None:
        summary = summarise_style(style, [], min_samples=min_samples, min_change_mm=MIN_CHANGE_MM)
    return StyleFeedbackReportOut.model_validate({"min_samples": min_samples, **summary.to_json()})
