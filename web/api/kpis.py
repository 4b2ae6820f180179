"""KPIs over HTTP: order lead and processing times, on-time delivery, output per worker, defect rate and
first-pass yield from the tracking record (``manufacturing/tracking/kpi.py``), and the daily output for a chart."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from manufacturing.accounts.roles import Capability
from manufacturing.db.session import session_scope
from manufacturing.tracking.kpi import kpis
from manufacturing.tracking.throughput import MAX_DAYS, daily_output
from web.api.auth import requires
from web.api.deps import ResourcesDep
from web.api.schemas.kpis import KpisOut

router = APIRouter(prefix="/api/kpis", tags=["tracking"], dependencies=[Depends(requires(Capability.SHOP_FLOOR))])


@router.get("")
def read_kpis(
    resources: ResourcesDep,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="Days of daily output, today included.")] = 14,
    now: Annotated[datetime | None, Query(description="The day the daily output ends (with its zone).")] = None,
) -> KpisOut:
    """The KPIs (docs/tracking.md) and `daily_output`: operations finished per UTC day."""
    with session_scope(resources.sessions) as session:
        return KpisOut.model_validate({**kpis(session), "daily_output": daily_output(session, days, now)})
