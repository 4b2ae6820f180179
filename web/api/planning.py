"""Planning over HTTP: the stored schedule of open operations (for the Gantt chart), re-planning every open work
order, and each work centre's queue. The rules are ``manufacturing/planning``'s (docs/planning.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from manufacturing.accounts.roles import Capability
from manufacturing.boards.schedule import replan, schedule_view, station_queues
from manufacturing.db.session import session_scope
from web.api.auth import requires
from web.api.deps import ResourcesDep

router = APIRouter(prefix="/api/planning", tags=["planning"], dependencies=[Depends(requires(Capability.SHOP_FLOOR))])


class ReplanIn(BaseModel):
    time_limit_s: float = Field(5.0, ge=0.5, le=60.0, description="The solver's time limit, seconds.")
    now: datetime | None = Field(
        None, description="Plan from this time (with its zone); the server's clock by default."
    )


@router.get("/schedule")
def read_schedule(resources: ResourcesDep) -> dict[str, Any]:
    """Each open operation's planned work centre, start and end (as the last re-plan stored them), `late` for
    pairs planned to finish after their due date, and the work centres in the factory's order."""
    with session_scope(resources.sessions) as session:
        return schedule_view(session)


@router.post("/schedule")
def post_schedule(resources: ResourcesDep, body: ReplanIn | None = None) -> dict[str, Any]:
    """Re-plan every open work order from now (operations in progress stay where they run; CP-SAT against the
    EDD and ATC rules) and store each operation's plan; answers the method, figures and each pair's ETA."""
    body = body or ReplanIn.model_validate({})
    with session_scope(resources.sessions) as session:
        return replan(session, now=body.now, time_limit_s=body.time_limit_s)


@router.get("/queues")
def read_queues(resources: ResourcesDep) -> dict[str, Any]:
    """Per work centre: operations in progress, ready (or back for rework) and blocked; unscheduled ones per kind."""
    with session_scope(resources.sessions) as session:
        return station_queues(session)
