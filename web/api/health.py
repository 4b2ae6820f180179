"""``GET /api/health``: public, fast, and free of internals (no host names, no traces)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from manufacturing.pipeline.health import check_pipeline
from web.api.deps import ResourcesDep
from web.api.schemas.health import HealthOut

router = APIRouter(tags=["health"])


@router.get("/api/health", responses={503: {"model": HealthOut, "description": "The database does not answer."}})
def health(resources: ResourcesDep, response: Response) -> HealthOut:
    """The database, the broker, the workers and the queue: `ok`, or `degraded` with the problems named."""
    checked = check_pipeline(resources)
    if not checked.database.reachable:
        response.status_code = 503  # this web process can serve nothing; a worker or broker fault is a 200
    return HealthOut.model_validate(
        {
            "status": "ok" if checked.ok else "degraded",
            "problems": checked.problems,
            "database": checked.database,
            "broker": checked.broker,
            "worker": checked.worker,
            "queue": checked.queue,
        }
    )
