"""Pipeline runs: state, stage timings, errors and artifacts."""

from __future__ import annotations

from fastapi import APIRouter

from geometry.errors import NotFoundError
from manufacturing.db import repositories
from manufacturing.db.session import session_scope
from manufacturing.pipeline.reports import describe_run
from web.api.auth import CustomerSideDep, owns
from web.api.deps import RecordId, ResourcesDep
from web.api.schemas.runs import RunOut

router = APIRouter(prefix="/api/runs", tags=["runs"])


@router.get("/{run_id}")
def read_run(resources: ResourcesDep, principal: CustomerSideDep, run_id: RecordId) -> RunOut:
    """A pair's pipeline run (its customer's, or any for staff)."""
    with session_scope(resources.sessions) as session:
        run = repositories.get_pipeline_run(session, run_id)
        if not owns(principal, run.pair.order.customer_id):
            raise NotFoundError(f"pipeline run {run_id} does not exist", run_id=run_id)
        return RunOut.model_validate(describe_run(session, run_id))
