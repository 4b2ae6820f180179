"""Planning: the stored schedule (the Gantt chart's bars), a re-plan's summary and each work centre's queue."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from manufacturing.planning.routing import WorkCentreKind
from manufacturing.states import OperationState
from web.api.schemas.common import IsoTime, Record, Within

# ---------------------------------------------------------------------------------------------- requests


class ReplanIn(BaseModel):
    time_limit_s: Annotated[float, Within(0.5, 60.0, "s", low_included=True, high_included=True)] = Field(
        5.0, description="The solver's time limit, seconds."
    )
    now: datetime | None = Field(
        None, description="Plan from this time (with its zone); the server's clock by default."
    )


# ---------------------------------------------------------------------------------------------- responses


class WorkCentreOut(Record):
    code: str
    kind: WorkCentreKind
    stations: int = Field(description="Pairs it can work on at once.")


class ScheduledOperationOut(Record):
    pair_serial: str
    pair_id: int
    order_number: str
    work_order_id: int
    seq: int
    operation: str
    kind: WorkCentreKind
    centre: str = Field(description="The planned work centre.")
    start: IsoTime
    end: IsoTime
    state: OperationState
    due_at: IsoTime
    late: bool = Field(description="The pair is planned to finish after its due date.")


class ScheduleOut(Record):
    centres: list[WorkCentreOut] = Field(description="In the factory's order: the Gantt's rows.")
    operations: list[ScheduledOperationOut] = Field(description="By work centre, then start.")
    start: IsoTime | None
    end: IsoTime | None
    pairs: int
    late_pairs: int


class ReplanOut(Record):
    method: str = Field(description="cp-sat, edd or atc.")
    status: str = Field(description="optimal or feasible (cp-sat), heuristic (dispatch rules).")
    seconds: float
    work_orders: int
    operations: int
    weighted_tardiness: int
    makespan_minutes: int
    pair_eta: dict[str, IsoTime] = Field(description="Pair serial → its planned finish.")


class QueuedOperationOut(Record):
    pair_serial: str
    order_number: str
    work_order_id: int
    seq: int
    operation: str
    kind: WorkCentreKind
    state: OperationState
    station: str | None
    started_at: IsoTime | None
    planned_start: IsoTime | None
    standard_minutes: float
    due_at: IsoTime | None


_READY = "Ready or back for rework; by planned start, then due date."


class CentreQueueOut(Record):
    centre: str
    kind: WorkCentreKind
    stations: int
    in_progress: list[QueuedOperationOut]
    ready: list[QueuedOperationOut] = Field(description=_READY)
    blocked: list[QueuedOperationOut]


class UnassignedQueueOut(Record):
    """Operations of one kind that are not running anywhere and not scheduled yet."""

    kind: WorkCentreKind
    in_progress: list[QueuedOperationOut]
    ready: list[QueuedOperationOut] = Field(description=_READY)
    blocked: list[QueuedOperationOut]


class QueuesOut(Record):
    queues: list[CentreQueueOut]
    unassigned: list[UnassignedQueueOut]
