"""Patterns: each pair's pattern files (DXF, cutter DXF, PLT, SVG, PDF, strain maps, report) by kind.

The files are the ``patterns.make`` stage's artifacts of the pair's latest run that made them; their kinds
are the same for every design (``patterns.left.dxf``, ``patterns.right.plt``, ``patterns.patterns.json``:
``manufacturing/pipeline/stages.py``). A kind may be given without its ``patterns.`` prefix.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from geometry.errors import ConflictError, InputError, NotFoundError
from manufacturing.accounts.roles import Capability
from manufacturing.db import repositories
from manufacturing.db.models import Artifact, Order, Pair
from manufacturing.db.session import session_scope
from manufacturing.pipeline.stages import PATTERNS_MAKE
from manufacturing.states import StageState
from web.api.auth import requires
from web.api.deps import ResourcesDep
from web.api.schemas.patterns import PATTERNS_PREFIX, OrderPatternsOut, PairPatternsOut, PatternFileOut

# Pattern makers and staff (the cutting room); customers do not get the cutting files.
router = APIRouter(prefix="/api/orders", tags=["patterns"],
                   dependencies=[Depends(requires(Capability.PATTERNS, Capability.SHOP_FLOOR))])  # fmt: skip

_DONE = (StageState.SUCCEEDED, StageState.REUSED)


def _kinds(kind: str) -> set[str]:
    """The kinds a requested name may mean: itself, or itself with the prefix (``patterns.json`` is the
    report, whose kind is ``patterns.patterns.json``)."""
    return {kind, f"{PATTERNS_PREFIX}{kind}"}


def pattern_artifacts(session: Session, pair: Pair) -> tuple[int | None, str, list[Artifact]]:
    """(run id, stage state, artifacts) of the pair's latest run that has a ``patterns.make`` stage; the
    artifacts are empty until the stage has succeeded (or reused earlier files)."""
    latest: tuple[int | None, str, list[Artifact]] = (None, "not_planned", [])
    for run in repositories.runs_for_pair(session, pair.id):
        if PATTERNS_MAKE.name not in run.stages:
            continue
        stage_run = repositories.get_stage_run(session, run.id, PATTERNS_MAKE.name)
        if stage_run is None:
            latest = (run.id, "pending", [])
            continue
        files = list(repositories.artifacts_by_ids(session, stage_run.artifact_ids or []))
        latest = (run.id, stage_run.state.value, files if stage_run.state in _DONE else [])
    return latest


def _pairs(session: Session, order: Order, serial: str | None) -> list[Pair]:
    pairs = list(repositories.pairs_of_order(session, order.id))
    if serial is None:
        return pairs
    chosen = [pair for pair in pairs if pair.serial == serial]
    if not chosen:
        raise NotFoundError(f"order {order.number} has no pair {serial}", order=order.number, pair=serial)
    return chosen


@router.get("/{order_number}/patterns")
def list_patterns(resources: ResourcesDep, order_number: str) -> OrderPatternsOut:
    """Each pair's pattern files with download links by kind, and the state of the stage that makes them."""
    with session_scope(resources.sessions) as session:
        order = repositories.get_order_by_number(session, order_number)
        pairs = []
        for pair in _pairs(session, order, None):
            run_id, state, files = pattern_artifacts(session, pair)
            pairs.append(PairPatternsOut(
                serial=pair.serial, design_id=pair.design_id, run_id=run_id, state=state,
                files=[PatternFileOut.of(order, pair, artifact) for artifact in files],
            ))  # fmt: skip
        return OrderPatternsOut(order_number=order.number, pairs=pairs)


@router.get(
    "/{order_number}/patterns/{kind}",
    response_class=FileResponse,
    responses={200: {"description": "The pattern file (DXF, PLT, SVG, PDF or the JSON report)."}},
)
def download_pattern(
    resources: ResourcesDep,
    order_number: str,
    kind: str,
    pair: str | None = Query(None, description="Pair serial; needed when the order's pairs have different files."),
) -> FileResponse:
    """One pattern file by kind (`left.dxf`, `right.plt`, `patterns.left.pdf`, ...)."""
    wanted = _kinds(kind)
    with session_scope(resources.sessions) as session:
        order = repositories.get_order_by_number(session, order_number)
        found: dict[int, Artifact] = {}
        pending = []
        for candidate in _pairs(session, order, pair):
            _, state, files = pattern_artifacts(session, candidate)
            if state not in {s.value for s in _DONE}:
                pending.append(f"{candidate.serial} ({state})")
                continue
            for artifact in files:
                if artifact.kind in wanted:
                    found[artifact.id] = artifact
        if not found:
            if pending:
                raise ConflictError(
                    f"the patterns of {', '.join(pending)} are not made yet; ask again when the run is done",
                    order=order.number,
                )
            raise NotFoundError(f"order {order.number} has no pattern file of kind {kind}", kind=kind)
        if len(found) > 1:
            raise InputError(
                f"the pairs of order {order.number} have different {kind} files: give ?pair=<serial>",
                order=order.number,
            )
        artifact = next(iter(found.values()))
        path = resources.store.path_for(artifact.sha256)
        return FileResponse(path, media_type=artifact.media_type, filename=artifact.filename)
