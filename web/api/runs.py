"""Pipeline runs: state, stage timings, errors and artifacts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from manufacturing.db.session import session_scope
from manufacturing.pipeline.reports import describe_run
from web.api.deps import ResourcesDep

router = APIRouter(prefix="/api/runs", tags=["runs"])


@router.get("/{run_id}")
def read_run(resources: ResourcesDep, run_id: int) -> dict[str, Any]:
    with session_scope(resources.sessions) as session:
        return describe_run(session, run_id)
