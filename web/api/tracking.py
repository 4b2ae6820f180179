"""Tracking, ETA and traceability over HTTP: scan events in (one or a batch), a pair's progress, its ledger
verification, its DPP-style export and its label QR code. ``create_tracking_app`` is the minimal app the
ingest benchmark serves."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Request, Response, status

from geometry.errors import NotFoundError
from manufacturing.boards.passport import export_dpp
from manufacturing.clock import utc_now
from manufacturing.db.repositories import get_pair_by_serial
from manufacturing.db.session import session_scope
from manufacturing.ledger.qr import label_qr_svg, provenance_url
from manufacturing.ledger.service import verify_pair
from manufacturing.pipeline.resources import build_resources
from manufacturing.settings import Settings, get_settings
from manufacturing.tracking.eta import delay_alerts
from manufacturing.tracking.events import parse_events
from manufacturing.tracking.ingest import ingest_committed
from manufacturing.tracking.learning import DurationLearner
from manufacturing.tracking.service import find_pair, progress_with_eta
from web.api.auth import CustomerSideDep, ShopFloorDep, owns
from web.api.deps import ResourcesDep
from web.api.problems import install_problem_handlers
from web.api.schemas.tracking import EtaOut, IngestOut, PairProgressWithEtaOut, PassportOut, VerificationOut

router = APIRouter(tags=["tracking"])
_learner_lock = threading.Lock()


def get_learner(request: Request) -> DurationLearner:
    """The app's background duration learner (made on first use: the full app need not know about it)."""
    state = request.app.state
    with _learner_lock:
        if getattr(state, "duration_learner", None) is None:
            state.duration_learner = DurationLearner(state.resources.sessions)
    learner: DurationLearner = state.duration_learner
    return learner


LearnerDep = Annotated[DurationLearner, Depends(get_learner)]


@router.post("/api/tracking/events", status_code=status.HTTP_202_ACCEPTED)
def post_events(
    resources: ResourcesDep,
    learner: LearnerDep,
    _staff: ShopFloorDep,
    body: Any = Body(..., description="One scan event (object) or a batch (array); see docs/tracking.md."),  # noqa: B008
) -> IngestOut:
    """Store scan events idempotently by ``event_id`` (resending is harmless; order does not matter). The
    duration models learn from them just after, in the background (``observations`` is 0 here)."""
    events = parse_events(body, now=utc_now())
    result = ingest_committed(resources.sessions, events, learner=learner)
    if result.refused and not isinstance(body, list):  # one event: its refusal is the answer (422 or 409)
        raise result.refused[0].error
    return IngestOut.model_validate(result)


@router.get("/api/pairs/{serial}/progress")
def get_progress(resources: ResourcesDep, principal: CustomerSideDep, serial: str) -> PairProgressWithEtaOut:
    """Where the pair is: its operations, progress and ETA (its customer's, or any for staff)."""
    with session_scope(resources.sessions) as session:
        pair = find_pair(session, serial)
        if not owns(principal, pair.customer_id):
            raise NotFoundError(f"pair {serial} does not exist", serial=serial)
        return PairProgressWithEtaOut.model_validate(progress_with_eta(session, pair))


@router.get("/api/pairs/{serial}/ledger/verify")
def get_verification(resources: ResourcesDep, serial: str) -> VerificationOut:
    """Recompute the pair's chain, head, events and sealed day roots: ``ok`` false names every problem."""
    with session_scope(resources.sessions) as session:
        return VerificationOut.model_validate(verify_pair(session, serial).to_json())


@router.get("/api/pairs/{serial}/dpp")
def get_dpp(resources: ResourcesDep, serial: str, request: Request) -> PassportOut:
    """The pair's passport: identity, materials and lots, each process step, and the ledger's proof."""
    with session_scope(resources.sessions) as session:
        return PassportOut.model_validate(export_dpp(session, serial, str(request.base_url)))


@router.get("/api/pairs/{serial}/qr.svg", response_class=Response)
def get_qr(resources: ResourcesDep, serial: str, request: Request) -> Response:
    with session_scope(resources.sessions) as session:
        get_pair_by_serial(session, serial)  # 404 for an unknown pair
    return Response(label_qr_svg(provenance_url(str(request.base_url), serial)), media_type="image/svg+xml")


@router.get("/api/tracking/alerts")
def get_alerts(resources: ResourcesDep, _staff: ShopFloorDep, now: datetime | None = None) -> list[EtaOut]:
    """Open pairs whose ETA passes their due date, with the bottleneck operation."""
    with session_scope(resources.sessions) as session:
        return [EtaOut.model_validate(a.to_json()) for a in delay_alerts(session, now)]


def create_tracking_app(settings: Settings | None = None) -> FastAPI:
    """Just the tracking routes (for the ingest benchmark and tests); the full app includes ``router``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        learner = getattr(app.state, "duration_learner", None)
        if learner is not None:
            learner.stop()  # learn what is queued before the process exits

    app = FastAPI(title="CSPMS tracking", lifespan=lifespan)
    app.state.resources = build_resources(settings or get_settings())
    app.state.duration_learner = None
    install_problem_handlers(app)
    app.include_router(router)
    return app
