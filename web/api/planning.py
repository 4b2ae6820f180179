"""Planning over HTTP: the stored schedule of open operations (for the Gantt chart), re-planning every open work
order, and each work centre's queue. The rules are ``manufacturing/planning``'s (docs/planning.md)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from manufacturing.accounts.roles import Capability
from manufacturing.boards.schedule import replan, schedule_view, station_queues
from manufacturing.db.session import session_scope
from web.api.auth import requires
from web.api.deps import ResourcesDep
from web.api.schemas.planning import QueuesOut, ReplanIn, ReplanOut, ScheduleOut

router = APIRouter(prefix="/api/planning", tags=["planning"], dependencies=[Depends(requires(Capability.SHOP_FLOOR))])


@router.get("/schedule")
def read_schedule(resources: ResourcesDep) -> ScheduleOut:
    """Each open operation's planned work centre, start and end (as the last re-plan stored them), `late` for
    pairs planned to finish after their due date, and the work centres in the factory's order."""
    with session_scope(resources.sessions) as session:
        return ScheduleOut.model_validate(schedule_view(session))


@router.post("/schedule")
def post_schedule(resources: ResourcesDep, body: ReplanIn | None = None) -> ReplanOut:
    """Re-plan every open work order from now (operations in progress stay where they run; CP-SAT against the
    EDD and ATC rules) and store each operation's plan; answers the method, figures and each pair's ETA."""
    body = body or ReplanIn.model_validate({})
    with session_scope(resources.sessions) as session:
        return ReplanOut.model_validate(replan(session, now=body.now, time_limit_s=body.time_limit_s))


@router.get("/queues")
def read_queues(resources: ResourcesDep) -> QueuesOut:
    """Per work centre: operations in progress, ready (or back for rework) and blocked; unscheduled ones per kind."""
    with session_scope(resources.sessions) as session:
        return QueuesOut.model_validate(station_queues(session))
